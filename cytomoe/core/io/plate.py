"""A plate: the wells of an experiment, read from a folder or a list of files."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe.core.errors import FcsReadError, InputError
from cytomoe.core.io.compensation import compensate
from cytomoe.core.io.readers import expand_inputs, read_samples
from cytomoe.core.io.sample import Sample
from cytomoe.core.io.table import refuse_compressed
from cytomoe.core.io.wells import normalise_well, well_sort_key
from cytomoe.core.progress import CancelCheck, ProgressCallback, check_cancel, report

WELL, SAMPLE, EVENT = "well", "sample", "event"
# A file's own channel or column of one of these names is renamed so, e.g. `event_in_file`.
RENAMED_SUFFIX = "_in_file"


@dataclass
class Plate:
    """Samples in plate order (A1, A2, ... H12), the files that failed, and the conditions
    of an optional sample sheet, which :meth:`events` adds to each sample's events."""

    samples: list[Sample]
    failures: list[FcsReadError] = field(default_factory=list)
    conditions: pd.DataFrame | None = None  # one row per sample, indexed like `samples`
    name: str = ""

    @classmethod
    def open(
        cls,
        paths: Iterable[str | Path] | str | Path,
        sample_sheet: str | Path | None = None,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        channel_names: Mapping[str, str] | None = None,
    ) -> "Plate":
        """Read every file; unreadable ones are kept in ``failures`` and the rest still open.
        ``channel_names`` renames channels ($PnN as in the files -> the name to use), so
        that plates of instruments that spell a channel differently can be analysed alike."""
        if isinstance(paths, str | Path):
            paths = [paths]
        paths = list(paths)
        files = expand_inputs(paths)
        samples: list[Sample] = []
        failures: list[FcsReadError] = []
        for done, path in enumerate(files):
            check_cancel(should_cancel)
            report(progress, "load", done, len(files), f"Reading {path.name}")
            try:
                samples.extend(
                    _renamed(_clear_of_plate_columns(s), channel_names or {})
                    for s in read_samples(path)
                )
            except FcsReadError as error:
                failures.append(error)
        report(progress, "load", len(files), len(files), "Read")
        if not samples:
            reasons = "; ".join(str(f) for f in failures[:3])
            raise InputError(f"None of the {len(files)} file(s) could be read: {reasons}")
        samples.sort(key=lambda s: (well_sort_key(s.well), str(s.path), s.dataset))
        name = Path(paths[0]).name if len(paths) == 1 else f"{len(files)} files"
        plate = cls(samples=samples, failures=failures, name=name)
        if not plate.channels:
            shapes = "; ".join(f"{s.name}: {', '.join(s.channels[:4])}, ..." for s in samples[:3])
            raise InputError(
                f"The {len(samples)} samples share no channel, so they cannot "
                f"be analysed together ({shapes})."
            )
        if sample_sheet is not None:
            plate.conditions = _read_sample_sheet(Path(sample_sheet), samples)
        return plate

    @property
    def wells(self) -> list[str]:
        """Well id of each sample, or its file name when it has none."""
        return [s.well or s.name for s in self.samples]

    @property
    def channels(self) -> list[str]:
        """Channels ($PnN) present in every sample, in the first sample's order."""
        common = set(self.samples[0].channels)
        for sample in self.samples[1:]:
            common &= set(sample.channels)
        return [c for c in self.samples[0].channels if c in common]

    @property
    def markers(self) -> dict[str, str]:
        """$PnN -> $PnS of the common channels (first sample that names it)."""
        names: dict[str, str] = {}
        for sample in self.samples:
            for channel, marker in zip(sample.channels, sample.markers, strict=True):
                if channel not in names or names[channel] == channel:
                    names[channel] = marker
        return {c: names[c] for c in self.channels}

    @property
    def n_events(self) -> int:
        return sum(s.n_events for s in self.samples)

    @property
    def is_compensable(self) -> bool:
        return any(s.spillover is not None for s in self.samples)

    def events(self, compensate_spillover: bool = True) -> pd.DataFrame:
        """All events pooled: the common channels in instrument units (compensated with each
        file's spillover when asked), plus ``well``, ``sample`` (index in ``samples``),
        ``event`` (index within its sample), any text columns of event tables and the
        conditions of the sample sheet."""
        channels = self.channels
        parts = []
        for index, sample in enumerate(self.samples):
            values = sample.events
            if compensate_spillover and sample.spillover is not None:
                values = compensate(values, sample.channels, sample.spillover)
            columns = [sample.channels.index(c) for c in channels]
            part = pd.DataFrame(values[:, columns], columns=channels)
            part[WELL] = sample.well or sample.name
            part[SAMPLE] = index
            part[EVENT] = np.arange(sample.n_events)
            if sample.annotations is not None:
                for column in sample.annotations.columns:
                    part[column] = sample.annotations[column].to_numpy()
            if self.conditions is not None:
                for column, value in self.conditions.iloc[index].items():
                    part[column] = value
            parts.append(part)
        frame = pd.concat(parts, ignore_index=True)
        conditions = [] if self.conditions is None else list(self.conditions.columns)
        for column in [WELL, *conditions]:
            frame[column] = frame[column].astype("category")
        return frame


