"""The Train pane: it follows a run's events.jsonl as lines land, redraws a whole history when
opened, checks the editable fields against the schema as they are typed, and a real run started
from it outlives the TUI."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from conftest import wait_for_terminal_event, write_test_config
from textual.widgets import Input, Log, ProgressBar, Static

from medtui.config import load_config
from medtui.train.events import CONFIG_FILE, WorkerLock, read_events, worker_alive
from medtui.tui.app import MedTUI

RUN_ID = "20260101-000000-smollm2-135m-instruct"


def _workspace(tmp_path: Path, **train) -> Path:
    """A config whose paths are relative to tmp_path, so nothing machine-specific is on screen."""
    (tmp_path / "notes.jsonl").write_text('{"instruction": "What is a fever?", "response": "A raised temperature."}\n')
    values = {"max_steps": 6, "save_steps": 3, "eval_steps": 3, "output_dir": "checkpoints", **train}
    lines = ['[data]', 'train_files = ["notes.jsonl"]', 'eval_file = ""', '[train]']
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    (tmp_path / "medtui.toml").write_text("\n".join(lines) + "\n")
    return tmp_path / "medtui.toml"


def _run_folder(tmp_path: Path) -> Path:
    """A run folder as the launcher writes it before the worker starts: config, data summary, snapshot."""
    run_dir = tmp_path / "checkpoints" / RUN_ID
    run_dir.mkdir(parents=True)
    (run_dir / CONFIG_FILE).write_text((tmp_path / "medtui.toml").read_text())
    (run_dir / "data.json").write_text(json.dumps({"sha256": "ab" * 32, "counts": {"train_usable": 48}}))
    (run_dir / "dataset").mkdir()
    return run_dir


def _append(run_dir: Path, text: str) -> None:
    with open(run_dir / "events.jsonl", "a") as handle:
        handle.write(text)
        handle.flush()


def _event(kind: str, **fields) -> str:
    return json.dumps({"event": kind, "time": 1767225600.0, **fields}) + "\n"


def _step(step: int, loss: float, total: int = 6) -> str:
    return _event("step", step=step, total=total, epoch=round(step / 48, 4), loss=loss,
                  learning_rate=5e-4 * (1 - (step - 1) / total), grad_norm=0.6 + step / 100, tokens_per_s=120.0,
                  memory_mb=1500.0 + step, elapsed=4.0 * step, eta=4.0 * (total - step))


async def _until(pilot, condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the pane did not catch up in time")
        await pilot.pause(0.1)


def _text(app, selector: str) -> str:
    widget = app.query_one(selector)
    if isinstance(widget, Static):
        return str(widget.render())
    return str(widget.renderable)


def _log(app) -> list[str]:
    return list(app.query_one("#train-log", Log).lines)


async def _follows_events_written_line_by_line(tmp_path: Path) -> None:
    cfg = load_config(_workspace(tmp_path))
    run_dir = _run_folder(tmp_path)
    lock = WorkerLock(run_dir)
    assert lock.acquire()  # the test plays the worker: it holds the lock and writes the log
    app = MedTUI(cfg, initial_pane="train")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one("#train-pane")
            await _until(pilot, lambda: pane.view is not None and pane.view.status == "running")
            assert RUN_ID in _text(app, "#train-run") and "running" in _text(app, "#train-run")

            _append(run_dir, _event("started", run=RUN_ID, model="SmolLM2-135M-Instruct (embedded)",
                                    counts={"train_usable": 48, "eval_usable": 0}, total=6, num_processes=1))
            await _until(pilot, lambda: any(line.startswith("started") for line in _log(app)))
            losses = [2.9, 2.7, 2.5]
            for step, loss in enumerate(losses, 1):
                _append(run_dir, _step(step, loss))
                await _until(pilot, lambda: app.query_one("#train-progress", ProgressBar).progress == step)
                assert f"step {step}/6" in _text(app, "#train-progress-text")
                assert f"loss {loss}" in _text(app, "#train-metrics")
            assert "ETA 12s" in _text(app, "#train-progress-text")
            assert "120" in _text(app, "#train-metrics") and "1503 MB" in _text(app, "#train-metrics")

            # A line the worker is still writing is not shown until it is whole.
            half = _step(4, 2.4)
            _append(run_dir, half[:25])
            await pilot.pause(1.2)
            assert app.query_one("#train-progress", ProgressBar).progress == 3
            _append(run_dir, half[25:])
            await _until(pilot, lambda: app.query_one("#train-progress", ProgressBar).progress == 4)

            _append(run_dir, _event("eval", step=4, eval_loss=2.61))
            await _until(pilot, lambda: "eval loss 2.61" in _text(app, "#train-metrics"))
            assert [e["step"] for e in pane.view.steps] == [1, 2, 3, 4]

            _append(run_dir, _step(5, 2.3) + _step(6, 2.2) + _event("finished", step=6, loss=2.2,
                                                                      adapter="checkpoints/run/adapter"))
            lock.release()
            await _until(pilot, lambda: pane.view.status == "finished")
            assert "finished" in _text(app, "#train-run")
            assert "adapter: checkpoints/run/adapter" in _text(app, "#train-message")
            assert sum(line.startswith("step ") for line in _log(app)) == 6
    finally:
        lock.release()


def test_the_pane_follows_events_written_line_by_line(tmp_path):
    asyncio.run(_follows_events_written_line_by_line(tmp_path))


async def _reopening_draws_the_whole_history_and_resumes_a_died_run_view(tmp_path: Path) -> None:
    cfg = load_config(_workspace(tmp_path))
    run_dir = _run_folder(tmp_path)
    _append(run_dir, _event("started", run=RUN_ID, total=6) + "".join(_step(s, 3 - s / 10) for s in (1, 2, 3, 4))
            + _event("checkpoint", step=3, path="checkpoint-3") + _event("resumed", from_step=3, total=6)
            + _step(4, 2.55) + _step(5, 2.5))
    app = MedTUI(cfg, initial_pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one("#train-pane")
        await _until(pilot, lambda: pane.view is not None)
        # Steps redone after the resume replace the ones it superseded.
        assert [(e["step"], e["loss"]) for e in pane.view.steps][-2:] == [(4, 2.55), (5, 2.5)]
        assert len(pane.view.steps) == 5
        assert pane.view.status == "died"  # no worker holds the lock and no final event
        assert "died" in _text(app, "#train-run") and "ctrl+r resumes" in _text(app, "#train-message")
        assert app.query_one("#train-progress", ProgressBar).progress == 5


def test_reopening_draws_the_whole_history(tmp_path):
    asyncio.run(_reopening_draws_the_whole_history_and_resumes_a_died_run_view(tmp_path))


async def _fields_are_checked_as_typed(tmp_path: Path) -> None:
    cfg = load_config(_workspace(tmp_path))
    app = MedTUI(cfg)  # opens on the Data pane; F2 goes to Train
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        steps = app.query_one("#train-steps", Input)
        assert steps.value == "6" and _text(app, "#train-problems") == ""
        steps.value = "ten"
        await pilot.pause()
        assert "[train] max_steps must be an integer" in _text(app, "#train-problems")
        assert steps.has_class("-invalid")
        app.query_one("#train-rank", Input).value = "0"
        app.query_one("#train-data", Input).value = "missing.jsonl"
        await pilot.pause()
        problems = _text(app, "#train-problems")
        assert "[lora] r must be" in problems and "no such file missing.jsonl" in problems
        await pilot.press("ctrl+s")  # refused: nothing starts while a field is wrong
        await pilot.pause(0.5)
        assert "not started: fix the marked fields first" in _text(app, "#train-message")
        assert not (tmp_path / "checkpoints").exists()
        steps.value = "8"
        app.query_one("#train-rank", Input).value = "4"
        app.query_one("#train-data", Input).value = "notes.jsonl"
        await pilot.pause()
        assert _text(app, "#train-problems") == "" and not steps.has_class("-invalid")
        new_cfg = app.query_one("#train-pane").check_fields()
        assert new_cfg.train.max_steps == 8 and new_cfg.lora.r == 4


def test_fields_are_checked_as_they_are_typed(tmp_path):
    asyncio.run(_fields_are_checked_as_typed(tmp_path))


def test_snapshot_of_a_stopped_run(tmp_path, snap_compare, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(_workspace(tmp_path))
    run_dir = _run_folder(tmp_path)
    _append(run_dir, _event("started", run=RUN_ID, model="SmolLM2-135M-Instruct (embedded)",
                            counts={"train_usable": 48, "eval_usable": 8}, total=6, num_processes=1)
            + _step(1, 2.9) + _step(2, 2.75) + _step(3, 2.6) + _event("eval", step=3, eval_loss=2.7)
            + _event("checkpoint", step=3, path="checkpoints/" + RUN_ID + "/checkpoint-3") + _step(4, 2.45)
            + _event("checkpoint", step=4, path="checkpoints/" + RUN_ID + "/checkpoint-4")
            + _event("stopped", step=4, checkpoint="checkpoints/" + RUN_ID + "/checkpoint-4"))

    async def settle(pilot):
        # Wait for what the picture shows (the whole history, the first field focused), not a fixed
        # time: on a loaded machine 0.3 s was not always enough for the focus to be painted.
        app = pilot.app
        await _until(pilot, lambda: any(line.startswith("stopped") for line in _log(app))
                     and app.focused is not None and app.focused.id == "train-model", timeout=30)
        await pilot.pause(0.3)
        await pilot.pause()

    app = MedTUI(cfg, initial_pane="train", cursor_blink=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)


# --------------------------------------------------------------------------- a real run

async def _start_from_the_pane_then_close(config: Path) -> Path:
    app = MedTUI(load_config(config), initial_pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one("#train-pane")
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: pane.view is not None, timeout=300)
        run_dir = pane.view.run_dir
        await _until(pilot, lambda: any(e["event"] == "step" for e in read_events(run_dir)), timeout=600)
    return run_dir


async def _reopen(config: Path, run_dir: Path) -> tuple[str, int, list[str]]:
    app = MedTUI(load_config(config), initial_pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one("#train-pane")
        await _until(pilot, lambda: pane.view is not None and pane.view.run_dir == run_dir)
        return pane.view.status, app.query_one("#train-progress", ProgressBar).progress, _log(app)


@pytest.mark.slow
def test_a_run_started_in_the_tui_outlives_it_and_reopening_shows_it_all(tmp_path, monkeypatch):
    # One intra-op thread: on a shared 2-core machine torch's default thread per core stalls steps.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    records = [{"instruction": f"Name one way to ease a sore throat, number {i}.",
                "response": "Warm drinks and rest help; see a clinician if it lasts over a week."} for i in range(24)]
    (tmp_path / "short.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    # float32: bitsandbytes' 4-bit path is several times slower on CPU, and 4-bit is not the subject here.
    config = write_test_config(tmp_path, model={"max_length": 256, "load_in_4bit": False},
                               data={"train_files": [str(tmp_path / "short.jsonl")], "eval_file": "",
                                     "eval_split": 0.0},
                               train={"max_steps": 4, "save_steps": 4, "per_device_train_batch_size": 2})
    run_dir = asyncio.run(_start_from_the_pane_then_close(config))
    # The app is gone; the worker is not.
    assert worker_alive(run_dir) or read_events(run_dir)[-1]["event"] == "finished"
    events = wait_for_terminal_event(run_dir, timeout=900)
    assert events[-1]["event"] == "finished", (run_dir / "worker.log").read_text()[-2000:]
    status, progress, log = asyncio.run(_reopen(config, run_dir))
    assert status == "finished" and progress == 4
    assert [line.split()[1] for line in log if line.startswith("step ")] == ["1/4", "2/4", "3/4", "4/4"]
    assert log[0].startswith("started") and log[-1].startswith("finished")
