"""The one QThread worker every long GUI job uses (loading, UMAP + training, export).

It runs a plain core function that takes ``progress`` and ``should_cancel`` keyword
arguments, forwards its progress reports as a signal, and lets the window ask it to stop;
the core raises `Cancelled` at its next check.

With ``process`` (a `ComputeProcess`) the function runs in that child process and the thread
only relays its messages. Training needs that: UMAP's compiled (numba) code holds Python's
GIL for hundreds of milliseconds at a time, which would freeze the window if it ran in a
thread of the GUI's own process. The function, its arguments and its result must be
picklable. Cancelling ends that process at once, rather than wait for a cancellation check
that may be seconds away (inside UMAP or a training step): nothing it was computing is kept.
"""

import multiprocessing
import os
import pickle
import queue
import threading
import traceback
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType

from PySide6.QtCore import QThread, Signal

from cytomoe.core.errors import Cancelled, CytomoeError
from cytomoe.core.progress import CancelCheck, Progress, ProgressCallback

POLL_SECONDS = 0.05
IDLE_SECONDS = 0.2  # how long an idle compute process waits for a job before working ahead


class ComputeProcess:
    """A spawned process that runs the window's trainings one after another.

    It loads what an analysis needs (core/analysis/warm_up.py) as soon as it starts, while the
    user opens data and picks markers: a training asked for meanwhile waits for that, showing
    its progress, and later ones find it all loaded. While idle it runs the latest work
    offered ahead (`work_ahead`: the embedding of the data on screen), silently, and drops
    it for a job or newer work. It ends when stopped (a cancelled training stops it), and
    by itself as soon as the app's process has ended.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.jobs: Queue = context.Queue()
        # A job is sent only once the process is ready for it, so none waits in the pipe for
        # a process that is stopped while it loads; should one wait there all the same, the
        # app's exit does not wait for it.
        self.jobs.cancel_join_thread()
        self.ahead: Queue = context.Queue()
        self.ahead.cancel_join_thread()
        self.job_waiting = context.Event()  # set with each job: work ahead stops for it
        self.messages: Queue = context.Queue()
        self.ready = False  # the process has loaded and waits for a job (the Worker sets it)
        self._process = context.Process(
            target=_serve,
            args=(self.jobs, self.ahead, self.job_waiting, self.messages),
            daemon=True,
            name="cytomoe-compute",
        )
        self._process.start()

    def work_ahead(self, function: Callable) -> None:
        """Run ``function`` (taking ``progress`` and ``should_cancel``) once idle, unless other
        work ahead is offered first; its outcome is not reported."""
        self.ahead.put(function)

    @property
    def pid(self) -> int:
        return self._process.pid

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)


class Worker(QThread):
    progressed = Signal(object)  # Progress
    succeeded = Signal(object)  # the function's result
    failed = Signal(str)  # one sentence for the user
    cancelled = Signal()

    def __init__(self, function: Callable, *args, process: ComputeProcess | None = None, **kwargs):
        super().__init__()
        self._function, self._args, self._kwargs = function, args, kwargs
        self._process = process
        self._stop = threading.Event()
        self.details = ""  # traceback of an unexpected error, for the log

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancel_requested(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        outcome = (
            self._run_in_process(self._process)
            if self._process is not None
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

    def _run_in_process(self, process: ComputeProcess) -> tuple[str, object]:
        sent = False
        while True:
            if self._stop.is_set():
                process.stop()
                return "cancelled", None
            if process.ready and not sent:
                process.job_waiting.set()
                process.jobs.put((self._function, self._args, self._kwargs))
                sent = True
            try:
                kind, value = process.messages.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not process.is_alive() and process.messages.empty():
                    return "failed", ("The computation stopped unexpectedly.", "")
                continue
            if kind == "ready":
                process.ready = True
            elif kind == "progress":
                self.progressed.emit(value)
            else:
                return kind, pickle.loads(value)


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


def _serve(jobs: Queue, ahead: Queue, job_waiting: EventType, messages: Queue) -> None:
    """The compute process: load what analyses need, then run each job sent, and work ahead
    while there is none, until the app has gone."""
    # The app may end without saying so (killed, SIGTERM): then end at once, whatever this
    # process is doing, rather than load or train on, unseen, holding its memory.
    parent = multiprocessing.parent_process()
    threading.Thread(target=_exit_after, args=(parent,), daemon=True, name="app-watch").start()
    from cytomoe.core.analysis.warm_up import warm_up

    def report(progress: Progress) -> None:
        messages.put(("progress", progress))

    try:
        warm_up(report)
    except Exception:  # noqa: BLE001 - the job that needs a module loads it again and says why it failed
        pass
    messages.put(("ready", None))
    while True:
        try:
            function, args, kwargs = jobs.get(timeout=IDLE_SECONDS)
        except queue.Empty:
            _work_ahead(ahead, job_waiting)
            continue
        job_waiting.clear()
        kind, value = _call(function, args, kwargs, report, lambda: False)
        # Plain pickle: the queue's own would share torch tensors through this process's
        # file descriptors, which vanish if it is stopped before the app has read them.
        messages.put((kind, pickle.dumps(value)))


def _work_ahead(ahead: Queue, job_waiting: EventType) -> None:
    """Run the latest work offered ahead, if any, until done, a job waits or newer work is
    offered (data or panel changed meanwhile)."""
    latest = None
    while True:
        try:
            latest = ahead.get_nowait()
        except queue.Empty:
            break
    if latest is not None and not job_waiting.is_set():

        def superseded() -> bool:
            return job_waiting.is_set() or not ahead.empty()

        _call(latest, (), {}, lambda progress: None, superseded)  # outcome unused


def _exit_after(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the app's process has ended
    os._exit(0)
