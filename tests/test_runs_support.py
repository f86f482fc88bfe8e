"""Run folders written the way the training worker writes them (the file contract of
medtui.train.events): config.toml, data.json, events.jsonl line by line, checkpoint folders marked
complete, the final adapter. Shared by test_runs.py and test_tui_runs.py; holds no tests itself."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from medtui.config import defaults, dump_toml
from medtui.train import events as ev

T0 = 1_735_725_600.0  # 2025-01-01 10:00:00 UTC: fixed times make durations deterministic
SLUG = "smollm2-135m-instruct"


def run_id(hhmmss: str, day: str = "20250101") -> str:
    """An id shaped like the worker's: start time, then the model's slug."""
    return f"{day}-{hhmmss}-{SLUG}"


def run_config(**overrides: dict) -> dict:
    values = defaults()
    values["model"]["max_length"] = 256
    values["data"]["train_files"] = ["data/medical_instruction.jsonl", "data/medical_chat.jsonl"]
    values["train"].update({"max_steps": 6, "save_steps": 3, "eval_steps": 3, "output_dir": "checkpoints"})
    for section, content in overrides.items():
        values[section].update(content)
    return values


def make_run(
    root: Path,
    run_id: str,
    *,
    end: str | None = "finished",  # finished | stopped | failed | None (no terminal event)
    steps: int = 6,
    total: int = 6,
    losses: list[float] | None = None,
    evals: dict[int, float] | None = None,
    checkpoints: tuple[int, ...] = (3, 6),
    incomplete: tuple[int, ...] = (),
    adapter: bool | None = None,
    start: float = T0,
    seconds_per_step: float = 10.0,
    message: str | None = None,  # a failed run's message
    config: dict | None = None,
    model: str = "SmolLM2-135M-Instruct (embedded)",
    counts: dict | None = None,
) -> Path:
    run_dir = Path(root) / run_id
    run_dir.mkdir(parents=True)
    config = config or run_config()
    (run_dir / ev.CONFIG_FILE).write_text(dump_toml(config))
    counts = counts or {"train_records": 120, "train_usable": 120, "eval_records": 20, "eval_usable": 20, "excluded": 0}
    (run_dir / ev.DATA_FILE).write_text(json.dumps({
        "sha256": "ab" * 32, "counts": counts,
        "train_files": config["data"]["train_files"], "eval_file": config["data"]["eval_file"],
    }))
    losses = losses or [round(3.3 - 0.1 * i, 4) for i in range(steps)]
    evals = {3: 2.9, 6: 2.7} if evals is None else evals
    lines = [{"event": "started", "time": start, "run": run_id, "model": model, "config": config, "counts": counts,
              "total": total, "num_processes": 1}]
    t = start
    for step in range(1, steps + 1):
        t += seconds_per_step
        lines.append({
            "event": "step", "time": t, "step": step, "total": total, "epoch": round(step * 4 / 120, 4),
            "loss": losses[step - 1], "learning_rate": 2e-4 * (1 - step / total), "grad_norm": 1.5,
            "tokens_per_s": 400.0 + step, "memory_mb": 900.0 + step, "elapsed": t - start,
            "eta": (total - step) * seconds_per_step,
        })
        if step in evals:
            lines.append({"event": "eval", "time": t, "step": step, "eval_loss": evals[step]})
        if step in checkpoints or step in incomplete:
            folder = run_dir / f"checkpoint-{step}"
            folder.mkdir()
            (folder / "adapter_config.json").write_text("{}")
            (folder / "adapter_model.safetensors").write_bytes(b"\0" * 1024)
            if step in checkpoints:
                (folder / ev.COMPLETE_MARKER).write_text(json.dumps({"step": step}))
                lines.append({"event": "checkpoint", "time": t, "step": step, "path": str(folder)})
    if end is not None:
        t += 1
        # The fields the worker writes with each terminal event (see medtui.train.events).
        fields = {
            "finished": {"step": steps, "loss": losses[steps - 1], "adapter": str(run_dir / ev.ADAPTER_DIR),
                         "best_step": min(evals, key=evals.get) if evals else None,
                         "best_eval_loss": min(evals.values()) if evals else None, "elapsed": t - start},
            "stopped": {"step": steps, "checkpoint": str(run_dir / f"checkpoint-{steps}") if steps in checkpoints else None},
            "failed": {"step": steps, "message": message or "the worker failed"},
        }[end]
        lines.append({"event": end, "time": t, **fields})
    if adapter if adapter is not None else end == "finished":
        (run_dir / ev.ADAPTER_DIR).mkdir()
        (run_dir / ev.ADAPTER_DIR / "adapter_config.json").write_text("{}")
        (run_dir / ev.ADAPTER_DIR / "adapter_model.safetensors").write_bytes(b"\0" * 1024)
    (run_dir / ev.LOCK_FILE).touch()
    with open(run_dir / ev.EVENTS_FILE, "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line) + "\n")
    return run_dir


def append_event(run_dir: Path, **record) -> None:
    with open(Path(run_dir) / ev.EVENTS_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


FINISHED, FAILED, STOPPED, DIED = run_id("100000"), run_id("110000"), run_id("120000"), run_id("130000")
RUNNING = run_id("140000")


def write_ended_runs_workspace(folder: Path) -> Path:
    """A config whose output_dir holds four ended runs: finished, failed, stopped, died."""
    (folder / "medtui.toml").write_text('[train]\noutput_dir = "checkpoints"\n')
    root = folder / "checkpoints"
    make_run(root, FINISHED)
    make_run(root, FAILED, end="failed", steps=4, checkpoints=(3,), start=T0 + 3600,
             message="CUDA out of memory while training step 4",
             config=run_config(train={"learning_rate": 5e-4}, lora={"r": 8}))
    make_run(root, STOPPED, end="stopped", steps=3, checkpoints=(3,), start=T0 + 7200, losses=[3.0, 2.6, 2.4])
    make_run(root, DIED, end=None, steps=2, checkpoints=(), incomplete=(2,), start=T0 + 9000)
    return folder


@contextlib.contextmanager
def running_run(workspace: Path):
    """The RUNNING run, two steps in, with its worker lock held (by this process) until the block ends."""
    run_dir = make_run(workspace / "checkpoints", RUNNING, end=None, steps=2, checkpoints=(), start=T0 + 12000)
    lock = ev.WorkerLock(run_dir)
    assert lock.acquire()
    try:
        yield run_dir
    finally:
        lock.release()
