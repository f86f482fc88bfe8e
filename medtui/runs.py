"""Runs and their checkpoints, read from the run folders the training worker writes.

Everything here is data: summaries, details and comparisons built from `events.jsonl`,
`config.toml`, `data.json` and the checkpoint folders (the file contract in medtui.train.events).
The CLI and the Runs pane format it. No Textual and no torch: listing a hundred runs must be
instant, and a refresh of the Runs pane rereads only the bytes appended since the last one.
"""

from __future__ import annotations
from medtui.errors import MedtuiError, UsageError

import contextlib
import difflib
import fcntl
import json
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtui.models import EMBEDDED_LABEL
from medtui.train import events as ev

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TRASH_PREFIX = ".trash-"
# Statuses in which a worker owns (or is about to own) the folder: nothing may delete it then.
BUSY_STATUSES = ("running", "pending")
# A run folder whose files no longer read as medtui wrote them; its reasons are in `problems`.
CORRUPT = "corrupt"


class RunLookupError(UsageError):
    """A RUN argument that names no run, or several; the message lists the ids that come close."""


class RunBusyError(MedtuiError):
    """An operation refused because a worker is using the run."""


@dataclass
class Checkpoint:
    name: str  # "checkpoint-<N>" or "adapter" (the final adapter)
    step: int | None
    path: Path
    eval_loss: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "step": self.step, "path": str(self.path), "eval_loss": self.eval_loss}


@dataclass
class RunSummary:
    """One row of `medtui runs list`: what a user compares runs by."""

    run_id: str
    run_dir: Path
    status: str
    model: str
    data_files: list[str] = field(default_factory=list)
    data_counts: dict[str, Any] = field(default_factory=dict)
    data_sha256: str | None = None
    step: int = 0
    total_steps: int | None = None
    epoch: float | None = None
    last_loss: float | None = None
    best_eval_loss: float | None = None
    best_eval_step: int | None = None
    last_eval_loss: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    duration_s: float | None = None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    adapter: Checkpoint | None = None
    message: str | None = None  # the terminal event's message (why it failed or stopped), or why it is corrupt
    early_stopped: bool = False
    resumes: int = 0
    problems: list[str] = field(default_factory=list)  # why the run is corrupt (status "corrupt")

    @property
    def busy(self) -> bool:
        return self.status in BUSY_STATUSES

    @property
    def exportable(self) -> list[Checkpoint]:
        """Checkpoints first (oldest to newest), then the final adapter when there is one."""
        return [*self.checkpoints, *([self.adapter] if self.adapter else [])]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.run_id,
            "dir": str(self.run_dir),
            "status": self.status,
            "model": self.model,
            "data": {"files": self.data_files, "counts": self.data_counts, "sha256": self.data_sha256},
            "steps": {"done": self.step, "total": self.total_steps},
            "epoch": self.epoch,
            "last_loss": self.last_loss,
            "best_eval_loss": self.best_eval_loss,
            "best_eval_step": self.best_eval_step,
            "last_eval_loss": self.last_eval_loss,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
            "checkpoints": [c.to_dict() for c in self.checkpoints],
            "adapter": self.adapter.to_dict() if self.adapter else None,
            "message": self.message,
            "early_stopped": self.early_stopped,
            "resumes": self.resumes,
            "problems": self.problems,
        }


