"""The TUI at the sizes people's terminals have: every pane at 80x24, 120x36 and 200x50 (snapshots),
every control and progress bar on screen at 80x24 and 100x30, readable curves at 100x30, the
footer keeping each pane's keys, and the help screen and command palette built from the bindings.

The workspace holds run folders written the way the worker writes them and an export folder
written the way the exporter writes it: nothing trains here (the slow pilot tests in
test_tui_small_terminal.py do the real thing at 80x24)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_runs_support import FINISHED, write_ended_runs_workspace
from textual.widgets import Button, DataTable, ProgressBar, Static, TabbedContent
from textual.widgets._footer import FooterKey

from medtui.config import load_config
from medtui.runs import elide_middle
from medtui.tui import app as app_module
from medtui.tui.app import PANES, MedTUI
from medtui.tui.keys import HelpScreen
from medtui.tui.layout import MIN_CHART_HEIGHT, ChartBox

pytestmark = pytest.mark.anyio

SIZES = [(80, 24), (120, 36), (200, 50)]
EXPORT_NAME = f"{FINISHED}-final"


class LayoutApp(MedTUI):
    # Textual resolves a relative CSS_PATH against the subclass's file, which lives in tests/.
    CSS_PATH = str(Path(app_module.__file__).with_name(MedTUI.CSS_PATH))


def export_result() -> dict:
    """An export's result as the exporter writes it to export.json (paths relative to the
    workspace, so the pictures do not depend on where the test runs)."""
    folder = f"exports/{EXPORT_NAME}"
    return {
        "dir": folder, "modelfile": f"{folder}/Modelfile", "merged": f"{folder}/merged",
        "gguf": [
            {"quant": "Q4_K_M", "path": "model-Q4_K_M.gguf", "bytes": 105_000_000, "perplexity": 9.871,
             "agreement": 0.93},
            {"quant": "Q8_0", "path": "model-Q8_0.gguf", "bytes": 145_000_000, "perplexity": 9.512,
             "agreement": 0.98},
        ],
        "merged_perplexity": 9.498, "merged_bytes": 270_000_000, "run_id": FINISHED, "checkpoint": None,
        "ollama_name": "medtui-smollm2-135m-instruct", "warnings": [],
        "ollama_create": f"ollama create medtui-smollm2-135m-instruct -f {folder}/Modelfile",
    }


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """Four ended runs (finished, failed, stopped, died), an export of the finished one, and a
    data file whose records all have problems (validating it needs no tokenizer)."""
    monkeypatch.chdir(tmp_path)
    write_ended_runs_workspace(tmp_path)
    (tmp_path / "notes.jsonl").write_text(
        '{"instruction": "", "response": "An empty question."}\n'
        '{"instruction": "Explain asthma", "response": 42}\n'
        '{"instruction": "What is a fever?", "response": "A temperature\n')
    (tmp_path / "medtui.toml").write_text(
        '[data]\ntrain_files = ["notes.jsonl"]\neval_file = ""\n'
        '[train]\noutput_dir = "checkpoints"\n'
        '[export]\nout_dir = "exports"\nquants = ["Q4_K_M", "Q8_0"]\nfidelity_records = 6\n')
    export = tmp_path / "exports" / EXPORT_NAME
    export.mkdir(parents=True)
    result = export_result()
    for item in result["gguf"]:
        (export / item["path"]).write_bytes(b"GGUF")  # listed by the Chat pane, never loaded here
    (export / "export.json").write_text(json.dumps(result))
    return tmp_path


def make_app(workspace: Path, pane: str) -> LayoutApp:
    return LayoutApp(load_config(workspace / "medtui.toml"), initial_pane=pane, cursor_blink=False)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot, condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the app did not get there in time"
        await pilot.pause(0.1)


async def prepare(pilot, pane: str) -> None:
    """Bring each pane to the state its picture shows, waiting for what it shows."""
    app = pilot.app
    await settle(pilot)
    if pane == "data":
        await until(pilot, lambda: app.query_one("#data-problems", DataTable).row_count == 3)
    elif pane == "train":
        train = app.query_one("#train-pane")
        await until(pilot, lambda: train.view is not None and train.view.steps)
    elif pane == "runs":
        await until(pilot, lambda: app.query_one("#runs-pane").details is not None)
    elif pane == "export":
        export = app.query_one("#export-pane")
        await until(pilot, lambda: FINISHED in export.summaries)
        export.choose(FINISHED, None)
        await settle(pilot)
        export.post_message(export.Finished(export_result()))
        await until(pilot, lambda: export.result is not None)
    elif pane == "chat":
        await until(pilot, lambda: app.focused is not None and app.focused.id == "chat-input")
    await settle(pilot)
    await pilot.pause(0.3)


# -- snapshots: 5 panes x 3 sizes --------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pane", [name for name, _, _ in PANES])
def test_snapshot_every_pane_at_three_sizes(workspace, snap_compare, pane, size):
    async def run_before(pilot):
        await prepare(pilot, pane)

    assert snap_compare(make_app(workspace, pane), terminal_size=size, run_before=run_before)


# -- nothing off screen -------------------------------------------------------------------------------

def _shown(widget) -> bool:
    return all(node.display for node in widget.ancestors_with_self if hasattr(node, "display"))


def off_screen(app) -> list[str]:
    """The controls and progress bars of the front screen that are displayed but not wholly visible."""
    screen = app.screen
    missing = []
    for widget in screen.query("*"):
        if not _shown(widget) or isinstance(widget, FooterKey):
            continue
        if not (widget.focusable or isinstance(widget, (ProgressBar, Button))):
            continue
        tabs = next((n for n in widget.ancestors if isinstance(n, TabbedContent)), None)
        if tabs is not None and widget not in tabs.active_pane.query("*"):
            continue  # in a tab at the back
        region = widget.region
        if not region.area or not screen.region.contains_region(region):
            missing.append(f"{widget!r} at {region}")
    return missing


def footer_problems(app, pane_name: str) -> list[str]:
    """The pane's footer keys that are missing, or hidden behind the command palette key."""
    keys = {key.action: key for key in app.screen.query(FooterKey)}
    palette = next(k for k in keys.values() if k.has_class("-command-palette"))
    problems = []
    pane = app.query_one(f"#{pane_name}-pane")
    wanted = {b.action for bs in pane._bindings.key_to_bindings.values() for b in bs
              if b.show and pane.check_action(b.action, ()) is not False}
    for action in sorted(wanted | {"help", "quit"}):
        key = keys.get(action)
        if key is None:
            problems.append(f"{action}: not in the footer")
        elif key.region.right > palette.region.x:
            problems.append(f"{action}: cut off at column {palette.region.x}")
    return problems


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (130, 28)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pane", [name for name, _, _ in PANES])
async def test_every_control_and_footer_key_is_on_screen(workspace, pane, size):
    app = make_app(workspace, pane)
    async with app.run_test(size=size) as pilot:
        await prepare(pilot, pane)
        assert off_screen(app) == []
        assert footer_problems(app, pane) == []
        if pane == "train":
            # The run view: its progress bar and both curves; ctrl+f: the whole form, then back.
            train = app.query_one("#train-pane")
            assert train.view_mode == "run" and not app.query_one("#train-form").display
            await pilot.press("ctrl+f")
            await pilot.pause()
            assert train.view_mode == "form" and app.focused.id == "train-model"
            assert off_screen(app) == []
            await pilot.pause(0.3)
            assert footer_problems(app, pane) == []  # typing in a field: F12 for help instead of ?
            assert app.query_one("#train-others").region.area  # the keys that are not fields
            await pilot.press("ctrl+f")
            await pilot.pause()
            assert train.view_mode == "run" and app.focused.id == "train-log"


