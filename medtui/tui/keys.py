"""Every key the app answers, gathered from the bindings themselves: the help screen (`?`) and the
command palette (ctrl+p) are both built from the app's and each pane's BINDINGS, so a pane added
later (or a key renamed) shows up in both without anyone editing a list.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


# A dialog (a modal screen) keeps the app's keys from working, `?` included: each dialog binds these.
DIALOG_HELP = [
    Binding("question_mark", "app.help", "Help", key_display="?", tooltip="the keys of this dialog and of every pane"),
    Binding("f12", "app.help", "Help", tooltip="the same"),
]


@dataclass(frozen=True)
class KeyAction:
    """One action and the keys bound to it."""

    pane: str  # the pane's name ("train"), or "" for the app
    title: str  # the pane's title ("Train"), or "Everywhere"
    keys: tuple[str, ...]  # as shown ("^s", "f2")
    action: str  # as written in the binding ("start", "step_record(1)")
    description: str  # short, as in the footer
    explanation: str  # what it does (the binding's tooltip), or ""


def _group(bindings, key_display) -> list[tuple[tuple[str, ...], Binding]]:
    """Bindings grouped by action, in the order they were declared; several keys share one row."""
    by_action: dict[str, tuple[list[str], Binding]] = {}
    for binding in bindings:
        if binding.system:
            continue
        keys, first = by_action.setdefault(binding.action, ([], binding))
        shown = key_display(binding)
        if shown not in keys:
            keys.append(shown)
    return [(tuple(keys), binding) for keys, binding in by_action.values()]


def _bindings_of(node) -> list[Binding]:
    return [b for bindings in node._bindings.key_to_bindings.values() for b in bindings]


def collect(app, first: str | None = None) -> list[KeyAction]:
    """Each pane's keys in tab order, after the app's own; pane `first` (the one in use) leads."""
    sections = [[KeyAction("", "Everywhere", keys, b.action, b.description or b.action, b.tooltip)
                 for keys, b in _group(_bindings_of(app), app.get_key_display)]]
    for name, title, _key in app.PANES:
        pane = app.pane_widget(name)
        if pane is None:
            continue
        section = [KeyAction(name, title, keys, b.action, b.description or b.action, b.tooltip)
                   for keys, b in _group(_bindings_of(pane), app.get_key_display)]
        if name == first:
            sections.insert(0, section)
        else:
            sections.append(section)
    dialog = app.screen if len(app.screen_stack) > 1 and not isinstance(app.screen, HelpScreen) else None
    if dialog is not None:  # a dialog is open: its keys are the ones that work now
        title = getattr(dialog, "HELP_TITLE", "") or "This dialog"
        own = {b.action for b in type(dialog).BINDINGS if isinstance(b, Binding)}  # not Screen's focus keys
        sections.insert(0, [KeyAction("", title, keys, b.action, b.description or b.action, b.tooltip)
                            for keys, b in _group([b for b in _bindings_of(dialog) if b.action in own],
                                                  app.get_key_display)])
    return [action for section in sections for action in section]


def help_text(actions: list[KeyAction], width: int = 0) -> Text:
    """The help screen's body: a section per pane, one entry per action; a line longer than
    `width` continues under the description, not under the keys."""
    text = Text()
    keys_width = max((len(" / ".join(a.keys)) for a in actions), default=4) + 2
    indent = 2 + keys_width
    room = max(width - indent, 20) if width else 10_000
    section = None
    for action in actions:
        if action.title != section:
            section = action.title
            text.append(("\n" if text else "") + (f"{section} pane" if action.pane else section) + "\n", "bold")
        text.append(f"  {' / '.join(action.keys):<{keys_width}}", "bold cyan")
        line = Text(action.description)
        if action.explanation:
            line.append(f" — {action.explanation}", "dim")
        for n, part in enumerate(line.wrap(_console(), room)):
            if n:
                text.append(" " * indent)
            text.append_text(part)
            text.append("\n")
    return text


def _console():
    from rich.console import Console

    return Console(width=10_000)


class HelpScreen(ModalScreen[None]):
    """All keys, by pane. Esc, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { height: 1; text-style: bold; }
    HelpScreen #help-scroll { height: auto; max-height: 1fr; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f12", "close", "Close")]

    def __init__(self, actions: list[KeyAction]):
        super().__init__()
        self.actions = actions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys (Esc closes; ctrl+p finds any action by name)", id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(self.actions), id="help-body")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def on_resize(self) -> None:
        body = self.query_one("#help-body", Static)
        body.update(help_text(self.actions, self.query_one("#help-scroll").scrollable_content_region.width))

    def action_close(self) -> None:
        self.dismiss(None)
