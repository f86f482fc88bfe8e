"""`medtui runs` and medtui.runs against run folders written as the training worker writes them,
plus one check on a real training run (the session's `trained_run`)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from medtui.runs import RunIndex, RunLookupError, compare_runs, resolve_run, run_details
from medtui.train import events as ev
from test_runs_support import (
    DIED, FAILED, FINISHED, RUNNING, STOPPED, T0, append_event, make_run, run_config, running_run,
    write_ended_runs_workspace,
)



@pytest.fixture
def workspace(tmp_path) -> Path:
    """A config whose output_dir holds four ended runs: finished, failed, stopped, died."""
    return write_ended_runs_workspace(tmp_path)


def runs_cli(workspace: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return run_cli("runs", *args, "--config", str(workspace / "medtui.toml"), **kwargs)


def listed(workspace: Path) -> dict[str, dict]:
    done = runs_cli(workspace, "list", "--json")
    assert done.returncode == 0, done.stderr
    return {run["id"]: run for run in json.loads(done.stdout)["runs"]}


# --- status, metrics, checkpoints ----------------------------------------------------------------


def test_list_json_reports_each_status_with_metrics_and_checkpoints(workspace):
    runs = listed(workspace)
    assert {rid: r["status"] for rid, r in runs.items()} == {
        FINISHED: "finished", FAILED: "failed", STOPPED: "stopped", DIED: "died",
    }
    done = runs[FINISHED]
    assert done["steps"] == {"done": 6, "total": 6}
    assert done["model"] == "SmolLM2-135M-Instruct (embedded)"
    assert done["data"]["files"] == ["data/medical_instruction.jsonl", "data/medical_chat.jsonl"]
    assert done["data"]["counts"]["train_usable"] == 120 and done["data"]["counts"]["eval_usable"] == 20
    assert (done["best_eval_loss"], done["best_eval_step"], done["last_eval_loss"]) == (2.7, 6, 2.7)
    assert done["duration_s"] == pytest.approx(61.0)  # six 10 s steps, then the finished event
    assert [(c["name"], c["step"], c["eval_loss"]) for c in done["checkpoints"]] == [
        ("checkpoint-3", 3, 2.9), ("checkpoint-6", 6, 2.7),
    ]
    assert done["adapter"]["name"] == "adapter"
    assert runs[FAILED]["message"] == "CUDA out of memory while training step 4"
    assert runs[FAILED]["steps"] == {"done": 4, "total": 6}
    # A half-written checkpoint is never offered: the died run saved none completely.
    assert runs[DIED]["checkpoints"] == [] and runs[DIED]["adapter"] is None
    assert runs[DIED]["best_eval_loss"] is None


def test_list_is_newest_first_and_readable(workspace):
    done = runs_cli(workspace, "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "STATUS", "MODEL"]
    order = [line.split()[0] for line in lines[1:5]]
    assert order == [DIED, STOPPED, FAILED, FINISHED]
    finished_line = next(line for line in lines if line.startswith(FINISHED))
    for shown in ("finished", "6/6", "2.7000 @6", "1m 01s", "3 (2.9000)", "6 (2.7000)", "adapter"):
        assert shown in finished_line
    assert "4 run(s)" in done.stdout


def test_running_run_while_its_worker_holds_the_lock(workspace):
    with running_run(workspace):
        runs = listed(workspace)
        assert runs[RUNNING]["status"] == "running"
        assert runs[RUNNING]["ended_at"] is None
    assert listed(workspace)[RUNNING]["status"] == "died"


def test_no_runs_yet(tmp_path):
    (tmp_path / "medtui.toml").write_text('[train]\noutput_dir = "nowhere"\n')
    done = runs_cli(tmp_path, "list")
    assert done.returncode == 0 and "No runs in" in done.stdout and "medtui train start" in done.stdout
    done = runs_cli(tmp_path, "list", "--json")
    assert json.loads(done.stdout)["runs"] == []
    done = runs_cli(tmp_path, "show", "2025")
    assert done.returncode == 2 and "holds no runs yet" in done.stderr


def test_resumed_run_counts_the_redone_steps_once(tmp_path):
    """Killed after step 4 with a checkpoint at 3, resumed from 3: steps 4.. are trained again."""
    run_dir = make_run(tmp_path, DIED, end=None, steps=4, checkpoints=(3,), evals={3: 2.9})
    append_event(run_dir, event="resumed", time=T0 + 100, from_step=3, checkpoint=str(run_dir / "checkpoint-3"), total=6)
    for step, loss in ((4, 2.55), (5, 2.5), (6, 2.45)):
        append_event(run_dir, event="step", time=T0 + 100 + 10 * (step - 3), step=step, total=6, epoch=0.2,
                     loss=loss, learning_rate=1e-4, grad_norm=1.0, tokens_per_s=400.0, memory_mb=900.0,
                     elapsed=0, eta=0)
    append_event(run_dir, event="finished", time=T0 + 131, step=6, loss=2.45)
    details = run_details(run_dir)
    assert details.summary.status == "finished"
    assert details.summary.resumes == 1
    assert [s for s, _ in details.loss_curve] == [1, 2, 3, 4, 5, 6]
    assert dict(details.loss_curve)[4] == 2.55  # the redone step 4, not the lost one
    # 40 s before the kill (its last event), then 31 s after the resume.
    assert details.summary.duration_s == pytest.approx(40 + 31)


def test_index_reads_appended_events_and_waits_for_whole_lines(tmp_path):
    run_dir = make_run(tmp_path, DIED, end=None, steps=2, checkpoints=())
    index = RunIndex(tmp_path)
    assert index.refresh()[0].step == 2
    with open(run_dir / ev.EVENTS_FILE, "a") as handle:
        handle.write(json.dumps({"event": "step", "time": T0 + 30, "step": 3, "total": 6, "loss": 3.0}) + "\n")
        handle.write('{"event": "step", "time": ')  # the worker is mid-write
    assert index.refresh()[0].step == 3
    with open(run_dir / ev.EVENTS_FILE, "a") as handle:
        handle.write(f'{T0 + 40}, "step": 4, "total": 6, "loss": 2.9}}\n')
    summary = index.refresh()[0]
    assert summary.step == 4 and summary.last_loss == 2.9


# --- RUN arguments ---------------------------------------------------------------------------------


def test_unique_prefix_selects_a_run(workspace):
    done = runs_cli(workspace, "show", "20250101-11", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == FAILED


def test_ambiguous_prefix_lists_the_matches(workspace):
    done = runs_cli(workspace, "show", "20250101-1")
    assert done.returncode == 2
    assert "matches 4 runs" in done.stderr and FINISHED in done.stderr and DIED in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_id_names_close_ids(workspace):
    done = runs_cli(workspace, "show", "20250101-111000")  # a typo'd time
    assert done.returncode == 2
    assert 'no run "20250101-111000"' in done.stderr and "close: " in done.stderr and FAILED in done.stderr
    root = workspace / "checkpoints"
    with pytest.raises(RunLookupError, match="close: " + FINISHED):
        resolve_run(root, "100000-smollm2")
    assert resolve_run(root, FINISHED) == root / FINISHED


# --- show --------------------------------------------------------------------------------------


def test_show_gives_metrics_curve_checkpoints_and_config(workspace):
    done = runs_cli(workspace, "show", FAILED)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"Run {FAILED}  [failed]" in out
    assert "CUDA out of memory while training step 4" in out
    assert "3.3000 (step 1) -> 3.0000 (step 4)" in out
    assert "checkpoint-3" in out and "2.9000" in out
    assert "learning_rate = 0.0005" in out and "r = 8" in out
    data = json.loads(runs_cli(workspace, "show", FAILED, "--json").stdout)
    assert data["config"]["lora"]["r"] == 8
    assert data["loss_curve"] == [[1, 3.3], [2, 3.2], [3, 3.1], [4, 3.0]]
    assert data["eval_curve"] == [[3, 2.9]]


def test_show_names_a_broken_config_file_instead_of_failing(workspace):
    (workspace / "checkpoints" / STOPPED / ev.CONFIG_FILE).write_text("[train\n")
    done = runs_cli(workspace, "show", STOPPED)
    assert done.returncode == 0, done.stderr
    assert "config.toml: not valid TOML" in done.stdout


def test_show_lists_incomplete_checkpoints_as_unusable(workspace):
    done = runs_cli(workspace, "show", DIED)
    assert "none complete yet" in done.stdout
    assert "incomplete (not usable): checkpoint-2" in done.stdout


# --- compare -----------------------------------------------------------------------------------


def test_compare_shows_config_differences_metrics_and_both_curves(workspace):
    done = runs_cli(workspace, "compare", "20250101-10", "20250101-11")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Config differences (2)" in out
    lr_line = next(line for line in out.splitlines() if "train.learning_rate" in line)
    assert lr_line.split() == ["train.learning_rate", "0.0002", "0.0005"]
    assert next(line for line in out.splitlines() if "lora.r" in line).split() == ["lora.r", "16", "8"]
    steps_line = next(line for line in out.splitlines() if line.strip().startswith("steps"))
    assert steps_line.split() == ["steps", "6/6", "4/6"]
    status_line = next(line for line in out.splitlines() if line.strip().startswith("status"))
    assert status_line.split() == ["status", "finished", "failed"]
    # The chart: a legend naming both runs, and points drawn with each run's mark.
    chart = out.split("Loss curves", 1)[1]
    assert f"•• {FINISHED}" in chart and f"xx {FAILED}" in chart
    assert chart.count("x") > 4 and chart.count("•") > 4


def test_compare_json_shape(workspace):
    data = json.loads(runs_cli(workspace, "compare", FINISHED, STOPPED, "--json").stdout)
    assert data["runs"] == [FINISHED, STOPPED]
    assert data["config_diff"] == []
    assert {m["name"] for m in data["metrics"]} >= {"status", "steps", "best eval loss", "last eval loss", "duration"}
    assert data["loss_curves"][STOPPED] == [[1, 3.0], [2, 2.6], [3, 2.4]]
    assert len(data["loss_curves"][FINISHED]) == 6


def test_compare_in_core_lists_keys_only_one_run_has(tmp_path):
    a = make_run(tmp_path, FINISHED)
    config = run_config()
    del config["export"]
    b = make_run(tmp_path, STOPPED, end="stopped", config=config)
    diff = {key: (va, vb) for key, va, vb in compare_runs(a, b).config_diff}
    assert diff["export.quants"] == (["Q4_K_M"], None)


def test_compare_refuses_the_same_run_twice(workspace):
    done = runs_cli(workspace, "compare", FINISHED, "20250101-10")
    assert done.returncode == 2 and "two different runs" in done.stderr


# --- delete ------------------------------------------------------------------------------------


def test_delete_with_yes_removes_the_whole_folder(workspace):
    root = workspace / "checkpoints"
    done = runs_cli(workspace, "delete", "20250101-12", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["deleted"] == STOPPED and result["bytes"] > 0
    assert sorted(p.name for p in root.iterdir()) == sorted([FINISHED, FAILED, DIED])  # no trash left behind
    assert STOPPED not in listed(workspace)


def test_delete_without_a_terminal_needs_yes(workspace):
    done = runs_cli(workspace, "delete", FINISHED)
    assert done.returncode == 2 and "--yes" in done.stderr
    assert (workspace / "checkpoints" / FINISHED / "adapter").is_dir()


def _delete_on_a_tty(workspace: Path, run: str, answer: str) -> tuple[int, str]:
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "medtui", "runs", "delete", run, "--config", str(workspace / "medtui.toml")],
            cwd=ROOT, stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        os.write(leader, answer.encode() + b"\n")
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    return proc.returncode, out + err


def test_delete_asks_on_a_terminal(workspace):
    root = workspace / "checkpoints"
    code, out = _delete_on_a_tty(workspace, FAILED, "n")
    assert code == 1 and f"Delete run {FAILED} (failed, 1 checkpoint(s)" in out and "Not deleted." in out
    assert (root / FAILED).is_dir()
    code, out = _delete_on_a_tty(workspace, FAILED, "y")
    assert code == 0 and f"Deleted run {FAILED}" in out
    assert not (root / FAILED).exists()


def test_delete_refuses_a_running_run(workspace):
    with running_run(workspace) as run_dir:
        done = runs_cli(workspace, "delete", RUNNING, "--yes")
        assert done.returncode == 1
        assert f"run {RUNNING} is running (worker pid {os.getpid()})" in done.stderr
        assert f"medtui train stop {RUNNING}" in done.stderr
        assert (run_dir / ev.EVENTS_FILE).exists()


# --- a real run -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_training_run_is_listed_finished_with_its_checkpoints(session_config, trained_run):
    done = run_cli("runs", "list", "--json", "--config", str(session_config))
    assert done.returncode == 0, done.stderr
    run = {r["id"]: r for r in json.loads(done.stdout)["runs"]}[trained_run.name]
    assert run["status"] == "finished"
    assert run["steps"] == {"done": 6, "total": 6}
    # save_steps = eval_steps = 3 in the test config: checkpoints at 3 and 6, each with its eval loss.
    assert [c["step"] for c in run["checkpoints"]] == [3, 6]
    assert all(isinstance(c["eval_loss"], float) for c in run["checkpoints"])
    assert run["best_eval_loss"] == min(c["eval_loss"] for c in run["checkpoints"])
    assert run["adapter"] is not None and Path(run["adapter"]["path"], "adapter_config.json").exists()
    assert run["duration_s"] > 0
