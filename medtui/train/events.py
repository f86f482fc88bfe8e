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
              (elapsed and eta in seconds; memory_mb is the peak GPU memory allocated on CUDA, process RSS on CPU)
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
import shutil
import socket
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

# Checkpoints after the step a run is resumed from wait here (inside the run folder, under a name
# no checkpoint glob matches) until the resumed run saves again; a resume that fails before that
# puts them back.
SET_ASIDE_DIR = ".set-aside-checkpoints"

TERMINAL_EVENTS = ("finished", "stopped", "failed")
EVENT_KINDS = ("started", "step", "eval", "checkpoint", "early_stop", "resumed", *TERMINAL_EVENTS)
_UNSYNCED = ("step", "eval")

# The type of each field, whatever the event (see the list above); None is always allowed.
_INT_FIELDS = ("step", "total", "from_step", "num_processes", "best_step", "patience")
_NUMBER_FIELDS = ("time", "epoch", "loss", "learning_rate", "grad_norm", "tokens_per_s", "memory_mb", "elapsed",
                  "eta", "eval_loss", "best_eval_loss")
_TEXT_FIELDS = ("run", "path", "adapter", "checkpoint", "message", "warning")
_TABLE_FIELDS = ("config", "counts")
_REQUIRED = {"step": ("step",), "eval": ("step",), "checkpoint": ("step",), "resumed": ("from_step",)}


def event_problem(record: Any) -> str | None:
    """Why a parsed line is not an event medtui's worker writes (None when it is one)."""
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an event object"
    kind = record.get("event")
    if not isinstance(kind, str) or not kind:
        return 'no "event" name'
    for name in _REQUIRED.get(kind, ()):
        if record.get(name) is None:
            return f"a {kind} event without {name}"
    for name, value in record.items():
        if value is None:
            continue
        if name in _INT_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
            return f"{kind} event: {name} is {json.dumps(value)[:40]}, not an integer"
        if name in _NUMBER_FIELDS and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f"{kind} event: {name} is {json.dumps(value)[:40]}, not a number"
        if name in _TEXT_FIELDS and not isinstance(value, str):
            return f"{kind} event: {name} is {json.dumps(value)[:40]}, not text"
        if name in _TABLE_FIELDS and not isinstance(value, dict):
            return f"{kind} event: {name} is {json.dumps(value)[:40]}, not an object"
    return None


class EventWriter:
    """Appends events to a run's log; each line is written whole and flushed at once."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / EVENTS_FILE
        self._handle = open(self.path, "a", encoding="utf-8")
        # A line torn by a crash must not swallow the first event of this worker.
        with open(self.path, "rb") as log:
            if log.seek(0, os.SEEK_END) and (log.seek(-1, os.SEEK_END), log.read(1))[1] != b"\n":
                self._handle.write("\n")

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"event": event, "time": round(time.time(), 3), **fields}
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()
        # Step and eval lines are only flushed: a reader sees them at once, and a crashed worker
        # loses none of them (the kernel holds them). Syncing them to disk cost a quarter of the
        # training speed on a GPU machine, where a step takes well under a second. The lines a
        # resume or a status depends on are synced.
        if event not in _UNSYNCED:
            os.fsync(self._handle.fileno())
        return record

    def close(self) -> None:
        self._handle.close()


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """Every complete event in the log; a half-written last line is left for the next read."""
    events, _ = read_events_from(run_dir, 0)
    return events


def read_events_from(run_dir: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Events after byte `offset`, and the offset to continue from (for tailing). Lines that are
    not events (see `parse_events`) are left out."""
    from medtui.files import NO_SUCH_FILE, file_problem

    path = Path(run_dir) / EVENTS_FILE
    if file_problem(path) not in (None, NO_SUCH_FILE):  # a FIFO in its place would block the reader
        return [], offset
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    events, consumed, _, _ = parse_events(data)
    return events, offset + consumed


def parse_events(data: bytes, first_line: int = 1) -> tuple[list[dict[str, Any]], int, int, list[str]]:
    """The events in `data`: (events, bytes consumed, whole lines consumed, problems).

    A last line without its line break is still being written and is left for the next read. A
    line that is not an event medtui writes (not JSON, wrong field types) is left out and named in
    `problems` by its line number (counted from `first_line`)."""
    events: list[dict[str, Any]] = []
    problems: list[str] = []
    consumed = lines = 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # still being written
        consumed += len(line)
        lines += 1
        text = line.strip()
        if not text:
            continue
        try:
            record = json.loads(text)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            problems.append(f"{EVENTS_FILE} line {first_line + lines - 1}: not a JSON event")
            continue
        problem = event_problem(record)
        if problem:
            problems.append(f"{EVENTS_FILE} line {first_line + lines - 1}: {problem}")
            continue
        events.append(record)
    return events, consumed, lines, problems


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
        record = {"pid": os.getpid(), "host": socket.gethostname()}
        tmp = self.path.parent / f".{PID_FILE}.tmp"
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.path.parent / PID_FILE)
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


