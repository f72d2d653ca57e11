"""One analysis as the app holds it: the plate and its events, the panel, the model
settings, the trained model and its clusters, the selection, the gates drawn, the names
given to clusters and where the manual labels come from.

The window only shows and edits a `Session`; everything here runs without Qt, so a script
or a test drives an analysis exactly as the app does. `Session.save` writes it whole (an
analysis file, and beside it the model, the clusters and the gates) and `open_session`
reads it back. The long steps (`load_plate`, `open_session`, training through
`pipeline.analyse`) are plain functions that the app runs on a worker.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe.core.analysis.analysis_file import (
    DENSITY,
    AnalysisSettings,
    LabelSource,
    ViewSettings,
    load_analysis,
    save_analysis,
)
from cytomoe.core.analysis.html_report import cluster_medians
from cytomoe.core.analysis.pipeline import (
    AnalysisResult,
    assign,
    open_plate,
    resolve_panel,
    truth_labels,
)
from cytomoe.core.errors import CytomoeError, InputError
from cytomoe.core.evaluation.display_scale import ARCSINH
from cytomoe.core.evaluation.fmeasure import Evaluation, evaluate
from cytomoe.core.evaluation.gates import (
    DrawnGate,
    drawn_gate_membership,
    drawn_leaf_labels,
    load_drawn_gates,
    save_drawn_gates,
)
from cytomoe.core.evaluation.labels import clean_labels
from cytomoe.core.io.outputs import atomic_output, check_outside_inputs
from cytomoe.core.io.plate import SAMPLE, Plate
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.settings import ModelSettings
from cytomoe.core.preprocessing.panel import Panel
from cytomoe.core.preprocessing.transform import arcsinh
from cytomoe.core.progress import CancelCheck, ProgressCallback

LoadedPlate = tuple[Plate, Panel, pd.DataFrame]  # the plate, its panel, its pooled events
DRAWN = "drawn"  # the label source kind of the gates drawn in the app


def load_plate(
    settings: AnalysisSettings,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> LoadedPlate:
    """Read the inputs, choose the panel (the settings' or the plate's defaults, never
    the column of manual labels as a marker) and pool the events as the panel asks."""
    plate = open_plate(settings, progress, should_cancel)
    panel = resolve_panel(settings, plate)
    return plate, panel, plate.events(compensate_spillover=panel.compensate)


@dataclass(frozen=True)
class SessionFiles:
    """The files saved beside an analysis file ``NAME.toml``."""

    analysis: Path
    model: Path  # NAME.cytomoe
    clusters: Path  # NAME.clusters.npz: cluster and probability of every event
    gates: Path  # NAME.gates.xml: the gates drawn, as Gating-ML

    @classmethod
    def beside(cls, path: str | Path) -> "SessionFiles":
        path = Path(path)
        stem = path.with_suffix("")
        return cls(
            path,
            stem.with_suffix(".cytomoe"),
            stem.with_name(f"{stem.name}.clusters.npz"),
            stem.with_name(f"{stem.name}.gates.xml"),
        )


@dataclass
class Session:
    """An analysis in the app, as plain attributes: set them, or call the methods that
    keep them consistent (a new plate or model drops what belonged to the old one)."""

    inputs: list[str] = field(default_factory=list)
    plate: Plate | None = None
    panel: Panel | None = None
    events: pd.DataFrame | None = None  # pooled, compensated as the panel says
    model_settings: ModelSettings = field(default_factory=ModelSettings)
    result: AnalysisResult | None = None
    labels: LabelSource | None = None  # the manual labels scored against (kind "drawn" too)
    cluster_names: dict[int, str] = field(default_factory=dict)
    gates: list[DrawnGate] = field(default_factory=list)
    gate_membership: pd.DataFrame | None = None  # one column per gate, one row per event
    selected_cluster: int = -1
    visible_samples: list[int] = field(default_factory=list)  # empty: every well
    axes: tuple[str | None, str | None] = (None, None)  # plotted channels ($PnN)
    scale: str = ARCSINH  # of the transformed channels on the plots: arcsinh or logicle
    style: str = DENSITY  # of the gating plot: density (pseudocolour) or contour
    unsaved: bool = False  # a trained model or cluster names not saved yet
    problems: list[str] = field(default_factory=list)  # what could not be restored on open

    # ------------------------------------------------------------------ plate and result
    def set_plate(self, loaded: LoadedPlate, inputs: list[str]) -> None:
        """A new plate: everything of the previous one (clusters, gates, names) goes."""
        self.plate, self.panel, self.events = loaded
        self.inputs = [str(p) for p in inputs]
        self.result = None
        self.labels = None
        self.cluster_names = {}
        self.set_gates([])
        self.selected_cluster = -1
        self.visible_samples = []
        self.axes = (None, None)
        self.unsaved = False
        self.problems = []

    def settings(self) -> AnalysisSettings:
        """The analysis as the CLI reads it: inputs, panel, model settings, labels."""
        labels = self.labels if self.labels is None or self.labels.kind != DRAWN else None
        return AnalysisSettings(
            inputs=list(self.inputs),
            panel=self.panel,
            model=self.model_settings,
            labels=labels,
            cluster_names=dict(self.cluster_names),
        )

    def set_result(self, result: AnalysisResult) -> None:
        """A newly trained model: its clusters are new, so earlier names no longer apply."""
        self.result = result
        self.events = result.events
        self.selected_cluster = -1
        self.cluster_names = {}
        self.unsaved = True

    @property
    def n_clusters(self) -> int:
        return 0 if self.result is None else int(self.result.model.n_clusters_)

    def cluster_sizes(self) -> list[int]:
        if self.result is None:
            return []
        return np.bincount(self.result.clusters, minlength=self.n_clusters).tolist()

    # ------------------------------------------------------------------ cluster names
    def name_cluster(self, cluster: int, name: str) -> None:
        """Name a cluster ("CD4+ T cells"); an empty name removes it."""
        if not 0 <= cluster < self.n_clusters:
            raise InputError(f"There is no cluster {cluster}.")
        name = " ".join(name.split())
        if name == self.cluster_names.get(cluster, ""):
            return
        if name:
            self.cluster_names[cluster] = name
        else:
            self.cluster_names.pop(cluster, None)
        self.unsaved = True

    def cluster_label(self, cluster: int) -> str:
        """How a cluster is shown: its number, and its name once it has one."""
        name = self.cluster_names.get(cluster)
        return f"{cluster} {name}" if name else str(cluster)

    def cluster_labels(self) -> list[str]:
        return [self.cluster_label(c) for c in range(self.n_clusters)]

    def selected_cluster_text(self) -> str:
        """'cluster 1 CD4 T (12.3% of events)', or "" with none selected."""
        if self.result is None or self.selected_cluster < 0:
            return ""
        share = 100 * np.mean(self.result.clusters == self.selected_cluster)
        return f"cluster {self.cluster_label(self.selected_cluster)} ({share:.1f}% of events)"

    # ------------------------------------------------------------------ values shown
    def display_values(self, channel: str) -> np.ndarray:
        """A channel as plotted: arcsinh with its cofactor, or linear without one."""
        values = self.events[channel].to_numpy(np.float64)[:, None]
        return arcsinh(values, [channel], {channel: self.panel.cofactors.get(channel)})[:, 0]

    def in_selected_wells(self) -> np.ndarray:
        if not self.visible_samples:
            return np.ones(len(self.events), dtype=bool)
        return np.isin(self.events[SAMPLE].to_numpy(), self.visible_samples)

    def marker_medians(self) -> pd.DataFrame:
        """Median of each clustering marker (columns, by display name) in each cluster
        (rows, NaN for an empty one), on the transformed scale the plots show."""
        markers = list(self.result.model.markers_)
        values = arcsinh(
            self.events[markers].to_numpy(np.float64),
            markers,
            {m: self.panel.cofactors.get(m) for m in markers},
        )
        frame = pd.DataFrame(values, columns=[self.panel.display_name(m) for m in markers])
        return cluster_medians(frame, self.result.clusters, self.n_clusters)

    def cluster_table(self) -> pd.DataFrame:
        """One row per cluster: its number, name, events, % of events and the median of
        every clustering marker, as the Cluster medians view shows it."""
        sizes = np.asarray(self.cluster_sizes())
        table = pd.DataFrame(
            {
                "cluster": np.arange(self.n_clusters),
                "name": [self.cluster_names.get(c, "") for c in range(self.n_clusters)],
                "events": sizes,
                "percent": np.round(100 * sizes / max(1, sizes.sum()), 2),
            }
        )
        return pd.concat([table, self.marker_medians().reset_index(drop=True)], axis=1)

    # ------------------------------------------------------------------ gates and labels
    def set_gates(self, gates: list[DrawnGate], membership: pd.DataFrame | None = None) -> None:
        """The gates drawn, with their membership when the caller has computed it."""
        self.gates = list(gates)
        if membership is None and self.gates and self.events is not None:
            membership = drawn_gate_membership(self.gates, self.events)
        self.gate_membership = membership if self.gates else None

    def check_gates(self, gates: list[DrawnGate], file_name: str) -> None:
        """Gates from a file must be on channels this plate has."""
        missing = sorted({c for g in gates for c in g.channels} - set(self.plate.channels))
        if missing:
            raise InputError(
                f"{file_name} gates channel(s) {', '.join(missing)}, which the data does not have."
            )

    def check_panel(self, panel: Panel, file_name: str) -> None:
        missing = [c for c in panel.selected if c not in self.plate.channels]
        if missing:
            raise InputError(f"The data has no channel(s) {', '.join(missing)} of {file_name}.")

    def truth_labels(self, source: LabelSource) -> pd.Series:
        """Manual labels per event: a column, a file, gates of a file, or the leaf gates
        drawn here."""
        if source.kind != DRAWN:
            return truth_labels(source, self.events, self.plate)
        if not self.gates or self.gate_membership is None:
            raise InputError(
                "Draw gates first (Gates panel): their leaf gates are the manual labels."
            )
        labels = drawn_leaf_labels(self.gates, self.gate_membership)  # by display name
        return clean_labels(labels, source.unlabeled)

    def evaluate(self, source: LabelSource) -> Evaluation:
        """Score the clusters against ``source``, which becomes the session's labels."""
        if self.result is None:
            raise InputError("Train a model first: the F-measure scores its clusters.")
        truth = self.truth_labels(source)
        self.result.truth, self.result.evaluation = truth, evaluate(truth, self.result.clusters)
        self.labels = source
        return self.result.evaluation

    def gated_events(self, gate: str, in_cluster: bool) -> pd.DataFrame:
        """Events of a drawn gate (and of the selected cluster if asked), every channel in
        instrument units as read."""
        mask = self.gate_membership[gate].to_numpy()
        if in_cluster and self.result is not None and self.selected_cluster >= 0:
            mask = mask & (self.result.clusters == self.selected_cluster)
        return self.plate.events(compensate_spillover=False)[self.plate.channels][mask]

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> SessionFiles:
        """Write the analysis file at ``path`` and, beside it, the model with the cluster
        of every event and the gates drawn (each written whole or not at all). The label
        source "gates drawn here" is saved as the gates file, which the CLI reads too."""
        files = SessionFiles.beside(path)
        written = [files.analysis, files.model, files.clusters, files.gates]
        for target in written:  # never over an input
            check_outside_inputs(target, self.inputs)
        settings = self.settings()
        if self.result is not None:
            self.result.model.save(files.model)
            with atomic_output(files.clusters, overwrite=True) as temporary:
                with open(temporary, "wb") as handle:
                    np.savez_compressed(
                        handle,
                        clusters=self.result.clusters.astype(np.int32),
                        probability=self.result.probability.astype(np.float32),
                    )
            settings.model_file, settings.clusters_file = str(files.model), str(files.clusters)
        if self.gates:
            with atomic_output(files.gates, overwrite=True) as temporary:
                save_drawn_gates(self.gates, temporary, self.panel.compensate)
            settings.gates_file = str(files.gates)
            if self.labels is not None and self.labels.kind == DRAWN:
                settings.labels = LabelSource("gates", str(files.gates), self.labels.unlabeled)
        settings.view = self._view()
        save_analysis(settings, files.analysis)
        self.unsaved = False
        return files

    def _view(self) -> ViewSettings:
        wells = self.plate.wells if self.plate is not None else []
        return ViewSettings(
            self.axes[0],
            self.axes[1],
            self.selected_cluster,
            [wells[i] for i in self.visible_samples],
            self.scale,
            self.style,
        )


