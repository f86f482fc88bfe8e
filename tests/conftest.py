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
    return write_test_config(session_workspace)


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
