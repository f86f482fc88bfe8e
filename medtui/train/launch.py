"""Starting, resuming and stopping training runs: the run folder and the detached worker process.

Everything a user can get wrong (a config that does not hang together, a data file with no usable
record, a run that is already going) is checked here, before a process is spawned or a model
loads, so it fails in a second with the key or file named. The worker itself runs in its own
session with its output in the run folder: closing the terminal or the TUI does not touch it.
"""

from __future__ import annotations
from medtui.errors import MedtuiError, UsageError

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from medtui.config import Config, ConfigError, load_config
from medtui.runs import runs_root
from medtui.train.events import (
    CONFIG_FILE,
    DATA_FILE,
    DATASET_DIR,
    EVAL_DATA_FILE,
    TRAIN_DATA_FILE,
    LOG_FILE,
    PID_FILE,
    TERMINAL_EVENTS,
    complete_checkpoints,
    read_events,
    restore_set_aside,
    run_state,
    worker_alive,
    worker_pid,
    worker_record,
)

# How long a launch waits for the worker to take its lock before calling the start a failure.
LOCK_WAIT_S = 120.0
# The worker's module: its command line names it, then the run folder.
WORKER_MODULE = "medtui.train.worker"


class LaunchError(MedtuiError):
    """A run that cannot be started, resumed or stopped; the message says why and what to do."""


# --------------------------------------------------------------------------- config checks

def training_problems(cfg: Config) -> list[str]:
    """Problems that the schema cannot see because they involve several keys or the machine."""
    origin = cfg.source.name if cfg.source else "config"
    t = cfg.train
    problems = []
    if t.early_stopping_patience > 0:
        has_eval = bool(cfg.data.eval_file) or cfg.data.eval_split > 0
        if not has_eval:
            problems.append(
                f"{origin}: [train] early_stopping_patience = {t.early_stopping_patience} needs an eval set: "
                "set [data] eval_file or eval_split > 0, or set early_stopping_patience = 0"
            )
        if t.save_steps % t.eval_steps:
            problems.append(
                f"{origin}: [train] save_steps ({t.save_steps}) must be a multiple of eval_steps ({t.eval_steps}) "
                "when early_stopping_patience > 0, so the best evaluated step has a checkpoint to return to"
            )
    if t.padding_free and t.per_device_train_batch_size == 1 and not t.packing:
        problems.append(
            f"{origin}: [train] padding_free needs per_device_train_batch_size >= 2 (with one record per batch "
            "there is no padding to remove)"
        )
    if t.device == "cuda" or t.num_processes > 1:
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if t.device == "cuda" and gpus == 0:
            problems.append(f'{origin}: [train] device = "cuda" but no CUDA GPU is visible; use "auto" or "cpu"')
        if t.num_processes > 1 and gpus and t.device != "cpu" and t.num_processes > gpus:
            problems.append(
                f"{origin}: [train] num_processes = {t.num_processes} but only {gpus} GPU(s) are visible "
                "(one process per GPU)"
            )
    return problems


def check_config(cfg: Config) -> None:
    problems = training_problems(cfg)
    if problems:
        raise ConfigError(problems)


def resolved_config(cfg: Config) -> Config:
    """The config with every local path made absolute, so the copy in the run folder means the
    same thing wherever it is read from."""
    from medtui.data.loaders import is_hub_id

    values = cfg.as_dict()

    def local(value: str) -> str:
        return str(cfg.path(value).resolve()) if value else value

    files = cfg.train_files
    resolved = [f if is_hub_id(f, cfg.root) else local(f) for f in files]
    values["data"]["train_files"] = resolved if isinstance(cfg.data.train_files, list) else resolved[0]
    eval_file = cfg.data.eval_file
    if eval_file and not is_hub_id(eval_file, cfg.root):
        values["data"]["eval_file"] = local(eval_file)
    values["train"]["output_dir"] = local(cfg.train.output_dir)
    values["export"]["out_dir"] = local(cfg.export.out_dir)
    if cfg.model.cache_dir:
        values["model"]["cache_dir"] = local(cfg.model.cache_dir)
    name = cfg.model.name
    if name and cfg.path(name).is_dir():
        values["model"]["name"] = local(name)
    return Config(values, source=None, root=cfg.root)


# --------------------------------------------------------------------------- run folders

def model_slug(name: str) -> str:
    from medtui.models import EMBEDDED_NAME

    base = Path(name.rstrip("/")).name if name else EMBEDDED_NAME
    slug = re.sub(r"[^a-z0-9.]+", "-", base.lower()).strip("-.")
    return slug[:48] or "model"


