"""`train stop` signals only the run's own worker: a pid recorded on another machine, a pid the
system has given to another program since, or another run's worker is refused with a message and
left alone. The run's worker lock is held by this test process (test_runs_support.running_run),
so the run reads as running; the "workers" are small stand-in processes whose command lines the
check reads from /proc."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli
from medtui.train import events as ev
from medtui.train.launch import LaunchError, verified_worker_pid
from test_runs_support import RUNNING, running_run, write_ended_runs_workspace

SLEEPER = "import time; time.sleep(120)"


@pytest.fixture
def workspace(tmp_path) -> Path:
    return write_ended_runs_workspace(tmp_path)


@pytest.fixture
def process():
    """Start a process with the given extra command-line words; killed at the end."""
    started = []

    def start(*words: str, cwd: Path | None = None) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", SLEEPER, *words], cwd=cwd)
        started.append(proc)
        deadline = time.monotonic() + 30
        while SLEEPER.encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes():  # until exec is done
            assert time.monotonic() < deadline
            time.sleep(0.02)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def record(run_dir: Path, pid: int, host: str | None = None) -> None:
    (run_dir / ev.PID_FILE).write_text(json.dumps({"pid": pid, "host": host or socket.gethostname()}))


def stop(workspace: Path):
    return run_cli("train", "stop", RUNNING, "--timeout", "3", "--config", str(workspace / "medtui.toml"))


def test_a_recycled_pid_is_not_signalled(workspace, process):
    other = process()  # the pid now belongs to some other program
    with running_run(workspace) as run_dir:
        record(run_dir, other.pid)
        done = stop(workspace)
    assert done.returncode == 1
    assert f"pid {other.pid}, recorded as run {RUNNING}'s worker, is now another program" in done.stderr
    assert "Traceback" not in done.stderr
    assert other.poll() is None  # still running: never signalled


def test_a_pid_recorded_on_another_machine_is_not_signalled(workspace, process):
    bystander = process("-m", "medtui.train.worker", str(workspace / "checkpoints" / RUNNING))
    with running_run(workspace) as run_dir:
        record(run_dir, bystander.pid, host="gpu-box-7")
        done = stop(workspace)
    assert done.returncode == 1
    assert f"runs on gpu-box-7, not on this machine ({socket.gethostname()})" in done.stderr
    assert "hint: stop it on gpu-box-7" in done.stderr
    assert bystander.poll() is None


def test_another_runs_worker_is_not_signalled(workspace, process):
    other_run = workspace / "checkpoints" / "20250101-100000-smollm2-135m-instruct"
    neighbour = process("-m", "medtui.train.worker", str(other_run))
    with running_run(workspace) as run_dir:
        record(run_dir, neighbour.pid)
        done = stop(workspace)
        with pytest.raises(LaunchError, match="a medtui worker for another run"):
            verified_worker_pid(run_dir)
    assert done.returncode == 1 and "a medtui worker for another run" in done.stderr
    assert neighbour.poll() is None


def test_the_runs_own_worker_is_recognised_by_its_command_line(workspace, process):
    with running_run(workspace) as run_dir:
        worker = process("-m", "medtui.train.worker", str(run_dir), "--resume-from", "3")
        record(run_dir, worker.pid)
        assert verified_worker_pid(run_dir) == worker.pid
        # A worker started with the folder relative to its working folder is recognised too.
        relative = process("-m", "medtui.train.worker", ".", cwd=run_dir)
        record(run_dir, relative.pid)
        assert verified_worker_pid(run_dir) == relative.pid
        worker.kill()
        worker.wait()
        record(run_dir, worker.pid)
        with pytest.raises(LaunchError, match="is no longer running"):
            verified_worker_pid(run_dir)
