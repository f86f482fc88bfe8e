"""The app shell: every pane is one key away, and the bindings are shown."""

import asyncio

import pytest
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


def test_footer_lists_the_pane_keys(cfg):
    asyncio.run(_footer_lists_the_pane_keys(cfg))


async def _footer_lists_the_pane_keys(cfg):
    app = MedTUI(cfg)
    async with app.run_test(size=(160, 40)):
        shown = {binding.key for _, binding, enabled, _ in app.active_bindings.values() if enabled}
        assert {"f1", "f2", "f3", "f4", "f5", "ctrl+q"} <= shown
