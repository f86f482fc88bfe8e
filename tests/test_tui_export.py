"""The Export pane, driven through the real app with Textual's pilot: choosing run, checkpoint and
types from the keyboard, the Runs pane handing over a checkpoint, a real export with its stage
bars, result table and `ollama create` command, and Cancel leaving nothing behind."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_runs_support import T0, make_run, run_id
from textual.widgets import DataTable, ProgressBar, Select, SelectionList, Static, TabbedContent

from medtui.config import load_config
from medtui.export.pipeline import STAGE_NAMES
from medtui.tui import app as app_module
from medtui.tui.app import MedTUI
from medtui.tui.panes.export import ExportPane
from medtui.tui.panes.runs import RunsPane

pytestmark = pytest.mark.anyio

FINISHED, STOPPED = run_id("100000"), run_id("120000")
SIZE = (120, 40)


class ExportApp(MedTUI):
    # Textual resolves a relative CSS_PATH against the subclass's file, which lives in tests/.
    CSS_PATH = str(Path(app_module.__file__).with_name(MedTUI.CSS_PATH))


@pytest.fixture
def workspace(tmp_path) -> Path:
    (tmp_path / "medtui.toml").write_text(
        '[train]\noutput_dir = "checkpoints"\n[export]\nout_dir = "exports"\nquants = ["Q4_K_M", "Q8_0"]\n'
        "fidelity_records = 6\n"
    )
    make_run(tmp_path / "checkpoints", FINISHED)
    make_run(tmp_path / "checkpoints", STOPPED, end="stopped", steps=3, checkpoints=(3,), start=T0 + 7200)
    return tmp_path


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def make_app(cfg) -> ExportApp:
    return ExportApp(cfg)  # opens on Data, as a user's session does


async def open_export(pilot) -> None:
    """Start as a user does: the app opens on Data, F4 goes to Export."""
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    assert pilot.app.query_one("#panes", TabbedContent).active == "export"
    assert pilot.app.focused is pilot.app.query_one("#export-run")


def pane(app) -> ExportPane:
    return app.query_one(ExportPane)


def options(app, selector: str) -> list[str]:
    select = app.query_one(selector, Select)
    return [value for _, value in select._options if value is not Select.NULL]


async def test_choosing_run_checkpoint_and_types_from_the_keyboard(workspace):
    app = make_app(load_config(workspace / "medtui.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await open_export(pilot)
        export = pane(app)
        assert options(app, "#export-run") == [STOPPED, FINISHED]  # newest first
        assert app.query_one("#export-run", Select).value == STOPPED
        assert options(app, "#export-checkpoint") == ["checkpoint-3"]  # a stopped run has no final adapter
        export.choose(FINISHED, "checkpoint-3")
        await settle(pilot)
        assert app.query_one("#export-run", Select).value == FINISHED
        assert options(app, "#export-checkpoint") == ["final", "checkpoint-6", "checkpoint-3"]
        assert app.query_one("#export-checkpoint", Select).value == "checkpoint-3"

        assert export.chosen_quants() == ["Q4_K_M", "Q8_0"]  # from [export] quants
        app.query_one("#export-quants", SelectionList).focus()
        await pilot.press("down", "space")  # tick Q5_K_M
        await pilot.press("up", "space")  # untick Q4_K_M
        assert export.chosen_quants() == ["Q5_K_M", "Q8_0"]

        args = export.export_command(f"{FINISHED}:checkpoint-3", export.chosen_quants())
        assert args[3:6] == ["export", f"{FINISHED}:checkpoint-3", "--events"]
        assert args[args.index("--config") + 1] == str(workspace / "medtui.toml")
        assert f"export.out_dir=\"{workspace / 'exports'}\"" in args
        assert args[-4:] == ["--quant", "Q5_K_M", "--quant", "Q8_0"]


async def test_runs_pane_export_opens_this_pane_with_the_checkpoint_chosen(workspace):
    app = make_app(load_config(workspace / "medtui.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        runs = app.query_one("#runs-table", DataTable)
        assert app.focused is runs
        runs.move_cursor(row=1)  # the finished run, below the newer stopped one
        await settle(pilot)
        assert app.query_one(RunsPane).details.summary.run_id == FINISHED
        await pilot.press("tab")  # to its checkpoints: checkpoint-3, checkpoint-6, final adapter
        ckpts = app.query_one("#ckpt-table", DataTable)
        assert app.focused is ckpts
        ckpts.move_cursor(row=1)  # checkpoint-6
        await pilot.press("e")
        await settle(pilot)
        assert app.query_one("#panes", TabbedContent).active == "export"
        assert app.query_one("#export-run", Select).value == FINISHED
        assert app.query_one("#export-checkpoint", Select).value == "checkpoint-6"


async def test_start_without_a_type_says_what_is_missing(workspace):
    app = make_app(load_config(workspace / "medtui.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await open_export(pilot)
        app.query_one("#export-quants", SelectionList).focus()
        await pilot.press("space", "down", "down", "down", "space")  # untick Q4_K_M and Q8_0
        assert pane(app).chosen_quants() == []
        await pilot.press("s")
        await pilot.pause()
        assert any("Tick at least one" in n.message for n in app._notifications)
        assert not pane(app).running


def test_snapshot_export_pane(workspace, snap_compare):
    app = make_app(load_config(workspace / "medtui.toml"))

    async def choose_final(pilot):
        await open_export(pilot)
        pane(pilot.app).choose(FINISHED, None)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=choose_final)


# -- a real export from the pane (slow) --------------------------------------------------------------


async def wait_until(pilot, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.5)


@pytest.mark.slow
async def test_cancel_then_a_full_export_from_the_pane(trained_run, session_config, tmp_path):
    out = tmp_path / "pane-exports"
    cfg = load_config(session_config, [f"export.out_dir={out}", "export.quants=[\"Q8_0\"]"])
    app = make_app(cfg)
    async with app.run_test(size=SIZE) as pilot:
        await open_export(pilot)
        export = pane(app)
        export.choose(trained_run.name, None)
        await settle(pilot)
        bar = app.query_one("#bar-merge", ProgressBar)

        await pilot.press("s")
        await wait_until(pilot, lambda: (bar.progress or 0) > 0, 300)
        await pilot.press("x")
        await wait_until(pilot, lambda: not export.running, 120)
        assert "cancelled" in str(app.query_one("#export-status", Static).render())
        assert not out.exists() or not any(out.iterdir())

        await pilot.press("s")
        await wait_until(pilot, lambda: not export.running, 900)
        status = str(app.query_one("#export-status", Static).render())
        assert status.startswith("Done"), status
        assert all(app.query_one(f"#bar-{name}", ProgressBar).progress == 100 for name in STAGE_NAMES)
        table = app.query_one("#export-results", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == ["merged/ (safetensors)", export.result["gguf"][0]["path"].rsplit("/", 1)[1]]
        assert rows[1][2] == f"{export.result['gguf'][0]['perplexity']:.3f}"
        assert rows[1][3].endswith("%")
        command = app.query_one("#export-command").plain  # on screen a long path is elided in the middle
        assert f"ollama create {export.result['ollama_name']} -f {out}" in command
        assert Path(export.result["modelfile"]).exists()
        await pilot.press("y")
        await pilot.pause()
        assert any(n.title == "Copied" for n in app._notifications)
        assert app.clipboard == export.result["ollama_create"]  # whole, whatever the screen shows
