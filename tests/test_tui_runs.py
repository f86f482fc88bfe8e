"""The Runs pane, driven through the real app with Textual's pilot, over run folders written the
way the training worker writes them."""

from __future__ import annotations

from pathlib import Path

import plotext
import pytest
from textual.widgets import DataTable, Static, TabbedContent

from medtui.config import load_config
from medtui.train import events as ev
from medtui.tui import app as app_module
from medtui.tui.app import MedTUI
from medtui.tui.keys import HelpScreen
from medtui.tui.panes.runs import CompareScreen, ConfirmDelete, RunsPane
from test_runs_support import (
    DIED, FAILED, FINISHED, RUNNING, STOPPED, T0, append_event, make_run, running_run,
    write_ended_runs_workspace,
)

SIZE = (120, 40)

# anyio's pytest plugin (installed with Textual's dependencies) runs the async pilot tests.
pytestmark = pytest.mark.anyio


class RecordingApp(MedTUI):
    """The real app; it also remembers what the Runs pane asked the Export pane to open."""

    # Textual resolves a relative CSS_PATH against the subclass's file, which lives in tests/.
    CSS_PATH = str(Path(app_module.__file__).with_name(MedTUI.CSS_PATH))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exports: list[tuple[str, str | None]] = []

    def open_export(self, run_id: str, checkpoint: str | None = None) -> None:
        self.exports.append((run_id, checkpoint))
        super().open_export(run_id, checkpoint)


@pytest.fixture
def workspace(tmp_path) -> Path:
    return write_ended_runs_workspace(tmp_path)


def make_app(workspace: Path) -> RecordingApp:
    return RecordingApp(load_config(workspace / "medtui.toml"))


