"""Nothing runs that the user did not allow, and a resume loses nothing it was not told to:

- `trust_remote_code` in a run folder's config.toml (a folder someone sent you) never overrides
  the user's own config: export and resume allow the model's own code only when both say so, and
  say so when the run asks and the user's config does not;
- `train resume --checkpoint N` with later checkpoints asks first (--yes for scripts), then sets
  them aside inside the run folder instead of deleting them, and a resume that ends before it
  saves puts them back.

Run folders are written as the worker writes them (test_runs_support). One test starts the real
worker, on a run whose base model is missing, so it fails (fast) before it could save.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from medtui.config import load_config
from medtui.runs import RunIndex
from medtui.train import events as ev
from medtui.train.launch import LaterCheckpointsError, plan_resume, resume_run, worker_command
from test_runs_support import STOPPED, make_run, run_config

TRUSTING = run_config(model={"trust_remote_code": True})


def workspace(folder: Path, user_trusts: bool = False, **run) -> tuple[Path, Path]:
    """A user's config (trust_remote_code as given) and one stopped run with checkpoints 3 and 6."""
    (folder / "medtui.toml").write_text(
        f'[model]\ntrust_remote_code = {"true" if user_trusts else "false"}\n[train]\noutput_dir = "checkpoints"\n')
    run.setdefault("end", "stopped")
    run_dir = make_run(folder / "checkpoints", STOPPED, **run)
    return folder / "medtui.toml", run_dir


# --- trust_remote_code ----------------------------------------------------------------------------


@pytest.mark.parametrize("user, run, allowed", [(False, True, False), (True, True, True), (True, False, False)])
def test_export_and_resume_allow_model_code_only_when_the_user_and_the_run_agree(tmp_path, user, run, allowed):
    from medtui.export.source import resolve_source

    config, run_dir = workspace(tmp_path, user_trusts=user, config=TRUSTING if run else None)
    cfg = load_config(config)
    source = resolve_source(cfg, STOPPED)
    plan = plan_resume(run_dir, cfg)
    assert source.trust_remote_code is allowed and plan.trust_remote_code is allowed
    asked_but_refused = run and not user
    for warnings in (source.warnings, plan.warnings):
        assert bool(warnings) is asked_but_refused
        if asked_but_refused:
            assert f"run {STOPPED} asks for [model] trust_remote_code = true, but medtui.toml does not allow it" in warnings[0]
    assert ("--trust-remote-code" in worker_command(run_dir, 1, 6, plan.trust_remote_code)) is allowed


def test_the_worker_drops_a_run_folders_trust_remote_code_unless_the_launcher_allows_it(tmp_path):
    from medtui.train.worker import run_config as worker_run_config

    _, run_dir = workspace(tmp_path, config=TRUSTING)
    assert worker_run_config(run_dir, allow_remote_code=False).model.trust_remote_code is False
    assert worker_run_config(run_dir, allow_remote_code=True).model.trust_remote_code is True


def test_resume_says_so_when_the_run_asks_for_model_code_the_user_did_not_allow(tmp_path):
    config, run_dir = workspace(tmp_path, config=TRUSTING)
    done = run_cli("train", "resume", STOPPED, "--checkpoint", "3", "--config", str(config))
    assert done.stderr.startswith(f"warning: run {STOPPED} asks for [model] trust_remote_code = true, but medtui.toml")
    assert done.returncode == 2  # and, with no terminal, it refuses to set checkpoint-6 aside (below)


# --- resuming from an earlier checkpoint ------------------------------------------------------------


