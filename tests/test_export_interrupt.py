"""No half-written export is ever left where a user would take it for finished.

Ctrl-C (SIGINT) at each stage of a real export leaves the export folder exactly as it was, the
previous complete export of the same checkpoint included, even with --force; a SIGKILL leaves
only a hidden, locked-free build folder that the next export removes; a second export of a
checkpoint gets a new name and does not touch the first; --force replaces it in one rename.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from medtui.config import load_config
from medtui.export import export_run, list_exports

pytestmark = pytest.mark.slow

FAST = ["--set", "export.fidelity_records=0", "--quant", "Q8_0"]


def state(folder: Path) -> dict[str, tuple]:
    """Every file under folder (hidden ones too) with its size and modification time."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            info = path.stat()
            out[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
        elif path.is_dir():
            out[str(path.relative_to(folder)) + "/"] = ()
    return out


@pytest.fixture
def out_with_previous_export(tmp_path, exported_run) -> Path:
    """An export folder holding a complete export of the run's final adapter (hard links to the
    session's export: cheap, and the session's own copy is never touched)."""
    out = tmp_path / "exports"
    out.mkdir()
    source = Path(exported_run["dir"])
    shutil.copytree(source, out / source.name, copy_function=os.link)
    return out


def start_export(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "medtui", "export", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_stage(proc: subprocess.Popen, stage: str, timeout: float = 600) -> list[str]:
    """Read progress lines until `stage` reports work under way; return what was read."""
    seen = []
    deadline = time.time() + timeout
    for line in proc.stderr:
        seen.append(line.rstrip())
        if line.startswith(f"{stage} ") and "%" in line:
            return seen
        assert time.time() < deadline, f"no {stage} progress within {timeout} s"
    raise AssertionError(f"the export ended before the {stage} stage:\n" + "\n".join(seen[-20:]))


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("stage", ["merge", "convert", "quantize", "fidelity"])
def test_ctrl_c_at_each_stage_leaves_the_export_folder_as_it_was(stage, out_with_previous_export, trained_run,
                                                                   session_config):
    before = state(out_with_previous_export)
    quants = ["--quant", "Q4_K_M", "--quant", "Q8_0"]
    proc = start_export([trained_run.name, "--force", "--out", str(out_with_previous_export),
                         "--config", str(session_config), *quants])
    try:
        wait_for_stage(proc, stage)
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, rest
    assert "interrupted" in rest and "Traceback" not in rest
    assert state(out_with_previous_export) == before
    assert not processes_mentioning(str(out_with_previous_export))  # the converter / quantizer died too


@pytest.mark.parametrize("stage", ["modelfile", "card"])
def test_an_interrupt_in_the_last_stages_leaves_the_export_folder_as_it_was(stage, out_with_previous_export,
                                                                           trained_run, session_config):
    """These stages take milliseconds, too short to hit with a signal from outside: the
    KeyboardInterrupt a Ctrl-C raises is raised from inside instead, at the stage's first step."""
    before = state(out_with_previous_export)
    cfg = load_config(session_config, ["export.fidelity_records=0"])

    def progress(name: str, fraction: float, message: str) -> None:
        if name == stage:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_run(cfg, trained_run.name, ["Q8_0"], out=out_with_previous_export, force=True, progress=progress)
    assert state(out_with_previous_export) == before


def test_kill_leaves_nothing_finished_looking_and_exports_never_clobber(tmp_path, trained_run, session_config):
    out = tmp_path / "exports"
    common = ["--out", str(out), "--config", str(session_config), *FAST]
    target = f"{trained_run.name}:checkpoint-3"

    # SIGKILL mid-conversion: no cleanup can run; what is left is hidden and unlisted.
    proc = start_export([target, *common])
    wait_for_stage(proc, "convert")
    proc.kill()
    proc.wait()
    leftovers = list(out.iterdir())
    assert leftovers and all(p.name.startswith(".") for p in leftovers)
    assert not (leftovers[0] / "export.json").exists()
    assert list_exports(out) == []
    deadline = time.time() + 10
    while processes_mentioning(str(leftovers[0])) and time.time() < deadline:
        time.sleep(0.2)
    assert not processes_mentioning(str(leftovers[0])), "the converter outlived the killed export"

    # The next export removes the leftover and publishes a complete folder.
    done = run_cli("export", target, "--json", *common)
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[-1])
    assert Path(first["dir"]).name == f"{trained_run.name}-checkpoint-3"
    assert sorted(p.name for p in out.iterdir()) == [Path(first["dir"]).name]
    first_state = state(Path(first["dir"]))

    # A second export of the same checkpoint goes beside it and leaves it alone.
    done = run_cli("export", target, "--json", *common)
    assert done.returncode == 0, done.stderr
    second = json.loads(done.stdout.splitlines()[-1])
    assert Path(second["dir"]).name == f"{trained_run.name}-checkpoint-3-2"
    assert state(Path(first["dir"])) == first_state
    assert json.loads((Path(second["dir"]) / "export.json").read_text())["dir"] == second["dir"]

    # --force replaces the first in place, and only the first.
    second_state = state(Path(second["dir"]))
    done = run_cli("export", target, "--json", "--force", "--out", str(out), "--config", str(session_config),
                   "--set", "export.fidelity_records=0", "--quant", "Q4_K_M")
    assert done.returncode == 0, done.stderr
    forced = json.loads(done.stdout.splitlines()[-1])
    assert forced["dir"] == first["dir"]
    assert [g["quant"] for g in json.loads((Path(first["dir"]) / "export.json").read_text())["gguf"]] == ["Q4_K_M"]
    assert not list(Path(first["dir"]).glob("*-Q8_0.gguf"))
    assert state(Path(second["dir"])) == second_state
    assert sorted(p.name for p in out.iterdir()) == sorted([Path(first["dir"]).name, Path(second["dir"]).name])