# ---------------------------------------------------------------------- opening
def open_session(
    path: str | Path,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> Session:
    """The session saved at ``path``: its plate read again, its panel, model, clusters
    (assigned anew when the saved ones no longer fit the events), gates, names, labels
    and view. What cannot be restored (a labels file moved away) is listed in
    ``problems``; the rest opens."""
    settings = load_analysis(path)
    session = Session(model_settings=settings.model, labels=settings.labels)
    if not settings.inputs:
        return session
    loaded = load_plate(settings, progress, should_cancel)
    session.set_plate(loaded, settings.inputs)
    session.labels = settings.labels
    plate, panel, events = loaded
    model = _saved_model(settings.model_file, session.problems)
    if model is not None:
        clusters = _saved_clusters(settings.clusters_file, len(events), model.n_clusters_)
        if clusters is None:
            clusters = assign(model, events, progress, should_cancel)
        session.result = AnalysisResult(plate, panel, events, model, *clusters)
        session.cluster_names = {
            c: name for c, name in settings.cluster_names.items() if c < model.n_clusters_
        }
    if settings.gates_file:
        gates = load_drawn_gates(settings.gates_file)
        session.check_gates(gates, Path(settings.gates_file).name)
        session.set_gates(gates)
        labels = settings.labels
        if labels is not None and labels.kind == "gates" and labels.value == settings.gates_file:
            session.labels = LabelSource(DRAWN, "gates drawn here", labels.unlabeled)
    _restore_view(session, settings.view)
    if session.result is not None and session.labels is not None:
        try:
            session.evaluate(session.labels)
        except CytomoeError as error:
            session.problems.append(f"The F-measure was not computed again: {error}")
    return session


def _saved_model(path: str | None, problems: list[str]) -> MoESimVAE | None:
    """The saved model, or None (with the reason in ``problems``) when it cannot be read:
    the plate still opens, without clusters."""
    if path is None:
        return None
    try:
        return MoESimVAE.load(path)
    except InputError as error:
        problems.append(f"The clusters could not be restored: {error}")
        return None


def _saved_clusters(
    path: str | None, n_events: int, n_clusters: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The saved cluster and probability of every event, or None when there is no such
    file or it does not fit the events and the model (the data changed since)."""
    if path is None or not Path(path).is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            clusters, probability = saved["clusters"], saved["probability"]
    except (OSError, KeyError, ValueError):
        return None
    fits = len(clusters) == len(probability) == n_events and (
        n_events == 0 or 0 <= clusters.min() <= clusters.max() < n_clusters
    )
    return (clusters.astype(np.intp), probability.astype(np.float32)) if fits else None


def _restore_view(session: Session, view: ViewSettings | None) -> None:
    if view is None:
        return
    channels = session.plate.channels
    session.axes = tuple(c if c in channels else None for c in (view.x, view.y))
    if -1 <= view.cluster < session.n_clusters:
        session.selected_cluster = view.cluster
    wells = session.plate.wells
    session.visible_samples = [i for i, well in enumerate(wells) if well in view.wells]
    session.scale, session.style = view.scale, view.style


__all__ = ["DRAWN", "LoadedPlate", "Session", "SessionFiles", "load_plate", "open_session"]