def test_resuming_before_later_checkpoints_without_a_terminal_needs_yes(tmp_path):
    config, run_dir = workspace(tmp_path)
    log = (run_dir / ev.EVENTS_FILE).read_bytes()
    done = run_cli("train", "resume", STOPPED, "--checkpoint", "3", "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert f"run {STOPPED} has later checkpoints (checkpoint-6)" in done.stderr
    assert "hint: pass --yes" in done.stderr and "Traceback" not in done.stderr
    time.sleep(1)  # a worker, had one been started, would have touched the folder by now
    assert (run_dir / "checkpoint-6" / ev.COMPLETE_MARKER).exists()
    assert (run_dir / ev.EVENTS_FILE).read_bytes() == log and not (run_dir / ev.PID_FILE).exists()
    with pytest.raises(LaterCheckpointsError, match="checkpoint-6"):
        resume_run(run_dir, load_config(config), checkpoint=3)


def test_resuming_before_later_checkpoints_asks_on_a_terminal(tmp_path):
    config, run_dir = workspace(tmp_path)
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "medtui", "train", "resume", STOPPED, "--checkpoint", "3", "--config", str(config)],
            cwd=ROOT, stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        os.write(leader, b"n\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == 1, err
    assert "later checkpoints (checkpoint-6)" in out + err and "Not resumed; nothing changed." in out
    assert sorted(p.name for p in run_dir.glob("checkpoint-*")) == ["checkpoint-3", "checkpoint-6"]


def test_set_aside_checkpoints_leave_the_listing_and_come_back_whole(tmp_path):
    _, run_dir = workspace(tmp_path)
    assert ev.set_aside_later_checkpoints(run_dir, 3) == [6]
    assert [c.name for c in RunIndex(run_dir.parent).summary(run_dir).checkpoints] == ["checkpoint-3"]
    assert (run_dir / ev.SET_ASIDE_DIR / "checkpoint-6" / ev.COMPLETE_MARKER).exists()
    assert ev.restore_set_aside(run_dir) == [6]
    assert (run_dir / "checkpoint-6" / ev.COMPLETE_MARKER).exists() and not (run_dir / ev.SET_ASIDE_DIR).exists()
    ev.set_aside_later_checkpoints(run_dir, 3)
    ev.drop_set_aside(run_dir)  # what the worker does once the resumed run has saved
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(("checkpoint-", "."))) == ["checkpoint-3"]


def test_a_resume_that_fails_before_saving_gives_the_later_checkpoints_back(tmp_path):
    """The real worker, resumed from step 3 with --yes, on a run whose base model is gone: it sets
    checkpoint-6 aside, fails loading the model, and puts checkpoint-6 back."""
    config, run_dir = workspace(tmp_path, config=run_config(model={"name": str(tmp_path / "deleted-model")}))
    snapshot = run_dir / ev.DATASET_DIR
    snapshot.mkdir()
    conversation = [{"role": "user", "content": "What is a fever?"}, {"role": "assistant", "content": "A high temperature."}]
    (snapshot / ev.TRAIN_DATA_FILE).write_text(json.dumps({"messages": conversation}) + "\n")
    before = sorted(p.relative_to(run_dir) for p in (run_dir / "checkpoint-6").rglob("*"))
    done = run_cli("train", "resume", STOPPED, "--checkpoint", "3", "--yes", "--detach", "--config", str(config))
    assert done.returncode in (0, 1), done.stderr  # 1: the worker failed before the launcher saw it start
    deadline = time.monotonic() + 600
    while not any(e["event"] == "failed" for e in ev.read_events(run_dir)) or ev.worker_alive(run_dir):
        assert time.monotonic() < deadline, done.stderr
        time.sleep(0.5)
    events = ev.read_events(run_dir)
    resumed = next(e for e in events if e["event"] == "resumed")
    assert resumed["from_step"] == 3 and resumed["set_aside"] == [6]
    assert "deleted-model" in events[-1]["message"]
    assert sorted(p.relative_to(run_dir) for p in (run_dir / "checkpoint-6").rglob("*")) == before
    assert not (run_dir / ev.SET_ASIDE_DIR).exists()
    assert "checkpoints [6] are back" in (run_dir / ev.LOG_FILE).read_text()
