"""Manual gates: FlowJo 10 workspaces and Gating-ML 2.0 through FlowKit, gates drawn in
cytomoe, per-event membership of every population, and leaf labels for the F-measure.

FlowJo's own Gating-ML export is read too, although FlowKit's strict schema check refuses
it as it is: it carries display attributes outside the schema and names compensated
dimensions ``Comp-<channel>`` without a compensation reference. Those files are cleaned
(unknown attributes dropped, ``Comp-X`` read as X compensated with the file's spillover)
before FlowKit parses them. Such files hold no gate names, so their populations are named
by their Gating-ML ids.
"""

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import flowkit as fk
import numpy as np
import pandas as pd
from lxml import etree

from cytomoe.core.errors import InputError
from cytomoe.core.io.plate import Plate
from cytomoe.core.io.sample import Sample
from cytomoe.core.io.table import refuse_compressed

GATING = "http://www.isac-net.org/std/Gating-ML/v2.0/gating"
DATA_TYPE = "http://www.isac-net.org/std/Gating-ML/v2.0/datatypes"
FLOWJO_COMPENSATED = "Comp-"
CUSTOM_INFO = "cytomoe"  # element under custom_info holding a gate's display name


@dataclass(frozen=True)
class Population:
    name: str
    path: tuple[str, ...]  # FlowKit's gate path, from "root" (how its membership is asked)
    label: str = ""  # unique name: the gate name, or its lineage where names repeat
    lineage: tuple[str, ...] = ()  # the populations above it (quadrant gates left out)

    @property
    def parent(self) -> str:
        return self.lineage[-1]

    def is_parent_of(self, other: "Population") -> bool:
        return other.lineage == (*self.lineage, self.name)


def _populations(
    gate_ids: Iterable[tuple[str, Sequence[str]]], containers: frozenset[str] = frozenset()
) -> list[Population]:
    """Populations of FlowKit gate ids; ``containers`` (quadrant gates) hold populations
    but are none themselves."""
    ids = [(name, tuple(path)) for name, path in gate_ids]
    names = [name for name, _ in ids]
    populations = []
    for name, path in ids:
        lineage = tuple(p for p in path if p not in containers)
        label = name if names.count(name) == 1 else "/".join((*lineage[1:], name))
        populations.append(Population(name, path, label, lineage))
    return populations


@dataclass
class GateSet:
    """A gate hierarchy read from a file, applicable to samples."""

    source: Path
    strategy: fk.GatingStrategy | None = None  # Gating-ML
    workspace: fk.Workspace | None = None  # FlowJo
    populations: list[Population] = field(default_factory=list)

    @property
    def leaves(self) -> list[Population]:
        """Populations with no population under them: the truth labelling."""
        return [p for p in self.populations if not any(p.is_parent_of(q) for q in self.populations)]

    def membership(self, sample: Sample) -> pd.DataFrame:
        """One boolean column per population (named by its label), one row per event."""
        if sample.fcs_version == "table":
            raise InputError(f"{sample.name}: gates apply to FCS files, not event tables.")
        columns = {}
        if self.workspace is not None:
            sample_id = self._workspace_sample(sample)
            self.workspace.analyze_samples(sample_id=sample_id)
            for population in self.populations:
                columns[population.label] = self.workspace.get_gate_membership(
                    sample_id, population.name, gate_path=population.path
                )
        else:
            results = self.strategy.gate_sample(flowkit_sample(sample))
            for population in self.populations:
                columns[population.label] = results.get_gate_membership(
                    population.name, gate_path=population.path
                )
        frame = pd.DataFrame(columns)
        if len(frame) != sample.n_events:
            raise InputError(
                f"{sample.name}: the gates gave {len(frame)} events, the file has "
                f"{sample.n_events}."
            )
        return frame

    def event_membership(self, events: pd.DataFrame) -> pd.DataFrame:
        """Membership on events given as a table (instrument units, as they should be
        gated: FlowKit gets no spillover here)."""
        channels = sorted(
            {d.id for p in self.populations for d in self._gate(p).dimensions if hasattr(d, "id")}
        )
        flowkit_sample = fk.Sample(events[channels].astype(np.float64), sample_id="events")
        results = self.strategy.gate_sample(flowkit_sample)
        return pd.DataFrame(
            {
                p.label: results.get_gate_membership(p.name, gate_path=p.path)
                for p in self.populations
            }
        )

    def _gate(self, population: Population):
        return self.strategy.get_gate(population.name, gate_path=population.path)

    def leaf_labels(self, sample: Sample) -> pd.Series:
        """The leaf population of each event, None for events in no leaf. An event in
        several (overlapping) leaves takes the first in the tree's order."""
        return self.labels_from_membership(self.membership(sample))

    def labels_from_membership(self, membership: pd.DataFrame) -> pd.Series:
        labels = pd.Series([None] * len(membership), dtype=object)
        for population in reversed(self.leaves):
            labels[membership[population.label].to_numpy()] = population.label
        return labels

    def _workspace_sample(self, sample: Sample) -> str:
        known = self.workspace.get_sample_ids()
        for candidate in (
            sample.keywords.get("fil", ""),
            Path(sample.path).name,
            Path(sample.path).stem,
        ):
            if candidate in known:
                return candidate
        raise InputError(
            f"{sample.name} is not a sample of {self.source.name} "
            f"(its samples: {', '.join(known)})."
        )


