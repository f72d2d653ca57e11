"""Progress in the terminal for long core work: a bar per stage on a terminal, a line per
stage (start and end, with times) in a log file or a cluster job's output."""

import sys
import time
from typing import TextIO

from tqdm import tqdm

from cytomoe.core.progress import Progress

STAGE_NAMES = {
    "load": "Loading",
    "embed": "Similarity (UMAP)",
    "train": "Training",
    "assign": "Assigning",
    "export": "Exporting",
    "plates": "Plates",
}


class TerminalProgress:
    """A `ProgressCallback` on ``stream`` (stderr); silent when ``quiet``."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.lines = not self.stream.isatty()
        self._stage: str | None = None
        self._bar: tqdm | None = None
        self._started = time.perf_counter()
        self._stage_started = self._started

    def __call__(self, progress: Progress) -> None:
        if self.quiet:
            return
        if progress.stage != self._stage:
            self.close()
            self._stage = progress.stage
            self._stage_started = time.perf_counter()
            if self.lines:
                self._line(f"{self._name()} started", progress.message)
            else:
                self._bar = tqdm(
                    total=progress.total,
                    desc=self._name(),
                    file=self.stream,
                    leave=False,
                    dynamic_ncols=True,
                )
        if self._bar is None:
            return
        bar = self._bar
        if progress.total and bar.total != progress.total:
            bar.total = progress.total
        bar.n = progress.done
        if progress.message:  # the step within the stage (e.g. the layout's epoch)
            bar.set_description(f"{self._name()}: {progress.message}", refresh=False)
        if progress.values:
            shown = {k: f"{v:.3g}" for k, v in progress.values.items() if k != "eta"}
            if "eta" in progress.values:  # the stage's own estimate, better than tqdm's rate
                shown["left"] = f"{progress.values['eta']:.0f} s"
            bar.set_postfix(shown, refresh=False)
        bar.refresh()

    def _name(self) -> str:
        return STAGE_NAMES.get(self._stage, self._stage)

    def _line(self, text: str, detail: str = "") -> None:
        elapsed = time.perf_counter() - self._started
        suffix = f": {detail}" if detail else ""
        print(f"[{elapsed:7.1f} s] {text}{suffix}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._stage is not None and self.lines:
            self._line(f"{self._name()} done in {time.perf_counter() - self._stage_started:.1f} s")
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._stage = None

    def __enter__(self) -> "TerminalProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
