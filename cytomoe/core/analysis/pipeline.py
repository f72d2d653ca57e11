"""One analysis end to end: load a plate, choose the panel, train MoE-Sim-VAE, assign every
event, score against manual labels and export. Each step is a function of its own so that
the CLI, batch runs and the GUI share them."""

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe import __version__
from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource
from cytomoe.core.analysis.result_files import write_result_files
from cytomoe.core.errors import InputError, OutputExistsError
from cytomoe.core.evaluation.fmeasure import Evaluation, evaluate
from cytomoe.core.evaluation.labels import labels_from_column, labels_from_file
from cytomoe.core.io.export import (
    cluster_file_stem,
    cluster_name_keywords,
    source_keywords,
    write_csv,
    write_fcs,
)
from cytomoe.core.io.outputs import (
    check_folder_target,
    check_outside_inputs,
    replace_folder,
    written_files,
)
from cytomoe.core.io.plate import SAMPLE, WELL, Plate
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.settings import ModelSettings
from cytomoe.core.preprocessing.panel import Panel
from cytomoe.core.progress import CancelCheck, ProgressCallback, check_cancel, report

CLUSTER, PROBABILITY = "cluster", "cluster_probability"
MODEL_FILE, REPORT_FILE, CLUSTERS_FILE = "model.cytomoe", "report.json", "clusters.fcs"


@dataclass
class AnalysisResult:
    plate: Plate
    panel: Panel
    events: pd.DataFrame  # pooled events as the model saw them (compensated if asked)
    model: MoESimVAE
    clusters: np.ndarray  # one cluster id per event, 0 = largest cluster
    probability: np.ndarray  # the assigned cluster's probability per event
    truth: pd.Series | None = None
    evaluation: Evaluation | None = None
    timings: dict[str, float] = field(default_factory=dict)
    latent: np.ndarray | None = None  # each event's latent m(x), where the analysis has it