def flowkit_sample(sample: Sample, flowjo_labels: bool = False) -> fk.Sample:
    """The events as cytomoe read them, handed to FlowKit with the keywords it gates by
    (the spillover of compensation-ref "FCS", the file name a workspace knows the sample
    by). FlowKit re-reading the file itself would read other values where the file's
    HEADER and TEXT disagree on where its data lie. ``flowjo_labels``: channel names as
    FlowJo writes them ('/' as '_')."""
    columns = pd.MultiIndex.from_arrays([sample.channels, sample.markers])
    frame = pd.DataFrame(sample.events.astype(np.float64), columns=columns)
    result = fk.Sample(frame, sample_id=Path(sample.path).name, use_flowjo_labels=flowjo_labels)
    kept = ("spillover", "spill", "fil", "timestep")
    result.metadata.update({k: v for k, v in sample.keywords.items() if k in kept})
    return result


def load_gates(path: str | Path, samples: list[Sample] | None = None) -> GateSet:
    """Gates from a FlowJo workspace (.wsp) or a Gating-ML 2.0 file (.xml); a workspace
    needs the FCS files of its samples."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: the gates file does not exist.")
    try:
        refuse_compressed(path, "gates file")
        if path.suffix.lower() == ".wsp":
            read = [
                flowkit_sample(s, flowjo_labels=True)
                for s in samples or []
                if s.fcs_version != "table"
            ]
            workspace = fk.Workspace(str(path), fcs_samples=read or None)
            sample_ids = workspace.get_sample_ids()
            if not sample_ids:
                raise InputError(f"{path.name} holds no samples.")
            populations = _populations(workspace.get_gate_ids(sample_ids[0]))
            return GateSet(path, workspace=workspace, populations=populations)
        strategy = fk.parse_gating_xml(_readable_gatingml(path))
    except InputError:
        raise
    except Exception as error:  # FlowKit's parse errors are long; say it in one sentence
        raise InputError(
            f"{path.name}: cannot read the gates ({type(error).__name__}: {str(error)[:160]})."
        ) from None
    return GateSet(path, strategy=strategy, populations=_strategy_populations(strategy))


def _strategy_populations(strategy: fk.GatingStrategy) -> list[Population]:
    """A quadrant gate is not a population itself; its quadrants are, under its parent
    (FlowKit asks for a quadrant's membership with its quadrant gate's path)."""
    ids, containers = [], set()
    for name, path in strategy.get_gate_ids():
        try:
            gate = strategy.get_gate(name, gate_path=path)
        except fk.exceptions.QuadrantReferenceError:
            ids.append((name, path[:-1]))
            continue
        if isinstance(gate, fk.gates.QuadrantGate):
            containers.add(name)
        else:
            ids.append((name, path))
    return _populations(ids, frozenset(containers))


def _readable_gatingml(path: Path) -> io.BytesIO:
    """The Gating-ML file, cleaned of export quirks for FlowKit: attributes outside the
    schema, `Comp-` dimensions without a compensation reference, wrapper elements."""
    try:
        root = etree.parse(str(path)).getroot()
    except etree.XMLSyntaxError as error:
        raise InputError(f"{path.name}: not valid XML ({error}).") from None
    for wrapper in [c for c in root if isinstance(c.tag, str) and not c.tag.startswith("{")]:
        for child in list(wrapper):  # gates wrapped in elements outside Gating-ML
            wrapper.addprevious(child)
        root.remove(wrapper)
    kept = {f"{{{GATING}}}id", f"{{{GATING}}}parent_id", f"{{{GATING}}}eventsInside"}
    for gate in root:
        if isinstance(gate.tag, str) and gate.tag.endswith("Gate"):
            for attribute in [a for a in gate.attrib if a not in kept]:
                del gate.attrib[attribute]
            gate.attrib.pop(f"{{{GATING}}}eventsInside", None)
    for dimension in root.iter(f"{{{GATING}}}dimension"):
        fcs = dimension.find(f"{{{DATA_TYPE}}}fcs-dimension")
        if fcs is None or dimension.get(f"{{{GATING}}}compensation-ref"):
            continue
        name = fcs.get(f"{{{DATA_TYPE}}}name", "")
        if name.startswith(FLOWJO_COMPENSATED):
            fcs.set(f"{{{DATA_TYPE}}}name", name[len(FLOWJO_COMPENSATED) :])
            dimension.set(f"{{{GATING}}}compensation-ref", "FCS")
        else:
            dimension.set(f"{{{GATING}}}compensation-ref", "uncompensated")
    return io.BytesIO(etree.tostring(root))


def leaf_labels_for_plate(gates_path: str | Path, plate: Plate) -> pd.Series:
    """Leaf labels of every event of the plate, in the order of ``plate.events()``. Samples
    the gates do not cover get no labels; if none is covered, that is an error."""
    gates = load_gates(gates_path, plate.samples)
    parts, unmatched = [], []
    for sample in plate.samples:
        try:
            parts.append(gates.leaf_labels(sample))
        except InputError as error:
            unmatched.append(str(error))
            parts.append(pd.Series([None] * sample.n_events, dtype=object))
    if len(unmatched) == len(plate.samples):
        raise InputError(f"No sample matches the gates: {unmatched[0]}")
    return pd.concat(parts, ignore_index=True)


# --- gates drawn in cytomoe ------------------------------------------------------------

# asinh(x / c) as Gating-ML's parametrised asinh: fasinh(x) = asinh(x sinh(M ln10) / T) /
# (M ln10) with A = 0 and T = c sinh(M ln10); values on that scale are ours / (M ln10).
_ASINH_M = 4.5
_ASINH_SCALE = _ASINH_M * math.log(10)


GATE_KINDS = ("polygon", "rectangle", "range", "ellipse")


@dataclass
class DrawnGate:
    """A gate drawn on a scatter plot, in display coordinates (arcsinh with the channel's
    cofactor, or linear without one).

    ``vertices``: polygon corners; rectangle and range (min, max) per axis, None for an
    open side; ellipse [centre, (half width, half height), (angle in radians,)].
    ``name`` is the Gating-ML id; ``label`` what the user typed ('CD4+ T cells').
    The four rectangles of a quadrant gate share ``quadrant``, the name of the set."""

    name: str
    kind: str
    channels: tuple[str, ...]  # x (and y)
    cofactors: tuple[float | None, ...]
    vertices: list[tuple[float, ...]]
    parent: str | None = None  # name of the parent drawn gate; None: all events
    label: str = ""
    quadrant: str | None = None

    def __post_init__(self):
        if not _GATE_ID.fullmatch(self.name):
            raise InputError(
                f"The gate name '{self.name}' cannot be saved in Gating-ML: use "
                f"letters, digits, '_', '-' or '.', e.g. '{gate_id(self.name)}'."
            )
        if self.kind not in GATE_KINDS:
            raise InputError(f"Gate '{self.name}': unknown kind '{self.kind}'.")
        self.label = self.label or self.name

    @classmethod
    def named(cls, label: str, kind: str, *args: object, **kwargs: object) -> "DrawnGate":
        """A gate named as the user typed it, with a Gating-ML id made from that."""
        return cls(gate_id(label), kind, *args, label=label.strip(), **kwargs)

    def to_flowkit(
        self, strategy: fk.GatingStrategy, compensation_ref: str
    ) -> fk.gates.PolygonGate:
        dimensions = []
        for channel, cofactor, (low, high) in zip(
            self.channels, self.cofactors, self._bounds(), strict=True
        ):
            transform_id = None
            if cofactor:
                transform_id = f"asinh_{_safe(channel)}_{cofactor:g}"
                if transform_id not in {t for t in strategy.transformations}:
                    strategy.add_transform(
                        transform_id,
                        fk.transforms.AsinhTransform(
                            cofactor * math.sinh(_ASINH_SCALE), _ASINH_M, 0.0
                        ),
                    )
            scale = _ASINH_SCALE if cofactor else 1.0
            dimensions.append(
                fk.Dimension(
                    channel,
                    compensation_ref=compensation_ref,
                    transformation_ref=transform_id,
                    range_min=None if low is None else low / scale,
                    range_max=None if high is None else high / scale,
                )
            )
        scales = [_ASINH_SCALE if c else 1.0 for c in self.cofactors]
        if self.kind == "ellipse":
            for dimension in dimensions:
                dimension.min = dimension.max = None
            (cx, cy), (half_width, half_height), (angle,) = self.vertices
            rotation = np.array(
                [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
            )
            covariance = rotation @ np.diag([half_width**2, half_height**2]) @ rotation.T
            covariance /= np.outer(scales, scales)
            return fk.gates.EllipsoidGate(
                self.name,
                dimensions,
                [cx / scales[0], cy / scales[1]],
                covariance.tolist(),
                1.0,
            )
        if self.kind == "polygon":
            for dimension in dimensions:
                dimension.min = dimension.max = None
            vertices = [
                tuple(v / s for v, s in zip(vertex, scales, strict=True))
                for vertex in self.vertices
            ]
            return fk.gates.PolygonGate(self.name, dimensions, vertices)
        return fk.gates.RectangleGate(self.name, dimensions)

    def _bounds(self) -> list[tuple[float | None, float | None]]:
        if self.kind in ("polygon", "ellipse"):
            return [(None, None) for _ in self.channels]
        return [tuple(v) for v in self.vertices]


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


# Gating-ML gate ids are XML ids (NCName).
_GATE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def gate_id(name: str) -> str:
    """A valid gate name close to ``name``: 'CD4+ T cells' -> 'CD4pos_T_cells'."""
    text = re.sub(
        r"[^A-Za-z0-9_.-]",
        "_",
        name.replace("+", "pos").replace("-", "neg")
        if name.endswith(("+", "-")) or "+" in name
        else name,
    )
    return text if text[:1].isalpha() or text[:1] == "_" else f"g_{text}"


def quadrant_gates(
    name: str,
    channels: tuple[str, str],
    cofactors: tuple[float | None, float | None],
    split: tuple[float, float],
    marker_names: tuple[str, str],
    parent: str | None = None,
) -> list[DrawnGate]:
    """The four populations of a quadrant gate split at ``split``, numbered as FlowJo does
    (Q1 top left, then clockwise) and labelled by their markers ('CD3+ CD4-'); each is a
    rectangle open on two sides, so Gating-ML readers without quadrant support read it."""
    quadrant_id = gate_id(name)
    x, y = split
    x_name, y_name = marker_names
    sides = [("-", "+"), ("+", "+"), ("+", "-"), ("-", "-")]
    gates = []
    for number, (x_side, y_side) in enumerate(sides, start=1):
        x_bounds = (x, None) if x_side == "+" else (None, x)
        y_bounds = (y, None) if y_side == "+" else (None, y)
        gates.append(
            DrawnGate(
                f"{quadrant_id}_Q{number}",
                "rectangle",
                channels,
                cofactors,
                [x_bounds, y_bounds],
                parent=parent,
                label=f"Q{number}: {x_name}{x_side} {y_name}{y_side}",
                quadrant=quadrant_id,
            )
        )
    return gates


def drawn_gate_strategy(
    gates: list[DrawnGate], compensation_ref: str = "uncompensated"
) -> fk.GatingStrategy:
    """A FlowKit gating strategy of drawn gates (parents before children); "FCS" marks
    compensated dimensions in a file, "uncompensated" gates the values as given."""
    strategy = fk.GatingStrategy()
    paths: dict[str, tuple[str, ...]] = {}
    pending = list(gates)
    while pending:
        progressed = False
        for gate in list(pending):
            if gate.parent is None or gate.parent in paths:
                path = ("root",) if gate.parent is None else (*paths[gate.parent], gate.parent)
                strategy.add_gate(gate.to_flowkit(strategy, compensation_ref), gate_path=path)
                paths[gate.name] = path
                pending.remove(gate)
                progressed = True
        if not progressed:
            raise InputError(
                f"Gate '{pending[0].name}' has an unknown parent '{pending[0].parent}'."
            )
    return strategy


def drawn_gate_set(gates: list[DrawnGate]) -> GateSet:
    strategy = drawn_gate_strategy(gates)
    return GateSet(
        Path("drawn gates"), strategy=strategy, populations=_strategy_populations(strategy)
    )


def drawn_leaf_labels(gates: list[DrawnGate], membership: pd.DataFrame) -> pd.Series:
    """Each event's leaf gate by its display name ('CD4+ T cells'), None outside them."""
    ids = drawn_gate_set(gates).labels_from_membership(membership)
    names = {gate.name: gate.label for gate in gates}
    return ids.map(lambda name: names.get(name, name) if name is not None else None)


