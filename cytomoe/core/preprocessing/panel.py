"""The marker panel: which channels enter the model and each channel's arcsinh cofactor."""

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from cytomoe.core.errors import InputError
from cytomoe.core.io.sample import Sample
from cytomoe.core.io.table import is_label_like
from cytomoe.core.preprocessing.transform import FLUORESCENCE_COFACTOR, MASS_CYTOMETRY_COFACTOR

PANEL_FORMAT_VERSION = 1

# Mass cytometry: instrument names, and metal-tagged channels such as Nd142Di or (Nd142)Dd.
# ("CyTOF XT" contains "cytof"; a bare "XT" would also match fluorescence names such as
# "Attune NxT".)
_MASS_INSTRUMENT = re.compile(r"cytof|helios|fluidigm|standard biotools|hyperion", re.IGNORECASE)
_METALS = (
    "La|Pr|Nd|Sm|Eu|Gd|Tb|Dy|Ho|Er|Tm|Yb|Lu|Hf|Ta|In|Y|Pt|Ir|Rh|Pd|Cd|Ba|Cs|Xe|I|Ce|"
    "Bi|Tl|Pb|Hg|Sn|Te|Os|Au|Ag|Ru|Sr|Zr|Nb|Mo"
)
_METAL_CHANNEL = re.compile(rf"^\(?({_METALS})\d{{2,3}}\)?(D[id])?$|^({_METALS})\d{{2,3}}D[id]\b")
# A $PnS that only repeats the isotope (Ce140, Ce140Di, 140Ce) names no antibody.
_ISOTOPE_ONLY = re.compile(rf"^\(?(({_METALS})\d{{2,3}}|\d{{2,3}}({_METALS}))\)?(D[id])?$")
# Channels that describe the event rather than a marker: kept for plots and export, left out
# of clustering by default. Matched against $PnN and $PnS.
_DESCRIBES_EVENT = re.compile(
    r"time|event|^fsc|^ssc|^fs\b|^ss\b|scatter|length|width|-w$|height|center|offset|"
    r"residual|gaussian|doublet|hdr-|sample|background|^cell_?id|^well|"
    r"^cluster|^csplr_|^tsne|^umap|^pca?\d",
    re.IGNORECASE,
)
# Stains that are not a marker (DNA, viability, beads, barcodes): matched against $PnS, and
# against $PnN only when $PnS names nothing.
_NOT_A_MARKER = re.compile(
    r"^bc\d|barcode|bead|dna|ir19[13]|^ce140|eq\d|cisplatin|pt19[4-8]|"
    r"^rh103|viab|live|dead|l/d|zombie|vivid|dump|7-?aad|dapi|\bpi\b",
    re.IGNORECASE,
)
_BARCODE_METAL = re.compile(r"^\(?pd1(0[2-9]|10)", re.IGNORECASE)
_SCATTER_OR_TIME = re.compile(
    r"^(fsc|ssc|fs|ss)\b|^(fsc|ssc)-|time|event|width|length|"
    r"^hdr-",
    re.IGNORECASE,
)


