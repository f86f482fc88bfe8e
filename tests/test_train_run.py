"""Real training runs on the embedded default, through the CLI as a user runs them: the event log
of a finished run, stop and exact resume, `kill -9` then resume, and two processes through
accelerate. A few steps each on short records so the whole file stays around two minutes."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli, wait_for_terminal_event, write_test_config

from medtui.config import load_config
from medtui.train.events import (
    ADAPTER_DIR,
    COMPLETE_MARKER,
    SET_ASIDE_DIR,
    complete_checkpoints,
    read_events,
    run_state,
    timeline,
    worker_alive,
    worker_pid,
)

pytestmark = pytest.mark.slow

STEP_FIELDS = ("step", "total", "epoch", "loss", "learning_rate", "grad_norm", "tokens_per_s", "memory_mb",
               "elapsed", "eta")


def _short_config(tmp_path: Path, load_in_4bit: bool = True, **train) -> Path:
    """Short medical records (about 60 tokens each) so a step takes seconds on 2 cores.

    bitsandbytes' 4-bit path on CPU (no `kernels` package) is several times slower than float32,
    so the tests whose subject is the process, lock and checkpoint logic load the model in float32;
    the finished-run, exact-resume and two-process tests keep the 4-bit default."""
    records = [
        {"instruction": f"My child (case {i}) has had a mild cough for {i % 5 + 2} days. What can help?",
         "response": f"For case {i}: fluids, rest and honey for children over one year can ease it. See a doctor "
                     "if breathing is hard or the cough lasts over three weeks."}
        for i in range(40)
    ]
    (tmp_path / "short.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    values = {"max_steps": 8, "save_steps": 4, "per_device_train_batch_size": 2, **train}
    return write_test_config(tmp_path, model={"max_length": 256, "load_in_4bit": load_in_4bit},
                             data={"train_files": [str(tmp_path / "short.jsonl")], "eval_file": "", "eval_split": 0.0},
                             train=values)


# One intra-op thread per worker: on a shared 2-core machine (two workers side by side here, other
# jobs in CI) torch's default of one thread per core makes each step wait on descheduled threads,
# up to ten times slower. Both runs that are compared use the same setting.
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def _start(config: Path, *extra: str, env: dict | None = ONE_THREAD) -> Path:
    done = run_cli("train", "start", "--config", str(config), "--detach", "--json", *extra, env=env)
    assert done.returncode == 0, done.stderr
    return Path(json.loads(done.stdout.strip().splitlines()[-1])["dir"])


def _wait_for(run_dir: Path, predicate, timeout: float = 600) -> list[dict]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        events = read_events(run_dir)
        if predicate(events):
            return events
        if not worker_alive(run_dir) and run_state(run_dir).status not in ("running", "pending"):
            raise AssertionError(f"run ended early: {events[-1:]}\n{(run_dir / 'worker.log').read_text()[-2000:]}")
        time.sleep(0.2)
    raise TimeoutError(f"{run_dir}: condition not met in {timeout} s")


def _losses(events: list[dict]) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in timeline(events) if e["event"] == "step"}


# --------------------------------------------------------------------------- a finished run

def test_a_run_finishes_with_its_events_in_order_and_an_adapter(trained_run, session_config, embedded_model_dir):
    events = read_events(trained_run)
    kinds = [(e["event"], e.get("step")) for e in events]
    assert kinds == [
        ("started", None), ("step", 1), ("step", 2), ("step", 3), ("eval", 3), ("checkpoint", 3),
        ("step", 4), ("step", 5), ("step", 6), ("eval", 6), ("checkpoint", 6), ("finished", 6),
    ]
    assert all(isinstance(e["time"], float) for e in events)
    started = events[0]
    assert started["total"] == 6 and started["counts"]["train_usable"] > 0 and "embedded" in started["model"]
    steps = [e for e in events if e["event"] == "step"]
    for event in steps:
        assert all(isinstance(event[key], (int, float)) for key in STEP_FIELDS), event
        assert event["total"] == 6 and event["memory_mb"] > 0 and event["tokens_per_s"] > 0
    assert steps[-1]["eta"] == 0 and steps[0]["learning_rate"] == pytest.approx(5e-4)
    assert [s["learning_rate"] for s in steps] == sorted((s["learning_rate"] for s in steps), reverse=True)
    # It learned: the training loss ends lower than it started, and the held-out loss fell.
    assert steps[-1]["loss"] < steps[0]["loss"]
    evals = [e["eval_loss"] for e in events if e["event"] == "eval"]
    assert evals[-1] < evals[0]

    adapter = trained_run / ADAPTER_DIR
    assert (adapter / "adapter_model.safetensors").stat().st_size > 0
    assert json.loads((adapter / "adapter_config.json").read_text())["r"] == 8
    assert (adapter / "tokenizer.json").exists()
    # The adapter carries the model's own chat template, not the loss-marking training one.
    own = (embedded_model_dir / "chat_template.jinja").read_text()
    assert (adapter / "chat_template.jinja").read_text() == own and "endgeneration" not in own
    assert [step for step, _ in complete_checkpoints(trained_run)] == [3, 6]

    # The run folder describes itself: resolved config and the data it trained on.
    cfg = load_config(trained_run / "config.toml")
    assert cfg.lora.r == 8 and Path(cfg.train_files[0]).is_absolute()
    data = json.loads((trained_run / "data.json").read_text())
    snapshot = (trained_run / "dataset" / "train.jsonl").read_text().splitlines()
    assert len(snapshot) == data["counts"]["train_usable"] == started["counts"]["train_usable"]
    assert len(data["sha256"]) == 64

    status = run_cli("train", "status", trained_run.name, "--json", "--config", str(session_config))
    assert json.loads(status.stdout)["status"] == "finished"
    attach = run_cli("train", "attach", trained_run.name, "--config", str(session_config))
    assert attach.returncode == 0
    lines = attach.stdout.strip().splitlines()
    assert lines[0].startswith("started") and lines[-1].startswith("finished  at step 6")


# --------------------------------------------------------------------------- stop, then resume

def test_stop_then_resume_continues_exactly_like_an_uninterrupted_run(tmp_path):
    config = _short_config(tmp_path)
    reference = _start(config)  # the same seed and data, never interrupted
    run_dir = _start(config)
    _wait_for(run_dir, lambda ev: any(e["event"] == "checkpoint" and e["step"] == 4 for e in ev))
    stop = run_cli("train", "stop", run_dir.name, "--config", str(config), "--timeout", "300")
    assert stop.returncode == 0, stop.stderr
    events = read_events(run_dir)
    stopped = events[-1]
    assert stopped["event"] == "stopped" and stopped["step"] >= 4
    assert not worker_alive(run_dir) and run_state(run_dir).status == "stopped"
    # The stop saved a complete checkpoint at the step it stopped on.
    assert (run_dir / f"checkpoint-{stopped['step']}" / COMPLETE_MARKER).exists()

    # Resume from step 4 (the run above may have got one step further before the stop landed).
    # --yes: a checkpoint after 4 (when there is one) is set aside until the resumed run saves.
    resumed = run_cli("train", "resume", run_dir.name, "--checkpoint", "4", "--yes", "--config", str(config),
                      env=ONE_THREAD)
    assert resumed.returncode == 0, resumed.stderr
    assert wait_for_terminal_event(reference)[-1]["event"] == "finished"
    events = read_events(run_dir)
    assert events[-1]["event"] == "finished"
    after = events[next(i for i, e in enumerate(events) if e["event"] == "resumed"):]
    assert after[0]["from_step"] == 4
    assert after[0].get("set_aside", []) == ([stopped["step"]] if stopped["step"] > 4 else [])
    assert not (run_dir / SET_ASIDE_DIR).exists()  # dropped once the resumed run saved
    assert [e["step"] for e in after if e["event"] == "step"] == [5, 6, 7, 8]  # the numbering continues
    assert sum(e["event"] == "started" for e in events) == 1  # one run, one log

    ours, theirs = _losses(events), _losses(read_events(reference))
    assert sorted(ours) == sorted(theirs) == list(range(1, 9))
    # Optimizer, scheduler, RNG and data order restored: on one machine the same float operations
    # run in the same order, so the losses agree to float32 precision (they are in fact bitwise
    # equal here); 1e-6 relative is far below the 1e-2 step-to-step changes a wrong state shows.
    for step in range(5, 9):
        assert ours[step] == pytest.approx(theirs[step], rel=1e-6), (step, ours, theirs)
    lrs = {e["step"]: e["learning_rate"] for e in timeline(events) if e["event"] == "step"}
    ref_lrs = {e["step"]: e["learning_rate"] for e in timeline(read_events(reference)) if e["event"] == "step"}
    assert lrs == ref_lrs


# --------------------------------------------------------------------------- kill -9

def test_a_killed_worker_shows_died_and_resumes_from_its_last_complete_checkpoint(tmp_path):
    config = _short_config(tmp_path, load_in_4bit=False, max_steps=6, save_steps=2)
    run_dir = _start(config)
    _wait_for(run_dir, lambda ev: any(e["event"] == "checkpoint" and e["step"] == 2 for e in ev))
    os.kill(worker_pid(run_dir), signal.SIGKILL)
    deadline = time.time() + 60
    while worker_alive(run_dir) and time.time() < deadline:
        time.sleep(0.1)
    status = run_cli("train", "status", run_dir.name, "--json", "--config", str(config))
    assert json.loads(status.stdout)["status"] == "died"
    latest = complete_checkpoints(run_dir)[-1][0]
    # What a kill in the middle of a save leaves behind: a folder without the completion marker.
    half = run_dir / f"checkpoint-{latest + 1}"
    half.mkdir(exist_ok=True)
    (half / COMPLETE_MARKER).unlink(missing_ok=True)
    (half / "adapter_model.safetensors").write_bytes(b"\0" * 100)
    refused = run_cli("train", "resume", run_dir.name, "--checkpoint", str(latest + 1), "--config", str(config))
    assert refused.returncode == 1 and "never completed" in refused.stderr

    resumed = run_cli("train", "resume", run_dir.name, "--config", str(config), env=ONE_THREAD)
    assert resumed.returncode == 0, resumed.stderr
    events = read_events(run_dir)
    assert events[-1]["event"] == "finished"
    resumed_event = next(e for e in events if e["event"] == "resumed")
    assert resumed_event["from_step"] == latest  # the half-written folder was not offered
    assert [e["step"] for e in timeline(events) if e["event"] == "step"] == [1, 2, 3, 4, 5, 6]
    assert (run_dir / ADAPTER_DIR / "adapter_model.safetensors").exists()
    assert [step for step, _ in complete_checkpoints(run_dir)] == [2, 4, 6]


# --------------------------------------------------------------------------- several processes

def test_two_processes_through_accelerate_train_one_run_with_one_log_and_outlive_the_terminal(tmp_path):
    config = _short_config(tmp_path, max_steps=3, save_steps=3)
    # `medtui train start` following the run in a terminal that then goes away (SSH drops):
    # the terminal's whole process group gets SIGHUP.
    follower = subprocess.Popen([sys.executable, "-m", "medtui", "train", "start", "--config", str(config),
                                 "--num-processes", "2", "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, **ONE_THREAD})
    run_dir = Path(json.loads(follower.stdout.readline())["dir"])
    _wait_for(run_dir, lambda ev: any(e["event"] == "step" for e in ev))
    os.killpg(follower.pid, signal.SIGHUP)
    follower.wait(timeout=60)
    events = wait_for_terminal_event(run_dir, timeout=900)
    log = (run_dir / "worker.log").read_text()
    assert events[-1]["event"] == "finished", log[-3000:]
    # Both ranks ran the worker and finished training.
    assert "rank 0 of 2" in log and "rank 1 of 2" in log
    assert "rank 0 finished" in log and "rank 1 finished" in log
    # One consistent log: one start, each step once (rank 1 writes nothing).
    assert [(e["event"], e.get("step")) for e in events] == [
        ("started", None), ("step", 1), ("step", 2), ("step", 3), ("checkpoint", 3), ("finished", 3)]
    assert events[0]["num_processes"] == 2
    # Each optimizer step consumed a batch on each rank: the epoch advances twice as fast as
    # one process's per_device_train_batch_size would.
    records = events[0]["counts"]["train_usable"]
    one_process = 1 / math.ceil(records / 2)  # epoch per step with batch 2 in one process
    two_processes = 1 / math.ceil(math.ceil(records / 2) / 2)  # each rank sees half the records
    assert records == 40 and two_processes == pytest.approx(2 * one_process)
    assert events[1]["epoch"] == pytest.approx(two_processes, abs=1e-4)
    checkpoint = run_dir / "checkpoint-3"
    assert (checkpoint / "rng_state_0.pth").exists() and (checkpoint / "rng_state_1.pth").exists()
    assert (run_dir / ADAPTER_DIR / "adapter_model.safetensors").exists()


# --------------------------------------------------------------------------- early stopping

def test_early_stopping_ends_the_run_and_keeps_the_best_adapter(tmp_path):
    from safetensors.torch import load_file

    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text("".join(json.dumps({"instruction": f"Is a fever of 38 C (case {i}) dangerous?",
                                             "response": "Usually not in adults; rest and drink fluids."}) + "\n"
                                 for i in range(4)))
    config = _short_config(tmp_path, load_in_4bit=False, max_steps=8, save_steps=1, eval_steps=1,
                           early_stopping_patience=1, learning_rate=1.0)
    text = config.read_text().replace('eval_file = ""', f'eval_file = "{eval_file}"')
    config.write_text(text)
    # A learning rate of 1.0 wrecks the adapter after the first step, so the eval loss never
    # improves again and patience 1 ends the run at the second evaluation.
    run_dir = _start(config)
    events = wait_for_terminal_event(run_dir, timeout=900)
    kinds = [(e["event"], e.get("step")) for e in events]
    assert kinds == [("started", None), ("step", 1), ("eval", 1), ("checkpoint", 1), ("step", 2), ("eval", 2),
                     ("checkpoint", 2), ("early_stop", 2), ("finished", 2)], (run_dir / "worker.log").read_text()[-2000:]
    evals = [e["eval_loss"] for e in events if e["event"] == "eval"]
    assert evals[1] > evals[0]
    early, finished = events[-2], events[-1]
    assert early["best_step"] == 1 and early["best_eval_loss"] == pytest.approx(evals[0]) and early["patience"] == 1
    assert finished["best_step"] == 1
    # The final adapter is the best one (step 1), not the last one trained.
    final = load_file(run_dir / ADAPTER_DIR / "adapter_model.safetensors")
    best = load_file(run_dir / "checkpoint-1" / "adapter_model.safetensors")
    last = load_file(run_dir / "checkpoint-2" / "adapter_model.safetensors")
    assert final.keys() == best.keys()
    assert all((final[k].float() == best[k].float()).all() for k in best)
    assert any((final[k].float() != last[k].float()).any() for k in last)