def new_run_id(model_name: str, now: datetime | None = None) -> str:
    return f"{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}-{model_slug(model_name)}"


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _prepare_data(cfg: Config):
    """Validate the data and return it: first without a tokenizer, so a missing file or a file
    with no usable record fails before the model is even looked for, then with the model's own
    tokenizer for the length check (a tokenizer, never the weights)."""
    from medtui.data import DataError, prepare_training_data
    from medtui.models import load_tokenizer, resolve_model

    try:
        prepare_training_data(cfg, None)
    except DataError as exc:
        raise LaunchError(str(exc)) from None
    _import_transformers()
    model_path = resolve_model(cfg.model.name, cfg.model.cache_dir)
    tokenizer = load_tokenizer(model_path, trust_remote_code=cfg.model.trust_remote_code)
    from medtui.train.lora import check_targets

    check_targets(cfg, model_path)
    try:
        prepared = prepare_training_data(cfg, tokenizer)
    except DataError as exc:
        raise LaunchError(str(exc)) from None
    if not prepared.train:
        files = ", ".join(cfg.train_files)
        raise LaunchError(f"[data] train_files: no usable record in {files}; run `medtui data validate FILE` to see why")
    return prepared


def _import_transformers(attempts: int = 5) -> None:
    """Import transformers, waiting out another thread that is importing it at the same moment.

    In the TUI the Data pane loads a tokenizer in its own thread; transformers' lazy module then
    answers a second thread's `from transformers import AutoTokenizer` with an ImportError until the
    first import has finished."""
    for attempt in range(attempts):
        try:
            from transformers import AutoTokenizer  # noqa: F401

            return
        except ImportError:
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)


def create_run(cfg: Config) -> Path:
    """Check everything, then write the run folder in one piece: resolved config, data snapshot
    (hash, counts and the exact conversations the worker will train on)."""
    check_config(cfg)
    prepared = _prepare_data(cfg)
    resolved = resolved_config(cfg)
    root = runs_root(cfg)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".new-run-", dir=root))
    try:
        (tmp / CONFIG_FILE).write_text(resolved.to_toml(), encoding="utf-8")
        data_info = {
            "sha256": prepared.sha256,
            "counts": prepared.counts,
            "train_files": resolved.train_files,
            "eval_file": resolved.data.eval_file,
            "notes": prepared.notes,
        }
        (tmp / DATA_FILE).write_text(json.dumps(data_info, indent=2), encoding="utf-8")
        snapshot = tmp / DATASET_DIR
        snapshot.mkdir()
        for name, conversations in ((TRAIN_DATA_FILE, prepared.train), (EVAL_DATA_FILE, prepared.eval)):
            with open(snapshot / name, "w", encoding="utf-8") as handle:
                for conversation in conversations:
                    handle.write(json.dumps({"messages": conversation}, ensure_ascii=False) + "\n")
        # A run id is a timestamp; two starts in the same second get a numbered suffix.
        base = new_run_id(cfg.model.name)
        for attempt in range(1, 100):
            run_dir = root / (base if attempt == 1 else f"{base}-{attempt}")
            if run_dir.exists():
                continue
            try:
                os.rename(tmp, run_dir)
                return run_dir
            except OSError:
                if not run_dir.exists():
                    raise
        raise LaunchError(f"could not find a free run id under {root}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- processes

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_command(run_dir: Path, num_processes: int, resume_from: int | None = None,
                   trust_remote_code: bool = False) -> list[str]:
    worker_args = [str(run_dir)]
    if resume_from is not None:
        worker_args += ["--resume-from", str(resume_from)]
    if trust_remote_code:  # the worker runs a model's own code only when the launcher says so
        worker_args.append("--trust-remote-code")
    if num_processes <= 1:
        return [sys.executable, "-m", WORKER_MODULE, *worker_args]
    # The same launcher multi-GPU users get; on a machine without GPUs the worker trains with
    # use_cpu=True and torch.distributed runs over gloo (see shared notes: `--cpu` starts one process).
    return [
        sys.executable, "-m", "accelerate.commands.launch",
        "--multi_gpu", "--num_processes", str(num_processes), "--num_machines", "1",
        "--main_process_port", str(_free_port()), "--mixed_precision", "no", "--dynamo_backend", "no",
        "-m", WORKER_MODULE, *worker_args,
    ]


def _worker_env() -> dict[str, str]:
    package_parent = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        "PYTHONPATH": package_parent + (os.pathsep + path if path else ""),
        "PYTHONUNBUFFERED": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }


