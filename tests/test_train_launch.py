"""What `medtui train` refuses, and how: a bad config or unusable data fails before any model is
touched, with the key or file named; a second worker on a running run is refused; a half-written
checkpoint is never offered. Real processes and files; no training here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli, write_test_config

from medtui.config import load_config
from medtui.train.events import COMPLETE_MARKER, CONFIG_FILE, WorkerLock
from medtui.train.launch import LaunchError, resume_run, resolved_config


def _config(tmp_path: Path, **train) -> Path:
    # An empty model cache: if anything loaded (or materialized) the model, a folder would appear here.
    return write_test_config(tmp_path, model={"max_length": 256, "cache_dir": str(tmp_path / "model-cache")},
                             train=train)


def _nothing_created(tmp_path: Path) -> None:
    runs = tmp_path / "checkpoints"
    assert not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]
    assert not (tmp_path / "model-cache").exists()


def test_keys_that_do_not_fit_together_are_named_before_anything_starts(tmp_path):
    config = _config(tmp_path, save_steps=5, eval_steps=3, early_stopping_patience=2)
    done = run_cli("train", "start", "--config", str(config), "--detach")
    assert done.returncode == 2
    assert "medtui.toml: [train] save_steps (5) must be a multiple of eval_steps (3)" in done.stderr
    assert "Traceback" not in done.stderr
    _nothing_created(tmp_path)


def test_a_bad_value_names_the_key(tmp_path):
    config = _config(tmp_path)
    done = run_cli("train", "start", "--config", str(config), "--set", "lora.r=0", "--set", "train.max_steps=ten")
    assert done.returncode == 2
    assert "[lora] r must be" in done.stderr and "[train] max_steps must be" in done.stderr
    _nothing_created(tmp_path)


def test_a_data_file_with_no_usable_record_is_named_and_no_model_loads(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "", "response": "x"}\n{not json\n{"instruction": "Q?", "response": ""}\n')
    config = write_test_config(tmp_path, model={"max_length": 256, "cache_dir": str(tmp_path / "model-cache")},
                               data={"train_files": [str(bad)]})
    done = run_cli("train", "start", "--config", str(config), "--detach")
    assert done.returncode != 0
    assert str(bad) in done.stderr and "no usable record" in done.stderr
    assert "Traceback" not in done.stderr
    _nothing_created(tmp_path)


def test_a_missing_data_file_is_named(tmp_path):
    config = write_test_config(tmp_path, model={"max_length": 256, "cache_dir": str(tmp_path / "model-cache")},
                               data={"train_files": [str(tmp_path / "nope.jsonl")]})
    done = run_cli("train", "start", "--config", str(config), "--detach")
    assert done.returncode != 0
    assert "nope.jsonl" in done.stderr and "Traceback" not in done.stderr
    _nothing_created(tmp_path)


def _fake_stopped_run(tmp_path: Path, complete: tuple[int, ...], incomplete: tuple[int, ...]) -> Path:
    """A run folder as a worker leaves it after `stopped` (files only; nothing here trains)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = load_config(write_test_config(tmp_path))
    run_dir = tmp_path / "checkpoints" / "20260101-000000-smollm2-135m-instruct"
    run_dir.mkdir(parents=True)
    (run_dir / CONFIG_FILE).write_text(resolved_config(cfg).to_toml())
    lines = [{"event": "started", "total": 6}, *({"event": "step", "step": s, "total": 6, "loss": 2.0} for s in (1, 2, 3)),
             {"event": "stopped", "step": 3}]
    (run_dir / "events.jsonl").write_text("".join(json.dumps({"time": 1.0, **e}) + "\n" for e in lines))
    for step in (*complete, *incomplete):
        (run_dir / f"checkpoint-{step}").mkdir()
    for step in complete:
        (run_dir / f"checkpoint-{step}" / COMPLETE_MARKER).write_text("{}")
    return run_dir


def test_a_half_written_checkpoint_is_never_offered(tmp_path):
    run_dir = _fake_stopped_run(tmp_path, complete=(), incomplete=(3,))
    config = tmp_path / "medtui.toml"
    done = run_cli("train", "resume", run_dir.name, "--config", str(config), "--detach")
    assert done.returncode == 1
    assert "no complete checkpoint" in done.stderr
    run_dir2 = _fake_stopped_run(tmp_path / "b", complete=(2,), incomplete=(3,))
    with pytest.raises(LaunchError, match="checkpoint-3 was never completed.*complete checkpoints: 2"):
        resume_run(run_dir2, load_config(tmp_path / "b" / "medtui.toml"), checkpoint=3)


def test_a_second_worker_on_a_running_run_is_refused(tmp_path):
    run_dir = _fake_stopped_run(tmp_path, complete=(2,), incomplete=())
    lock = WorkerLock(run_dir)
    assert lock.acquire()  # this test process plays the running worker
    try:
        with pytest.raises(LaunchError, match="already running"):
            resume_run(run_dir, load_config(tmp_path / "medtui.toml"))
        done = run_cli("train", "resume", run_dir.name, "--config", str(tmp_path / "medtui.toml"))
        assert done.returncode == 1 and "already running" in done.stderr
        # Even a worker started by hand does not train on a run that has one.
        worker = subprocess.run([sys.executable, "-m", "medtui.train.worker", str(run_dir), "--resume-from", "2"],
                                capture_output=True, text=True, timeout=120)
        assert worker.returncode == 3
        assert "already has a running worker" in worker.stderr
    finally:
        lock.release()
    assert json.loads(run_cli("train", "status", run_dir.name, "--json", "--config",
                              str(tmp_path / "medtui.toml")).stdout)["status"] == "stopped"


def test_status_and_stop_explain_themselves(tmp_path):
    run_dir = _fake_stopped_run(tmp_path, complete=(2,), incomplete=())
    config = str(tmp_path / "medtui.toml")
    listed = run_cli("train", "status", "--config", config, "--json")
    assert listed.returncode == 0
    (summary,) = json.loads(listed.stdout)["runs"]
    assert summary["run"] == run_dir.name and summary["status"] == "stopped" and summary["checkpoints"] == [2]
    stopped = run_cli("train", "stop", run_dir.name, "--config", config)
    assert stopped.returncode == 1 and "is not running (status: stopped)" in stopped.stderr
    missing = run_cli("train", "status", "no-such-run", "--config", config)
    assert missing.returncode == 2 and 'no run "no-such-run"' in missing.stderr and run_dir.name in missing.stderr


def test_the_run_folder_config_keeps_meaning_wherever_it_is_read(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text('{"instruction": "Q?", "response": "A."}\n')
    (tmp_path / "medtui.toml").write_text('[data]\ntrain_files = ["data/a.jsonl", "owner/dataset"]\neval_file = ""\n'
                                          '[train]\noutput_dir = "runs"\n')
    resolved = resolved_config(load_config(tmp_path / "medtui.toml"))
    assert resolved.data.train_files == [str(tmp_path / "data" / "a.jsonl"), "owner/dataset"]
    assert resolved.train.output_dir == str(tmp_path / "runs")