def _renamed(sample: Sample, names: Mapping[str, str]) -> Sample:
    """The sample with its channels (and its spillover's) renamed as ``names`` says."""
    if not names:
        return sample
    channels = [names.get(c, c) for c in sample.channels]
    if len(set(channels)) < len(channels):
        raise InputError(f"{sample.name}: the channel renames give two channels one name.")
    sample.markers = [
        names.get(m, m) if m == c else m
        for c, m in zip(sample.channels, sample.markers, strict=True)
    ]
    sample.channels = channels
    if sample.spillover is not None:
        sample.spillover = sample.spillover.rename(index=names, columns=names)
    return sample


def _clear_of_plate_columns(sample: Sample) -> Sample:
    """The sample with its own `well`, `sample` or `event` channel or text column renamed
    (`event` -> `event_in_file`), so that the columns the plate adds keep its values."""
    names = {name: f"{name}{RENAMED_SUFFIX}" for name in (WELL, SAMPLE, EVENT)}
    if sample.annotations is not None:
        sample.annotations = sample.annotations.rename(columns=names)
    return _renamed(sample, names)


def _read_sample_sheet(path: Path, samples: list[Sample]) -> pd.DataFrame:
    """Condition columns per sample from a CSV with one row per file or per well.

    The key column is the one that names the plate's files (with or without suffix), as
    `file`, `file_name` or any other heading, or else a `well` column; the others are
    conditions. Samples the sheet does not name get empty conditions. A compressed sheet is
    refused (pandas would inflate it without a bound), as is a condition named like a
    column of the events.
    """
    try:
        refuse_compressed(path, "sample sheet")
        sheet = pd.read_csv(path, dtype=str, skipinitialspace=True, compression=None)
    except FileNotFoundError:
        raise InputError(f"{path}: no such sample sheet.") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"{path.name}: cannot read the sample sheet ({error}).") from None
    names = {Path(s.path).name for s in samples} | {Path(s.path).stem for s in samples}
    matches = {c: sheet[c].str.strip().isin(names).sum() for c in sheet.columns}
    key = max(matches, key=matches.get) if matches and max(matches.values()) else None
    if key is not None:
        idents = [_sheet_file_key(sheet[key], Path(s.path)) for s in samples]
    else:
        key = next((c for c in sheet.columns if c.strip().lower() == "well"), None)
        if key is None:
            raise InputError(
                f"{path.name}: no column of the sample sheet names the plate's "
                "files, and it has no 'well' column."
            )
        sheet[key] = sheet[key].map(lambda w: normalise_well(str(w)) or w)
        idents = [s.well for s in samples]
    by_key = sheet.assign(**{key: sheet[key].str.strip()}).drop_duplicates(key).set_index(key)
    rows = [
        by_key.loc[ident]
        if ident in by_key.index
        else pd.Series(index=by_key.columns, dtype=object)
        for ident in idents
    ]
    conditions = pd.DataFrame(rows).reset_index(drop=True)
    taken = {WELL, SAMPLE, EVENT}
    for sample in samples:
        taken |= set(sample.channels)
        taken |= set(sample.annotations.columns) if sample.annotations is not None else set()
    clashes = [str(c) for c in conditions.columns if c in taken]
    if clashes:
        raise InputError(
            f"{path.name}: the sample sheet's column(s) {', '.join(clashes)} have the name of "
            "a channel or column of the events; rename them."
        )
    return conditions


def _sheet_file_key(column: pd.Series, path: Path) -> str:
    """The sheet names a file with its suffix or without."""
    return path.name if (column.str.strip() == path.name).any() else path.stem
