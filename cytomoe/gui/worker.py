"""The one QThread worker every long GUI job uses (loading, UMAP + training, export).

It runs a plain core function that takes ``progress`` and ``should_cancel`` keyword
arguments, forwards its progress reports as a signal, and lets the window ask it to stop;
the core raises `Cancelled` at its next check.

With ``in_child_process=True`` the function runs in a child process and the thread only relays
its messages. Training needs that: UMAP's compiled (numba) code holds Python's GIL for
hundreds of milliseconds at a time, which would freeze the window if it ran in a thread of
the GUI's own process. The function, its arguments and its result must be picklable.
Cancelling ends that child at once: nothing it was computing is kept, and its next
cancellation check may be seconds away (inside UMAP or a training step).
"""

import multiprocessing
import pickle
import queue
import threading
import traceback
from collections.abc import Callable
from multiprocessing.queues import Queue

from PySide6.QtCore import QThread, Signal

from cytomoe.core.errors import Cancelled, CytomoeError
from cytomoe.core.progress import CancelCheck, Progress, ProgressCallback

POLL_SECONDS = 0.05


class Worker(QThread):
    progressed = Signal(object)  # Progress
    succeeded = Signal(object)  # the function's result
    failed = Signal(str)  # one sentence for the user
    cancelled = Signal()

    def __init__(self, function: Callable, *args, in_child_process: bool = False, **kwargs):
        super().__init__()
        self._function, self._args, self._kwargs = function, args, kwargs
        self._in_child_process = in_child_process
        self._stop = threading.Event()
        self.details = ""  # traceback of an unexpected error, for the log

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancel_requested(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        outcome = (
            self._run_in_child_process()
            if self._in_child_process
            else _call(
                self._function, self._args, self._kwargs, self.progressed.emit, self._stop.is_set
            )
        )
        kind, value = outcome
        if kind == "result":
            self.succeeded.emit(value)
        elif kind == "cancelled":
            self.cancelled.emit()
        else:
            message, self.details = value
            self.failed.emit(message)

    def _run_in_child_process(self) -> tuple[str, object]:
        context = multiprocessing.get_context("spawn")
        messages = context.Queue()
        child = context.Process(
            target=_child,
            daemon=True,
            args=(self._function, self._args, self._kwargs, messages),
        )
        child.start()
        try:
            while True:
                if self._stop.is_set():
                    child.terminate()
                    return "cancelled", None
                try:
                    kind, value = messages.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    if not child.is_alive() and messages.empty():
                        return "failed", ("The computation stopped unexpectedly.", "")
                    continue
                if kind == "progress":
                    self.progressed.emit(value)
                else:
                    return kind, pickle.loads(value)
        finally:
            child.join(timeout=5)
            if child.is_alive():
                child.terminate()


def _call(
    function: Callable[..., object],
    args: tuple,
    kwargs: dict[str, object],
    report: ProgressCallback,
    should_cancel: CancelCheck,
) -> tuple[str, object]:
    """Run ``function`` and say how it ended: ("result", value), ("cancelled", None) or
    ("failed", (one sentence, traceback))."""
    try:
        return "result", function(*args, progress=report, should_cancel=should_cancel, **kwargs)
    except Cancelled:
        return "cancelled", None
    except CytomoeError as error:
        return "failed", (str(error), "")
    except Exception as error:  # shown as one sentence; the traceback goes to the log
        return "failed", (
            f"Unexpected error: {type(error).__name__}: {error}",
            traceback.format_exc(),
        )


def _child(
    function: Callable[..., object], args: tuple, kwargs: dict[str, object], messages: Queue
) -> None:
    def report(progress: Progress) -> None:
        messages.put(("progress", progress))

    # The app may end without saying so (killed, SIGTERM): then stop at the next check
    # rather than train on, unseen, holding its memory.
    parent = multiprocessing.parent_process()
    kind, value = _call(function, args, kwargs, report, lambda: not parent.is_alive())
    # Plain pickle: the queue's own would share torch tensors through file descriptors that
    # vanish when this process ends.
    messages.put((kind, pickle.dumps(value)))