def drawn_gate_membership(gates: list[DrawnGate], events: pd.DataFrame) -> pd.DataFrame:
    """Membership of drawn gates on events as shown (instrument units, compensated when
    the plot was), one boolean column per gate."""
    return drawn_gate_set(gates).event_membership(events)


def load_drawn_gates(path: str | Path) -> list[DrawnGate]:
    """Gates for the drawing editor from a Gating-ML file: polygon and rectangle gates on
    linear or arcsinh (Gating-ML asinh with A = 0) dimensions, as `save_drawn_gates`
    writes them."""
    gates = load_gates(path)
    names = _display_names(path)
    drawn = []
    for population in gates.populations:
        gate = gates.strategy.get_gate(population.name, gate_path=population.path)
        if not isinstance(
            gate, fk.gates.PolygonGate | fk.gates.RectangleGate | fk.gates.EllipsoidGate
        ):
            raise InputError(
                f"{Path(path).name}: gate '{population.name}' is a "
                f"{type(gate).__name__}; the editor draws polygons, rectangles, ranges, "
                "ellipses and quadrants."
            )
        cofactors, scales = [], []
        for dimension in gate.dimensions:
            cofactor, scale = _display_scale(
                gates.strategy, dimension.transformation_ref, Path(path).name
            )
            cofactors.append(cofactor)
            scales.append(scale)
        channels = tuple(d.id for d in gate.dimensions)
        parent = None if population.parent == "root" else population.parent
        label, quadrant = names.get(population.name, ("", None))
        extra = {"label": label, "quadrant": quadrant}
        if isinstance(gate, fk.gates.PolygonGate):
            vertices = [
                tuple(v * s for v, s in zip(vertex, scales, strict=True))
                for vertex in gate.vertices
            ]
            drawn.append(
                DrawnGate(
                    population.name,
                    "polygon",
                    channels,
                    tuple(cofactors),
                    vertices,
                    parent,
                    **extra,
                )
            )
        elif isinstance(gate, fk.gates.EllipsoidGate):
            drawn.append(
                DrawnGate(
                    population.name,
                    "ellipse",
                    channels,
                    tuple(cofactors),
                    _ellipse_vertices(gate, scales),
                    parent,
                    **extra,
                )
            )
        else:
            bounds = [
                (None if d.min is None else d.min * s, None if d.max is None else d.max * s)
                for d, s in zip(gate.dimensions, scales, strict=True)
            ]
            kind = "range" if len(channels) == 1 else "rectangle"
            drawn.append(
                DrawnGate(
                    population.name, kind, channels, tuple(cofactors), bounds, parent, **extra
                )
            )
    return drawn