@dataclass
class RunDetails:
    """Everything `medtui runs show` and the Runs pane's detail view need about one run."""

    summary: RunSummary
    config: dict[str, dict[str, Any]]
    loss_curve: list[tuple[int, float]]
    eval_curve: list[tuple[int, float]]
    learning_rate_curve: list[tuple[int, float]]
    tokens_per_s: float | None  # mean over the logged steps
    peak_memory_mb: float | None
    incomplete_checkpoints: list[str]
    log_file: Path
    config_problem: str | None = None  # why config.toml could not be read, when it could not

    @property
    def metrics(self) -> list[tuple[str, Any]]:
        """(label, value) pairs in the order a user reads them; values are raw numbers."""
        s = self.summary
        return [
            ("status", s.status),
            ("model", s.model),
            ("data", data_label(s)),
            ("steps", (s.step, s.total_steps)),
            ("epoch", s.epoch),
            ("last train loss", s.last_loss),
            ("best eval loss", s.best_eval_loss),
            ("last eval loss", s.last_eval_loss),
            ("tokens/s", self.tokens_per_s),
            ("peak memory MB", self.peak_memory_mb),
            ("duration", s.duration_s),  # seconds
            ("checkpoints", len(s.checkpoints)),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary.to_dict(),
            "config": self.config,
            "config_problem": self.config_problem,
            "loss_curve": [list(p) for p in self.loss_curve],
            "eval_curve": [list(p) for p in self.eval_curve],
            "learning_rate_curve": [list(p) for p in self.learning_rate_curve],
            "tokens_per_s": self.tokens_per_s,
            "peak_memory_mb": self.peak_memory_mb,
            "incomplete_checkpoints": self.incomplete_checkpoints,
            "log_file": str(self.log_file),
        }


