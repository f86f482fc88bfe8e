"""The Textual app: a header, the six panes in tabs, a footer with the bindings.

This module and the panes import no torch, transformers or datasets at module level: heavy work
runs in workers inside the core modules, so the first frame appears at once.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

from medtui.config import Config

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
    BINDINGS = [
        *(Binding(key, f"show_pane('{name}')", title) for name, title, key in PANES),
        Binding("ctrl+q", "quit", "Quit", priority=True),
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
        yield Footer()

    def on_mount(self) -> None:
        if not self.cursor_blink:
            for field in self.query(Input):
                field.cursor_blink = False
        self._focus_first_in(self.query_one("#panes", TabbedContent).active_pane)

    def _focus_first_in(self, pane) -> None:
        if pane is not None:
            self.set_focus(next((w for w in pane.query("*") if w.can_focus and not w.disabled), None))

    def action_show_pane(self, name: str) -> None:
        self.query_one("#panes", TabbedContent).active = name

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