async def test_train_curves_are_readable_at_100x30(workspace):
    app = make_app(workspace, "train")
    async with app.run_test(size=(100, 30)) as pilot:
        await prepare(pilot, "train")
        box = app.query_one("#train-charts", ChartBox)
        assert not box.sparks
        for plot_id in ("#train-loss-chart", "#train-lr-chart"):
            assert app.query_one(plot_id).region.height >= MIN_CHART_HEIGHT


async def test_a_tiny_terminal_gets_sparklines_with_the_latest_values(workspace):
    app = make_app(workspace, "train")
    async with app.run_test(size=(80, 16)) as pilot:
        await prepare(pilot, "train")
        box = app.query_one("#train-charts", ChartBox)
        assert box.sparks
        loss = str(app.query_one("#train-loss-chart-spark").render())
        lr = str(app.query_one("#train-lr-chart-spark").render())
        # The died run logged two steps: loss 3.3 then 3.2, learning rate 1.67e-4 then 1.33e-4.
        assert loss.startswith("loss ") and loss.rstrip().endswith("3.2")
        assert lr.startswith("learning rate ") and lr.rstrip().endswith("0.000133")
        assert any(c in loss for c in "▁▂▃▄▅▆▇█")
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.3)
        assert not box.sparks


async def test_the_layout_follows_a_resize(workspace):
    """From a wide terminal to 80x24 and back: the Train form folds away while the run is shown."""
    app = make_app(workspace, "train")
    async with app.run_test(size=(160, 45)) as pilot:
        await prepare(pilot, "train")
        assert app.screen.has_class("-wide") and app.screen.has_class("-tall")
        assert app.query_one("#train-form").region.area and app.query_one("#train-status-box").region.area
        assert not app.query_one("#export-run").compact  # a bordered select where there is room
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        assert app.screen.has_class("-narrow") and app.screen.has_class("-short")
        assert not app.query_one("#train-form").region.area
        assert app.query_one("#export-run").compact  # one row, borderless
        assert off_screen(app) == []
        await pilot.resize_terminal(160, 45)
        await pilot.pause(0.3)
        assert app.query_one("#train-form").region.area and not app.query_one("#export-run").compact


