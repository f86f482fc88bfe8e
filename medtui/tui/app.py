"""The Textual app: a header, the panes in tabs, a footer with the bindings.

This module and the panes import no torch, transformers or datasets at module level: heavy work
runs in workers inside the core modules, so the first frame appears at once.

The layout follows the terminal's size through Textual's breakpoints: the screen carries
`-narrow`/`-wide` and `-short`/`-tall` classes (see medtui.tui.layout), which the panes' CSS keys
on. `?` (or F12, which works while typing) lists every key, and ctrl+p finds every pane action by
name; both are generated from the bindings (medtui.tui.keys).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

from medtui.config import Config
from medtui.tui import layout

PANES = (
    ("data", "Data", "f1"),
    ("train", "Train", "f2"),
    ("runs", "Runs", "f3"),
    ("export", "Export", "f4"),
    ("chat", "Chat", "f5"),
    ("eval", "Eval", "f6"),
)


# Each pane's widget class as "module:Class"; None marks a pane whose issue is not done yet.
PANE_CLASSES: dict[str, str | None] = {
    "data": "medtui.tui.panes.data:DataPane",
    "train": "medtui.tui.panes.train:TrainPane",
    "runs": "medtui.tui.panes.runs:RunsPane",
    "export": "medtui.tui.panes.export:ExportPane",
    "chat": "medtui.tui.panes.chat:ChatPane",
    "eval": "medtui.tui.panes.eval:EvalPane",
}
PENDING_ISSUE = {"train": 4, "runs": 5, "export": 5, "chat": 6}


def _make_pane(name: str, cfg: Config):
    import importlib

    target = PANE_CLASSES[name]
    if target is None:
        from medtui.tui.panes.pending import PendingPane

        return PendingPane(dict((n, t) for n, t, _ in PANES)[name], PENDING_ISSUE[name])
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)(cfg, id=f"{name}-pane")


def _displayed_within(widget, pane) -> bool:
    """Whether nothing between `widget` and `pane` is hidden (a compact layout hides part of a pane;
    the pane itself may still be hidden while its tab is being brought to the front)."""
    for node in widget.ancestors_with_self:
        if node is pane:
            return True
        if not node.display:
            return False
    return True


class PaneTabs(TabbedContent):
    """The panes' tabs, which follow focus only while it is still where it went.

    TabbedContent brings a tab to the front when something inside it is focused, through a
    message handled later. On a busy machine that message can arrive after the user has already
    switched panes (the Data pane focuses its path input as the app starts, the user presses F3
    at once), and the stale message would pull them back.
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        if focused is None or event.tab_pane not in focused.ancestors:
            event.prevent_default()  # skip TabbedContent's own handler
            event.stop()


class MedTUI(App):
    TITLE = "medtui"
    SUB_TITLE = "medical LoRA workbench"
    CSS_PATH = "app.tcss"
    PANES = PANES
    HORIZONTAL_BREAKPOINTS = layout.HORIZONTAL_BREAKPOINTS
    VERTICAL_BREAKPOINTS = layout.VERTICAL_BREAKPOINTS
    BINDINGS = [
        # The tabs' labels show the function keys, so the footer keeps its room for the pane's own keys.
        *(Binding(key, f"show_pane('{name}')", title, show=False, tooltip=f"show the {title} pane")
          for name, title, key in PANES),
        Binding("question_mark", "help", "Help", key_display="?",
                tooltip="list every key of every pane (f12 also works while typing in a field)"),
        Binding("f12", "help", "Help", tooltip="the same, also while typing in a field"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="quit (training runs go on in their own process)"),
    ]

    def __init__(self, cfg: Config, initial_pane: str = "data", cursor_blink: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.initial_pane = initial_pane
        # Off in snapshot tests: a blinking cursor is drawn or not depending on when the picture is taken.
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        yield Header()
        with PaneTabs(initial=self.initial_pane, id="panes"):
            for name, title, key in PANES:
                with TabPane(f"{key.upper()} {title}", id=name):
                    yield _make_pane(name, self.cfg)
        yield Footer(compact=True)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_controls(event.size)  # the event's: this runs before App's own handler updates self.size

    def _fit_controls(self, size=None) -> None:
        if self.screen_stack:
            layout.fit_controls(self.screen_stack[0], layout.compact_size(*(size or self.size)))

    def on_mount(self) -> None:
        self._fit_controls()
        if not self.cursor_blink:
            for field in self.query(Input):
                field.cursor_blink = False
        self._focus_first_in(self.query_one("#panes", TabbedContent).active_pane)

    def _focus_first_in(self, pane) -> None:
        if pane is not None:
            self.set_focus(next((w for w in pane.query("*") if w.can_focus and not w.disabled
                                 and _displayed_within(w, pane)), None))

    def action_show_pane(self, name: str) -> None:
        self.query_one("#panes", TabbedContent).active = name

    def pane_widget(self, name: str):
        """The widget of pane `name` (None for a pane not built yet)."""
        found = self.query(f"#{name}-pane")
        return found.first() if found else None

    # -- keys: help screen and command palette ----------------------------------------------------

    def action_help(self) -> None:
        from medtui.tui.keys import HelpScreen, collect

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(collect(self, first=self.query_one("#panes", TabbedContent).active)))

    async def run_pane_action(self, name: str, action: str) -> None:
        """Bring pane `name` to the front and run one of its actions, as its key would."""
        self.action_show_pane(name)
        pane = self.pane_widget(name)
        if pane is not None:
            await self.run_action(action, default_namespace=pane)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from medtui.tui.keys import collect

        yield from super().get_system_commands(screen)
        if screen is not self.screen_stack[0]:
            return  # a dialog is open: the panes' actions are not for it
        for item in collect(self):
            if item.action == "quit":
                continue  # Textual's own "Quit" is already offered
            keys = " / ".join(item.keys)
            help_text = f"{keys}: {item.explanation}" if item.explanation else keys
            if item.pane:
                title = f"{item.title}: {item.description}"
                callback = (lambda name=item.pane, action=item.action: self.run_pane_action(name, action))
            else:
                title = item.description if item.action == "help" else f"Go to {item.description}"
                callback = (lambda action=item.action: self.run_action(action))
            yield SystemCommand(title, help_text, callback)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # Focus must follow the tab: a focused widget left behind in the hidden pane gets refocused
        # by Textual, and TabbedContent then follows that focus straight back to the old pane.
        if not self.screen_stack:  # shutting down
            return
        focused = self.focused
        if focused is not None and event.pane in focused.ancestors:
            return
        self._focus_first_in(event.pane)

    def open_export(self, run_id: str, checkpoint: str | None = None) -> None:
        """Runs pane -> Export pane with a run (and checkpoint) chosen."""
        self.action_show_pane("export")
        pane = self.query_one("#export-pane")
        if hasattr(pane, "choose"):
            pane.choose(run_id, checkpoint)


def run_app(cfg: Config) -> None:
    MedTUI(cfg).run()
