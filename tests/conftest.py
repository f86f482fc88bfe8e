"""Shared fixtures. Heavy ones (a real training run, a real export) are built once per session
through the real CLI, exactly as a user would run them, and shared by the tests that need them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

# Tests never reach a hub: everything runs on the embedded default and the sample data.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m medtui ARGS` in a fresh interpreter and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "medtui", *args],
        cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def write_test_config(folder: Path, **sections: dict) -> Path:
    """A small, fast config for tests: a handful of steps on the sample data, outputs in `folder`."""
    from medtui.config import dump_toml

    values = {
        "model": {"max_length": 256},
        "data": {
            "train_files": [str(DATA / "medical_instruction.jsonl"), str(DATA / "medical_chat.jsonl")],
            "eval_file": str(DATA / "medical_eval.jsonl"),
        },
        "lora": {"r": 8, "lora_alpha": 16},
        "train": {
            "max_steps": 6, "save_steps": 3, "eval_steps": 3, "per_device_train_batch_size": 4,
            "learning_rate": 5e-4, "warmup_ratio": 0.0, "early_stopping_patience": 0,
            "output_dir": str(folder / "checkpoints"),
        },
        "export": {"out_dir": str(folder / "exports"), "fidelity_records": 6},
        "chat": {"max_new_tokens": 48, "temperature": 0.0},
    }
    for section, content in sections.items():
        values.setdefault(section, {}).update(content)
    path = folder / "medtui.toml"
    path.write_text(dump_toml(values))
    return path


@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The embedded SmolLM2-135M-Instruct as a normal model folder (materialized once)."""
    from medtui.models import materialize_embedded

    return materialize_embedded()


@pytest.fixture(scope="session")
def session_workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="session")
def session_config(session_workspace) -> Path:
    # The session run also logs to TensorBoard ([train] report_to; test_eval_models reads it back).
    return write_test_config(session_workspace, train={"report_to": ["tensorboard"]})


def wait_for_terminal_event(run_dir: Path, timeout: float = 2400) -> list[dict]:
    from medtui.train.events import TERMINAL_EVENTS, read_events, worker_alive

    deadline = time.time() + timeout
    while time.time() < deadline:
        events = read_events(run_dir)
        if any(e["event"] in TERMINAL_EVENTS for e in events) and not worker_alive(run_dir):
            return events
        time.sleep(0.5)
    raise TimeoutError(f"run {run_dir} did not end within {timeout} s")


@pytest.fixture(scope="session")
def trained_run(session_config) -> Path:
    """One real 6-step QLoRA run on the embedded default, started through the CLI."""
    done = run_cli("train", "start", "--config", str(session_config), "--detach", "--json")
    assert done.returncode == 0, done.stderr
    run_dir = Path(json.loads(done.stdout.strip().splitlines()[-1])["dir"])
    events = wait_for_terminal_event(run_dir)
    assert events[-1]["event"] == "finished", (run_dir / "worker.log").read_text()[-3000:]
    return run_dir


@pytest.fixture(scope="session")
def exported_run(session_config, trained_run) -> dict:
    """The trained run exported to Q4_K_M and Q8_0 GGUFs through the CLI; its --json result."""
    done = run_cli("export", trained_run.name, "--config", str(session_config),
                   "--quant", "Q4_K_M", "--quant", "Q8_0", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def family_model():
    """`family_model(name) -> Path`: the tiny random-weight model of a family (tests/families.py),
    built once and kept in medtui's cache for later sessions."""
    from families import cached_family

    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            built[name] = cached_family(name)
        return built[name]

    return get


# Short medical conversations for the family matrix: one and two turns, the default system prompt
# added by the default config (so templates without a system role fold it).
FAMILY_RECORDS = [
    {"messages": [{"role": "user", "content": f"My child (case {i}) has a mild cough. What helps?"},
                  {"role": "assistant", "content": f"Case {i}: fluids and rest; see a doctor if breathing is hard."}]}
    for i in range(6)
] + [
    {"messages": [{"role": "user", "content": "What is a fever?"},
                  {"role": "assistant", "content": "A body temperature above about 38 C."},
                  {"role": "user", "content": "When should I worry?"},
                  {"role": "assistant", "content": "If it lasts over three days or is very high."}]},
]


def write_family_config(folder: Path, model_dir: Path, **train) -> Path:
    """medtui's DEFAULT config for a family model, with only what a test must change: the model, a
    few short records, two steps, outputs in `folder` (and a batch of 2 to spare shared RAM)."""
    from medtui.config import dump_toml

    folder.mkdir(parents=True, exist_ok=True)
    training, held_out = FAMILY_RECORDS[:4] + FAMILY_RECORDS[-1:], FAMILY_RECORDS[4:6]
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in training))  # the two-turn one is record 5
    (folder / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in held_out))
    values = {
        "model": {"name": str(model_dir)},
        "data": {"train_files": [str(folder / "train.jsonl")], "eval_file": str(folder / "eval.jsonl")},
        "train": {"max_steps": 2, "save_steps": 2, "eval_steps": 2, "per_device_train_batch_size": 2,
                  "output_dir": str(folder / "checkpoints"), **train},
        "export": {"out_dir": str(folder / "exports")},
    }
    path = folder / "medtui.toml"
    path.write_text(dump_toml(values))
    return path


def train_in_process(config: Path) -> Path:
    """Create a run from `config` and train it with medtui's worker entry point in this process (the
    same `main` that `medtui train start` spawns), sparing a fresh interpreter per family."""
    import signal

    from medtui.config import load_config
    from medtui.train import worker
    from medtui.train.launch import create_run

    import torch

    run_dir = create_run(load_config(config))
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as OMP_NUM_THREADS=1 for spawned workers: far faster on a shared 2-core machine
    try:
        code = worker.main([str(run_dir)])
    finally:
        torch.set_num_threads(threads)
        for s, handler in handlers.items():
            signal.signal(s, handler)
    assert code == 0, (run_dir / "events.jsonl").read_text()[-2000:] if (run_dir / "events.jsonl").exists() else code
    return run_dir


@pytest.fixture(scope="session")
def family_run(family_model, tmp_path_factory):
    """`family_run(name) -> run folder`: two training steps on the family's model with the default
    config (write_family_config), finished, with its adapter; once per session."""
    runs: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in runs:
            folder = tmp_path_factory.mktemp(f"family-{name}")
            runs[name] = train_in_process(write_family_config(folder, family_model(name)))
        return runs[name]

    return get
