"""The core never needs Textual, and the TUI never pays for torch before its first frame.

Each check runs in a fresh interpreter, since this test process has long since imported everything.
"""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import medtui

HEAVY = ("torch", "transformers", "peft", "trl", "datasets", "llama_cpp", "bitsandbytes", "accelerate")


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(medtui.__path__, prefix="medtui."):
        if info.name.startswith("medtui.tui") or info.name == "medtui.__main__":
            continue
        names.append(info.name)
    return sorted(names)


def imported_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


@pytest.mark.parametrize("module", core_modules())
def test_core_module_imports_without_textual(module):
    loaded = imported_after(f"import {module}")
    assert "textual" not in loaded, f"{module} pulls in Textual"


def test_core_covers_the_areas():
    names = set(core_modules())
    assert {"medtui.config", "medtui.models", "medtui.cli"} <= names


def test_tui_imports_no_heavy_library():
    from medtui.tui.app import PANE_CLASSES

    panes = "\n".join(f"import {target.split(':')[0]}" for target in PANE_CLASSES.values() if target)
    loaded = imported_after("import medtui.tui.app\n" + panes)
    assert "textual" in loaded
    assert not (loaded & set(HEAVY)), f"the TUI imports {sorted(loaded & set(HEAVY))}"


def test_cli_entry_imports_no_heavy_library():
    loaded = imported_after("import medtui.cli\nmedtui.cli.build_parser()")
    assert not (loaded & set(HEAVY)), f"`medtui --help` imports {sorted(loaded & set(HEAVY))}"