def _ellipse_vertices(gate: fk.gates.EllipsoidGate, scales: list[float]) -> list[tuple]:
    """Centre, half axes and angle of an ellipsoid gate's boundary, in display units."""
    covariance = np.array(gate.covariance_matrix, dtype=float) * np.outer(scales, scales)
    covariance *= float(gate.distance_square)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    angle = math.atan2(eigenvectors[1, 1], eigenvectors[0, 1])  # the longer axis
    centre = tuple(float(c) * s for c, s in zip(gate.coordinates, scales, strict=True))
    half_axes = (float(math.sqrt(eigenvalues[1])), float(math.sqrt(eigenvalues[0])))
    return [centre, half_axes, (angle,)]


def _display_names(path: str | Path) -> dict[str, tuple[str, str | None]]:
    """Gate id -> (label, quadrant set) as `save_drawn_gates` records them in each gate's
    custom_info; gates from elsewhere have none."""
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError):
        return {}
    names = {}
    for element in root.iter(f"{{{DATA_TYPE}}}custom_info"):
        info = element.find(CUSTOM_INFO)
        gate = element.getparent()
        if info is not None and gate is not None:
            gate_name = gate.get(f"{{{GATING}}}id")
            names[gate_name] = (info.get("label", ""), info.get("quadrant"))
    return names


