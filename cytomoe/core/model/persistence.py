"""Model files: one ``torch.save`` of tensors plus JSON metadata, read with
``torch.load(weights_only=True)`` so a file cannot run code.

Reading checks the metadata (settings in range, a network of bounded size, clusters that
name real experts, tensors of the shapes the network needs) before the network is built,
and maps every tensor to the CPU first, so a model trained on a GPU opens on any machine.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from cytomoe.core.errors import InputError
from cytomoe.core.io.outputs import atomic_output
from cytomoe.core.model import network
from cytomoe.core.model.device import select_device
from cytomoe.core.model.estimator import MoESimVAE, check_network_size
from cytomoe.core.model.parameters import InvalidSetting
from cytomoe.core.model.scaling import CytometryScaler

FILE_FORMAT = "cytomoe-moesimvae"
FILE_VERSION = 2  # 2: a cluster is a list of experts


def save_model(model: MoESimVAE, path: str | Path) -> None:
    """Write ``model`` to ``path`` (a temporary file renamed into place)."""
    meta = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "params": {
            **{name: getattr(model, name) for name in model.setting_parameters()},
            "hidden_sizes": list(model.hidden_sizes),
        },
        "markers": model.markers_,
        "cofactors": model.cofactors_,
        "marker_names": model.marker_names,
        "spillover": _spillover_meta(model.spillover),
        "cluster_experts": model.cluster_experts_,
        "cluster_sizes": model.cluster_sizes_,
        "expert_sizes": model.expert_sizes_,
        "silenced_experts": model.silenced_experts_,
        "history": model.history_,
        "timings": model.timings_,
        "n_training_cells": model.n_training_cells_,
    }
    tensors = {f"net.{k}": v.detach().cpu() for k, v in model.net_.state_dict().items()}
    tensors.update(
        {
            "scale_low": torch.as_tensor(model.scaler_.low_),
            "scale_span": torch.as_tensor(model.scaler_.span_),
            "cluster_means": torch.as_tensor(model.cluster_means_),
        }
    )
    with atomic_output(path, overwrite=True) as temporary:
        torch.save({"meta": json.dumps(meta), "tensors": tensors}, temporary)


def _spillover_meta(spillover: pd.DataFrame | None) -> dict | None:
    if spillover is None:
        return None
    return {"channels": list(spillover.index), "values": spillover.to_numpy().tolist()}


def _spillover_of(meta: dict | None) -> pd.DataFrame | None:
    """The saved spillover; files saved before it was kept have none."""
    if meta is None:
        return None
    channels, values = list(meta["channels"]), np.asarray(meta["values"], dtype=np.float64)
    if values.shape != (len(channels), len(channels)):
        raise ValueError("spillover")
    return pd.DataFrame(values, index=channels, columns=channels)


def load_model(path: str | Path, device: str | None = None) -> MoESimVAE:
    """The model saved at ``path``, on ``device`` (``MoESimVAE.load``)."""
    path = Path(path)
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
        meta = json.loads(stored["meta"])
        tensors = dict(stored["tensors"])
    except FileNotFoundError:
        raise InputError(f"{path.name}: no such model file.") from None
    except Exception as error:  # any unreadable file is the user's input problem
        raise InputError(
            f"{path.name}: not a cytomoe model file ({type(error).__name__})."
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        raise InputError(f"{path.name}: not a cytomoe model file.")
    if meta.get("version") != FILE_VERSION:
        raise InputError(
            f"{path.name}: saved by another version of cytomoe (model format "
            f"{meta.get('version')}, this one reads {FILE_VERSION}); train the model again."
        )
    try:
        return _model_of(meta, tensors, device)
    except InvalidSetting as error:
        raise InputError(f"{path.name}: the model's '{error.name}' {error.problem}.") from None
    except InputError as error:
        raise InputError(f"{path.name}: {error}") from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InputError(f"{path.name}: a damaged cytomoe model file.") from None


def _model_of(
    meta: dict[str, Any], tensors: dict[str, torch.Tensor], device: str | None
) -> MoESimVAE:
    params = dict(meta["params"])
    known = MoESimVAE.setting_parameters()
    if set(params) - set(known):
        raise KeyError(sorted(set(params) - set(known)))
    model = MoESimVAE(
        **params,
        markers=list(meta["markers"]),
        cofactors=dict(meta["cofactors"]),
        marker_names=meta.get("marker_names"),
        spillover=_spillover_of(meta.get("spillover")),
    )
    model.check_settings()
    markers = model.markers
    if not markers or not all(isinstance(m, str) for m in markers):
        raise ValueError("markers")
    check_network_size(len(markers), model.latent_dim, model.hidden_sizes, model.n_experts)
    _check_clusters(meta, model.n_experts)
    _check_shapes(tensors, len(markers), model)
    model.device = _inference_device(model.device, device)
    model.device_ = select_device(model.device)
    model.scaler_ = CytometryScaler.fitted(
        markers, model.cofactors, tensors["scale_low"].numpy(), tensors["scale_span"].numpy()
    )
    model.cluster_experts_ = meta["cluster_experts"]
    model.n_clusters_ = len(model.cluster_experts_)
    model.cluster_sizes_ = meta["cluster_sizes"]
    model.expert_sizes_ = meta["expert_sizes"]
    model.silenced_experts_ = meta["silenced_experts"]
    model.history_ = meta["history"]
    model.timings_ = meta["timings"]
    model.n_training_cells_ = meta["n_training_cells"]
    model.cluster_means_ = tensors["cluster_means"].numpy()
    model.net_ = network.MoESimVAENet(
        len(markers), model.latent_dim, tuple(model.hidden_sizes), model.n_experts
    )
    model.net_.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
    model.net_.to(model.device_).eval()
    return model


def _check_clusters(meta: dict[str, Any], n_experts: int) -> None:
    clusters = meta["cluster_experts"]
    experts = [k for cluster in clusters for k in cluster]
    if not clusters or not all(isinstance(k, int) and 0 <= k < n_experts for k in experts):
        raise ValueError("cluster_experts")
    if len(meta["expert_sizes"]) != n_experts or len(meta["cluster_sizes"]) != len(clusters):
        raise ValueError("sizes")


def _check_shapes(tensors: dict[str, torch.Tensor], n_markers: int, model: MoESimVAE) -> None:
    """Every tensor the network and scaler need, of the shape they need (counted on the
    meta device, so nothing is allocated)."""
    with torch.device("meta"):
        net = network.MoESimVAENet(
            n_markers, model.latent_dim, tuple(model.hidden_sizes), model.n_experts
        )
    expected = {f"net.{k}": tuple(v.shape) for k, v in net.state_dict().items()}
    expected.update(
        {
            "scale_low": (n_markers,),
            "scale_span": (n_markers,),
            "cluster_means": (model.n_experts, model.latent_dim),
        }
    )
    found = {k: tuple(v.shape) for k, v in tensors.items()}
    if found != expected:
        raise ValueError("tensor shapes")


def _inference_device(saved: str, requested: str | None) -> str:
    """``requested``, else the device the model was trained on where this machine has it,
    else "auto" (the best one here)."""
    if requested is not None:
        return requested
    try:
        select_device(saved)
    except InputError:
        return "auto"
    return saved