@dataclass
class Comparison:
    a: RunDetails
    b: RunDetails
    config_diff: list[tuple[str, Any, Any]]  # ("section.key", a's value, b's value); None when absent
    metrics: list[tuple[str, Any, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [self.a.summary.run_id, self.b.summary.run_id],
            "config_diff": [{"key": k, "a": a, "b": b} for k, a, b in self.config_diff],
            "metrics": [{"name": n, "a": a, "b": b} for n, a, b in self.metrics],
            "loss_curves": {
                self.a.summary.run_id: [list(p) for p in self.a.loss_curve],
                self.b.summary.run_id: [list(p) for p in self.b.loss_curve],
            },
            "eval_curves": {
                self.a.summary.run_id: [list(p) for p in self.a.eval_curve],
                self.b.summary.run_id: [list(p) for p in self.b.eval_curve],
            },
        }


# ---------------------------------------------------------------------------------------------
# Finding runs


def runs_root(cfg) -> Path:
    """The folder holding one sub-folder per run, as the config names it."""
    return cfg.path(cfg.train.output_dir)


is_run_dir = ev.is_run_dir  # a run folder medtui wrote (the file contract lives with the event log)


def run_dirs(root: Path) -> list[Path]:
    return ev.list_runs(root)


_LIST_HINT = "`medtui runs list` shows every run"


def resolve_run(root: Path, text: str | None) -> Path:
    """The run folder a RUN argument names: an exact id, a unique id prefix, or the path of a run
    folder (one medtui wrote: see `is_run_dir`); None names the newest run. Every command that
    takes a run, and every pane, finds it here.

    A path comes back absolute but with its links kept, so deleting a linked run removes the link.
    Raises RunLookupError naming the ids that match or come close.
    """
    root = Path(root)
    dirs = run_dirs(root)
    ids = [p.name for p in dirs]
    if text is None:
        if not ids:
            raise RunLookupError(f"no runs in {root} yet", hint="start one with `medtui train start`")
        return root / ids[-1]  # ids start with their start time
    if text in ids:
        return root / text
    if "/" in text or text.startswith((".", "~")):
        as_path = Path(os.path.abspath(Path(text).expanduser()))
        if ev.has_event_log(as_path) or (as_path.parent == Path(os.path.abspath(root)) and as_path.name in ids):
            return as_path
        if as_path.exists():
            raise RunLookupError(
                f"{as_path} is not a run folder medtui wrote (it holds no {ev.EVENTS_FILE})",
                hint=f"name a run by its id or a folder under {root}; {_LIST_HINT}")
        raise RunLookupError(f"{as_path}: no such run folder", hint=_LIST_HINT)
    matches = [i for i in ids if i.startswith(text)] if text else []
    if len(matches) == 1:
        return root / matches[0]
    if len(matches) > 1:
        shown = ", ".join(matches[:8]) + (f" and {len(matches) - 8} more" if len(matches) > 8 else "")
        raise RunLookupError(f'"{text}" matches {len(matches)} runs in {root}: {shown}; type more of the id')
    if not ids:
        raise RunLookupError(f'no run "{text}": {root} holds no runs yet (start one with `medtui train start`)')
    close = [i for i in ids if text and text in i]
    close += [i for i in difflib.get_close_matches(text, ids, n=5, cutoff=0.5) if i not in close]
    if close:
        raise RunLookupError(f'no run "{text}" in {root}; close: {", ".join(close[:5])}', hint=_LIST_HINT)
    newest = sorted(ids, reverse=True)[:5]
    raise RunLookupError(f'no run "{text}" in {root}; runs there include: {", ".join(newest)}', hint=_LIST_HINT)


def run_adapters(run_dir: Path) -> list[Checkpoint]:
    """What of a run can be exported or chatted with: its complete checkpoints that hold a whole
    adapter (oldest first), then the final adapter when it is whole. The Runs, Export and Chat
    panes, `medtui export` and `medtui chat --adapter` all offer exactly these."""
    run_dir = Path(run_dir)
    found = [Checkpoint(path.name, step, path) for step, path in ev.complete_checkpoints(run_dir)
             if ev.adapter_ready(path)]
    final = run_dir / ev.ADAPTER_DIR
    if ev.adapter_ready(final):
        found.append(Checkpoint(ev.ADAPTER_DIR, None, final))
    return found


def remote_code_allowed(cfg, run_asks: bool, run_name: str) -> tuple[bool, str | None]:
    """Whether work on a run folder (export, resume) may run its model's own code, and a warning
    when the run asks for it but the user's config does not allow it.

    A run folder may come from anyone (copied, downloaded, sent); its config.toml never overrides
    the user's own: `trust_remote_code` holds only when both say true."""
    user = bool(cfg.model.trust_remote_code)
    if run_asks and not user:
        origin = cfg.source.name if getattr(cfg, "source", None) else "your config"
        return False, (f"run {run_name} asks for [model] trust_remote_code = true, but {origin} does not allow it: "
                       "the model's own code is not run (set it to true in your config only if you trust that model)")
    return bool(run_asks) and user, None


# ---------------------------------------------------------------------------------------------
# Reading one run


@dataclass
class _Tail:
    """What has been read of one run folder so far."""

    offset: int = 0
    lines: int = 0  # whole lines read from the event log
    events: list[dict[str, Any]] = field(default_factory=list)
    event_problems: list[str] = field(default_factory=list)
    size: int = -1
    config_key: tuple[int, int] | None = None
    config: dict[str, Any] | None = None
    config_problem: str | None = None
    data_key: tuple[int, int] | None = None
    data: dict[str, Any] | None = None
    data_problem: str | None = None
    summary_key: tuple | None = None
    summary: "RunSummary | None" = None

    @property
    def problems(self) -> list[str]:
        """Why the run folder is corrupt: files medtui wrote that no longer read as it wrote them."""
        found = [p for p in (self.config_problem, self.data_problem) if p]
        return found + self.event_problems


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _update_tail(run_dir: Path, tail: _Tail) -> None:
    """Read what was appended since the last call, and the small files when they changed."""
    size = _stat_key(run_dir / ev.EVENTS_FILE)
    size = size[1] if size else 0
    if size < tail.offset:  # the log was replaced: start over rather than misread it
        tail.offset, tail.lines, tail.events, tail.event_problems = 0, 0, [], []
    if size != tail.size:
        unreadable = _not_a_file(run_dir / ev.EVENTS_FILE)
        try:
            if unreadable:
                raise OSError(0, unreadable)
            with open(run_dir / ev.EVENTS_FILE, "rb") as handle:
                handle.seek(tail.offset)
                data = handle.read()
        except FileNotFoundError:
            data = b""
        except OSError as exc:
            data = b""
            tail.event_problems = [f"{ev.EVENTS_FILE}: cannot be read ({exc.strerror})"]
        new, consumed, lines, problems = ev.parse_events(data, tail.lines + 1)
        tail.events.extend(new)
        tail.event_problems.extend(problems)
        tail.offset += consumed
        tail.lines += lines
        tail.size = size
    key = _stat_key(run_dir / ev.CONFIG_FILE)
    if key != tail.config_key:
        tail.config_key = key
        tail.config, tail.config_problem = _read_config(run_dir)
    key = _stat_key(run_dir / ev.DATA_FILE)
    if key != tail.data_key:
        tail.data_key = key
        tail.data, tail.data_problem = _read_data(run_dir / ev.DATA_FILE)


def config_problems(raw: Any, origin: str) -> list[str]:
    """What is wrong with a run's stored config by the config schema (keys a later or earlier
    medtui does not know are left alone: the run was written with the keys of its day)."""
    from medtui.config import SCHEMA, validate

    if not isinstance(raw, dict):
        return [f"{origin}: not a table of sections"]
    known = {section: ({k: v for k, v in content.items() if k in SCHEMA[section]} if isinstance(content, dict) else content)
             for section, content in raw.items() if section in SCHEMA}
    return validate(known, origin)[1]


def _not_a_file(path: Path) -> str | None:
    """Why a run's own file cannot be read (a FIFO would hang the listing); None when it can, or is
    simply missing (each reader words that case itself)."""
    from medtui.files import NO_SUCH_FILE, file_problem

    problem = file_problem(path)
    return None if problem in (None, NO_SUCH_FILE) else problem


def _read_config(run_dir: Path) -> tuple[dict[str, Any] | None, str | None]:
    path = run_dir / ev.CONFIG_FILE
    unreadable = _not_a_file(path)
    if unreadable:
        return None, f"{path}: {unreadable}"
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"{path}: missing"
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return None, f"{path}: not valid TOML ({exc})"
    except OSError as exc:
        return None, f"{path}: cannot be read ({exc.strerror})"
    problems = config_problems(config, str(path))
    if problems:
        return None, "; ".join(problems)
    return config, None


def _read_data(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """data.json, the run's data summary (None and no problem when it is not there)."""
    unreadable = _not_a_file(path)
    if unreadable:
        return None, f"{path}: {unreadable}"
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"{path}: cannot be read ({exc.strerror})"
    except (ValueError, RecursionError):
        return None, f"{path}: not valid JSON"
    if not isinstance(value, dict):
        return None, f"{path}: not a JSON object"
    counts, files, sha = value.get("counts"), value.get("train_files"), value.get("sha256")
    if counts is not None and not (isinstance(counts, dict) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in counts.values())):
        return None, f"{path}: counts is not an object of numbers"
    if files is not None and not (isinstance(files, str) or (
            isinstance(files, list) and all(isinstance(f, str) for f in files))):
        return None, f"{path}: train_files is neither a file nor a list of files"
    for name in ("sha256", "eval_file"):
        if value.get(name) is not None and not isinstance(value.get(name), str):
            return None, f"{path}: {name} is not text"
    return value, None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _model_label(started: dict[str, Any] | None, config: dict[str, Any] | None) -> str:
    model = started.get("model") if started else None
    if isinstance(model, dict):
        model = model.get("name") or model.get("id") or model.get("path")
    if not model and config:
        model = (config.get("model") or {}).get("name")
    if not model:
        return EMBEDDED_LABEL if (started or config) else "?"
    return str(model)


def _config_of(tail: _Tail, started: dict[str, Any] | None) -> dict[str, Any] | None:
    if tail.config is not None:
        return tail.config
    config = started.get("config") if started else None
    if not isinstance(config, dict) or config_problems(config, ev.EVENTS_FILE):
        return None
    return config


def _segments(events: list[dict[str, Any]], running: bool, now: float) -> float | None:
    """Seconds the run actually trained: each start or resume to the end of that stretch."""
    total, begin, last_time = 0.0, None, None
    for e in events:
        t = _number(e.get("time"))
        if t is None:
            continue
        kind = e["event"]
        if kind in ("started", "resumed"):
            if begin is not None and last_time is not None:
                total += last_time - begin  # the previous stretch died without a terminal event
            begin = t
        elif kind in ev.TERMINAL_EVENTS and begin is not None:
            total += t - begin
            begin = None
        last_time = t
    if begin is not None:
        end = now if running else last_time
        total += max(0.0, (end or begin) - begin)
    return total if last_time is not None else None


def summarize(run_dir: Path, events: list[dict[str, Any]], status: str, config: dict[str, Any] | None = None,
              data: dict[str, Any] | None = None, now: float | None = None) -> RunSummary:
    """A run's summary from its events and folder (pure but for listing the checkpoint folders)."""
    now = time.time() if now is None else now
    started = next((e for e in events if e["event"] == "started"), None)
    config = config if config is not None else (started.get("config") if started and isinstance(started.get("config"), dict) else None)
    current = ev.timeline(events)  # steps a resume redid replace the ones it superseded
    steps = [e for e in current if e["event"] == "step" and isinstance(e.get("step"), int)]
    evals = [(e.get("step"), _number(e.get("eval_loss"))) for e in current if e["event"] == "eval"]
    evals = [(s, loss) for s, loss in evals if loss is not None]
    terminal = next((e for e in reversed(events) if e["event"] in ev.TERMINAL_EVENTS), None)

    summary = RunSummary(run_id=run_dir.name, run_dir=run_dir, status=status, model=_model_label(started, config))
    # data.json names the files as the worker resolved them; the config may hold relative paths.
    train_files = (data or {}).get("train_files") or ((config or {}).get("data") or {}).get("train_files")
    summary.data_files = [train_files] if isinstance(train_files, str) else list(train_files or [])
    counts = (data or {}).get("counts") or (started or {}).get("counts") or {}
    summary.data_counts = counts if isinstance(counts, dict) else {}
    summary.data_sha256 = (data or {}).get("sha256")

    if steps:
        last = steps[-1]
        summary.step = max(e["step"] for e in steps)
        summary.total_steps = last.get("total") if isinstance(last.get("total"), int) else None
        summary.epoch = _number(last.get("epoch"))
        summary.last_loss = next((_number(e.get("loss")) for e in reversed(steps) if _number(e.get("loss")) is not None), None)
    if summary.total_steps is None and started and isinstance(started.get("total"), int) and started["total"] > 0:
        summary.total_steps = started["total"]
    if summary.total_steps is None:
        max_steps = ((config or {}).get("train") or {}).get("max_steps")
        summary.total_steps = max_steps if isinstance(max_steps, int) and max_steps > 0 else None
    if evals:
        best_step, best = min(evals, key=lambda p: p[1])
        summary.best_eval_loss, summary.best_eval_step = best, best_step if isinstance(best_step, int) else None
        summary.last_eval_loss = evals[-1][1]
    times = [t for t in (_number(e.get("time")) for e in events) if t is not None]
    if times:
        summary.started_at = times[0]
        if status not in BUSY_STATUSES:
            summary.ended_at = _number(terminal.get("time")) if terminal and status == terminal["event"] else times[-1]
    summary.duration_s = _segments(events, status == "running", now)
    if terminal and status == terminal["event"]:
        message = terminal.get("message")
        summary.message = str(message) if message else None
    summary.early_stopped = any(e["event"] == "early_stop" for e in events)
    summary.resumes = sum(1 for e in events if e["event"] == "resumed")

    eval_at = {s: loss for s, loss in evals if isinstance(s, int)}
    for found in run_adapters(run_dir):
        if found.step is None:  # the final adapter
            found.step = summary.step or None
            summary.adapter = found
        else:
            found.eval_loss = eval_at.get(found.step)
            summary.checkpoints.append(found)
    return summary


class RunIndex:
    """The runs under one folder, kept current cheaply.

    Each refresh rereads only the bytes appended to each `events.jsonl` since the previous one and
    rereads `config.toml`/`data.json` only when their mtime or size changed, so the Runs pane can
    refresh every couple of seconds while a run is writing a line per step.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self._tails: dict[Path, _Tail] = {}

    def tail(self, run_dir: Path) -> _Tail:
        run_dir = Path(run_dir)
        tail = self._tails.setdefault(run_dir, _Tail())
        _update_tail(run_dir, tail)
        return tail

    def summary(self, run_dir: Path, now: float | None = None) -> RunSummary:
        run_dir = Path(run_dir)
        tail = self.tail(run_dir)
        state = ev.run_state(run_dir, tail.events)
        # An ended run's summary only changes with a new event, a config edit or a folder added or
        # removed (a checkpoint, the adapter), so long logs are not re-summarized every refresh.
        key = (tail.lines, len(tail.events), state.status, tail.config_key, tail.data_key, _stat_key(run_dir))
        if tail.summary is not None and key == tail.summary_key and state.status not in BUSY_STATUSES:
            return tail.summary
        started = next((e for e in tail.events if e["event"] == "started"), None)
        try:
            summary = summarize(run_dir, tail.events, state.status, _config_of(tail, started), tail.data, now)
            problems = tail.problems
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # pragma: no cover - a shape not checked above
            summary = RunSummary(run_id=run_dir.name, run_dir=run_dir, status=state.status, model="?")
            problems = [*tail.problems, f"{run_dir}: cannot be summarized ({type(exc).__name__}: {exc})"]
        if problems:
            # The real state stays in `state` (a running corrupt run still cannot be deleted).
            summary.status, summary.message, summary.problems = CORRUPT, "; ".join(problems), problems
        tail.summary = summary
        tail.summary_key = key
        return tail.summary

    def refresh(self, now: float | None = None) -> list[RunSummary]:
        """Every run, newest first."""
        dirs = run_dirs(self.root)
        for gone in set(self._tails) - set(dirs):
            del self._tails[gone]
        summaries = [self.summary(d, now) for d in dirs]
        return sorted(summaries, key=_newest_first_key)

    def details(self, run_dir: Path, now: float | None = None) -> RunDetails:
        run_dir = Path(run_dir)
        summary = self.summary(run_dir, now)
        tail = self._tails[run_dir]
        return _details(summary, tail)


def _newest_first_key(summary: RunSummary) -> tuple[float, str]:
    when = summary.started_at
    if when is None:
        key = _stat_key(summary.run_dir / ev.CONFIG_FILE) or _stat_key(summary.run_dir)
        when = key[0] / 1e9 if key else 0.0
    return (-when, summary.run_id)


def _details(summary: RunSummary, tail: _Tail) -> RunDetails:
    events = ev.timeline(tail.events)
    steps = [e for e in events if e["event"] == "step" and isinstance(e.get("step"), int)]
    loss_curve = _curve(steps, "loss")
    eval_curve = _curve([e for e in events if e["event"] == "eval" and isinstance(e.get("step"), int)], "eval_loss")
    lr_curve = _curve(steps, "learning_rate")
    throughput = [v for v in (_number(e.get("tokens_per_s")) for e in steps) if v is not None]
    memory = [v for v in (_number(e.get("memory_mb")) for e in steps) if v is not None]
    incomplete = sorted(
        p.name for p in summary.run_dir.glob("checkpoint-*")
        if p.is_dir() and not (p / ev.COMPLETE_MARKER).exists()
    )
    started = next((e for e in events if e["event"] == "started"), None)
    config = _config_of(tail, started) or {}
    return RunDetails(
        summary=summary,
        config={k: dict(v) for k, v in config.items() if isinstance(v, dict)},
        loss_curve=loss_curve,
        eval_curve=eval_curve,
        learning_rate_curve=lr_curve,
        tokens_per_s=sum(throughput) / len(throughput) if throughput else None,
        peak_memory_mb=max(memory) if memory else None,
        incomplete_checkpoints=incomplete,
        log_file=summary.run_dir / ev.LOG_FILE,
        config_problem=tail.config_problem if tail.config is None else None,
    )


def _curve(records: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    """(step, value) points; a step logged twice (a resume that redid it) keeps its latest value."""
    points: dict[int, float] = {}
    for e in records:
        value = _number(e.get(key))
        if value is not None:
            points[e["step"]] = value
    return sorted(points.items())


def list_runs(root: Path) -> list[RunSummary]:
    return RunIndex(root).refresh()


def run_details(run_dir: Path) -> RunDetails:
    return RunIndex(Path(run_dir).parent).details(run_dir)


def data_label(summary: RunSummary, with_counts: bool = True) -> str:
    """The data a run trained on, in a few words: first file, how many more, record counts."""
    files = summary.data_files
    label = Path(files[0]).name if files else "?"
    if len(files) > 1:
        label += f" +{len(files) - 1}"
    if not with_counts:
        return label
    counts = counts_label(summary.data_counts)
    return f"{label} ({counts})" if counts else label


def counts_label(counts: dict[str, Any]) -> str:
    """Record counts in a few words: the usable train/eval records and how many were excluded."""
    if "train_usable" in counts or "eval_usable" in counts:
        parts = [f"train {counts.get('train_usable', '?')}", f"eval {counts.get('eval_usable', '?')}"]
        if counts.get("excluded"):
            parts.append(f"{counts['excluded']} excluded")
        return ", ".join(parts)
    return ", ".join(f"{k} {v}" for k, v in counts.items() if isinstance(v, (int, float)))


# ---------------------------------------------------------------------------------------------
# Comparing


def flatten_config(config: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {f"{section}.{key}": value for section, keys in config.items() for key, value in keys.items()}


def compare_runs(a_dir: Path, b_dir: Path) -> Comparison:
    a, b = run_details(a_dir), run_details(b_dir)
    return compare_details(a, b)


def compare_details(a: RunDetails, b: RunDetails) -> Comparison:
    flat_a, flat_b = flatten_config(a.config), flatten_config(b.config)
    keys = list(flat_a) + [k for k in flat_b if k not in flat_a]
    diff = [(k, flat_a.get(k), flat_b.get(k)) for k in keys if flat_a.get(k) != flat_b.get(k)]
    metrics = [(label, va, vb) for (label, va), (_, vb) in zip(a.metrics, b.metrics)]
    return Comparison(a, b, diff, metrics)


# ---------------------------------------------------------------------------------------------
# Deleting


def folder_bytes(path: Path) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def _busy_message(run_dir: Path, status: str) -> str:
    if status == "pending":
        return (f"run {run_dir.name} is starting (its worker has not begun yet); "
                f"wait for it, or stop it with `medtui train stop {run_dir.name}`")
    pid = ev.worker_pid(run_dir)
    who = f" (worker pid {pid})" if pid else ""
    return f"run {run_dir.name} is running{who}; stop it first with `medtui train stop {run_dir.name}`"


def check_deletable(run_dir: Path) -> None:
    """Raise RunBusyError when a worker is using the run (or about to)."""
    status = ev.run_state(Path(run_dir)).status
    if status in BUSY_STATUSES:
        raise RunBusyError(_busy_message(Path(run_dir), status))


def delete_run(run_dir: Path, root: Path | None = None) -> int:
    """Delete a run that no worker is using; returns the bytes freed.

    Only a run folder medtui wrote is ever deleted: one with an event log, or (a run whose worker
    never started) one listed in the runs folder `root`; anything else is refused.
    A run reached through a symbolic link loses the link, never the folder it points to. Atomic
    from a reader's point of view: the folder is renamed to a hidden trash name first (one rename,
    so the run is either listed whole or gone), then removed. The worker lock is held across the
    rename, so a resume cannot start in a folder that is being deleted.
    """
    run_dir = Path(run_dir)
    listed = root is not None and run_dir.parent == Path(root) and is_run_dir(run_dir)
    if not (listed or ev.has_event_log(run_dir)):
        raise RunLookupError(f"{run_dir} is not a run folder medtui wrote (it holds no {ev.EVENTS_FILE}); "
                             "nothing was deleted", hint=_LIST_HINT)
    check_deletable(run_dir)
    if run_dir.is_symlink():
        with _held_lock(run_dir):
            os.unlink(run_dir)
        return 0
    with _held_lock(run_dir):
        size = folder_bytes(run_dir)
        trash = run_dir.parent / f"{TRASH_PREFIX}{run_dir.name}-{uuid.uuid4().hex[:8]}"
        os.rename(run_dir, trash)
    _remove_trash(trash)
    purge_trash(run_dir.parent)
    return size


def _remove_trash(trash: Path) -> None:
    """Remove a renamed run folder, its event log (or config) last: a removal cut short still
    leaves the file that lets `purge_trash` recognise the folder as a run and finish the job."""
    last = [trash / ev.EVENTS_FILE, trash / ev.CONFIG_FILE]
    for entry in os.scandir(trash):
        path = Path(entry.path)
        if path in last:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for path in last:
        path.unlink(missing_ok=True)
    os.rmdir(trash)


@contextlib.contextmanager
def _held_lock(run_dir: Path):
    """The run's worker lock, held while the run is being removed (a folder with no lock file has
    never had a worker: nothing to hold, and nothing is created in it)."""
    path = run_dir / ev.LOCK_FILE
    if not path.is_file():
        yield
        return
    with open(path, "a+") as lock:
        if not _lock_exclusive(lock):
            raise RunBusyError(_busy_message(run_dir, "running"))
        yield


def _lock_exclusive(handle, wait: float = 1.0) -> bool:
    """Take the worker lock; readers probe it (shared) for an instant, so retry briefly."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


