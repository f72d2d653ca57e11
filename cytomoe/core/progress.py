"""How long work reports progress and learns it should stop, without knowing about Qt.

Every long core function takes ``progress: ProgressCallback | None`` and
``should_cancel: CancelCheck | None``; it calls ``report(progress, ...)`` now and then and
``check_cancel(should_cancel)`` at least once per unit of work (raising ``Cancelled``).
The CLI turns reports into a terminal progress bar, the GUI into a progress bar and plots.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict

from cytomoe.core.errors import Cancelled


@dataclass
class Progress:
    stage: str  # "load", "embed", "train", "assign", "export", ...
    done: float
    total: float | None = None
    message: str = ""
    values: dict[str, float] = field(default_factory=dict)  # e.g. loss terms, ETA seconds

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]


class Callbacks(TypedDict, total=False):
    """``progress`` and ``should_cancel`` as keywords, for a function that takes them as
    ``**callbacks: Unpack[Callbacks]`` and passes them on (or ignores them)."""

    progress: ProgressCallback | None
    should_cancel: CancelCheck | None


def report(
    callback: ProgressCallback | None,
    stage: str,
    done: float,
    total: float | None = None,
    message: str = "",
    **values: float,
) -> None:
    if callback is not None:
        callback(Progress(stage, done, total, message, dict(values)))


def check_cancel(should_cancel: CancelCheck | None) -> None:
    if should_cancel is not None and should_cancel():
        raise Cancelled("Cancelled by the user.")
