"""Runs have one home: every command that takes a run finds it the same way, only run folders
medtui wrote are accepted or deleted, one definition of "an adapter is ready", and a corrupt run
folder is listed as such without taking the others down. Run folders are written the way the
worker writes them (test_runs_support); no model is loaded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_cli
from medtui.config import load_config
from medtui.runs import RunIndex, RunLookupError, delete_run, resolve_run, run_adapters
from medtui.train import events as ev
from test_runs_support import (
    DIED, FAILED, FINISHED, STOPPED, T0, make_run, run_id, write_ended_runs_workspace,
)


@pytest.fixture
def workspace(tmp_path) -> Path:
    return write_ended_runs_workspace(tmp_path)


def cli(workspace: Path, *args: str, cwd: Path | None = None):
    return run_cli(*args, "--config", str(workspace / "medtui.toml"), cwd=cwd)


def listed(workspace: Path) -> dict[str, dict]:
    done = cli(workspace, "runs", "list", "--json")
    assert done.returncode == 0, done.stderr
    return {run["id"]: run for run in json.loads(done.stdout)["runs"]}


# --- one resolver -----------------------------------------------------------------------------------


def test_train_commands_take_the_same_prefix_runs_show_takes(workspace):
    prefix = "20250101-10"  # FINISHED, and only it
    shown = cli(workspace, "runs", "show", prefix, "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == FINISHED
    status = cli(workspace, "train", "status", prefix, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["run"] == FINISHED
    resumed = cli(workspace, "train", "resume", prefix)
    assert resumed.returncode == 1 and f"run {FINISHED} has finished" in resumed.stderr, resumed.stderr
    stopped = cli(workspace, "train", "stop", "20250101-12")
    assert stopped.returncode == 1 and f"run {STOPPED} is not running" in stopped.stderr, stopped.stderr
    attached = cli(workspace, "train", "attach", "20250101-12")
    assert attached.returncode == 0 and "stopped   at step 3" in attached.stdout, attached.stderr


def test_a_run_folder_path_works_where_an_id_does(workspace):
    path = f"./checkpoints/{FAILED}"
    for args in (("runs", "show", path, "--json"), ("train", "status", path, "--json")):
        done = cli(workspace, *args, cwd=workspace)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out.get("id", out.get("run")) == FAILED


def test_an_ambiguous_prefix_is_refused_alike_everywhere(workspace):
    for args in (("train", "status", "20250101-1"), ("train", "resume", "20250101-1"), ("export", "20250101-1"),
                 ("runs", "delete", "20250101-1", "--yes")):
        done = cli(workspace, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert '"20250101-1" matches 4 runs' in done.stderr, (args, done.stderr)
    assert len(listed(workspace)) == 4


def test_no_run_argument_means_the_newest_run(workspace):
    assert resolve_run(workspace / "checkpoints", None) == workspace / "checkpoints" / DIED
    with pytest.raises(RunLookupError, match="no runs in"):
        resolve_run(workspace / "empty", None)


# --- only run folders ----------------------------------------------------------------------------


def test_a_folder_with_a_config_toml_is_not_a_run_and_is_never_deleted(workspace):
    project = workspace / "myproject"
    project.mkdir()
    (project / "config.toml").write_text("[model]\n")
    (project / "data.json").write_text("{}")  # names a run folder's files use, but no event log
    (project / "dataset").mkdir()
    (project / "notes.txt").write_text("my work")
    done = cli(workspace, "runs", "delete", "./myproject", "--yes", cwd=workspace)
    assert done.returncode == 2
    assert "not a run folder medtui wrote" in done.stderr and "Traceback" not in done.stderr
    assert (project / "notes.txt").read_text() == "my work"
    with pytest.raises(RunLookupError, match="not a run folder"):
        delete_run(project)
    assert (project / "config.toml").exists()
    # Nor is it exported, shown or resumed.
    for args in (("runs", "show", "./myproject"), ("export", "./myproject"), ("train", "resume", "./myproject")):
        done = cli(workspace, *args, cwd=workspace)
        assert done.returncode == 2 and "not a run folder medtui wrote" in done.stderr, (args, done.stderr)


def test_deleting_a_run_by_path_touches_nothing_else_in_its_parent(workspace, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    run_dir = make_run(elsewhere, run_id("150000"))
    keep = elsewhere / ".trash-my-notes"  # someone's folder that only looks like trash
    keep.mkdir()
    (keep / "notes.txt").write_text("keep me")
    done = cli(workspace, "runs", "delete", str(run_dir), "--yes")
    assert done.returncode == 0, done.stderr
    assert not run_dir.exists()
    assert (keep / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in elsewhere.iterdir()) == [".trash-my-notes"]


def test_deleting_a_linked_run_removes_the_link_not_its_target(workspace, tmp_path):
    target = make_run(tmp_path / "shared-disk", run_id("160000"))
    before = sorted(p.relative_to(target) for p in target.rglob("*"))
    root = workspace / "checkpoints"
    link = root / target.name
    link.symlink_to(target, target_is_directory=True)
    assert target.name in listed(workspace)
    done = cli(workspace, "runs", "delete", target.name, "--yes")
    assert done.returncode == 0, done.stderr
    assert not os.path.lexists(link)
    assert sorted(p.relative_to(target) for p in target.rglob("*")) == before
    assert sorted(p.name for p in root.iterdir()) == sorted([FINISHED, FAILED, STOPPED, DIED])  # nothing left behind


# --- one definition of "an adapter is ready" --------------------------------------------------------


def test_runs_export_and_chat_offer_the_same_adapters(workspace):
    from medtui.chat.sources import adapter_choice, adapter_choices
    from medtui.export.source import resolve_source

    cfg = load_config(workspace / "medtui.toml")
    run_dir = workspace / "checkpoints" / FINISHED
    # A checkpoint marked complete whose adapter weights are gone (a disk clean-up, a bad copy).
    (run_dir / "checkpoint-6" / "adapter_model.safetensors").unlink()
    assert [a.name for a in run_adapters(run_dir)] == ["checkpoint-3", "adapter"]
    summary = RunIndex(run_dir.parent).summary(run_dir)
    assert [c.name for c in summary.exportable] == ["checkpoint-3", "adapter"]
    chat = [c.label for c in adapter_choices(cfg) if c.run_dir == str(run_dir)]
    assert chat == [f"{FINISHED}:final", f"{FINISHED}:checkpoint-3"]
    for c in summary.exportable:
        assert resolve_source(cfg, f"{FINISHED}:{c.name}").adapter_dir == c.path
    with pytest.raises(Exception, match="checkpoint-6"):
        resolve_source(cfg, f"{FINISHED}:checkpoint-6")
    with pytest.raises(Exception, match='no checkpoint "6"; it has: final, checkpoint-3'):
        adapter_choice(cfg, f"{FINISHED}:6")
    # A final adapter folder without weights is not an adapter either.
    (run_dir / ev.ADAPTER_DIR / "adapter_model.safetensors").unlink()
    assert [a.name for a in run_adapters(run_dir)] == ["checkpoint-3"]
    status = json.loads(cli(workspace, "train", "status", FINISHED, "--json").stdout)
    assert status["adapter"] is None


# --- corrupt runs -----------------------------------------------------------------------------------

CORRUPTIONS = {
    "config types": (ev.CONFIG_FILE, "[model]\nname = 5\n[data]\ntrain_files = 7\n[train]\nmax_steps = \"six\"\n",
                     "config.toml: [model] name must be"),
    "config section": (ev.CONFIG_FILE, 'model = "smol"\n[data]\ntrain_files = ["a.jsonl"]\n',
                       "config.toml: [model] must be a table"),
    "event line": (ev.EVENTS_FILE, None, "events.jsonl line 3: resumed event: from_step is \"2\", not an integer"),
    "data summary": (ev.DATA_FILE, '{"counts": [1, 2], "train_files": 5}', "data.json: counts is not an object"),
}


def corrupt(run_dir: Path, which: str) -> str:
    name, text, reason = CORRUPTIONS[which]
    if text is None:  # a bad line in the middle of the log
        lines = (run_dir / ev.EVENTS_FILE).read_text().splitlines(keepends=True)
        bad = json.dumps({"event": "resumed", "time": T0 + 5, "from_step": "2"}) + "\n"
        (run_dir / ev.EVENTS_FILE).write_text("".join(lines[:2] + [bad] + lines[2:]))
    else:
        (run_dir / name).write_text(text)
    return reason


@pytest.mark.parametrize("which", sorted(CORRUPTIONS))
def test_a_corrupt_run_is_listed_as_corrupt_with_its_reason_and_the_others_still_list(workspace, which):
    reason = corrupt(workspace / "checkpoints" / STOPPED, which)
    runs = listed(workspace)
    assert {rid: r["status"] for rid, r in runs.items()} == {
        FINISHED: "finished", FAILED: "failed", STOPPED: "corrupt", DIED: "died",
    }
    assert reason in runs[STOPPED]["message"]
    table = cli(workspace, "runs", "list")
    assert table.returncode == 0, table.stderr
    assert any(line.startswith(STOPPED) and "corrupt" in line for line in table.stdout.splitlines())
    assert reason in table.stdout
    shown = cli(workspace, "runs", "show", STOPPED)
    assert shown.returncode == 0 and reason in shown.stdout, shown.stderr
    status = cli(workspace, "train", "status")
    assert status.returncode == 0, status.stderr
    assert any(line.startswith(STOPPED) and "corrupt" in line for line in status.stdout.splitlines()), status.stdout
    one = json.loads(cli(workspace, "train", "status", STOPPED, "--json").stdout)
    assert one["status"] == "corrupt" and reason in one["message"]
    # It can still be deleted.
    done = cli(workspace, "runs", "delete", STOPPED, "--yes")
    assert done.returncode == 0, done.stderr


def test_a_torn_last_line_is_not_corruption_and_the_next_worker_starts_a_fresh_line(tmp_path):
    run_dir = make_run(tmp_path, DIED, end=None, steps=2, checkpoints=())
    with open(run_dir / ev.EVENTS_FILE, "a") as handle:
        handle.write('{"event": "step", "ti')  # the machine went down mid-write
    index = RunIndex(tmp_path)
    assert index.refresh()[0].status == "died"
    writer = ev.EventWriter(run_dir)  # a resumed worker appends
    writer.write("resumed", from_step=0, total=6)
    writer.close()
    summary = index.refresh()[0]
    assert summary.resumes == 1
    assert summary.status == "corrupt" and "events.jsonl line 4: not a JSON event" in summary.message


@pytest.mark.anyio
async def test_the_tui_starts_and_lists_the_other_runs_beside_a_corrupt_one(workspace):
    from textual.widgets import DataTable

    from medtui.tui.app import MedTUI

    for which, run in (("config section", STOPPED), ("event line", FAILED), ("data summary", DIED)):
        corrupt(workspace / "checkpoints" / run, which)
    app = MedTUI(load_config(workspace / "medtui.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        for key in ("f3", "f4", "f5", "f2"):
            await pilot.press(key)
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("f3")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.query_one("#runs-table", DataTable)
        ids = [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(table.row_count)]
        assert sorted(ids) == sorted([FINISHED, FAILED, STOPPED, DIED])
        assert str(table.get_cell(STOPPED, "status")) == "corrupt"
        table.move_cursor(row=ids.index(STOPPED))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        detail = str(app.query_one("#run-metrics").render())
        assert "config.toml: [model] must be a table" in detail
        assert app.is_running


def test_an_interrupted_deletion_is_finished_and_look_alikes_are_kept(workspace):
    root = workspace / "checkpoints"
    cut_short = root / f".trash-{FAILED}-0123abcd"  # renamed, then the machine went down mid-removal
    cut_short.mkdir()
    (cut_short / ev.EVENTS_FILE).write_text("")
    (cut_short / "checkpoint-3").mkdir()
    look_alike = root / ".trash-photos-89abcdef"  # the right shape of name, but no run inside
    look_alike.mkdir()
    (look_alike / "cat.jpg").write_bytes(b"\xff\xd8")
    done = cli(workspace, "runs", "delete", STOPPED, "--yes")
    assert done.returncode == 0, done.stderr
    assert not cut_short.exists()
    assert (look_alike / "cat.jpg").exists()


@pytest.mark.parametrize("name", [ev.CONFIG_FILE, ev.DATA_FILE, ev.EVENTS_FILE])
def test_a_named_pipe_in_a_run_folder_makes_it_corrupt_instead_of_hanging_the_listing(workspace, name):
    run_dir = workspace / "checkpoints" / STOPPED
    (run_dir / name).unlink()
    os.mkfifo(run_dir / name)  # nothing ever writes to it: a reader that opened it would block forever
    runs = listed(workspace)
    if name != ev.EVENTS_FILE:  # without a readable event log the folder is not taken for a run at all
        assert runs[STOPPED]["status"] == "corrupt"
        assert "named pipe" in runs[STOPPED]["message"]
    assert {rid: r["status"] for rid, r in runs.items() if rid != STOPPED} == {
        FINISHED: "finished", FAILED: "failed", DIED: "died"}