def is_mass_cytometry(samples: Sequence[Sample]) -> bool:
    """Mass cytometry by $CYT, by metal-isotope channel names, or, for tables without
    either, by ion-count values: never negative and often exactly zero."""
    sample = samples[0]
    if _MASS_INSTRUMENT.search(sample.instrument or ""):
        return True
    metals = sum(bool(_METAL_CHANNEL.match(c)) for c in sample.channels)
    if metals >= max(3, len(sample.channels) // 2):
        return True
    if sample.fcs_version == "table" and sample.n_events:
        # Ion counts sit near zero for many cells (randomised to small negatives by some
        # instruments); fluorescence spreads over hundreds to thousands of units.
        values = sample.events[:10_000]
        return bool(np.nanmin(values) > -10 and (abs(values) < 1).mean() > 0.1)
    return False


def is_marker_channel(channel: str, marker: str) -> bool:
    """True for channels that measure a marker (not time, scatter, DNA, beads, labels, ...).

    A $PnS that names something decides before the channel's metal: IgD on Ce140Di (a bead
    mass) is a marker, beads on it are not. A metal channel without an antibody name ($PnS
    empty or just the isotope) is empty or background, so it is left out."""
    if any(_DESCRIBES_EVENT.search(n) or is_label_like(n) for n in (channel, marker)):
        return False
    if marker and marker != channel and not _ISOTOPE_ONLY.match(marker):
        return not _NOT_A_MARKER.search(marker)
    return not (
        _NOT_A_MARKER.search(channel)
        or _BARCODE_METAL.match(channel)
        or _METAL_CHANNEL.match(channel)
    )


def _drop_heights(channels: list[str]) -> list[str]:
    """Fluorescence measured as area (-A) and height (-H): keep the area, as FlowJo users do."""
    names = set(channels)
    return [c for c in channels if not (c.endswith("-H") and f"{c[:-2]}-A" in names)]


@dataclass
class Panel:
    """Channel selection and transform of an analysis.

    ``channels`` are $PnN names in file order; ``markers`` maps $PnN to its display name
    ($PnS, editable); ``selected`` lists the $PnN names used for clustering;
    ``cofactors`` maps $PnN to an arcsinh cofactor, None meaning "no transform" (data that
    arrives already transformed). ``compensate`` applies the files' spillover first.
    """

    channels: list[str]
    markers: dict[str, str] = field(default_factory=dict)
    selected: list[str] = field(default_factory=list)
    cofactors: dict[str, float | None] = field(default_factory=dict)
    compensate: bool = True

    @classmethod
    def default_for(
        cls,
        samples: Sequence[Sample],
        channels: Sequence[str] | None = None,
        exclude: Iterable[str] = (),
    ) -> "Panel":
        """The panel a user gets: markers chosen, arcsinh cofactor 5 for mass cytometry and
        150 for fluorescence; scatter and time stay linear (no transform).

        ``exclude`` names channels never to cluster on, such as the column holding the
        manual labels; label-like columns (label, population, cluster, ...) never are."""
        if not samples:
            raise InputError("No samples to choose a panel for.")
        channels = list(channels if channels is not None else samples[0].channels)
        names = dict(zip(samples[0].channels, samples[0].markers, strict=True))
        markers = {c: names.get(c, c) for c in channels}
        cofactor = MASS_CYTOMETRY_COFACTOR if is_mass_cytometry(samples) else FLUORESCENCE_COFACTOR
        cofactors = {c: None if _SCATTER_OR_TIME.search(c) else cofactor for c in channels}
        candidates = [c for c in channels if c not in set(exclude) and not is_label_like(c)]
        selected = _drop_heights([c for c in candidates if is_marker_channel(c, markers[c])])
        if not selected:  # e.g. a scatter-only file: better something than nothing
            selected = [c for c in candidates if not re.search("time", c, re.IGNORECASE)]
        return cls(
            channels=channels,
            markers=markers,
            selected=selected,
            cofactors=cofactors,
            compensate=any(s.spillover is not None for s in samples),
        )

    def select(self, names: Sequence[str]) -> "Panel":
        """A copy using the given channels ($PnN or $PnS names) for clustering."""
        by_marker = {m.lower(): c for c, m in self.markers.items()}
        chosen = []
        for name in names:
            channel = name if name in self.channels else by_marker.get(name.lower())
            if channel is None:
                known = ", ".join(
                    f"{c} ({self.display_name(c)})" if self.display_name(c) != c else c
                    for c in self.channels
                )
                raise InputError(f"Unknown marker '{name}'. Available: {known}.")
            chosen.append(channel)
        return Panel(
            list(self.channels), dict(self.markers), chosen, dict(self.cofactors), self.compensate
        )

    def with_cofactor(self, cofactor: float | None) -> "Panel":
        """A copy with one cofactor for every selected channel (None: no transform)."""
        cofactors = dict(self.cofactors)
        cofactors.update({c: cofactor for c in self.selected})
        return Panel(
            list(self.channels), dict(self.markers), list(self.selected), cofactors, self.compensate
        )

    def display_name(self, channel: str) -> str:
        return self.markers.get(channel) or channel

    def describe(self) -> list[str]:
        """The panel for people: one line per clustered channel, such as
        'CD3 (PE-Cy7-A) cofactor 150' or 'FSC-A no transform', then the channels left out."""
        lines = []
        for channel in self.selected:
            name = self.display_name(channel)
            cofactor = self.cofactors.get(channel)
            lines.append(
                (f"{name} ({channel})" if name != channel else channel)
                + (f" cofactor {cofactor:g}" if cofactor is not None else " no transform")
            )
        left_out = [c for c in self.channels if c not in self.selected]
        if left_out:
            lines.append("left out: " + ", ".join(left_out))
        return lines

    def to_dict(self) -> dict:
        return {"format_version": PANEL_FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "Panel":
        data = dict(data)
        version = data.pop("format_version", PANEL_FORMAT_VERSION)
        if version > PANEL_FORMAT_VERSION:
            raise InputError(f"This panel was saved by a newer cytomoe (format {version}).")
        try:
            return cls(**data)
        except TypeError as error:
            raise InputError(f"Not a cytomoe panel: {error}.") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "Panel":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise InputError(f"{Path(path).name}: cannot read the panel ({error}).") from None
        return cls.from_dict(data)
