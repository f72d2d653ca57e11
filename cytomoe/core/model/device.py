"""Which torch device trains the model: CUDA, then Apple MPS, then the CPU, or the user's choice.

torch is imported where a device is looked at, not with this module: the settings are
checked before the embedding, and torch is imported beside UMAP's layout (embedding.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cytomoe.core.errors import InputError

if TYPE_CHECKING:
    import torch

DEVICE_NAMES = "auto, cpu, cuda, cuda:N or mps"
_DEVICE_NAME = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


@dataclass(frozen=True)
class DeviceInfo:
    """What this machine offers, for the GUI's device picker and for reports."""

    cuda_devices: tuple[str, ...]  # names of the CUDA GPUs, in index order
    mps: bool
    cpu_threads: int

    @property
    def choices(self) -> list[str]:
        """Values ``select_device`` accepts here, best first after "auto"."""
        cuda = (
            ["cuda"] + [f"cuda:{i}" for i in range(len(self.cuda_devices))]
            if self.cuda_devices
            else []
        )
        return ["auto", *cuda, *(["mps"] if self.mps else []), "cpu"]

    def describe(self) -> str:
        parts = [f"CUDA {i}: {name}" for i, name in enumerate(self.cuda_devices)]
        if self.mps:
            parts.append("Apple MPS")
        parts.append(f"CPU ({self.cpu_threads} threads)")
        return "; ".join(parts)


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def detect_devices() -> DeviceInfo:
    import torch

    names = (
        tuple(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        if torch.cuda.is_available()
        else ()
    )
    return DeviceInfo(cuda_devices=names, mps=_mps_available(), cpu_threads=torch.get_num_threads())


def is_device_name(name: str) -> bool:
    """Whether ``name`` is one of ``DEVICE_NAMES``, available here or not."""
    return bool(_DEVICE_NAME.fullmatch(name.strip().lower()))


def select_device(name: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then MPS, then CPU; an explicit name must be available here."""
    import torch

    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"Unknown device '{name}'; use {DEVICE_NAMES}.") from None
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise InputError(f"Device '{name}' was asked for, but no CUDA GPU is available here.")
        if device.index is not None and device.index >= count:
            raise InputError(
                f"Device '{name}' was asked for, but this machine has {count} CUDA GPU(s)."
            )
        return device
    if device.type == "mps":
        if not _mps_available():
            raise InputError("Device 'mps' was asked for, but Apple MPS is not available here.")
        return device
    raise InputError(f"Unknown device '{name}'; use {DEVICE_NAMES}.")


@contextmanager
def compute_threads(device: torch.device) -> Iterator[None]:
    """One torch thread while the small MoE-Sim-VAE networks run on the CPU.

    Their matrices are tiny, so splitting each op over threads costs more than it saves,
    and a single thread makes seeded CPU runs repeat bit for bit.
    """
    if device.type != "cpu":
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
