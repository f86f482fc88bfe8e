"""The real thing at 80x24, by keys alone: start a training run, watch it, stop it; export a run;
send a chat message. Nothing the user needs may be off screen while it happens."""

from __future__ import annotations

import json
import time

import pytest
from conftest import write_test_config
from test_tui_layout import LayoutApp, off_screen
from textual.widgets import DataTable, ProgressBar, TabbedContent

from medtui.config import load_config
from medtui.export.pipeline import STAGE_NAMES

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SIZE = (80, 24)


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def until(pilot, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.5)


async def test_start_watch_stop_then_export_the_run_at_80x24(tmp_path, monkeypatch):
    """A short float32 run (4-bit is several times slower on CPU and not the subject), stopped with
    a checkpoint after two steps, then that checkpoint exported: all by keys on an 80x24 screen."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a shared 2-core machine: one intra-op thread
    records = [{"instruction": f"Name one way to ease a sore throat, number {i}.",
                "response": "Warm drinks and rest help; see a clinician if it lasts over a week."} for i in range(40)]
    (tmp_path / "short.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    config = write_test_config(tmp_path, model={"max_length": 128, "load_in_4bit": False},
                               data={"train_files": [str(tmp_path / "short.jsonl")], "eval_file": "", "eval_split": 0.0},
                               train={"max_steps": 200, "save_steps": 1000, "eval_steps": 1000,
                                      "per_device_train_batch_size": 1},
                               export={"quants": ["Q8_0"], "fidelity_records": 0})
    app = LayoutApp(load_config(config))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        pane = app.query_one("#train-pane")
        assert pane.view_mode == "form" and app.focused.id == "train-model"  # no run yet: the form
        assert off_screen(app) == []
        await pilot.press("ctrl+s")
        await until(pilot, lambda: pane.view is not None, 300)
        assert pane.view_mode == "run"  # the form folds away while the run is shown
        await until(pilot, lambda: len(pane.view.steps) >= 2, 900)
        bar = app.query_one("#train-progress", ProgressBar)
        assert bar.progress >= 2 and bar.total == 200
        assert off_screen(app) == []
        assert app.query_one("#train-loss-chart").region.height >= 8  # the curve, not a flat line
        await pilot.press("ctrl+t")
        await until(pilot, lambda: pane.view.status == "stopped", 600)
        assert "stopped with a checkpoint" in str(app.query_one("#train-message").render())
        run_dir = pane.view.run_dir
        checkpoint = f"checkpoint-{pane.view.steps[-1]['step']}"
        assert (run_dir / checkpoint).is_dir()

        # F4: the stopped run and its checkpoint are chosen already; s starts the export.
        await pilot.press("f4")
        export = app.query_one("#export-pane")
        await until(pilot, lambda: run_dir.name in export.summaries, 60)
        await pilot.pause()
        assert app.query_one("#export-run").value == run_dir.name
        assert app.query_one("#export-checkpoint").value == checkpoint
        await pilot.press("s")
        await until(pilot, lambda: export.running, 30)
        await until(pilot, lambda: (app.query_one("#bar-merge", ProgressBar).progress or 0) > 0, 300)
        assert off_screen(app) == []  # every stage bar on screen while it runs
        await until(pilot, lambda: not export.running, 900)
        assert str(app.query_one("#export-status").render()).startswith("Done"), export.result
        assert all(app.query_one(f"#bar-{name}", ProgressBar).progress == 100 for name in STAGE_NAMES)
        table = app.query_one("#export-results", DataTable)
        assert table.row_count == 2 and table.region.area  # merged + Q8_0
        assert off_screen(app) == []
        command = app.query_one("#export-command")
        assert command.region.area and command.region.bottom <= SIZE[1] - 1  # above the footer
        shown = str(command.render())
        assert command.region.height == 1 and "ollama create" in shown and shown.rstrip().endswith("Modelfile")
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == export.result["ollama_create"]  # whole, though elided on screen


async def test_send_a_chat_message_at_80x24(tmp_path):
    app = LayoutApp(load_config(write_test_config(tmp_path), ["chat.max_new_tokens=12"]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "chat-input", 30)
        assert app.query_one("#panes", TabbedContent).active == "chat"
        for char in "What is a fever?":
            await pilot.press("space" if char == " " else char)
        await pilot.press("enter")
        left = app.query_one("#chat-pane").sides["left"]
        await until(pilot, lambda: left.last_finish != "", 600)
        assert left.last_finish in ("stop", "length"), left.detail
        assert left.last_answer
        answer = app.query_one("#chat-left-log").children[-1]
        assert answer.region.area  # the answer is on screen
        assert off_screen(app) == []
