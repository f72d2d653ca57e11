"""Progress bars in the terminal for long core work (one bar per stage)."""

import sys

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
    """A `ProgressCallback` drawing a tqdm bar per stage on stderr; silent when ``quiet``."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self._stage: str | None = None
        self._bar: tqdm | None = None

    def __call__(self, progress: Progress) -> None:
        if self.quiet:
            return
        if progress.stage != self._stage:
            self.close()
            self._stage = progress.stage
            self._bar = tqdm(
                total=progress.total,
                desc=STAGE_NAMES.get(progress.stage, progress.stage),
                file=sys.stderr,
                leave=False,
                dynamic_ncols=True,
                disable=None,
            )  # None: no bar when stderr is not a terminal
        bar = self._bar
        if bar.disable:
            return
        if progress.total and bar.total != progress.total:
            bar.total = progress.total
        bar.n = progress.done
        if progress.values:
            shown = {k: f"{v:.3g}" for k, v in progress.values.items() if k != "eta"}
            bar.set_postfix(shown, refresh=False)
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._stage = None

    def __enter__(self) -> "TerminalProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