def worker_record(run_dir: Path) -> dict[str, Any] | None:
    """The worker's pid and host as it recorded them ({"pid", "host"}; host None in old runs)."""
    try:
        text = (Path(run_dir) / PID_FILE).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, int) and not isinstance(value, bool):  # written by an older medtui
        value = {"pid": value, "host": None}
    if not isinstance(value, dict):
        return None
    pid, host = value.get("pid"), value.get("host")
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return None
    return {"pid": pid, "host": host if isinstance(host, str) else None}


def worker_pid(run_dir: Path) -> int | None:
    record = worker_record(run_dir)
    return record["pid"] if record else None


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
        step = _checkpoint_step(path)
        if step is not None and (path / COMPLETE_MARKER).exists():
            found.append((step, path))
    return sorted(found)


def _checkpoint_step(path: Path) -> int | None:
    suffix = path.name.split("-", 1)[1] if path.name.startswith("checkpoint-") else ""
    return int(suffix) if suffix.isdigit() else None


def later_checkpoints(run_dir: Path, step: int) -> list[int]:
    """Steps of the checkpoint folders (complete or not) after `step`."""
    return sorted(s for s in (_checkpoint_step(p) for p in Path(run_dir).glob("checkpoint-*")) if s is not None and s > step)


def set_aside_later_checkpoints(run_dir: Path, step: int) -> list[int]:
    """Move the checkpoints after `step` into SET_ASIDE_DIR (inside the run folder); the steps moved.

    They belong to the continuation a resume from `step` replaces, but stay on disk until the
    resumed run has saved a checkpoint of its own (`drop_set_aside`); a resume that fails before
    that puts them back (`restore_set_aside`)."""
    run_dir = Path(run_dir)
    moved = []
    for later in later_checkpoints(run_dir, step):
        aside = run_dir / SET_ASIDE_DIR
        aside.mkdir(exist_ok=True)
        name = f"checkpoint-{later}"
        if (aside / name).exists():  # an older copy from a resume that died: the newer one wins
            shutil.rmtree(aside / name)
        os.rename(run_dir / name, aside / name)
        moved.append(later)
    return moved


def restore_set_aside(run_dir: Path) -> list[int]:
    """Put back the checkpoints a resume set aside (it ended before saving); the steps restored.
    A checkpoint saved since under the same name is kept, and the set-aside copy dropped."""
    aside = Path(run_dir) / SET_ASIDE_DIR
    if not aside.is_dir():
        return []
    restored = []
    for path in sorted(aside.glob("checkpoint-*")):
        step = _checkpoint_step(path)
        if step is not None and not (Path(run_dir) / path.name).exists():
            os.rename(path, Path(run_dir) / path.name)
            restored.append(step)
    shutil.rmtree(aside, ignore_errors=True)
    return sorted(restored)


def drop_set_aside(run_dir: Path) -> None:
    """The resumed run has saved: the continuation it replaced is gone for good."""
    shutil.rmtree(Path(run_dir) / SET_ASIDE_DIR, ignore_errors=True)


def adapter_ready(folder: Path) -> bool:
    """A folder holding a whole LoRA adapter: its config and its weights (what PEFT saves)."""
    folder = Path(folder)
    return (folder / "adapter_config.json").is_file() and any(
        p.is_file() for p in folder.glob("adapter_model.*"))


def holds_run(path: Path) -> bool:
    """A folder holding what medtui writes into a run: the worker's event log, or (a run whose
    worker has not started yet) the config, data summary and data snapshot the launcher writes first."""
    path = Path(path)
    if not path.is_dir():
        return False
    if (path / EVENTS_FILE).is_file():
        return True
    return (path / CONFIG_FILE).is_file() and (path / DATA_FILE).is_file() and (path / DATASET_DIR).is_dir()


def is_run_dir(path: Path) -> bool:
    """A run folder medtui wrote; hidden folders (runs being created or deleted) are not runs."""
    return not Path(path).name.startswith(".") and holds_run(path)


def has_event_log(path: Path) -> bool:
    """A run folder a worker has written to. Outside the runs folder this is what marks a folder
    as a run: a project folder may well hold a config.toml, a data.json and a dataset/ of its own."""
    return is_run_dir(path) and (Path(path) / EVENTS_FILE).is_file()


def list_runs(output_dir: Path) -> list[Path]:
    """Run folders under `output_dir`, oldest first (run ids start with their start time)."""
    try:
        entries = list(os.scandir(output_dir))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []
    return sorted(Path(e.path) for e in entries if is_run_dir(Path(e.path)))


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
        extra = ""
        if event.get("set_aside"):
            extra = f" (later checkpoints {event['set_aside']} set aside until this run saves again)"
        elif event.get("discarded"):  # written by an older medtui
            extra = f" (discarded later checkpoints {event['discarded']})"
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
