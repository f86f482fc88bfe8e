"""The Chat pane: pick a model (base, a run's adapter or checkpoint, an export's GGUF), type, and
watch the answer stream in as Markdown; optionally a second model answers the same prompt beside it.

Loading and generation run in thread workers (medtui.chat does the work); workers only post
messages, and the widgets change in the handlers. Each column's state carries an epoch that
changes when its model changes or the conversation is cleared, so late messages from a superseded
worker are dropped instead of landing in the wrong conversation.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Markdown, Select, Static

from medtui.tui.panes import pane_is_shown
from medtui.chat import FINISH_LABELS, ChatError, ChatSession, ModelChoice, list_choices, make_backend
from medtui.errors import describe_error

SIDES = ("left", "right")
KIND_LABEL = {"base": "base", "adapter": "adapter", "gguf": "gguf"}


def _option_label(choice: ModelChoice) -> str:
    return f"{KIND_LABEL[choice.kind]:<7} {choice.label}"


@dataclass
class Side:
    """One column: its model choice, the session once made, and what it is doing."""

    name: str
    choice: ModelChoice | None = None
    session: ChatSession | None = None
    state: str = "not loaded"
    detail: str = ""
    epoch: int = 0
    busy: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    load_lock: threading.Lock = field(default_factory=threading.Lock)
    stream: object | None = None  # the MarkdownStream of the answer being written
    answer_widget: Markdown | None = None
    last_answer: str = ""
    pieces: int = 0
    first_piece_at: float | None = None
    done_at: float | None = None
    last_finish: str = ""


class UserMessage(Static):
    """The user's prompt, shown as typed (no markup)."""

    def __init__(self, text: str, **kwargs):
        super().__init__(f"You: {text}", markup=False, **kwargs)


class RefusalNote(Static):
    """Under a refused answer: which harm the screen saw and its score, kept with the message."""


class AnswerMessage(Markdown):
    """One model answer, rendered as Markdown while it streams."""


class ChatColumn(Vertical):
    """A model's status line above its transcript."""

    def __init__(self, side: str, **kwargs):
        super().__init__(id=f"chat-{side}", **kwargs)
        self.side = side

    def compose(self) -> ComposeResult:
        yield Static("", id=f"chat-{self.side}-status", classes="chat-status", markup=False)
        yield VerticalScroll(id=f"chat-{self.side}-log", classes="chat-log")


