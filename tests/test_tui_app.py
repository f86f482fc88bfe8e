"""The app shell: every pane is one key away, and the bindings are shown."""

import asyncio

import pytest
from textual.events import Show
from textual.widgets import TabbedContent

from medtui.config import load_config
from medtui.tui.app import PANES, MedTUI


@pytest.fixture
def cfg(tmp_path):
    from conftest import write_test_config

    return load_config(write_test_config(tmp_path))


def test_function_keys_switch_panes(cfg):
    asyncio.run(_function_keys_switch_panes(cfg))


async def _function_keys_switch_panes(cfg):
    app = MedTUI(cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        tabs = app.query_one("#panes", TabbedContent)
        assert tabs.active == "data"
        for name, _title, key in PANES:
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == name


def test_tabs_show_the_pane_keys_and_the_footer_the_rest(cfg):
    asyncio.run(_tabs_show_the_pane_keys_and_the_footer_the_rest(cfg))


async def _tabs_show_the_pane_keys_and_the_footer_the_rest(cfg):
    """The function keys are on the tabs, so the footer's room goes to the pane's own keys."""
    from textual.widgets import Tab
    from textual.widgets._footer import FooterKey

    app = MedTUI(cfg)
    async with app.run_test(size=(160, 40)) as pilot:
        wanted = {"open", "revalidate", "help", "quit"}  # the Data pane's keys, help, quit
        for _ in range(100):  # the footer is composed after the first refresh, a few keys at a time
            if wanted <= {key.action for key in app.screen.query(FooterKey)}:
                break
            await pilot.pause(0.1)
        shown = {binding.key for _, binding, enabled, _ in app.active_bindings.values() if enabled}
        assert {"f1", "f2", "f3", "f4", "f5", "ctrl+q"} <= shown
        labels = [str(tab.label) for tab in app.query(Tab)]
        assert labels == [f"{key.upper()} {title}" for _, title, key in PANES]
        footer = {key.action for key in app.screen.query(FooterKey)}
        assert wanted <= footer


def test_a_hidden_pane_settling_late_does_not_pull_the_user_away(cfg):
    asyncio.run(_a_hidden_pane_settling_late_does_not_pull_the_user_away(cfg))


async def _a_hidden_pane_settling_late_does_not_pull_the_user_away(cfg):
    """On a busy machine the Chat pane's model Select settles (Select.Changed) after the user has
    started working in another pane; the prompt it focuses must not drag its tab to the front."""
    from textual.widgets import Select

    app = MedTUI(cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        chat_model = app.query_one("#chat-model", Select)
        chat_model.post_message(Select.Changed(chat_model, chat_model.value))
        app.query_one("#chat-pane").post_message(Show())
        await pilot.pause()
        assert app.query_one("#panes", TabbedContent).active == "runs"
        assert app.focused is not None and app.query_one("#runs-pane") in app.focused.ancestors
