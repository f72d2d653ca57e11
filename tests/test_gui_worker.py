"""The GUI's worker runs training in a child process; the child never outlives the app."""

import multiprocessing
import os
import signal
import time
from pathlib import Path

from cytomoe.core.errors import Cancelled
from cytomoe.gui.worker import _child


def wait_until_cancelled(progress=None, should_cancel=None):
    """Stands in for training: works until it is told to stop."""
    while not should_cancel():
        time.sleep(0.05)
    raise Cancelled("stopped")


def start_training_child(pids):
    """Stands in for the app: starts the child as the worker does, then waits."""
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()  # held here until the end, as the worker holds it
    child = context.Process(
        target=_child, args=(wait_until_cancelled, (), {}, messages), daemon=True
    )
    child.start()
    pids.put(child.pid)
    time.sleep(600)


def has_ended(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "State:\tZ" in status.read_text()  # a zombie has ended, only not reaped
    except FileNotFoundError:
        return True


def test_the_training_child_stops_when_the_app_is_killed():
    context = multiprocessing.get_context("spawn")
    pids = context.Queue()
    app = context.Process(target=start_training_child, args=(pids,))
    app.start()
    child = pids.get(timeout=60)
    time.sleep(3)  # the child has started and works
    assert not has_ended(child)
    os.kill(app.pid, signal.SIGKILL)
    app.join()
    deadline = time.monotonic() + 20
    while not has_ended(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert has_ended(child)
