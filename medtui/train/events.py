"""The run folder's event log (`events.jsonl`) and how a run's state is read from it.

One JSON object per line, flushed as it is written, so a reader (the TUI, `train attach`, a
second SSH session) sees each step as soon as it happens and can start reading at any time.
A run's liveness comes from the worker's lock, not from its last event: a worker holds an
exclusive lock on `worker.lock` while it runs, so a run whose lock is free and whose log has no
terminal event died (killed, machine restarted) rather than being "running" forever.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

EVENTS_FILE = "events.jsonl"
LOCK_FILE = "worker.lock"
PID_FILE = "worker.pid"
LOG_FILE = "worker.log"
CONFIG_FILE = "config.toml"
DATA_FILE = "data.json"
ADAPTER_DIR = "adapter"
COMPLETE_MARKER = "medtui-complete.json"

TERMINAL_EVENTS = ("finished", "stopped", "failed")
EVENT_KINDS = ("started", "step", "eval", "checkpoint", "early_stop", "resumed", *TERMINAL_EVENTS)


class EventWriter:
    """Appends events to a run's log; each line is written whole and flushed at once."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / EVENTS_FILE
        self._handle = open(self.path, "a", encoding="utf-8")

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"event": event, "time": round(time.time(), 3), **fields}
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return record

    def close(self) -> None:
        self._handle.close()


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """Every complete event in the log; a half-written last line is left for the next read."""
    events, _ = read_events_from(run_dir, 0)
    return events


def read_events_from(run_dir: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Events after byte `offset`, and the offset to continue from (for tailing)."""
    path = Path(run_dir) / EVENTS_FILE
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    events = []
    consumed = 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # still being written
        consumed += len(line)
        text = line.strip()
        if not text:
            continue
        try:
            record = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue  # a torn line from a crash mid-write is not an event
        if isinstance(record, dict) and "event" in record:
            events.append(record)
    return events, offset + consumed


def follow_events(run_dir: Path, poll: float = 0.25, stop_when_ended: bool = True) -> Iterator[dict[str, Any]]:
    """Yield the whole history, then new events as they arrive, until the run ends."""
    offset = 0
    while True:
        events, offset = read_events_from(run_dir, offset)
        yield from events
        if stop_when_ended and any(e["event"] in TERMINAL_EVENTS for e in events):
            return
        if not events and stop_when_ended and not worker_alive(run_dir):
            # Drain once more: the terminal event may have landed after the read.
            tail, offset = read_events_from(run_dir, offset)
            yield from tail
            return
        time.sleep(poll)


class WorkerLock:
    """Held by the worker for its whole life; the OS frees it when the process dies."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self._handle = None

    def acquire(self) -> bool:
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        (self.path.parent / PID_FILE).write_text(str(os.getpid()))
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def worker_alive(run_dir: Path) -> bool:
    """True while some process holds the run's worker lock."""
    path = Path(run_dir) / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def worker_pid(run_dir: Path) -> int | None:
    try:
        return int((Path(run_dir) / PID_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


@dataclass
class RunState:
    """What a run's folder says about it, derived from its events and lock."""

    run_dir: Path
    status: str  # pending | running | finished | stopped | failed | died
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    @property
    def steps(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == "step"]

    @property
    def evals(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == "eval"]

    @property
    def started(self) -> dict[str, Any] | None:
        return next((e for e in self.events if e["event"] == "started"), None)

    @property
    def last_step(self) -> dict[str, Any] | None:
        steps = self.steps
        return steps[-1] if steps else None

    @property
    def terminal(self) -> dict[str, Any] | None:
        return next((e for e in reversed(self.events) if e["event"] in TERMINAL_EVENTS), None)


def run_state(run_dir: Path, events: list[dict[str, Any]] | None = None) -> RunState:
    run_dir = Path(run_dir)
    events = read_events(run_dir) if events is None else events
    alive = worker_alive(run_dir)
    # The last terminal event counts: a resumed run writes `resumed` after an earlier `stopped`.
    last_terminal_index = max((i for i, e in enumerate(events) if e["event"] in TERMINAL_EVENTS), default=-1)
    resumed_after = any(e["event"] == "resumed" for e in events[last_terminal_index + 1:])
    if alive:
        status = "running"
    elif last_terminal_index >= 0 and not resumed_after:
        status = events[last_terminal_index]["event"]
    elif events:
        status = "died"
    else:
        status = "pending" if (run_dir / CONFIG_FILE).exists() and _recent(run_dir) else "died"
    return RunState(run_dir, status, events)


def _recent(run_dir: Path, seconds: float = 120.0) -> bool:
    """A run created moments ago whose worker has not taken its lock yet is starting, not dead."""
    try:
        return time.time() - (run_dir / CONFIG_FILE).stat().st_mtime < seconds
    except FileNotFoundError:
        return False


def complete_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """Checkpoints whose saving finished (marked by the worker after the save), oldest first."""
    found = []
    for path in Path(run_dir).glob("checkpoint-*"):
        try:
            step = int(path.name.split("-", 1)[1])
        except ValueError:
            continue
        if (path / COMPLETE_MARKER).exists():
            found.append((step, path))
    return sorted(found)
