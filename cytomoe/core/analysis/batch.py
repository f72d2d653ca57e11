"""One analysis over many plates, headless, resumable, in parallel on Dask.

Each plate goes through the same pipeline functions as `cytomoe run` (open, analyse,
write_outputs) into ``OUT/<plate>/``. A plate counts as finished only when its completion
marker exists; the marker is the last file renamed into place and records a fingerprint
(a hash of the settings and of every input file's bytes), so a run killed at any point
leaves nothing that looks finished. Re-running the same command redoes exactly the
unfinished plates; a finished plate whose settings or inputs changed is refused by name
unless ``overwrite`` asks to redo it. A plate that fails is recorded (message in the log,
traceback too) and the others go on.

Modes: one model per plate (``per_plate``, each plate with its own default panel), one
model trained on all plates pooled (``pooled``; the plates must share the markers), or an
existing model file applied to every plate (``model``).
"""

import hashlib
import json
import logging
import os
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cytomoe.core.analysis.analysis_file import AnalysisSettings, analysis_to_toml
from cytomoe.core.errors import Cancelled, CytomoeError, InputError
from cytomoe.core.evaluation.fmeasure import evaluate
from cytomoe.core.io.outputs import (
    atomic_output,
    check_outside_inputs,
    clean_leftovers,
    record_written,
)
from cytomoe.core.io.plate import SAMPLE, Plate
from cytomoe.core.io.readers import expand_inputs
from cytomoe.core.preprocessing.panel import Panel
from cytomoe.core.progress import CancelCheck, check_cancel

if TYPE_CHECKING:
    from cytomoe.core.analysis.pipeline import AnalysisResult

PER_PLATE, POOLED, MODEL = "per_plate", "pooled", "model"
COMPLETE_MARKER = ".complete"  # written last: its presence means the plate is finished
WELLS_FILE, SUMMARY_FILE, LOG_FILE = "wells.csv", "summary.csv", "batch.log"
POOLED_MODEL_FILE, POOLED_FINGERPRINT_FILE = "pooled_model.cytomoe", "pooled_model.json"
DONE, SKIPPED, FAILED = "done", "skipped", "failed"


@dataclass
class PlateJob:
    """One plate to analyse: its inputs and where its outputs go."""

    name: str  # output folder name, unique within the batch
    inputs: list[str]
    out_dir: Path
    n_files: int  # data files in the plate (wells), for progress
    model_file: str | None = None  # an existing model to apply instead of training
    fingerprint: str = ""  # hash of the settings and inputs that make its outputs


@dataclass
class PlateOutcome:
    name: str
    status: str  # done, skipped, failed
    error: str = ""  # one sentence for the user
    details: str = ""  # traceback of unexpected errors, for the log
    unreadable: list[str] = field(default_factory=list)  # files the plate went on without
    wells: list[dict] = field(default_factory=list)  # rows of summary.csv
    seconds: float = 0.0


@dataclass
class BatchResult:
    outcomes: list[PlateOutcome]
    summary: Path | None
    log: Path

    @property
    def failed(self) -> list[PlateOutcome]:
        return [o for o in self.outcomes if o.status == FAILED]


# "plate" (done, total) and "wells" (done, total) after each plate; the CLI draws the bars
BatchProgress = Callable[[str, int, int, PlateOutcome | None], None]


def plan_jobs(plates: Sequence[str | Path], out_dir: str | Path) -> list[PlateJob]:
    """A job per plate (a folder or a data file), output folders named after the plates."""
    if not plates:
        raise InputError("No plates were given.")
    out_dir = Path(out_dir).resolve()
    jobs: list[PlateJob] = []
    used: set[str] = set()
    for plate in plates:
        path = Path(plate).expanduser()
        if not path.exists():
            raise InputError(f"{plate}: no such plate folder or file.")
        files = expand_inputs([path])
        if not files:
            raise InputError(f"{plate}: holds no FCS files or event tables.")
        base = path.resolve().name if path.is_dir() else path.stem
        name, suffix = base, 2
        while name.lower() in used:
            name, suffix = f"{base}_{suffix}", suffix + 1
        used.add(name.lower())
        jobs.append(PlateJob(name, [str(path.resolve())], out_dir / name, len(files)))
    return jobs