def spawn_worker(run_dir: Path, num_processes: int, resume_from: int | None = None, detach: bool = True,
                 trust_remote_code: bool = False) -> subprocess.Popen:
    """Start the worker in its own session (it outlives the terminal and the TUI), output to
    worker.log, and wait until it holds the run's lock so the caller sees it as running."""
    log = open(run_dir / LOG_FILE, "ab")
    try:
        process = subprocess.Popen(
            worker_command(run_dir, num_processes, resume_from, trust_remote_code),
            cwd=run_dir, env=_worker_env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
    deadline = time.monotonic() + LOCK_WAIT_S
    while not worker_alive(run_dir):
        code = process.poll()
        if code is not None:
            if code == 0 and any(e["event"] in TERMINAL_EVENTS for e in read_events(run_dir)):
                break  # finished before we looked
            raise LaunchError(f"the training worker exited at once (code {code}); its log says:\n{log_tail(run_dir)}")
        if time.monotonic() > deadline:
            break  # still starting (slow imports); the run shows as pending meanwhile
        time.sleep(0.1)
    if not detach:
        process.wait()
    return process


def log_tail(run_dir: Path, lines: int = 15) -> str:
    try:
        text = (run_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no worker.log)"
    return "\n".join(text.rstrip().splitlines()[-lines:])


def start_run(cfg: Config, detach: bool = True, num_processes: int | None = None) -> Path:
    """Create a run folder and start its worker. Returns the run folder.

    With detach=False this returns when the worker has exited."""
    if num_processes is not None and num_processes != cfg.train.num_processes:
        cfg = cfg.with_overrides([f"train.num_processes={num_processes}"])
    run_dir = create_run(cfg)
    spawn_worker(run_dir, cfg.train.num_processes, detach=detach, trust_remote_code=cfg.model.trust_remote_code)
    return run_dir


class LaterCheckpointsError(UsageError):
    """A resume from an earlier checkpoint that needs the user's go-ahead (later ones exist)."""


@dataclass
class ResumePlan:
    run_dir: Path
    checkpoint: int  # the step resumed from
    later: list[int]  # complete checkpoints after it: set aside, then dropped once the run saves again
    num_processes: int
    trust_remote_code: bool  # the run's config and the user's both allow it
    warnings: list[str] = field(default_factory=list)

    def later_question(self) -> str:
        """What to ask (or refuse with) before setting the later checkpoints aside."""
        names = ", ".join(f"checkpoint-{s}" for s in self.later)
        return (f"run {self.run_dir.name} has later checkpoints ({names}); resuming from step {self.checkpoint} "
                "sets them aside and deletes them once the resumed run saves its first checkpoint")


def plan_resume(run_dir: Path, cfg: Config, checkpoint: int | None = None) -> ResumePlan:
    """Everything a resume checks before any process starts. `cfg` is the user's config: the run
    folder's own config.toml decides the training, but never allows model code the user does not."""
    from medtui.runs import remote_code_allowed

    run_dir = Path(run_dir)
    state = run_state(run_dir)
    if state.status == "running":
        pid = worker_pid(run_dir)
        raise LaunchError(f"run {run_dir.name} is already running (worker pid {pid}); stop it first or attach to it")
    if state.status == "finished":
        raise LaunchError(f"run {run_dir.name} has finished; start a new run to train further")
    restore_set_aside(run_dir)  # left by an earlier resume that was killed before it saved
    complete = complete_checkpoints(run_dir)
    if not complete:
        raise LaunchError(f"run {run_dir.name} has no complete checkpoint to resume from")
    steps = [step for step, _ in complete]
    if checkpoint is None:
        checkpoint = steps[-1]
    elif checkpoint not in steps:
        note = f" (checkpoint-{checkpoint} was never completed)" if (run_dir / f"checkpoint-{checkpoint}").is_dir() else ""
        raise LaunchError(
            f"run {run_dir.name} has no complete checkpoint at step {checkpoint}{note}; "
            f"complete checkpoints: {', '.join(map(str, steps))}"
        )
    try:
        run_cfg = load_config(run_dir / CONFIG_FILE)
    except ConfigError as exc:
        raise LaunchError(f"{run_dir / CONFIG_FILE} cannot be used: " + "; ".join(exc.problems)) from None
    trust, warning = remote_code_allowed(cfg, run_cfg.model.trust_remote_code, run_dir.name)
    return ResumePlan(run_dir, checkpoint, [s for s in steps if s > checkpoint], run_cfg.train.num_processes,
                      trust, [warning] if warning else [])


def resume_run(run_dir: Path, cfg: Config, checkpoint: int | None = None, detach: bool = True,
               set_aside_later: bool = False) -> ResumePlan:
    """Continue a stopped, failed or died run from a complete checkpoint (the latest by default).

    Resuming from an earlier checkpoint while later ones exist needs `set_aside_later=True` (the
    user agreed): the worker moves them aside inside the run folder and deletes them only once the
    resumed run has saved; a resume that ends before that puts them back."""
    plan = plan_resume(run_dir, cfg, checkpoint)
    if plan.later and not set_aside_later:
        raise LaterCheckpointsError(plan.later_question(), hint="confirm on a terminal, or pass --yes")
    spawn_worker(plan.run_dir, plan.num_processes, resume_from=plan.checkpoint, detach=detach,
                 trust_remote_code=plan.trust_remote_code)
    return plan


def verified_worker_pid(run_dir: Path) -> int:
    """The pid of the run's worker, checked to be that worker: recorded on this machine, alive, and
    running `medtui.train.worker` on this run folder (its /proc/PID/cmdline). A pid from another
    machine, a pid the system has since given to another process, or another run's worker is
    refused with LaunchError, so `train stop` never signals a process it was not meant for."""
    run_dir = Path(run_dir)
    name = run_dir.name
    record = worker_record(run_dir)
    if record is None:
        raise LaunchError(f"run {name} records no worker process ({run_dir / PID_FILE} is missing or unreadable); "
                          "not signalling anything")
    pid, host, here = record["pid"], record["host"], socket.gethostname()
    if host is not None and host != here:
        raise LaunchError(f"run {name}'s worker (pid {pid}) runs on {host}, not on this machine ({here}); "
                          "not signalling a pid from another machine",
                          hint=f"stop it on {host}: `medtui train stop {name}`")
    args, cwd = _process_args(pid)
    if args is None:
        raise LaunchError(f"run {name}'s worker (pid {pid}) is no longer running; not signalling anything")
    shown = " ".join(args)[:120]
    if WORKER_MODULE not in args:
        raise LaunchError(f"pid {pid}, recorded as run {name}'s worker, is now another program ({shown}); "
                          "the system has reused the pid, so it is not signalled")
    target = run_dir.resolve()
    for arg in args[args.index(WORKER_MODULE) + 1:]:
        if arg.startswith("-"):
            continue
        candidate = Path(arg) if os.path.isabs(arg) or cwd is None else Path(cwd) / arg
        if candidate.resolve() == target:
            return pid
    raise LaunchError(f"pid {pid}, recorded as run {name}'s worker, is a medtui worker for another run "
                      f"({shown}); not signalling it")


def _process_args(pid: int) -> tuple[list[str] | None, str | None]:
    """A process's command line and working folder from /proc (None when it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None, None
    except OSError as exc:
        raise LaunchError(f"cannot read the command line of pid {pid} ({exc.strerror}); not signalling it") from None
    if not raw:  # a zombie: exited, not yet reaped
        return None, None
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        cwd = None
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a], cwd


def _signal_verified(run_dir: Path, signum: int) -> None:
    """Verify the worker, then signal exactly the process that was verified: a pidfd opened before
    the check still names that process if its pid is reused in between."""
    pid = worker_pid(run_dir)
    pidfd = None
    if pid is not None and hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            raise LaunchError(f"run {Path(run_dir).name}'s worker (pid {pid}) is no longer running") from None
        except OSError:
            pidfd = None  # an old kernel
    try:
        pid = verified_worker_pid(run_dir)
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, signum)
        else:
            os.kill(pid, signum)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def stop_run(run_dir: Path, timeout: float = 60) -> bool:
    """Ask the worker to save a checkpoint at its current step and exit; True once it has.

    Only a process verified to be this run's worker is signalled (see `verified_worker_pid`)."""
    run_dir = Path(run_dir)
    if not worker_alive(run_dir):
        return False
    try:
        _signal_verified(run_dir, signal.SIGTERM)
    except ProcessLookupError:
        return not worker_alive(run_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not worker_alive(run_dir):
            return True
        time.sleep(0.2)
    return False