def open_plate(
    settings: AnalysisSettings,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> Plate:
    if not settings.inputs:
        raise InputError("No input files or folders were given.")
    return Plate.open(
        settings.inputs,
        settings.sample_sheet,
        progress,
        should_cancel,
        channel_names=settings.channel_names,
    )


def resolve_panel(settings: AnalysisSettings, plate: Plate) -> Panel:
    """The analysis's panel (or the plate's defaults) with its overrides applied: markers,
    cofactors, no transform, compensation; checked against the plate."""
    panel = (
        Panel.from_dict(settings.panel.to_dict())
        if settings.panel is not None
        else Panel.default_for(plate.samples, plate.channels, exclude=_label_column(settings))
    )
    missing = [c for c in panel.selected if c not in plate.channels]
    if missing:
        raise InputError(
            f"The data has no channel(s) {', '.join(missing)} of the panel; "
            f"channels: {', '.join(plate.channels)}."
        )
    if settings.markers:
        panel = panel.select(settings.markers)
    if not settings.transform:
        panel = panel.with_cofactor(None)
    elif isinstance(settings.cofactors, dict):
        for name, value in settings.cofactors.items():
            panel.cofactors[panel.select([name]).selected[0]] = _positive(value)
    elif settings.cofactors is not None:
        panel = panel.with_cofactor(_positive(settings.cofactors))
    if settings.compensate is not None:
        panel.compensate = settings.compensate
    if not panel.selected:
        raise InputError("The panel selects no markers for clustering.")
    return panel


def _label_column(settings: AnalysisSettings) -> list[str]:
    """The column holding the manual labels, which is never a marker."""
    labels = settings.labels
    return [labels.value] if labels is not None and labels.kind == "column" else []


def _positive(value: str | float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"The cofactor '{value}' is not a number.") from None
    if not number > 0:
        raise InputError(f"The cofactor must be positive, not {value}.")
    return number


def truth_labels(
    source: LabelSource | None, events: pd.DataFrame, plate: Plate
) -> pd.Series | None:
    """Manual labels per event from the analysis's label source, or None."""
    if source is None:
        return None
    if source.kind == "column":
        return labels_from_column(events, source.value, source.unlabeled)
    if source.kind == "file":
        return labels_from_file(source.value, len(events), source.unlabeled)
    if source.kind == "gates":
        from cytomoe.core.evaluation.gates import leaf_labels_for_plate

        return leaf_labels_for_plate(source.value, plate)
    raise InputError(f"Unknown label source '{source.kind}' (column, file or gates).")


def fit_model(
    events: pd.DataFrame,
    panel: Panel,
    settings: ModelSettings,
    spillover: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> MoESimVAE:
    """Train on ``events`` (compensated with ``spillover`` where the panel says so)."""
    return settings.estimator(panel, spillover).fit(
        events, groups=events[SAMPLE].to_numpy(), progress=progress, should_cancel=should_cancel
    )


def embed_ahead(
    settings: AnalysisSettings,
    plate: Plate,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> None:
    """Compute and keep (embedding_cache.py) the embedding, regions and populations that
    `analyse` of ``plate`` with ``settings`` starts from: the app does this while the user
    looks at the data, so that the training asked for next skips its longest step."""
    panel = resolve_panel(settings, plate)
    events = plate.events(compensate_spillover=panel.compensate)
    estimator = settings.model.estimator(panel, plate.samples[0].spillover)
    estimator.prepare_embedding(
        events, groups=events[SAMPLE].to_numpy(), progress=progress, should_cancel=should_cancel
    )


def assign(
    model: MoESimVAE,
    events: pd.DataFrame,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster of every event and its probability, chunk by chunk."""
    return model.predict_with_probability(events, progress, should_cancel)


def analyse(
    settings: AnalysisSettings,
    plate: Plate | None = None,
    model: MoESimVAE | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> AnalysisResult:
    """Everything but writing: train a new model (or use ``model``), assign, evaluate."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    plate = plate or open_plate(settings, progress, should_cancel)
    panel = (
        resolve_panel(settings, plate)
        if model is None
        else _panel_of_model(model, plate, settings.model_file)
    )
    events = plate.events(compensate_spillover=panel.compensate)
    truth = truth_labels(settings.labels, events, plate)  # checked before the long work
    timings["load"] = time.perf_counter() - started
    if model is None:
        spillover = plate.samples[0].spillover
        model = fit_model(events, panel, settings.model, spillover, progress, should_cancel)
        timings.update(model.timings_)
        timings["assign"] = timings.pop("label_every_cell")  # fit labelled every event
        clusters, probability, latent = model.labels_, model.label_probability_, model.latent_
    else:
        started = time.perf_counter()
        clusters, probability, latent = model.predict_with_latent(events, progress, should_cancel)
        timings["assign"] = time.perf_counter() - started
    evaluation = None
    if truth is not None:
        started = time.perf_counter()
        evaluation = evaluate(truth, clusters)
        timings["evaluate"] = time.perf_counter() - started
    return AnalysisResult(
        plate, panel, events, model, clusters, probability, truth, evaluation, timings, latent
    )


def _panel_of_model(model: MoESimVAE, plate: Plate, model_file: str | None) -> Panel:
    """A saved model brings its own markers and cofactors; the plate must have them."""
    missing = [m for m in model.markers_ if m not in plate.channels]
    if missing:
        trained = f"{Path(model_file).name} was" if model_file else "The model was"
        raise InputError(
            f"{trained} trained on marker channel(s) the data lacks: {', '.join(missing)}. "
            f"The data has: {', '.join(plate.channels)}."
        )
    panel = Panel.default_for(plate.samples, plate.channels)
    panel.selected = list(model.markers_)
    panel.cofactors.update(model.cofactors_)
    return panel


def run_analysis(
    settings: AnalysisSettings,
    out_dir: str | Path,
    overwrite: bool = False,
    model: MoESimVAE | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> AnalysisResult:
    """Analyse and write ``out_dir`` (``clusters.fcs``, one FCS per cluster, ``report.json``,
    the model): the one path of `cytomoe run`, `apply` and `demo`. The output folder is
    checked before the long work; nothing appears at ``out_dir`` unless everything
    succeeded."""
    out_dir = Path(out_dir)
    check_outside_inputs(out_dir, input_paths(settings))
    check_folder_target(out_dir, overwrite)
    result = analyse(settings, model=model, progress=progress, should_cancel=should_cancel)
    write_outputs(result, settings, out_dir, overwrite, progress, should_cancel)
    return result


def input_paths(settings: AnalysisSettings) -> list[str]:
    """Every file or folder an analysis reads, which no output may touch."""
    paths = list(settings.inputs)
    paths += [p for p in (settings.sample_sheet, settings.model_file) if p]
    if settings.labels is not None and settings.labels.kind in ("file", "gates"):
        paths.append(settings.labels.value)
    return paths


def write_outputs(
    result: AnalysisResult,
    settings: AnalysisSettings,
    out_dir: Path,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
    extra_files: Mapping[str, str] | None = None,
    commit_file: str | None = None,
) -> None:
    """Write the outputs (and ``extra_files``, name -> text) through a staging folder that
    :func:`~cytomoe.core.io.outputs.replace_folder` moves into ``out_dir``."""
    with replace_folder(out_dir, overwrite, commit_file) as staging:
        started = time.perf_counter()
        _write_cluster_files(result, staging, settings.cluster_names, progress, should_cancel)
        result.model.save(staging / MODEL_FILE)
        result.timings["export"] = time.perf_counter() - started
        report_data = build_report(result, settings)
        (staging / REPORT_FILE).write_text(
            json.dumps(report_data, indent=2, default=_json_default) + "\n"
        )
        write_result_files(result, report_data, staging)
        for name, text in (extra_files or {}).items():
            (staging / name).write_text(text, encoding="utf-8")


def well_code(well: str | None) -> int:
    """The `well` channel's number for a well id: row x 100 + column (A1 = 101, H12 = 812,
    P24 = 1624), 0 for a sample without a well."""
    if not well:
        return 0
    return (ord(well[0]) - ord("A") + 1) * 100 + int(well[1:])


def export_frame(result: AnalysisResult) -> pd.DataFrame:
    """All events in instrument units as read (uncompensated, so the files' spillover still
    applies), plus the cluster, its probability and, for several samples, the sample (its
    index in the plate, as ``CYTOMOE_SOURCES`` lists them) and the well."""
    frame = result.plate.events(compensate_spillover=False)[result.plate.channels]
    frame[CLUSTER] = result.clusters.astype(np.float32)
    frame[PROBABILITY] = result.probability
    if len(result.plate.samples) > 1:
        samples = result.events[SAMPLE].to_numpy()
        frame[SAMPLE] = samples.astype(np.float32)
        codes = np.array([well_code(s.well) for s in result.plate.samples], dtype=np.float32)
        frame[WELL] = codes[samples]
    return frame


def _write_cluster_files(
    result: AnalysisResult,
    folder: Path,
    names: Mapping[int, str],
    progress: ProgressCallback | None,
    should_cancel: CancelCheck | None,
) -> None:
    frame = export_frame(result)  # pooled once for both layouts
    for separate in (False, True):
        export_clusters(
            result,
            folder,
            separate=separate,
            progress=progress,
            should_cancel=should_cancel,
            frame=frame,
            names=names,
        )


def export_clusters(
    result: AnalysisResult,
    folder: str | Path,
    clusters: Sequence[int] | None = None,
    separate: bool = True,
    overwrite: bool = False,
    file_format: str = "fcs",
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
    frame: pd.DataFrame | None = None,
    names: Mapping[int, str] | None = None,
) -> list[Path]:
    """Write the events of ``clusters`` (default: all) into ``folder``: one file per cluster
    (``cluster_NN.fcs``) or, with ``separate=False``, one ``clusters.fcs`` whose `cluster`
    channel tells them apart. ``file_format`` "csv" writes tables instead. ``frame`` is
    :func:`export_frame` of the result, when the caller already has it. ``names`` (cluster
    -> the name a user gave it) go into file names and keywords."""
    names = names or {}
    frame = export_frame(result) if frame is None else frame
    chosen = list(range(result.model.n_clusters_)) if clusters is None else list(clusters)
    jobs = (
        [(result.clusters == c, [c]) for c in chosen]
        if separate
        else [(np.isin(result.clusters, chosen), chosen)]
    )
    targets = export_targets(result, folder, clusters, separate, file_format, names)
    existing = [t.name for t in targets if t.exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{folder} already holds {', '.join(existing[:3])}; "
            "choose another folder or allow overwriting."
        )
    foreign = sorted(set(existing) - written_files(folder))
    if foreign:
        raise OutputExistsError(
            f"{Path(folder) / foreign[0]} was not written by cytomoe, so it is left alone; "
            "move it or choose another folder."
        )
    check_outside_inputs(folder, [s.path for s in result.plate.samples])
    keywords = _export_keywords(result)
    ranges = _own_channel_ranges(result, frame)
    for done, ((mask, held), target) in enumerate(zip(jobs, targets, strict=True)):
        check_cancel(should_cancel)
        report(progress, "export", done, len(jobs), f"Writing {target.name}")
        if file_format == "csv":
            write_csv(target, frame[mask], overwrite=overwrite, record=True)
        else:
            write_fcs(
                target,
                frame[mask],
                markers={**result.plate.markers, **OWN_CHANNEL_MARKERS},
                keywords={
                    **keywords,
                    "CYTOMOE_CLUSTERS": ",".join(map(str, held)),
                    **cluster_name_keywords(names, held),
                },
                overwrite=overwrite,
                record=True,
                linear_ranges=ranges,
            )
    report(progress, "export", len(jobs), len(jobs), "Exported")
    return targets


def export_targets(
    result: AnalysisResult,
    folder: str | Path,
    clusters: Sequence[int] | None = None,
    separate: bool = True,
    file_format: str = "fcs",
    names: Mapping[int, str] | None = None,
) -> list[Path]:
    """The files :func:`export_clusters` writes, so a caller can ask before replacing them."""
    suffix = ".csv" if file_format == "csv" else ".fcs"
    chosen = range(result.model.n_clusters_) if clusters is None else clusters
    if not separate:
        return [Path(folder) / f"clusters{suffix}"]
    return [
        Path(folder) / (cluster_file_stem(c, (names or {}).get(c, "")) + suffix) for c in chosen
    ]


# $PnS of the channels cytomoe adds, saying how to read them.
OWN_CHANNEL_MARKERS = {
    CLUSTER: "cluster (0 = largest)",
    PROBABILITY: "probability of the cluster",
    SAMPLE: "sample (index into CYTOMOE_SOURCES)",
    WELL: "well (row x 100 + column, A1 = 101)",
}


def _own_channel_ranges(result: AnalysisResult, frame: pd.DataFrame) -> dict[str, float]:
    """$PnR of the channels cytomoe adds, so that FlowJo's linear axis shows every value:
    the number of clusters (of samples), one above the largest well code, 1 for the
    probability."""
    ranges = {CLUSTER: result.model.n_clusters_, PROBABILITY: 1.0}
    if SAMPLE in frame:
        ranges[SAMPLE] = len(result.plate.samples)
    if WELL in frame:
        ranges[WELL] = float(frame[WELL].max()) + 1
    return ranges


def _export_keywords(result: AnalysisResult) -> dict[str, str]:
    """The source's spillover (the values stay uncompensated), instrument and gains, and the
    source files in the order the `sample` channel numbers them."""
    keywords = source_keywords(result.plate.samples[0].keywords)
    keywords["CYTOMOE_SOURCES"] = ", ".join(
        f"{index}={sample.name}" for index, sample in enumerate(result.plate.samples)
    )
    return keywords


def synthetic_export(
    model: MoESimVAE, cells: pd.DataFrame, cluster: int, model_name: str = ""
) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """Generated cells as the cluster files hold events: (values, $PnS names, keywords).

    The model generates in the space it trained in, compensated where its panel was; the
    values are written back uncompensated (observed = true · S over the compensated
    markers) with that spillover, so that a reader compensating with the file's spillover
    (FlowJo, FlowKit, cytomoe) sees what the model generated, as with the cluster files."""
    frame = cells.copy()
    keywords = {
        "CYTOMOE_CLUSTER": str(cluster),
        "CYTOMOE_SYNTHETIC": "generated by the cluster's experts",
        "CYTOMOE_VALUES": "instrument units, uncompensated, as in the cluster files",
    }
    if model_name:
        keywords["CYTOMOE_MODEL"] = model_name
    spillover = model.spillover
    if spillover is not None:
        channels = list(spillover.index)
        frame[channels] = frame[channels].to_numpy(np.float64) @ spillover.to_numpy(np.float64)
        matrix = ",".join(f"{v:.10g}" for v in spillover.to_numpy().ravel())
        keywords["SPILLOVER"] = f"{len(channels)},{','.join(channels)},{matrix}"
    return frame, dict(model.marker_names or {}), keywords


def build_report(result: AnalysisResult, settings: AnalysisSettings) -> dict:
    sizes = np.bincount(result.clusters, minlength=result.model.n_clusters_)
    data = {
        "cytomoe_version": __version__,
        "inputs": [str(s.path) for s in result.plate.samples],
        "unreadable_inputs": [str(f) for f in result.plate.failures],
        "n_events": int(len(result.clusters)),
        "n_clusters": int(result.model.n_clusters_),
        "cluster_sizes": [int(s) for s in sizes],
        "silenced_experts": list(result.model.silenced_experts_),
        "cluster_experts": [list(experts) for experts in result.model.cluster_experts_],
        "cluster_names": {str(c): n for c, n in sorted(settings.cluster_names.items())},
        "markers": {c: result.panel.display_name(c) for c in result.panel.selected},
        "settings": {
            "model": settings.model.to_dict(),
            "cofactors": {c: result.panel.cofactors.get(c) for c in result.panel.selected},
            "compensate": result.panel.compensate,
            "labels": None if settings.labels is None else vars(settings.labels),
            "device": str(result.model.device_),
        },
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }
    if result.evaluation is not None:
        data.update(result.evaluation.to_dict())
    return data


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
