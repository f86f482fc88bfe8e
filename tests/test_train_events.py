"""The run folder's event log and lock: what every reader (CLI, Train pane, Runs pane) relies on.

These use real files, real flock locks and real processes; no model is loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from medtui.train.events import (
    COMPLETE_MARKER,
    CONFIG_FILE,
    EventWriter,
    WorkerLock,
    complete_checkpoints,
    describe_event,
    follow_events,
    read_events,
    read_events_from,
    run_state,
    timeline,
    worker_alive,
    worker_pid,
)


def _run_dir(tmp_path: Path, name: str = "20260101-000000-smollm2-135m-instruct") -> Path:
    run_dir = tmp_path / name
    run_dir.mkdir()
    (run_dir / CONFIG_FILE).write_text("[train]\nmax_steps = 4\n")
    return run_dir


def _lines(run_dir: Path, *events: dict) -> None:
    with open(run_dir / "events.jsonl", "a") as handle:
        for event in events:
            handle.write(json.dumps({"time": 1.0, **event}) + "\n")


def test_a_half_written_last_line_waits_for_the_next_read(tmp_path):
    run_dir = _run_dir(tmp_path)
    writer = EventWriter(run_dir)
    writer.write("started", total=4)
    writer.write("step", step=1, total=4, loss=2.5)
    with open(run_dir / "events.jsonl", "a") as handle:
        handle.write('{"event": "step", "step": 2, "lo')  # the worker is mid-write
    events, offset = read_events_from(run_dir, 0)
    assert [e["event"] for e in events] == ["started", "step"]
    with open(run_dir / "events.jsonl", "a") as handle:
        handle.write('ss": 2.1}\n')
    more, offset2 = read_events_from(run_dir, offset)
    assert more == [{"event": "step", "step": 2, "loss": 2.1}]
    assert offset2 == (run_dir / "events.jsonl").stat().st_size
    assert len(read_events(run_dir)) == 3


def test_a_torn_line_from_a_crash_is_skipped_not_fatal(tmp_path):
    run_dir = _run_dir(tmp_path)
    (run_dir / "events.jsonl").write_text('{"event": "started"}\n{"event": "st\n{"event": "step", "step": 1}\n')
    assert [e["event"] for e in read_events(run_dir)] == ["started", "step"]


def test_status_comes_from_the_lock_not_from_the_last_event(tmp_path):
    run_dir = _run_dir(tmp_path)
    assert run_state(run_dir).status == "pending"  # just created, worker not there yet
    _lines(run_dir, {"event": "started"}, {"event": "step", "step": 1})
    lock = WorkerLock(run_dir)
    assert lock.acquire()
    try:
        assert worker_alive(run_dir)
        assert worker_pid(run_dir) is not None
        assert run_state(run_dir).status == "running"
        assert not WorkerLock(run_dir).acquire(wait=0.2)  # a second worker is refused
    finally:
        lock.release()
    # The lock is free and no terminal event: the worker died, it is not "running" forever.
    assert run_state(run_dir).status == "died"


def test_a_killed_worker_frees_its_lock(tmp_path):
    run_dir = _run_dir(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from medtui.train.events import WorkerLock; "
        f"lock = WorkerLock(__import__('pathlib').Path({str(run_dir)!r})); assert lock.acquire(); "
        "print('held', flush=True); "
        "time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        _lines(run_dir, {"event": "started"})
        assert run_state(run_dir).status == "running"
        holder.kill()
        holder.wait()
        assert run_state(run_dir).status == "died"
    finally:
        holder.kill()


def test_readers_probing_at_once_do_not_see_each_other_as_the_worker(tmp_path):
    run_dir = _run_dir(tmp_path)
    (run_dir / "worker.lock").touch()
    start = time.time() + 3  # both probe during the same 1.5 s
    probers = [subprocess.Popen([sys.executable, "-c", (
        "import time; from pathlib import Path; from medtui.train.events import worker_alive\n"
        f"time.sleep(max(0, {start} - time.time())); n = 0\n"
        f"while time.time() < {start} + 1.5: n += worker_alive(Path({str(run_dir)!r}))\n"
        "print(n)")],
        stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].strip() for p in probers]
    assert outputs == ["0", "0"]


def test_terminal_event_and_resume_decide_the_status(tmp_path):
    run_dir = _run_dir(tmp_path)
    _lines(run_dir, {"event": "started"}, {"event": "step", "step": 1}, {"event": "stopped", "step": 1})
    assert run_state(run_dir).status == "stopped"
    _lines(run_dir, {"event": "resumed", "from_step": 1})
    assert run_state(run_dir).status == "died"  # resumed, then no worker and no end
    _lines(run_dir, {"event": "step", "step": 2}, {"event": "finished", "step": 2})
    assert run_state(run_dir).status == "finished"


def test_timeline_replaces_steps_a_resume_redid(tmp_path):
    events = [
        {"event": "started"},
        {"event": "step", "step": 1, "loss": 3.0}, {"event": "step", "step": 2, "loss": 2.9},
        {"event": "checkpoint", "step": 2}, {"event": "step", "step": 3, "loss": 2.8},
        {"event": "resumed", "from_step": 2},
        {"event": "step", "step": 3, "loss": 2.7}, {"event": "step", "step": 4, "loss": 2.6},
    ]
    steps = [(e["step"], e["loss"]) for e in timeline(events) if e["event"] == "step"]
    assert steps == [(1, 3.0), (2, 2.9), (3, 2.7), (4, 2.6)]
    run_dir = _run_dir(tmp_path)
    _lines(run_dir, *events)
    assert [e["step"] for e in run_state(run_dir).steps] == [1, 2, 3, 4]


def test_only_checkpoints_marked_complete_are_offered(tmp_path):
    run_dir = _run_dir(tmp_path)
    for step in (2, 4, 6):
        (run_dir / f"checkpoint-{step}").mkdir()
    (run_dir / "checkpoint-2" / COMPLETE_MARKER).write_text("{}")
    (run_dir / "checkpoint-4" / COMPLETE_MARKER).write_text("{}")
    # checkpoint-6 was being written when the worker died
    assert [step for step, _ in complete_checkpoints(run_dir)] == [2, 4]


def test_follow_yields_history_then_new_events_until_the_worker_is_gone(tmp_path):
    run_dir = _run_dir(tmp_path)
    _lines(run_dir, {"event": "started"}, {"event": "step", "step": 1}, {"event": "stopped", "step": 1})
    writer = subprocess.Popen([sys.executable, "-c", (
        "import time, json; from pathlib import Path; from medtui.train.events import WorkerLock, EventWriter; "
        f"d = Path({str(run_dir)!r}); lock = WorkerLock(d); assert lock.acquire(); w = EventWriter(d); "
        "w.write('resumed', from_step=1); time.sleep(0.5); w.write('step', step=2); time.sleep(0.5); "
        "w.write('finished', step=2)")])
    try:
        deadline = time.time() + 30
        while not worker_alive(run_dir) and time.time() < deadline:
            time.sleep(0.05)
        # The history holds an earlier `stopped`; following must not end there.
        seen = [e["event"] for e in follow_events(run_dir, poll=0.05)]
    finally:
        writer.wait(timeout=30)
    assert seen == ["started", "step", "stopped", "resumed", "step", "finished"]


def test_events_read_as_lines_a_person_understands():
    assert describe_event({"event": "step", "step": 3, "total": 6, "loss": 2.45001, "learning_rate": 0.000375,
                           "grad_norm": 0.652, "tokens_per_s": 100.0, "memory_mb": 1549.3, "eta": 75}) == (
        "step 3/6  loss 2.45  lr 0.000375  grad 0.652  100 tok/s  1549 MB  eta 1m15s")
    assert "checkpoint" in describe_event({"event": "stopped", "step": 4, "checkpoint": "/r/checkpoint-4"})
    assert describe_event({"event": "failed", "step": 2, "message": "out of GPU memory"}).endswith("out of GPU memory")
