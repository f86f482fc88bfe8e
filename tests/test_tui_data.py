"""The Data pane driven from the keyboard: open a file, read its problems, jump to a record."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from medtui.config import load_config
from medtui.tui.app import MedTUI

pytestmark = pytest.mark.slow  # the pane loads the embedded model's tokenizer for lengths and previews

GOOD = [
    {"instruction": "What is a normal resting heart rate?",
     "response": "For most adults it is 60 to 100 beats per minute. This information is for educational purposes only."},
    {"instruction": "What is a fever?", "response": "A temperature of 38 C or higher. See a clinician if it lasts."},
]


def write_workspace(folder: Path) -> Path:
    lines = [json.dumps(GOOD[0]), "", '{"instruction": "What is a fever?", "response": "A temperature',
             json.dumps({"instruction": "", "response": "An empty question."}), json.dumps(GOOD[0]),
             json.dumps({"instruction": "My MRN is 4839201. Is a BP of 120/80 ok?",
                         "response": "Yes, 120/80 mmHg is a normal reading."}),
             json.dumps({"instruction": "Explain asthma", "response": 42})]
    (folder / "bad.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "good.jsonl").write_text("".join(json.dumps(r) + "\n" for r in GOOD))
    (folder / "medtui.toml").write_text('[data]\ntrain_files = ["good.jsonl"]\neval_file = ""\n')
    return folder / "medtui.toml"


async def settle(pilot) -> None:
    """Wait until every worker (validation, tokenizer, preview) and the messages they posted are done."""
    app = pilot.app
    quiet = 0
    for _ in range(2400):  # two minutes at most, on a busy machine
        await pilot.pause()
        busy = any(not w.is_finished for w in app.workers)
        quiet = 0 if busy else quiet + 1
        if quiet >= 3:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("workers did not settle")


def table_rows(app) -> list[tuple]:
    table = app.query_one("#data-problems", DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)[:5]) for i in range(table.row_count)]


async def open_file(pilot, name: str) -> None:
    await pilot.press("ctrl+o", "home", "ctrl+k")
    await pilot.press(*name)
    await pilot.press("enter")
    await settle(pilot)


def test_opens_the_configured_file_first(tmp_path):
    asyncio.run(_opens_the_configured_file_first(tmp_path))


async def _opens_the_configured_file_first(tmp_path):
    cfg = load_config(write_workspace(tmp_path))
    app = MedTUI(cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.query_one("#data-path", Input).value == "good.jsonl"
        summary = str(app.query_one("#data-summary", Static).render())
        assert "records 2" in summary and "usable 2" in summary and "errors 0" in summary
        assert "length checked against [model] max_length 512" in summary
        assert table_rows(app) == []
        title = str(app.query_one("#data-record-title", Static).render())
        assert title.startswith("record 1 (line 1) of 2  usable")
        preview = str(app.query_one("#data-preview", Static).render())
        assert "<|im_start|>assistant\nFor most adults" in preview


def test_open_a_file_read_problems_and_jump_to_a_record(tmp_path):
    asyncio.run(_open_a_file_read_problems_and_jump_to_a_record(tmp_path))


async def _open_a_file_read_problems_and_jump_to_a_record(tmp_path):
    cfg = load_config(write_workspace(tmp_path))
    app = MedTUI(cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_file(pilot, "bad.jsonl")
        summary = str(app.query_one("#data-summary", Static).render())
        assert "bad.jsonl" in summary and "records 6" in summary and "usable 2" in summary
        assert "errors 4" in summary and "warnings 1" in summary
        assert table_rows(app) == [
            ("3", "2", "", "malformed_json", "error"),
            ("4", "3", "instruction", "empty_field", "error"),
            ("5", "4", "", "duplicate", "error"),
            ("6", "5", "instruction", "phi_mrn", "warning"),
            ("7", "6", "response", "wrong_type", "error"),
        ]
        # Move to the duplicate and select it: the record it names is shown.
        app.query_one("#data-problems", DataTable).focus()
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        pane = app.query_one("#data-pane")
        assert pane.record == 4
        title = str(app.query_one("#data-record-title", Static).render())
        assert title.startswith("record 4 (line 5) of 6  excluded from training")
        assert "error duplicate: exact duplicate of record 1 (line 1)" in title
        preview = str(app.query_one("#data-preview", Static).render())
        assert "For most adults it is 60 to 100 beats per minute." in preview
        # Enter moved focus to the record (to scroll it); back to the table and up to the bad line.
        assert app.focused.id == "data-preview-scroll"
        await pilot.press("shift+tab")
        assert app.focused.id == "data-problems"
        await pilot.press("up", "up", "enter")
        await settle(pilot)
        assert pane.record == 2
        preview = str(app.query_one("#data-preview", Static).render())
        assert 'As written in the file:\n{"instruction": "What is a fever?", "response": "A temperature' in preview
        # A record that cannot be rendered shows the line as written; ctrl+down/up step through records.
        await pilot.press("ctrl+down")
        await settle(pilot)
        assert pane.record == 3
        await pilot.press("ctrl+o", "ctrl+up")  # works from the path box too, without typing into it
        await settle(pilot)
        assert pane.record == 2 and app.query_one("#data-path", Input).value == "bad.jsonl"


def test_path_completion_and_a_file_that_cannot_be_read(tmp_path):
    asyncio.run(_path_completion_and_a_file_that_cannot_be_read(tmp_path))


async def _path_completion_and_a_file_that_cannot_be_read(tmp_path):
    cfg = load_config(write_workspace(tmp_path))
    (tmp_path / "plain.jsonl").write_text('{"text": "no known shape"}\n')
    app = MedTUI(cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o", "home", "ctrl+k", "b", "a")
        await pilot.pause()
        await pilot.press("right")  # accept the suggested completion
        assert app.query_one("#data-path", Input).value == "bad.jsonl"
        await open_file(pilot, "plain.jsonl")
        summary = str(app.query_one("#data-summary", Static).render())
        assert "cannot tell the record shape; columns found: text" in summary
        assert table_rows(app) == []


def test_late_length_results_keep_the_selected_record(tmp_path):
    asyncio.run(_late_length_results_keep_the_selected_record(tmp_path))


async def _late_length_results_keep_the_selected_record(tmp_path):
    cfg = load_config(write_workspace(tmp_path))
    app = MedTUI(cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_file(pilot, "bad.jsonl")
        pane = app.query_one("#data-pane")
        table = app.query_one("#data-problems", DataTable)
        table.focus()
        await pilot.press("down", "down")
        await settle(pilot)
        assert pane.record == 4
        # The length check's report arrives with a new problem sorted above the cursor.
        longer = pane.report.copy()
        longer.add("too_long", "900 tokens with the chat template, over [model] max_length 512", record=1)
        longer.sort_problems()
        pane.post_message(pane.Validated(pane._generation, longer, "length checked", final=True))
        await settle(pilot)
        assert pane.record == 4
        assert table_rows(app)[table.cursor_row] == ("5", "4", "", "duplicate", "error")
        assert table_rows(app)[0] == ("1", "1", "", "too_long", "error")


def test_snapshot_of_the_data_pane(tmp_path, snap_compare):
    cfg = load_config(write_workspace(tmp_path))
    app = MedTUI(cfg, cursor_blink=False)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await open_file(pilot, "bad.jsonl")
        app.query_one("#data-problems", DataTable).focus()
        await pilot.press("down", "down", "down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_a_utf16_file_and_a_fifo_show_message_and_hint_as_the_cli_does(tmp_path):
    asyncio.run(_a_utf16_file_and_a_fifo_show_message_and_hint_as_the_cli_does(tmp_path))


async def _a_utf16_file_and_a_fifo_show_message_and_hint_as_the_cli_does(tmp_path):
    import os

    cfg = load_config(write_workspace(tmp_path))
    (tmp_path / "wide.jsonl").write_bytes("".join(json.dumps(r) + "\n" for r in GOOD).encode("utf-16"))
    os.mkfifo(tmp_path / "pipe.jsonl")
    app = MedTUI(cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_file(pilot, "wide.jsonl")
        summary = str(app.query_one("#data-summary", Static).render())
        path = tmp_path / "wide.jsonl"
        assert f"{path}: is UTF-16 text (little-endian, with a byte-order mark); medtui reads UTF-8" in summary
        assert f"hint: convert it: iconv -f UTF-16 -t UTF-8 {path}" in summary
        assert "DataError" not in summary
        await open_file(pilot, "pipe.jsonl")  # today the validation worker blocks on the FIFO for ever
        summary = str(app.query_one("#data-summary", Static).render())
        assert f"{tmp_path / 'pipe.jsonl'}: is a named pipe (FIFO), not a regular file" in summary
