"""The run folder's event log (`events.jsonl`) and how a run's state is read from it.

One JSON object per line, flushed as it is written, so a reader (the TUI, `train attach`, a
second SSH session) sees each step as soon as it happens and can start reading at any time.
A run's liveness comes from the worker's lock, not from its last event: a worker holds an
exclusive lock on `worker.lock` while it runs, so a run whose lock is free and whose log has no
terminal event died (killed, machine restarted) rather than being "running" forever.

Events and their fields (besides "event" and "time"):
  started     run, model, config (the resolved config as a dict), counts, total (steps planned), num_processes,
              notes (what medtui adapts for the model's chat template, e.g. a folded system prompt)
  resumed     from_step, checkpoint, total, warning (only when something differs from the original start)
  step        step, total, epoch, loss, learning_rate, grad_norm, tokens_per_s, memory_mb, elapsed, eta
              (elapsed and eta in seconds; memory_mb is GPU memory allocated on CUDA, process RSS on CPU)
  eval        step, eval_loss
  checkpoint  step, path
  early_stop  step, best_step, best_eval_loss, patience
  finished    step, loss, adapter (path), best_step, best_eval_loss, elapsed
  stopped     step, checkpoint (path or null)
  failed      step, message (the traceback stays in worker.log)
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
# The exact conversations a run trains on, written at start so a resume trains on the same data.
DATASET_DIR = "dataset"
TRAIN_DATA_FILE = "train.jsonl"
EVAL_DATA_FILE = "eval.jsonl"

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
    """Yield the whole history, then new events as they arrive, until the worker is gone.

    The end is the worker's lock being free, not a terminal event: a resumed run's history holds
    the `stopped` of its first part, and a worker that died never writes one.
    """
    offset = 0
    seen: list[dict[str, Any]] = []
    while True:
        events, offset = read_events_from(run_dir, offset)
        yield from events
        seen.extend(events)
        if stop_when_ended and not events and not worker_alive(run_dir) and run_state(run_dir, seen).status != "pending":
            # Drain once more: the last events may have landed just before the lock was freed.
            tail, offset = read_events_from(run_dir, offset)
            yield from tail
            return
        time.sleep(poll)


class WorkerLock:
    """Held by the worker for its whole life; the OS frees it when the process dies."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self._handle = None

    def acquire(self, wait: float = 2.0) -> bool:
        """Take the lock, retrying for `wait` seconds: a reader's `worker_alive` probe holds it for
        an instant, and a starting worker must not mistake that probe for a second worker."""
        handle = open(self.path, "a+")
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    return False
                time.sleep(0.05)
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
        # A shared probe: two readers probing at once must not see each other as the worker.
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
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
        """Step events of the run as it stands: steps redone after a resume replace the old ones."""
        return [e for e in timeline(self.events) if e["event"] == "step"]

    @property
    def evals(self) -> list[dict[str, Any]]:
        return [e for e in timeline(self.events) if e["event"] == "eval"]

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


def timeline(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with those a resume superseded left out.

    A run resumed from step N (after a kill, or from an earlier checkpoint) trains steps N+1...
    again; the step, eval and checkpoint events logged for those steps before the resume describe
    a continuation that no longer exists.
    """
    kept: list[dict[str, Any]] = []
    for event in events:
        if event["event"] == "resumed":
            from_step = event.get("from_step", 0)
            kept = [e for e in kept if e["event"] not in ("step", "eval", "checkpoint") or e.get("step", 0) <= from_step]
        kept.append(event)
    return kept


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


def list_runs(output_dir: Path) -> list[Path]:
    """Run folders under `output_dir`, oldest first (run ids start with their start time)."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and ((p / CONFIG_FILE).exists() or (p / EVENTS_FILE).exists()))


# --------------------------------------------------------------------------- for people

def format_number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value and abs(value) < 1e-3:
            return f"{value:.{max(digits, 1)}g}"
        text = f"{value:.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else (f"{minutes}m{secs:02d}s" if minutes else f"{secs}s")


def describe_event(event: dict[str, Any]) -> str:
    """One line a person reads (`medtui train attach`, the Train pane's log)."""
    kind = event["event"]
    if kind == "started":
        counts = event.get("counts") or {}
        return (f"started   {event.get('run')}: {event.get('model')}, {counts.get('train_usable', '?')} training / "
                f"{counts.get('eval_usable', '?')} eval conversations, {event.get('total')} steps, "
                f"{event.get('num_processes', 1)} process(es)"
                + "".join(f"\n          note: {note}" for note in event.get("notes") or []))
    if kind == "resumed":
        extra = f" (discarded later checkpoints {event['discarded']})" if event.get("discarded") else ""
        return f"resumed   from step {event.get('from_step')}{extra}"
    if kind == "step":
        return (f"step {event.get('step')}/{event.get('total')}  loss {format_number(event.get('loss'))}  "
                f"lr {format_number(event.get('learning_rate'), 3)}  grad {format_number(event.get('grad_norm'), 3)}  "
                f"{format_number(event.get('tokens_per_s'), 0)} tok/s  {format_number(event.get('memory_mb'), 0)} MB  "
                f"eta {format_duration(event.get('eta'))}")
    if kind == "eval":
        return f"eval      step {event.get('step')}  eval_loss {format_number(event.get('eval_loss'))}"
    if kind == "checkpoint":
        return f"checkpoint step {event.get('step')}  {event.get('path')}"
    if kind == "early_stop":
        return (f"early stop at step {event.get('step')}: eval loss stopped improving for {event.get('patience')} "
                f"evaluations (best {format_number(event.get('best_eval_loss'))} at step {event.get('best_step')})")
    if kind == "finished":
        return f"finished  at step {event.get('step')}: loss {format_number(event.get('loss'))}; adapter in {event.get('adapter')}"
    if kind == "stopped":
        where = f"; checkpoint {event['checkpoint']}" if event.get("checkpoint") else ""
        return f"stopped   at step {event.get('step')}{where}"
    if kind == "failed":
        return f"failed    at step {event.get('step')}: {event.get('message')}"
    return json.dumps(event)
