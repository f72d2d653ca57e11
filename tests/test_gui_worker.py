"""The GUI's worker runs training in a compute process, which loads the analysis libraries
first, serves one job after another and never outlives the app."""

import multiprocessing
import os
import signal
import time
from functools import partial
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cytomoe.core.errors import Cancelled  # noqa: E402
from cytomoe.core.progress import report  # noqa: E402
from cytomoe.gui.worker import ComputeProcess, Worker  # noqa: E402


def wait_until_cancelled(progress=None, should_cancel=None):
    """Stands in for training: works until it is told to stop."""
    while not should_cancel():
        time.sleep(0.05)
    raise Cancelled("stopped")


def mark_and_wait_for_a_job(folder, progress=None, should_cancel=None):
    """Stands in for work ahead: marks that it started, works until a job waits, marks that."""
    (Path(folder) / "started").touch()
    while not should_cancel():
        time.sleep(0.05)
    (Path(folder) / "stopped").touch()
    raise Cancelled("a job waits")


def mark(folder, progress=None, should_cancel=None):
    (Path(folder) / "ran").touch()


def wait_for(path: Path) -> bool:
    deadline = time.monotonic() + 120
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return path.exists()


def process_id(progress=None, should_cancel=None):
    """Stands in for training: says which process ran it."""
    report(progress, "train", 1, 1, "done")
    return os.getpid()


def start_training_child(pids):
    """Stands in for the app: sends a job to a compute process as the worker does, then
    waits."""
    process = ComputeProcess()
    process.jobs.put((wait_until_cancelled, (), {}))
    pids.put(process.pid)
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


@pytest.mark.gui
def test_one_compute_process_loads_the_libraries_then_runs_job_after_job(qtbot):
    process = ComputeProcess()
    try:
        stages, results = [], []
        for _ in range(2):
            worker = Worker(process_id, process=process)
            worker.progressed.connect(lambda progress: stages.append(progress.stage))
            worker.succeeded.connect(results.append)
            with qtbot.waitSignal(worker.finished, timeout=120_000):
                worker.start()
            worker.wait()
        assert results == [process.pid, process.pid]
        assert stages == ["prepare", "train", "train"]  # loading first, shown to the first job
    finally:
        process.stop()
    assert not process.is_alive()


@pytest.mark.gui
def test_cancelling_a_job_stops_its_compute_process(qtbot):
    process = ComputeProcess()
    worker = Worker(wait_until_cancelled, process=process)
    cancelled = []
    worker.cancelled.connect(lambda: cancelled.append(True))
    worker.start()
    time.sleep(1)
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        worker.cancel()
    worker.wait()
    assert cancelled == [True]
    assert not process.is_alive()


@pytest.mark.gui
def test_work_ahead_runs_while_the_process_is_idle_and_gives_way_to_a_job(qtbot, tmp_path):
    process = ComputeProcess()
    try:
        process.work_ahead(partial(mark_and_wait_for_a_job, str(tmp_path)))
        assert wait_for(tmp_path / "started")
        results = []
        worker = Worker(process_id, process=process)
        worker.succeeded.connect(results.append)
        with qtbot.waitSignal(worker.finished, timeout=60_000):
            worker.start()
        worker.wait()
        assert results == [process.pid]
        assert (tmp_path / "stopped").exists()
    finally:
        process.stop()


@pytest.mark.gui
def test_newer_work_ahead_replaces_the_work_running(tmp_path):
    process = ComputeProcess()
    try:
        process.work_ahead(partial(mark_and_wait_for_a_job, str(tmp_path)))
        assert wait_for(tmp_path / "started")
        process.work_ahead(partial(mark, str(tmp_path)))  # the data or panel changed
        assert wait_for(tmp_path / "ran")
        assert (tmp_path / "stopped").exists()
    finally:
        process.stop()