def _display_scale(
    strategy: fk.GatingStrategy, transform_id: str | None, file_name: str
) -> tuple[float | None, float]:
    """(cofactor, factor from Gating-ML values to ours) of a dimension's transform."""
    if transform_id is None:
        return None, 1.0
    transform = strategy.get_transform(transform_id)
    if not isinstance(transform, fk.transforms.AsinhTransform) or transform.param_a != 0:
        raise InputError(
            f"{file_name}: transform '{transform_id}' is not one the editor "
            "draws on (linear or arcsinh)."
        )
    scale = transform.param_m * math.log(10)
    return transform.param_t / math.sinh(scale), scale


def save_drawn_gates(gates: list[DrawnGate], path: str | Path, compensated: bool) -> None:
    """Write drawn gates as Gating-ML 2.0 (through FlowKit, so the file is valid);
    gates drawn on compensated values refer to the file's spillover ("FCS")."""
    strategy = drawn_gate_strategy(gates, "FCS" if compensated else "uncompensated")
    exported = io.BytesIO()
    fk.export_gatingml(strategy, exported)
    root = etree.fromstring(exported.getvalue())
    by_name = {gate.name: gate for gate in gates}
    for element in root:  # display names beside the ids, where Gating-ML keeps custom data
        gate = by_name.get(element.get(f"{{{GATING}}}id")) if isinstance(element.tag, str) else None
        if gate is None:
            continue
        custom = etree.Element(f"{{{DATA_TYPE}}}custom_info")
        info = etree.SubElement(custom, CUSTOM_INFO, label=gate.label)
        if gate.quadrant:
            info.set("quadrant", gate.quadrant)
        element.insert(0, custom)
    Path(path).write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