async def test_long_run_ids_are_elided_in_the_middle_on_a_narrow_runs_table(workspace):
    app = make_app(workspace, "runs")
    async with app.run_test(size=(70, 24)) as pilot:
        await prepare(pilot, "runs")
        table = app.query_one("#runs-table", DataTable)
        shown = str(table.get_cell(FINISHED, "id"))
        assert shown != FINISHED and "…" in shown
        assert shown.startswith(FINISHED[:8]) and shown.endswith(FINISHED[-8:])  # date and model slug kept
        assert table.region.right <= 70 and table.virtual_size.width <= table.size.width


def test_elide_middle_keeps_both_ends():
    path = "/home/someone/medtui/checkpoints/20250101-100000-smollm2-135m-instruct/adapter"
    assert elide_middle(path, 200) == path
    short = elide_middle(path, 30)
    assert len(short) == 30 and short.startswith("/home/someone") and short.endswith("nstruct/adapter")
    assert short.count("…") == 1
    assert elide_middle(path, 1) == "…" and elide_middle(path, 0) == ""


# -- help screen and command palette ----------------------------------------------------------------

async def test_question_mark_lists_every_pane_key_from_the_bindings(workspace):
    app = make_app(workspace, "runs")
    async with app.run_test(size=(100, 30)) as pilot:
        await prepare(pilot, "runs")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(app.screen.query_one("#help-body", Static).render()).split())  # lines wrap
        for name, title, key in PANES:
            assert f"{title} pane" in text
            pane = app.query_one(f"#{name}-pane")
            for bindings in pane._bindings.key_to_bindings.values():
                for binding in bindings:
                    assert binding.description in text and binding.tooltip in text
        assert "^s Start — start a run" in text
        assert "d / del Delete" in text  # one action, two keys, one entry
        assert text.index("Runs pane") < text.index("Everywhere") < text.index("Data pane")  # the pane in use first
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_while_typing_question_mark_is_text_and_f12_opens_the_help(workspace):
    app = make_app(workspace, "chat")
    async with app.run_test(size=(80, 24)) as pilot:
        await prepare(pilot, "chat")
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.query_one("#chat-input").value == "?"
        keys = {key.action: key.key for key in app.screen.query(FooterKey)}
        assert keys["help"] == "f12"  # the footer offers the key that works here
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_every_pane_action_is_in_the_command_palette(workspace):
    app = make_app(workspace, "data")
    async with app.run_test(size=(100, 30)) as pilot:
        await prepare(pilot, "data")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for name, title, key in PANES:
            assert f"Go to {title}" in titles
            pane = app.query_one(f"#{name}-pane")
            for bindings in pane._bindings.key_to_bindings.values():
                for binding in bindings:
                    assert f"{title}: {binding.description}" in titles
        # By keys alone: ctrl+p, a few letters of the name, Enter runs the action in its pane.
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        await pilot.press(*("space" if c == " " else c for c in "Runs: Mark"))
        await pilot.pause(1.0)
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#panes", TabbedContent).active == "runs"
        runs = app.query_one("#runs-pane")
        await until(pilot, lambda: len(runs.marked) == 1)


async def test_the_runs_dialogs_fit_80x24(workspace):
    """Compare (two marked runs) and the delete question keep their controls on a small screen."""
    from medtui.tui.panes.runs import CompareScreen, ConfirmDelete

    app = make_app(workspace, "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await prepare(pilot, "runs")
        await pilot.press("space", "down", "space", "c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await settle(pilot)
        assert off_screen(app) == []
        assert app.screen.query_one("#compare-plot").region.height >= MIN_CHART_HEIGHT
        await pilot.press("escape", "d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDelete))
        await settle(pilot)
        assert off_screen(app) == []
        await pilot.press("n")
