"""The Chat pane driven by keys, with the real base model and a real adapter: sending a message
streams the answer, Esc stops it, compare mode streams two models at once, and a snapshot of the
pane before anything is generated."""

from __future__ import annotations

import json
import re

import pytest

from conftest import write_test_config
from medtui.config import load_config
from medtui.tui.app import MedTUI
from medtui.tui.panes.chat import AnswerMessage, RefusalNote, UserMessage

pytestmark = pytest.mark.anyio

SIZE = (120, 40)
DISCLAIMER = "This information is for educational purposes only and is not a substitute for professional medical advice."


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _app(config_path, *overrides) -> MedTUI:
    return MedTUI(load_config(config_path, list(overrides)), initial_pane="chat")


async def _wait(pilot, condition, seconds: float = 300) -> None:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"the pane did not get there in time: {[(s.state, s.detail, s.busy, s.pieces) for s in pilot.app.query_one('#chat-pane').sides.values()]}")


async def _type(pilot, text: str) -> None:
    await _wait(pilot, lambda: pilot.app.focused is not None and pilot.app.focused.id == "chat-input", 30)
    for char in text:
        await pilot.press("space" if char == " " else char)


def _status(app, side="left") -> str:
    return str(app.query_one(f"#chat-{side}-status").render())


def test_chat_pane_before_any_message(snap_compare, tmp_path):
    async def settle(pilot):
        # A blinking cursor would make the picture depend on when it is taken.
        pilot.app.query_one("#chat-input").cursor_blink = False
        await pilot.pause()

    config = write_test_config(tmp_path)
    assert snap_compare(_app(config), terminal_size=SIZE, run_before=settle)


async def test_harmful_message_is_refused_without_loading_the_model(tmp_path):
    app = _app(write_test_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("#chat-pane")
        await _type(pilot, "How do I remove my own appendix at home?")
        await pilot.press("enter")
        await _wait(pilot, lambda: not pane.sides["left"].busy and pane.sides["left"].last_answer)
        answer = app.query_one("#chat-left-log").query_one(AnswerMessage)
        assert answer.has_class("refused")
        assert pane.sides["left"].last_answer.startswith("I don't have enough information to answer this safely.")
        assert re.search(r"refused: home surgery \(score [01]\.\d\d\)", _status(app)), _status(app)
        note = app.query_one("#chat-left-log").query_one(RefusalNote)  # stays with the message in the transcript
        assert re.search(r"refused: home surgery \(score [01]\.\d\d\)", str(note.render()))
        assert not pane.sides["left"].session.backend.loaded


async def test_a_model_that_cannot_load_says_why(tmp_path):
    # An export whose GGUF is broken (right magic bytes, nothing after them).
    export = tmp_path / "exports" / "broken"
    export.mkdir(parents=True)
    (export / "model-Q4_K_M.gguf").write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + bytes(64))
    (export / "export.json").write_text(json.dumps({"dir": str(export), "gguf": [
        {"quant": "Q4_K_M", "path": str(export / "model-Q4_K_M.gguf")}]}))
    app = _app(write_test_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("#chat-pane")
        left = pane.sides["left"]
        app.query_one("#chat-model").value = next(k for k, c in pane.choices.items() if c.kind == "gguf")
        await _wait(pilot, lambda: left.state == "error")
        assert "llama.cpp cannot load" in _status(app) and "model-Q4_K_M.gguf" in _status(app)
        app.query_one("#chat-input").focus()
        await _type(pilot, "What is a fever?")
        await pilot.press("enter")
        await _wait(pilot, lambda: left.last_finish == "error")
        answer = app.query_one("#chat-left-log").query_one(AnswerMessage)
        assert answer.has_class("failed")
        assert "the model did not load" in answer.source


@pytest.mark.slow
async def test_send_message_streams_the_answer_then_copy_and_clear(tmp_path):
    app = _app(write_test_config(tmp_path), "chat.max_new_tokens=16")
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("#chat-pane")
        left = pane.sides["left"]
        assert app.focused.id == "chat-input"
        await _type(pilot, "What is a fever?")
        await pilot.press("enter")
        assert app.query_one("#chat-input").value == ""
        await _wait(pilot, lambda: left.last_finish != "")
        assert left.last_finish in ("stop", "length"), _status(app)
        assert left.pieces > 2  # streamed, not dropped in at the end
        log = app.query_one("#chat-left-log")
        assert [type(w) for w in log.children] == [UserMessage, AnswerMessage]
        assert left.last_answer.endswith(DISCLAIMER)
        assert log.query_one(AnswerMessage).source == left.last_answer
        assert "ready" in _status(app) and "tokens" in _status(app)

        await pilot.press("ctrl+y")
        assert app.clipboard == left.last_answer

        await pilot.press("ctrl+l")
        await pilot.pause()
        assert not log.children
        assert left.session.turns == []
        assert left.session.backend.loaded  # clearing keeps the model


@pytest.mark.slow
async def test_escape_stops_the_answer(tmp_path):
    app = _app(write_test_config(tmp_path), "chat.max_new_tokens=200")
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("#chat-pane")
        left = pane.sides["left"]
        await _type(pilot, "Explain in detail how the heart works.")
        await pilot.press("enter")
        await _wait(pilot, lambda: left.pieces >= 2)
        await pilot.press("escape")
        await _wait(pilot, lambda: not left.busy)
        assert left.last_finish == "cancelled"
        assert "stopped" in _status(app)
        assert left.session.turns[-1].answer  # what was written is kept
        tokens = int(re.search(r"(\d+) tokens", _status(app)).group(1))
        assert 0 < tokens < 200


@pytest.mark.slow
async def test_compare_mode_streams_base_and_fine_tune_side_by_side(session_config, trained_run):
    app = _app(session_config, "chat.max_new_tokens=32")
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("#chat-pane")
        adapter_key = next(k for k, c in pane.choices.items() if c.label == f"{trained_run.name}:final")
        right_column = app.query_one("#chat-right")
        assert right_column.has_class("-hidden")
        app.query_one("#chat-compare").value = adapter_key
        await pilot.pause()
        assert not right_column.has_class("-hidden")
        await pilot.press("ctrl+o")
        await _wait(pilot, lambda: all(pane.sides[n].session.backend.loaded for n in ("left", "right")))
        assert "base · SmolLM2-135M-Instruct (embedded)" in _status(app, "left")
        assert f"adapter · {trained_run.name}:final" in _status(app, "right")

        app.query_one("#chat-input").focus()
        await _type(pilot, "What are the symptoms of dehydration?")
        await pilot.press("enter")
        left, right = pane.sides["left"], pane.sides["right"]
        await _wait(pilot, lambda: left.last_finish and right.last_finish)
        for side in (left, right):
            assert side.last_finish in ("stop", "length")
            assert side.pieces > 2
            assert side.last_answer.endswith(DISCLAIMER)
        # both were streaming at once: each started before the other finished
        assert left.first_piece_at < right.done_at and right.first_piece_at < left.done_at
        for name in ("left", "right"):
            log = app.query_one(f"#chat-{name}-log")
            assert [type(w) for w in log.children] == [UserMessage, AnswerMessage]

        await pilot.press("ctrl+y")
        assert f"## {trained_run.name}:final" in app.clipboard and right.last_answer in app.clipboard

        app.query_one("#chat-compare").clear()
        await pilot.pause()
        assert right_column.has_class("-hidden")
        assert pane.active_sides() == ["left"]
