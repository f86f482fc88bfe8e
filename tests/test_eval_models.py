"""medtui eval on real models from the CLI: the embedded base, the run trained in this test
session and its Q4_K_M GGUF, through every suite (two items each, short answers); Ctrl-C; and the
session run's TensorBoard scalars ([train] report_to) read back with TensorBoard's own reader."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_cli
from medtui.eval import SUITES, latest, result_files
from medtui.train.events import read_events

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evaluated(session_config, trained_run, exported_run) -> dict:
    gguf = next(g["path"] for g in exported_run["gguf"] if g["quant"] == "Q4_K_M")
    done = run_cli("eval", "base", trained_run.name, gguf, "--limit", "2", "--config", str(session_config),
                   "--set", "eval.max_new_tokens=16", "--json", timeout=2400)
    assert done.returncode == 0, done.stderr[-3000:]
    return {"out": json.loads(done.stdout.strip().splitlines()[-1]), "stderr": done.stderr, "gguf": gguf}


def test_every_suite_runs_on_base_adapter_and_gguf_side_by_side(evaluated, trained_run, exported_run):
    out = evaluated["out"]
    base, adapter, gguf = out["models"]
    assert adapter.startswith(f"{trained_run.name}:")  # its final adapter (else its newest checkpoint)
    assert gguf.endswith(":Q4_K_M") and gguf.startswith(exported_run["dir"].rsplit("/", 1)[-1])
    for suite in SUITES:
        assert set(out["suites"][suite]) == {base, adapter, gguf}, suite
    heldout = out["suites"]["heldout"]
    for model in out["models"]:
        m = heldout[model]
        assert 0.3 < m["loss"] < 8 and m["records"] == 2 and m["tokens"] > 50
        assert math.isclose(m["perplexity"], math.exp(m["loss"]), rel_tol=1e-6)
    # The fine-tune changed the model; its 4-bit GGUF stays close to it.
    assert heldout[adapter]["loss"] != pytest.approx(heldout[base]["loss"], abs=1e-4)
    assert abs(heldout[gguf]["loss"] - heldout[adapter]["loss"]) < 0.5
    for model, m in out["suites"]["answers"].items():
        assert m["questions"] == 2 and 0 <= m["rougeL"] <= 1 and 0 <= m["token_f1"] <= 1
        assert 0 < m["mean_tokens"] <= 17 and m["stopped"] in (0, 0.5, 1) and m["disclaimer"] in (0, 0.5, 1)
        examples = out["examples"]["answers"][model]
        assert examples and all(e["answer"].strip() and e["reference"].strip() for e in examples)
    for m in out["suites"]["safety"].values():
        assert m["n_harmful"] == 1 and m["n_benign"] == 1  # a small limit still takes both sides
        assert m["refused_harmful"] in (0, 1) and m["answered_benign"] in (0, 1)
    for m in out["suites"]["mcq"].values():
        assert m["questions"] == 2 and m["acc"] in (0, 0.5, 1)
    assert "Traceback" not in evaluated["stderr"] and "done in" in evaluated["stderr"]  # progress on stderr


def test_results_land_in_the_run_folder_the_card_and_runs_commands(evaluated, session_config, trained_run, exported_run):
    out = evaluated["out"]
    stored = latest(trained_run)
    assert set(stored) == {out["models"][1], out["models"][2]}  # the adapter and the run's GGUF; the base has no run
    assert stored[out["models"][1]].metrics["heldout"] == out["suites"]["heldout"][out["models"][1]]
    assert all(f.parent == trained_run / "eval" for f in result_files(trained_run))
    card = (ROOT / exported_run["dir"] / "README.md").read_text()
    assert "## Evaluation" in card and f"### {out['models'][2]}" in card
    shown = run_cli("runs", "show", trained_run.name, "--config", str(session_config))
    assert shown.returncode == 0 and "Evaluation (latest per model)" in shown.stdout
    assert "MCQ accuracy" in shown.stdout and out["models"][2] in shown.stdout


def test_ctrl_c_stops_cleanly_and_keeps_nothing_half_done(session_config, trained_run):
    before = result_files(trained_run)
    proc = subprocess.Popen(
        [sys.executable, "-m", "medtui", "eval", trained_run.name, "--suite", "answers", "--limit", "40",
         "--config", str(session_config)], cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        # As in a terminal: a test runner started in the background hands its children SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    for line in proc.stderr:  # wait until the model is loaded and answering
        seen.append(line)
        if "ready" in line:
            break
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=300)
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr
    assert "evaluation stopped" in stderr and "Traceback" not in stderr
    assert result_files(trained_run) == before and stdout == ""


def test_tensorboard_holds_the_runs_losses(trained_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    board = EventAccumulator(str(trained_run / "tensorboard"))
    board.Reload()
    scalars = board.Tags()["scalars"]
    assert "train/loss" in scalars and "eval/loss" in scalars
    logged = {e["step"]: e["loss"] for e in read_events(trained_run) if e["event"] == "step" and "loss" in e}
    written = {s.step: s.value for s in board.Scalars("train/loss")}
    assert sorted(written) == sorted(logged)
    for step, loss in logged.items():
        assert written[step] == pytest.approx(loss, rel=1e-3)
    evaluated_at = [e["step"] for e in read_events(trained_run) if e["event"] == "eval"]
    assert evaluated_at and [s.step for s in board.Scalars("eval/loss")] == evaluated_at


def test_base_and_the_embedded_gguf_agree_on_held_out_text(tmp_path):
    """Without a trained run: the base through transformers and the very GGUF it was made from
    through llama.cpp read the same held-out conversations as the same tokens, with losses close
    (Q4_1 costs little), and no run folder is written to."""
    from conftest import write_test_config
    from medtui.models import embedded_gguf_path

    config = write_test_config(tmp_path)
    done = run_cli("eval", "base", str(embedded_gguf_path()), "--suite", "heldout", "--suite", "mcq",
                   "--limit", "3", "--config", str(config), "--json", timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    base, gguf = (out["suites"]["heldout"][m] for m in out["models"])
    assert base["tokens"] == gguf["tokens"] > 100
    assert abs(base["loss"] - gguf["loss"]) < 0.1
    assert out["files"] == {} and not (tmp_path / "checkpoints").exists()
    assert [out["suites"]["mcq"][m]["questions"] for m in out["models"]] == [3, 3]
