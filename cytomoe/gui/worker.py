"""The one QThread worker every long GUI job uses (loading, UMAP + training, export).

It runs a plain core function that takes ``progress`` and ``should_cancel`` keyword
arguments, forwards its progress reports as a signal, and lets the window ask it to stop;
the core raises `Cancelled` at its next check.
"""

import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QThread, Signal

from cytomoe.core.errors import Cancelled, CytomoeError
from cytomoe.core.progress import Progress


class Worker(QThread):
    progressed = Signal(object)  # Progress
    succeeded = Signal(object)  # the function's result
    failed = Signal(str)  # one sentence for the user
    cancelled = Signal()

    def __init__(self, function: Callable, *args, **kwargs):
        super().__init__()
        self._function, self._args, self._kwargs = function, args, kwargs
        self._stop = threading.Event()
        self.details = ""  # traceback of an unexpected error, for the log

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancel_requested(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        try:
            result = self._function(*self._args, progress=self._report,
                                    should_cancel=self._stop.is_set, **self._kwargs)
        except Cancelled:
            self.cancelled.emit()
        except CytomoeError as error:
            self.failed.emit(str(error))
        except Exception as error:  # shown as one sentence; the traceback goes to the log
            self.details = traceback.format_exc()
            self.failed.emit(f"Unexpected error: {type(error).__name__}: {error}")
        else:
            self.succeeded.emit(result)

    def _report(self, progress: Progress) -> None:
        self.progressed.emit(progress)