async def settle(pilot) -> None:
    """Let the pane's reading workers finish and their results reach the widgets."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_runs(pilot) -> None:
    """Start as a user does: the app opens on Data, F3 goes to Runs."""
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    assert pilot.app.query_one("#panes", TabbedContent).active == "runs"
    assert pilot.app.focused is pilot.app.query_one("#runs-table")


def table_ids(app) -> list[str]:
    table = app.query_one("#runs-table", DataTable)
    return [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(table.row_count)]


def cell(app, run: str, column: str) -> str:
    return str(app.query_one("#runs-table", DataTable).get_cell(run, column))


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def noted(pilot, text: str) -> bool:
    """Whether a notification containing `text` arrives (notifications are delivered as messages)."""
    for _ in range(20):
        if any(text in n for n in notes(pilot.app)):
            return True
        await pilot.pause(0.05)
    return False


async def goto(pilot, run: str) -> None:
    pane = pilot.app.query_one(RunsPane)
    table = pilot.app.query_one("#runs-table", DataTable)
    table.focus()
    table.move_cursor(row=table_ids(pilot.app).index(run))
    await settle(pilot)
    assert pane.details.summary.run_id == run


async def test_table_lists_runs_and_selecting_one_shows_its_details(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot)
        assert table_ids(app) == [DIED, STOPPED, FAILED, FINISHED]
        assert [cell(app, r, "status") for r in table_ids(app)] == ["died", "stopped", "failed", "finished"]
        assert cell(app, FINISHED, "best") == "2.7000 @6"
        assert cell(app, FINISHED, "ckpts") == "2 +A"

        await pilot.press("down", "down")  # to the failed run
        await settle(pilot)
        metrics = str(app.query_one("#run-metrics", Static).render())
        assert FAILED in metrics and "CUDA out of memory while training step 4" in metrics
        assert "3.3000 → 3.0000" in metrics
        config = str(app.query_one("#run-config-text", Static).render())
        assert "learning_rate = 0.0005" in config
        ckpts = app.query_one("#ckpt-table", DataTable)
        assert [ckpts.get_row_at(i)[0] for i in range(ckpts.row_count)] == ["checkpoint-3"]
        chart = plotext.uncolorize(app.query_one("#run-plot").plt.build())
        # The failed run's curves: training loss from 3.3, one eval point at 2.9, steps 1 to 4.
        assert "3.300┤ ⢕⢕ train" in chart and "2.900┤" in chart and "•• eval" in chart
        assert chart.splitlines()[-2].split()[-1] == "4.00"


async def test_compare_two_marked_runs(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot)
        await goto(pilot, FAILED)
        await pilot.press("space", "down", "space")  # mark the failed and the finished run
        assert cell(app, FAILED, "mark") == "●" and cell(app, FINISHED, "mark") == "●"
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        config = screen.query_one("#compare-config", DataTable)
        rows = {config.get_row_at(i)[0]: config.get_row_at(i)[1:] for i in range(config.row_count)}
        assert rows == {"lora.r": ["8", "16"], "train.learning_rate": ["0.0005", "0.0002"]}
        metrics = screen.query_one("#compare-metrics", DataTable)
        metric_rows = {metrics.get_row_at(i)[0]: metrics.get_row_at(i)[1:] for i in range(metrics.row_count)}
        assert metric_rows["steps"] == ["4/6", "6/6"]
        assert metric_rows["status"] == ["failed", "finished"]
        legend = screen.query_one("#compare-plot").plt.build()
        assert "A" in legend and "B" in legend
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)


async def test_compare_with_fewer_than_two_runs_says_how(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)
        assert await noted(pilot, "Mark two runs")


async def test_delete_asks_first_and_cancel_keeps_the_run(workspace):
    root = workspace / "checkpoints"
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot)
        await goto(pilot, STOPPED)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("question_mark")  # the help leads with the keys that work in the dialog
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(app.screen.query_one("#help-body", Static).render()).split())
        assert text.startswith("Delete-run dialog y Delete n / esc Cancel ? / f12 Help"), text[:80]
        assert text.index("Delete-run dialog") < text.index("Runs pane")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDelete)
        assert (root / STOPPED).is_dir() and STOPPED in table_ids(app)

        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("y")
        await settle(pilot)
        assert not (root / STOPPED).exists()
        assert table_ids(app) == [DIED, FAILED, FINISHED]
        assert await noted(pilot, f"Deleted run {STOPPED}")
        assert not list(root.glob(".trash-*"))


async def test_delete_and_resume_refuse_a_running_run(workspace):
    with running_run(workspace) as run_dir:
        app = make_app(workspace)
        async with app.run_test(size=SIZE) as pilot:
            await open_runs(pilot)
            await goto(pilot, RUNNING)
            assert cell(app, RUNNING, "status") == "running"
            await pilot.press("d")
            await settle(pilot)
            assert not isinstance(app.screen, ConfirmDelete)
            assert await noted(pilot, f"Run {RUNNING} is running; stop it first.")
            await pilot.press("r")
            await settle(pilot)
            assert await noted(pilot, f"Run {RUNNING} is already running.")
            assert run_dir.is_dir()


async def test_running_run_updates_as_its_worker_logs_steps(workspace):
    run_dir = make_run(workspace / "checkpoints", RUNNING, end=None, steps=2, checkpoints=(), start=T0 + 12000)
    lock = ev.WorkerLock(run_dir)
    assert lock.acquire()
    try:
        app = make_app(workspace)
        async with app.run_test(size=SIZE) as pilot:
            await open_runs(pilot)
            pane = app.query_one(RunsPane)
            await goto(pilot, RUNNING)
            assert cell(app, RUNNING, "steps") == "2/6"
            append_event(run_dir, event="step", time=T0 + 12030, step=3, total=6, epoch=0.1, loss=2.95,
                         learning_rate=1e-4, grad_norm=1.0, tokens_per_s=410.0, memory_mb=910.0, elapsed=30, eta=30)
            append_event(run_dir, event="eval", time=T0 + 12030, step=3, eval_loss=2.85)
            pane.refresh_runs()  # what the two-second timer does
            await settle(pilot)
            assert cell(app, RUNNING, "steps") == "3/6"
            assert cell(app, RUNNING, "best") == "2.8500 @3"
            assert pane.details.loss_curve[-1] == (3, 2.95)
            # The worker goes away without a terminal event: the next refresh says it died.
            lock.release()
            pane.refresh_runs()
            await settle(pilot)
            assert cell(app, RUNNING, "status") == "died"
    finally:
        lock.release()


async def test_resume_passes_on_the_launchers_refusal(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot)
        await goto(pilot, FINISHED)
        await pilot.press("r")
        await settle(pilot)
        # The real launcher refuses to resume a finished run; the pane shows its message.
        assert await noted(pilot, "has finished")


async def test_export_opens_the_export_pane_with_the_chosen_checkpoint(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot)
        await goto(pilot, FINISHED)
        ckpts = app.query_one("#ckpt-table", DataTable)
        assert ckpts.cursor_row == 2  # the final adapter is chosen by default
        await pilot.press("e")
        await pilot.pause()
        assert app.query_one("#panes", TabbedContent).active == "export"
        assert app.exports == [(FINISHED, None)]

        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("tab")  # from the runs table to its checkpoints
        await pilot.pause()
        assert app.focused is ckpts
        await pilot.press("up", "up", "e")  # checkpoint-3
        await pilot.pause()
        assert app.exports[-1] == (FINISHED, "checkpoint-3")
        assert app.query_one("#panes", TabbedContent).active == "export"


async def test_export_of_a_run_without_checkpoints_says_so(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot)
        await goto(pilot, DIED)
        await pilot.press("e")
        await pilot.pause()
        assert app.exports == []
        assert app.query_one("#panes", TabbedContent).active == "runs"
        assert await noted(pilot, "no complete checkpoint")


def test_snapshot_runs_pane(workspace, snap_compare):
    async def select_finished(pilot):
        await open_runs(pilot)
        await goto(pilot, FINISHED)
        await pilot.press("space")
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=SIZE, run_before=select_finished)