def is_complete(plate_dir: Path) -> bool:
    return (plate_dir / COMPLETE_MARKER).is_file() and (plate_dir / WELLS_FILE).is_file()


def finished_fingerprint(plate_dir: Path) -> str:
    """The fingerprint a finished plate was made with ('' for none or an older marker)."""
    try:
        return str(json.loads((plate_dir / COMPLETE_MARKER).read_text())["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def fingerprint(parts: Iterable[str], files: Iterable[str | Path]) -> str:
    """A hash of text parts (settings) and of the names and bytes of ``files``."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    for path in files:
        path = Path(path)
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def settings_fingerprint(settings: AnalysisSettings, mode: str, model_file: str | None) -> str:
    """What, besides a plate's own files, decides its outputs: the settings, the mode and
    the bytes of the model, sample sheet and label or gate file. What the app saves for
    itself (the view, the clusters of its own events, its drawn gates) decides nothing here."""
    for_plates = replace(
        settings, inputs=[], model_file=None, view=None, clusters_file=None, gates_file=None
    )
    text = analysis_to_toml(for_plates)
    files = [f for f in (model_file, settings.sample_sheet) if f]
    if settings.labels is not None and settings.labels.kind in ("file", "gates"):
        files.append(settings.labels.value)
    return fingerprint([text, mode], sorted(files))


def _plate_files(job: PlateJob) -> list[Path]:
    return sorted(expand_inputs(job.inputs))


def run_plate(
    job: PlateJob,
    settings: AnalysisSettings,
    threads: int | None = None,
    should_cancel: CancelCheck | None = None,
) -> PlateOutcome:
    """Analyse one plate and write its outputs; never raises for a problem of the plate.

    Runs in the calling process or on a Dask worker (``threads`` then keeps each worker
    process's PyTorch and numba (UMAP) threads to its share of the cores). Files cytomoe
    wrote into the plate's folder before are replaced; no other file there is touched.
    """
    from cytomoe.core.analysis.pipeline import analyse, write_outputs
    from cytomoe.core.model.estimator import MoESimVAE

    started = time.perf_counter()
    try:
        if threads:
            import numba
            import torch

            torch.set_num_threads(threads)
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        plate_settings = replace(settings, inputs=list(job.inputs))
        plate = Plate.open(
            job.inputs,
            settings.sample_sheet,
            should_cancel=should_cancel,
            channel_names=settings.channel_names,
        )
        model = MoESimVAE.load(job.model_file) if job.model_file else None
        result = analyse(plate_settings, plate=plate, model=model, should_cancel=should_cancel)
        wells = well_rows(job.name, result)
        marker = {
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "wells": len(wells),
            "fingerprint": job.fingerprint,
        }
        write_outputs(
            result,
            plate_settings,
            job.out_dir,
            overwrite=True,
            should_cancel=should_cancel,
            extra_files={
                WELLS_FILE: pd.DataFrame(wells).to_csv(index=False),
                COMPLETE_MARKER: json.dumps(marker) + "\n",
            },
            commit_file=COMPLETE_MARKER,
        )
        return PlateOutcome(
            job.name,
            DONE,
            unreadable=[str(f) for f in plate.failures],
            wells=wells,
            seconds=time.perf_counter() - started,
        )
    except Cancelled:
        raise
    except CytomoeError as error:
        return PlateOutcome(job.name, FAILED, str(error), seconds=time.perf_counter() - started)
    except Exception as error:  # a bug or an unforeseen file: the other plates go on
        return PlateOutcome(
            job.name,
            FAILED,
            f"unexpected {type(error).__name__}: {error}",
            traceback.format_exc(),
            seconds=time.perf_counter() - started,
        )


def well_rows(plate_name: str, result: "AnalysisResult") -> list[dict]:
    """One row per well (sample): events, share of each cluster, F-measure if labelled."""
    samples = result.events[SAMPLE].to_numpy()
    n_clusters = result.model.n_clusters_
    rows = []
    for index, well in enumerate(result.plate.wells):
        mine = samples == index
        clusters = result.clusters[mine]
        counts = np.bincount(clusters, minlength=n_clusters)
        row = {
            "plate": plate_name,
            "well": well,
            "file": Path(result.plate.samples[index].path).name,
            "events": int(mine.sum()),
        }
        row.update(
            {
                f"cluster_{k:02d}": round(float(c) / max(1, len(clusters)), 6)
                for k, c in enumerate(counts)
            }
        )
        if result.truth is not None:
            truth = result.truth[mine].reset_index(drop=True)
            labelled = truth.notna().to_numpy()
            row["f_measure"] = (
                round(evaluate(truth, clusters).f_measure, 6) if labelled.any() else float("nan")
            )
        rows.append(row)
    return rows


def _write_text(path: Path, text: str) -> None:
    """A file of the batch's own folder, replaced only when cytomoe wrote it."""
    with atomic_output(path, overwrite=True, record=True) as temporary:
        temporary.write_text(text, encoding="utf-8")


def pooled_panel(
    settings: AnalysisSettings, plates: Sequence[Plate], names: Sequence[str]
) -> tuple[Plate, Panel]:
    """All plates as one, and the panel one model can use for all of them."""
    from cytomoe.core.analysis.pipeline import resolve_panel

    pooled = Plate(samples=[s for p in plates for s in p.samples], name="pooled")
    chosen = {
        name: resolve_panel(settings, p).selected for name, p in zip(names, plates, strict=True)
    }
    if len({tuple(sorted(s)) for s in chosen.values()}) > 1:
        listed = "; ".join(f"{name}: {', '.join(s)}" for name, s in chosen.items())
        raise InputError(
            "--pooled trains one model on all plates, but the plates do not "
            f"share their markers ({listed}). Run without --pooled (one model "
            "per plate) or choose common markers in the analysis file."
        )
    return pooled, resolve_panel(settings, pooled)


def fit_pooled_model(
    settings: AnalysisSettings,
    jobs: Sequence[PlateJob],
    out_dir: Path,
    log: logging.Logger,
    should_cancel: CancelCheck | None = None,
    shared_fingerprint: str = "",
) -> tuple[Path, dict[str, str]]:
    """Train one model on the events of every plate that opens (reused when a previous run
    saved it with the same ``shared_fingerprint``). Returns the model file and, by plate
    name, why a plate could not be opened: one unreadable plate leaves the others their
    pooled model."""
    from cytomoe.core.analysis.pipeline import fit_model

    path = out_dir / POOLED_MODEL_FILE
    record = out_dir / POOLED_FINGERPRINT_FILE
    if path.is_file() and _recorded_fingerprint(record) == shared_fingerprint:
        log.info("pooled model %s exists for these settings and plates: reusing it", path)
        return path, {}
    plates, opened, unopenable = [], [], {}
    for job in jobs:
        try:
            plates.append(
                Plate.open(
                    job.inputs,
                    settings.sample_sheet,
                    should_cancel=should_cancel,
                    channel_names=settings.channel_names,
                )
            )
            opened.append(job.name)
        except CytomoeError as error:
            unopenable[job.name] = str(error)
            log.error("%s: cannot be opened, left out of the pooled model: %s", job.name, error)
    if not plates:
        raise InputError(
            "None of the plates could be opened: "
            + "; ".join(f"{name}: {reason}" for name, reason in unopenable.items())
        )
    pooled, panel = pooled_panel(settings, plates, opened)
    log.info(
        "training the pooled model on %d events of %d plates, markers %s",
        pooled.n_events,
        len(plates),
        ", ".join(panel.selected),
    )
    events = pooled.events(compensate_spillover=panel.compensate)
    spillover = pooled.samples[0].spillover
    model = fit_model(events, panel, settings.model, spillover, should_cancel=should_cancel)
    with atomic_output(path, overwrite=True, record=True) as temporary:
        model.save(temporary)
    _write_text(record, json.dumps({"fingerprint": shared_fingerprint}) + "\n")
    return path, unopenable


def _recorded_fingerprint(path: Path) -> str:
    try:
        return str(json.loads(path.read_text())["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def open_log(out_dir: Path) -> logging.Logger:
    """``OUT/batch.log``, appended by every run of the batch (never a file of that name
    that cytomoe did not write)."""
    log = logging.getLogger(f"cytomoe.batch.{out_dir}")
    log.setLevel(logging.INFO)
    log.propagate = False
    if not log.handlers:
        record_written(out_dir / LOG_FILE)
        handler = logging.FileHandler(out_dir / LOG_FILE, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
    return log


def close_log(log: logging.Logger) -> None:
    for handler in list(log.handlers):
        handler.close()
        log.removeHandler(handler)


def run_batch(
    settings: AnalysisSettings,
    plates: Sequence[str | Path],
    out_dir: str | Path,
    mode: str = PER_PLATE,
    model_file: str | Path | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: BatchProgress | None = None,
    should_cancel: CancelCheck | None = None,
    use_dask: bool = False,
    overwrite: bool = False,
) -> BatchResult:
    """Analyse every plate into ``out_dir/<plate>/`` and write ``out_dir/summary.csv``
    (every finished plate in ``out_dir``, of this run or earlier ones).

    Plates already complete with the same settings and inputs are skipped; a complete
    plate whose settings or inputs changed stops the batch before any work (InputError
    naming it) unless ``overwrite`` redoes it. ``out_dir`` may not be, contain or lie
    inside a plate or the model file. ``workers`` > 1 starts a local Dask cluster of
    that many single-threaded processes; ``scheduler`` uses a running Dask cluster instead
    (its workers need cytomoe installed and the plates at the same paths). One worker
    runs the plates in this process, without Dask, unless ``use_dask`` is True.
    """
    if mode not in (PER_PLATE, POOLED, MODEL):
        raise InputError(f"Unknown batch mode '{mode}'.")
    if (mode == MODEL) != (model_file is not None):
        raise InputError("A model file is given exactly when the mode is 'model'.")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}.")
    out_dir = Path(out_dir).resolve()
    jobs = plan_jobs(plates, out_dir)
    check_outside_inputs(
        out_dir,
        [p for job in jobs for p in job.inputs]
        + [p for p in (model_file, settings.sample_sheet) if p is not None],
    )
    if model_file is not None:
        model_path = Path(model_file).resolve()
        if not model_path.is_file():
            raise InputError(f"{model_file}: no such model file.")
        from cytomoe.core.model.estimator import MoESimVAE

        MoESimVAE.load(model_path)  # an unreadable model is bad input, not N failed plates
    shared = settings_fingerprint(
        settings, mode, None if model_file is None else str(Path(model_file).resolve())
    )
    if mode == POOLED:  # every plate's outputs depend on every plate's events
        shared = fingerprint([shared], [f for job in jobs for f in _plate_files(job)])
    for job in jobs:
        job.fingerprint = fingerprint([shared], _plate_files(job))
    changed = [
        job.name
        for job in jobs
        if is_complete(job.out_dir) and finished_fingerprint(job.out_dir) != job.fingerprint
    ]
    if changed and not overwrite:
        raise InputError(
            f"{out_dir}: plate(s) {', '.join(changed)} finished earlier with other settings "
            "or inputs; use --overwrite to redo them, or choose another --out."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for job in jobs:  # what a killed run left, also beside plates skipped now
        clean_leftovers(job.out_dir)
    log = open_log(out_dir)
    try:
        log.info(
            "batch of %d plate(s), mode %s, %s",
            len(jobs),
            mode,
            f"scheduler {scheduler}" if scheduler else f"{workers} worker(s)",
        )
        outcomes: dict[str, PlateOutcome] = {}
        pending = []
        for job in jobs:
            if is_complete(job.out_dir) and job.name not in changed:
                outcomes[job.name] = PlateOutcome(job.name, SKIPPED, wells=_read_wells(job.out_dir))
                log.info("%s: complete from an earlier run, skipped", job.name)
            else:
                if job.name in changed:
                    log.info("%s: settings or inputs changed since it finished: redone", job.name)
                pending.append(job)
        if pending and mode == POOLED:
            model_file, unopenable = fit_pooled_model(
                settings, jobs, out_dir, log, should_cancel, shared
            )
            for job in pending:
                if job.name in unopenable:
                    outcomes[job.name] = PlateOutcome(job.name, FAILED, unopenable[job.name])
            pending = [job for job in pending if job.name not in outcomes]
        for job in pending:
            job.model_file = str(model_file) if model_file is not None else None
        tracker = _Tracker(jobs, outcomes, progress, log)
        if pending:
            if scheduler is None and workers == 1 and not use_dask:
                for job in pending:
                    check_cancel(should_cancel)
                    tracker.finished(job, run_plate(job, settings, should_cancel=should_cancel))
            else:
                _run_on_dask(pending, settings, workers, scheduler, tracker, should_cancel)
        ordered = [tracker.outcomes[job.name] for job in jobs]
        summary = write_summary(ordered, out_dir)
        log.info(
            "finished: %d done, %d skipped, %d failed",
            *(sum(o.status == s for o in ordered) for s in (DONE, SKIPPED, FAILED)),
        )
        return BatchResult(ordered, summary, out_dir / LOG_FILE)
    except Exception:
        log.exception("batch stopped")
        raise
    finally:
        close_log(log)


class _Tracker:
    """Records outcomes as plates finish, logs them and reports progress."""

    def __init__(
        self,
        jobs: list[PlateJob],
        outcomes: dict[str, PlateOutcome],
        progress: BatchProgress | None,
        log: logging.Logger,
    ):
        self.jobs, self.outcomes, self.progress, self.log = jobs, outcomes, progress, log
        self.total_wells = sum(job.n_files for job in jobs)
        self.wells_done = sum(job.n_files for job in jobs if job.name in outcomes)
        self._report(None)

    def _report(self, outcome: PlateOutcome | None) -> None:
        if self.progress is not None:
            self.progress("plates", len(self.outcomes), len(self.jobs), outcome)
            self.progress("wells", self.wells_done, self.total_wells, outcome)

    def finished(self, job: PlateJob, outcome: PlateOutcome) -> None:
        self.outcomes[job.name] = outcome
        self.wells_done += job.n_files
        if outcome.status == FAILED:
            self.log.error("%s: FAILED: %s", job.name, outcome.error)
            if outcome.details:
                self.log.error("%s", outcome.details.rstrip())
        else:
            self.log.info(
                "%s: done in %.1f s, %d well(s)", job.name, outcome.seconds, len(outcome.wells)
            )
        for failure in outcome.unreadable:
            self.log.warning("%s: unreadable file left out: %s", job.name, failure)
        self._report(outcome)


def _run_on_dask(
    jobs: list[PlateJob],
    settings: AnalysisSettings,
    workers: int,
    scheduler: str | None,
    tracker: _Tracker,
    should_cancel: CancelCheck | None,
) -> None:
    try:
        from distributed import as_completed
    except ImportError:  # a headless install without the batch extra
        raise InputError(
            "Running plates in parallel needs Dask: pip install 'cytomoe[batch]'."
        ) from None

    from cytomoe.core.analysis.scheduler import dask_client

    with dask_client(workers, scheduler) as client:
        # a local cluster shares this machine's cores; a remote worker gets one thread
        threads = max(1, (os.cpu_count() or 1) // workers) if scheduler is None else 1
        futures = {
            client.submit(
                run_plate,
                job,
                settings,
                threads,
                pure=False,
                key=f"cytomoe-plate-{job.name}-{os.getpid()}-{time.time_ns()}",
            ): job
            for job in jobs
        }
        for future in as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # the worker died (memory, killed) or lost contact
                outcome = PlateOutcome(
                    job.name, FAILED, f"the Dask worker failed: {type(error).__name__}: {error}"
                )
            tracker.finished(job, outcome)
            if should_cancel is not None and should_cancel():
                for other in futures:
                    other.cancel()
                raise Cancelled("Cancelled by the user.")


def _read_wells(plate_dir: Path) -> list[dict]:
    table = pd.read_csv(plate_dir / WELLS_FILE, dtype={"plate": str, "well": str})
    return table.to_dict(orient="records")


def write_summary(outcomes: Sequence[PlateOutcome], out_dir: Path) -> Path | None:
    """``summary.csv``: one row per well of every finished plate in ``out_dir``, this run's
    in their order, then those earlier runs finished, by name."""
    rows = [row for outcome in outcomes for row in outcome.wells]
    named = {outcome.name for outcome in outcomes}
    for folder in sorted(out_dir.iterdir(), key=lambda f: f.name):
        if folder.name not in named and folder.is_dir() and is_complete(folder):
            rows.extend(_read_wells(folder))
    if not rows:
        return None
    table = pd.DataFrame(rows)
    clusters = sorted(c for c in table.columns if c.startswith("cluster_"))
    first = ["plate", "well", "file", "events"]
    rest = [c for c in table.columns if c not in first and c not in clusters]
    path = out_dir / SUMMARY_FILE
    _write_text(path, table[first + clusters + rest].to_csv(index=False))
    return path