class ChatPane(Widget):
    # Unscoped: Textual would prefix the pane's type to rules that start with `Screen.-narrow`
    # (the breakpoint classes, medtui.tui.layout), and they would never match.
    SCOPED_CSS = False
    DEFAULT_CSS = """
    ChatPane { layout: vertical; height: 1fr; }
    ChatPane #chat-bar { height: auto; padding: 0 1; }
    ChatPane #chat-bar Label { padding: 1 1 0 0; }
    ChatPane #chat-bar Select { width: 1fr; margin-right: 1; }
    /* Run ids with a checkpoint are wider than the box; the open list may be wider than the box. */
    ChatPane #chat-bar Select > SelectOverlay { width: auto; min-width: 100%; max-width: 90; }
    ChatPane #chat-bar SelectCurrent Static#label { text-wrap: nowrap; text-overflow: ellipsis; }
    ChatPane #chat-columns { height: 1fr; }
    ChatPane ChatColumn { width: 1fr; border: round $primary-darken-1; padding: 0 1; }
    ChatPane ChatColumn.-hidden { display: none; }
    ChatPane .chat-status { height: 2; color: $text-muted; }
    ChatPane .chat-log { height: 1fr; }
    ChatPane UserMessage { margin-top: 1; color: $accent; text-style: bold; }
    ChatPane AnswerMessage { margin: 0; padding: 0; }
    ChatPane AnswerMessage.refused { border-left: thick $warning; padding-left: 1; }
    ChatPane AnswerMessage.failed { border-left: thick $error; padding-left: 1; }
    ChatPane RefusalNote { color: $warning; padding-left: 2; }
    ChatPane #chat-input { dock: bottom; margin: 0 1; }
    /* Compact screens have one-row Selects (medtui.tui.layout.fit_controls): labels on the same row. */
    Screen.-narrow ChatPane #chat-bar Label, Screen.-short ChatPane #chat-bar Label { padding: 0 1 0 0; }
    /* Narrow: one select per row, so a run id with its checkpoint is shown whole. */
    Screen.-narrow ChatPane #chat-bar { layout: grid; grid-size: 2; grid-columns: 13 1fr; grid-rows: 1; height: auto; }
    Screen.-short ChatPane #chat-bar { padding: 0 1; }
    Screen.-narrow ChatPane #chat-bar Select { margin-right: 0; }
    """

    BINDINGS = [
        Binding("escape", "stop", "Stop", tooltip="stop the answer being written (what was written is kept)"),
        Binding("ctrl+o", "load", "Load", tooltip="load the chosen model(s) now rather than with the first message"),
        Binding("ctrl+l", "clear", "Clear", tooltip="start a new conversation (the model stays loaded)"),
        Binding("ctrl+y", "copy_last", "Copy", tooltip="copy the last answer"),
        Binding("ctrl+r", "refresh_models", "Rescan",
                tooltip="list the models again: base, runs' adapters and checkpoints, exports' GGUFs"),
    ]

    # ---- messages from workers ------------------------------------------------------------

    class Status(Message):
        def __init__(self, side: str, epoch: int, state: str, detail: str = ""):
            super().__init__()
            self.side, self.epoch, self.state, self.detail = side, epoch, state, detail

    class Piece(Message):
        def __init__(self, side: str, epoch: int, text: str):
            super().__init__()
            self.side, self.epoch, self.text = side, epoch, text

    class Done(Message):
        def __init__(self, side: str, epoch: int, reply=None, error: str | None = None):
            super().__init__()
            self.side, self.epoch, self.reply, self.error = side, epoch, reply, error

    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.sides = {name: Side(name) for name in SIDES}
        self.choices: dict[str, ModelChoice] = {}

    # ---- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        choices = list_choices(self.cfg)
        self.choices = {c.key: c for c in choices}
        options = [(_option_label(c), c.key) for c in choices]
        self._prepare_side("left", choices[0])
        # First in the DOM (docked at the bottom) so it is first in the focus chain: the screen's
        # auto-focus and Tab from elsewhere land on the prompt.
        yield Input(placeholder="Ask a medical question and press Enter", id="chat-input")
        with Horizontal(id="chat-bar"):
            yield Label("Model")
            yield Select(options, id="chat-model", allow_blank=False, value=choices[0].key)
            yield Label("Compare with")
            yield Select(options, id="chat-compare", prompt="nothing (one model)")
        with Horizontal(id="chat-columns"):
            yield ChatColumn("left")
            yield ChatColumn("right", classes="-hidden")

    def on_mount(self) -> None:
        for name in SIDES:
            self._render_status(name)

    def on_unmount(self) -> None:
        # Free models while the interpreter is whole (llama-cpp-python's __del__ at exit can fail loudly).
        for side in self.sides.values():
            side.cancel.set()
            if side.session is not None:
                side.session.backend.unload()

    def on_show(self) -> None:
        # Arriving on the tab means typing: the prompt takes the keys (and the footer shows ours).
        if pane_is_shown(self):
            self.query_one("#chat-input", Input).focus()

    # ---- choosing models ------------------------------------------------------------------

    @on(Select.Changed, "#chat-model")
    def _model_changed(self, event: Select.Changed) -> None:
        choice = self.choices.get(event.value) if event.value is not Select.NULL else None
        current = self.sides["left"].choice
        if choice is not None and (current is None or choice.key != current.key):
            self._set_choice("left", choice, load=True)
        self._back_to_prompt()

    @on(Select.Changed, "#chat-compare")
    def _compare_changed(self, event: Select.Changed) -> None:
        column = self.query_one("#chat-right", ChatColumn)
        if event.value is Select.NULL:
            self._drop_side("right")
            column.add_class("-hidden")
        else:
            choice = self.choices.get(event.value)
            current = self.sides["right"].choice
            column.remove_class("-hidden")
            if choice is not None and (current is None or choice.key != current.key):
                self._set_choice("right", choice, load=True)
        self._back_to_prompt()

    def _back_to_prompt(self) -> None:
        """After a model is picked the next thing to do is type, while it loads."""
        if self.is_mounted and pane_is_shown(self):
            self.query_one("#chat-input", Input).focus()

    def select_model(self, kind: str, path: str = "", side: str = "left") -> bool:
        """Choose a model from elsewhere in the app (e.g. an export just written)."""
        self.action_refresh_models()
        key = ModelChoice(kind, "", path).key
        if key not in self.choices:
            return False
        self.query_one("#chat-model" if side == "left" else "#chat-compare", Select).value = key
        return True

    def _prepare_side(self, name: str, choice: ModelChoice) -> None:
        """A new (unloaded) session for the choice; loading is left to a worker."""
        side = self.sides[name]
        side.choice = choice
        try:
            side.session = ChatSession.from_config(make_backend(choice, self.cfg), self.cfg)
            side.state, side.detail = "not loaded", "loads with the first message"
        except ChatError as exc:
            side.session = None
            side.state, side.detail = "error", describe_error(exc)

    def _set_choice(self, name: str, choice: ModelChoice, load: bool) -> None:
        self._drop_side(name)
        self._prepare_side(name, choice)
        self._clear_log(name)
        self._render_status(name)
        if load:
            self._start_load(name)

    def _start_load(self, name: str) -> bool:
        side = self.sides[name]
        if side.session is None or side.session.backend.loaded:
            return False
        session, epoch = side.session, side.epoch
        self.run_worker(lambda: self._load(name, epoch, session), thread=True, group=f"load-{name}")
        return True

    def _drop_side(self, name: str) -> None:
        """Forget a column's model: stop its answer and let the backend go."""
        side = self.sides[name]
        side.cancel.set()
        side.epoch += 1
        side.cancel = threading.Event()
        side.busy = False
        if side.session is not None:
            backend = side.session.backend
            self.run_worker(backend.unload, thread=True, group=f"unload-{name}")
        side.session, side.choice, side.stream, side.answer_widget = None, None, None, None
        side.last_answer, side.state, side.detail = "", "not loaded", ""

    def action_refresh_models(self) -> None:
        choices = list_choices(self.cfg)
        self.choices = {c.key: c for c in choices}
        options = [(_option_label(c), c.key) for c in choices]
        for select_id, name in (("#chat-model", "left"), ("#chat-compare", "right")):
            select = self.query_one(select_id, Select)
            current = self.sides[name].choice
            with select.prevent(Select.Changed):
                select.set_options(options)
                if current is not None and current.key in self.choices:
                    select.value = current.key
        self.notify(f"{len(choices)} models: base, {sum(c.kind == 'adapter' for c in choices)} adapters, "
                    f"{sum(c.kind == 'gguf' for c in choices)} GGUFs")

    # ---- workers (threads: they only post messages) ---------------------------------------

    def _load(self, name: str, epoch: int, session: ChatSession) -> str | None:
        """Load the session's model (once); None when it is ready, else why it is not."""
        side = self.sides[name]
        with side.load_lock:
            if session.backend.loaded:
                return None
            self.post_message(self.Status(name, epoch, "loading", "reading the model"))
            try:
                session.backend.load(lambda message: self.post_message(self.Status(name, epoch, "loading", message)))
            except Exception as exc:  # a message on screen as the CLI prints it, never a traceback over the UI
                problem = describe_error(exc)
            else:
                problem = None
        if problem is not None:
            self.post_message(self.Status(name, epoch, "error", problem))
            return problem
        self.post_message(self.Status(name, epoch, "ready", session.backend.device_used))
        return None

    def _answer_worker(self, name: str, epoch: int, session: ChatSession, text: str,
                       cancel: threading.Event) -> None:
        try:
            problem = None if session.screen(text).refused else self._load(name, epoch, session)
            if problem is not None:
                self.post_message(self.Done(name, epoch, error=f"the model did not load: {problem}"))
                return
            reply = session.send(text, cancel)
            self.post_message(self.Status(name, epoch, "answering"))
            for piece in reply:
                self.post_message(self.Piece(name, epoch, piece))
            self.post_message(self.Done(name, epoch, reply))
        except Exception as exc:
            self.post_message(self.Done(name, epoch, error=describe_error(exc)))

    # ---- sending --------------------------------------------------------------------------

    def active_sides(self) -> list[str]:
        right_shown = not self.query_one("#chat-right", ChatColumn).has_class("-hidden")
        return [n for n in SIDES if self.sides[n].session is not None and (n == "left" or right_shown)]

    @on(Input.Submitted, "#chat-input")
    async def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        names = self.active_sides()
        if not names:
            self.notify("Choose a model first", severity="warning")
            return
        if any(self.sides[n].busy for n in names):
            self.notify("An answer is still being written: wait, or press Esc to stop it", severity="warning")
            return
        event.input.value = ""
        for name in names:
            await self._start_answer(name, text)

    async def send(self, text: str) -> None:
        """Send a prompt as if typed (used by other panes and tests)."""
        self.query_one("#chat-input", Input).value = text
        await self._submitted(Input.Submitted(self.query_one("#chat-input", Input), text))

    async def _start_answer(self, name: str, text: str) -> None:
        side = self.sides[name]
        log = self.query_one(f"#chat-{name}-log", VerticalScroll)
        answer = AnswerMessage("", classes="answer")
        await log.mount(UserMessage(text, classes="user"))
        await log.mount(answer)
        log.anchor()
        side.answer_widget = answer
        side.stream = Markdown.get_stream(answer)
        side.busy = True
        side.cancel = threading.Event()
        side.pieces, side.first_piece_at, side.done_at, side.last_finish = 0, None, None, ""
        side.state, side.detail = "answering", ""
        self._render_status(name)
        cancel, epoch, session = side.cancel, side.epoch, side.session
        self.run_worker(lambda: self._answer_worker(name, epoch, session, text, cancel), thread=True,
                        group=f"answer-{name}")

    # ---- handlers -------------------------------------------------------------------------

    def _current(self, message) -> Side | None:
        side = self.sides[message.side]
        return side if message.epoch == side.epoch else None

    def on_chat_pane_status(self, message: Status) -> None:
        side = self._current(message)
        if side is None:
            return
        if side.busy and message.state == "ready":
            side.state, side.detail = "answering", ""
        else:
            side.state, side.detail = message.state, message.detail
        self._render_status(message.side)

    async def on_chat_pane_piece(self, message: Piece) -> None:
        side = self._current(message)
        if side is None or side.stream is None:
            return
        side.pieces += 1
        if side.first_piece_at is None:
            side.first_piece_at = time.monotonic()
        await side.stream.write(message.text)

    async def on_chat_pane_done(self, message: Done) -> None:
        side = self._current(message)
        if side is None:
            return
        if side.stream is not None:
            await side.stream.stop()
        side.stream = None
        side.busy = False
        side.done_at = time.monotonic()
        widget = side.answer_widget
        if message.error is not None:
            side.state, side.detail, side.last_finish = "error", message.error, "error"
            if widget is not None:
                widget.add_class("failed")
                await widget.update(f"**Could not answer:** {message.error}")
        else:
            reply = message.reply
            side.last_answer = reply.text
            side.last_finish = reply.finish
            if reply.refused and widget is not None:
                from medtui.safety import describe

                widget.add_class("refused")
                await widget.parent.mount(RefusalNote(describe(reply.verdict), markup=False), after=widget)
            side.state, side.detail = ("ready", self._reply_stats(reply))
        self._render_status(message.side)

    @staticmethod
    def _reply_stats(reply) -> str:
        if reply.refused:
            from medtui.safety import describe

            return f"{describe(reply.verdict)}; the model was not asked"
        g = reply.generation
        parts = [f"{g.tokens} tokens"]
        if g.tokens_per_s:
            parts.append(f"{g.tokens_per_s:.1f} tok/s")
        parts.append(FINISH_LABELS.get(g.finish, g.finish))
        if reply.dropped_turns:
            parts.append(f"{reply.dropped_turns} old turn(s) left out")
        return " · ".join(parts)

    def _render_status(self, name: str) -> None:
        side = self.sides[name]
        status = self.query_one(f"#chat-{name}-status", Static)
        if side.choice is None:
            status.update("no model")
            return
        # Two lines, so a narrow compare column still shows the whole state.
        head = f"{KIND_LABEL[side.choice.kind]} · {side.choice.label}"
        tail = f" · {side.detail}" if side.detail else ""
        status.update(f"{head}\n{side.state}{tail}")

    def _clear_log(self, name: str) -> None:
        self.query_one(f"#chat-{name}-log", VerticalScroll).remove_children()

    # ---- actions --------------------------------------------------------------------------

    def action_load(self) -> None:
        """Load the chosen model(s) now rather than with the first message."""
        started = [n for n in self.active_sides() if self.sides[n].state != "loading" and self._start_load(n)]
        if not started:
            self.notify("The chosen model is already loaded" if self.active_sides() else "Choose a model first")

    def action_stop(self) -> None:
        stopped = [n for n in SIDES if self.sides[n].busy]
        for name in stopped:
            self.sides[name].cancel.set()
        if not stopped:
            self.notify("Nothing is being generated")

    def action_clear(self) -> None:
        for name in SIDES:
            side = self.sides[name]
            side.cancel.set()
            side.epoch += 1
            side.busy = False
            side.stream = side.answer_widget = None
            side.last_answer = ""
            if side.session is not None:
                side.session.clear()
                side.state = "ready" if side.session.backend.loaded else "not loaded"
                side.detail = "" if side.session.backend.loaded else "loads with the first message"
            self._clear_log(name)
            self._render_status(name)
        self.notify("Conversation cleared")

    def action_copy_last(self) -> None:
        names = [n for n in self.active_sides() if self.sides[n].last_answer]
        if not names:
            self.notify("No answer to copy yet", severity="warning")
            return
        if len(names) == 1:
            text = self.sides[names[0]].last_answer
        else:
            text = "\n\n".join(f"## {self.sides[n].choice.label}\n\n{self.sides[n].last_answer}" for n in names)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the last answer ({len(text)} characters)")
