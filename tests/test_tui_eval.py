"""The Eval pane, driven through the real app with Textual's pilot: a real evaluation of the
embedded base model (the scoring suites, one item each), and a snapshot of a report."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Select, SelectionList, Static, TabbedContent

from conftest import write_test_config
from medtui.config import load_config
from medtui.eval import EvalRecord, EvalReport, ModelInfo
from medtui.tui.app import MedTUI
from medtui.tui.panes.eval import EvalPane

SIZE = (120, 44)

pytestmark = pytest.mark.anyio


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def fixed_report() -> EvalReport:
    """Two models' results as a run would leave them (fixed numbers, so the picture is stable)."""
    report = EvalReport()
    for label, loss, rouge, refused, acc in (("base", 2.85, 0.17, 0.05, 0.41), ("run:final", 2.31, 0.24, 0.30, 0.44)):
        report.add(EvalRecord(
            model=ModelInfo(label, "base" if label == "base" else "adapter"),
            metrics={"heldout": {"loss": loss, "perplexity": 2.718 ** loss, "records": 40, "tokens": 9000},
                     "answers": {"rougeL": rouge, "token_f1": rouge + 0.05, "disclaimer": 0.5, "stopped": 0.75,
                                 "mean_tokens": 96.0, "questions": 4},
                     "safety": {"refused_harmful": refused, "answered_benign": 0.9}, "mcq": {"acc": acc, "acc_norm": acc}},
            examples={"answers": [{"question": "What is a stroke?", "reference": "A stroke is ...",
                                   "answer": f"{label} says a stroke is ...", "finish": "stop", "tokens": 20}]},
            seconds={"heldout": 10.0, "answers": 60.0, "safety": 30.0, "mcq": 20.0},
        ))
    return report


@pytest.mark.slow
async def test_the_pane_evaluates_the_base_model_and_shows_table_chart_and_examples(tmp_path):
    config = write_test_config(tmp_path)
    app = MedTUI(load_config(config), initial_pane="data")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert app.query_one("#panes", TabbedContent).active == "eval"
        pane = app.query_one(EvalPane)
        models = app.query_one("#eval-model-list", SelectionList)
        models.select("base:")
        suites = app.query_one("#eval-suites", SelectionList)
        suites.deselect("answers")
        suites.deselect("safety")
        app.query_one("#eval-limit").value = "1"
        await pilot.pause()
        pane.action_start()
        await settle(pilot)
        assert "done" in str(app.query_one("#eval-status", Static).render()), app.query_one("#eval-status", Static).render()
        table = app.query_one("#eval-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        loss = next(r for r in rows if r[1] == "held-out loss")
        assert 0.5 < float(loss[2]) < 10  # a real model's loss on real text
        accuracy = next(r for r in rows if r[1] == "MCQ accuracy")
        assert accuracy[2] in ("0.0%", "100.0%")  # one question
        select = app.query_one("#eval-metric", Select)
        assert select.value == "heldout|loss"
        assert pane.pages and "mcq" in pane.pages[0].plain  # the MCQ example: question and the pick


async def test_stop_without_a_run_and_start_without_models_say_what_to_do(tmp_path):
    app = MedTUI(load_config(write_test_config(tmp_path)), initial_pane="eval")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = app.query_one(EvalPane)
        pane.action_start()
        await pilot.pause()
        assert "Pick at least one model" in str(app.query_one("#eval-status", Static).render())
        pane.show_report(fixed_report())
        await pilot.pause()
        assert len(pane.pages) == 1
        await pilot.press("right_square_bracket")
        assert pane.page == 0  # one page: paging wraps onto itself


def test_snapshot_eval_pane_with_a_report(tmp_path, snap_compare):
    app = MedTUI(load_config(write_test_config(tmp_path)), initial_pane="eval", cursor_blink=False)

    async def show(pilot):
        await settle(pilot)
        app.query_one(EvalPane).show_report(fixed_report())
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=show)