_TRASH_NAME = re.compile(re.escape(TRASH_PREFIX) + r"(?P<run>.+)-[0-9a-f]{8}\Z")


def purge_trash(root: Path) -> None:
    """Finish deletions that were interrupted after their rename: only entries named as
    `delete_run` names them that still hold a run's event log or config (kept to the last by
    `_remove_trash`), or are a link left by one."""
    for path in Path(root).glob(f"{TRASH_PREFIX}*"):
        if not _TRASH_NAME.match(path.name):
            continue
        if path.is_symlink():
            path.unlink(missing_ok=True)
        elif path.is_dir() and ((path / ev.EVENTS_FILE).is_file() or (path / ev.CONFIG_FILE).is_file()):
            try:
                _remove_trash(path)
            except OSError:
                pass  # tried again at the next deletion


# ---------------------------------------------------------------------------------------------
# Small presentation helpers shared by the CLI and the Runs pane


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_loss(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_steps(summary: RunSummary) -> str:
    return f"{summary.step}/{summary.total_steps}" if summary.total_steps else str(summary.step)


def format_metric(name: str, value: Any) -> str:
    """One cell of a run comparison (the names come from `Comparison.metrics`)."""
    if value is None:
        return "-"
    if name == "steps":
        done, total = value
        return f"{done}/{total}" if total else str(done)
    if "loss" in name:
        return format_loss(value)
    if name == "duration":
        return format_duration(value)
    if isinstance(value, float):
        return f"{value:.2f}" if name == "epoch" else f"{value:.0f}"
    return str(value)


def format_config_value(value: Any) -> str:
    """A config value as it would be written in TOML (strings quoted, booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (str, list, dict)) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover


def elide_middle(text: str, width: int) -> str:
    """`text` in at most `width` characters, the middle replaced by "…": a path keeps its folder
    root and file name, a run id its date and model slug (cutting the end would lose both)."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width == 1:
        return "…"
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


SPARK_CHARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 40) -> str:
    """A one-line chart: each character the mean of its share of the values, scaled min..max."""
    if not values:
        return ""
    if len(values) > width:
        buckets = [values[i * len(values) // width:(i + 1) * len(values) // width] for i in range(width)]
        values = [sum(b) / len(b) for b in buckets if b]
    low, high = min(values), max(values)
    span = high - low
    if span == 0:
        return SPARK_CHARS[len(SPARK_CHARS) // 2] * len(values)
    return "".join(SPARK_CHARS[min(len(SPARK_CHARS) - 1, int((v - low) / span * len(SPARK_CHARS)))] for v in values)
