"""A path that is not a regular file (a FIFO, a device, a link to /dev/zero) named as a GGUF, a
Modelfile or found in an adapter folder is refused at once with the reason, never read (a FIFO
blocks its reader until someone writes, /dev/zero never ends). Config and data paths are covered in
test_config.py and test_data_hostile.py; all go through medtui.files.file_problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medtui.files import file_problem

ROOT = Path(__file__).resolve().parents[1]


def special(path: Path, kind: str) -> Path:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev_zero_link":
        path.symlink_to("/dev/zero")
    elif kind == "dangling_link":
        path.symlink_to(path.parent / "gone")
    return path


REASONS = {
    "fifo": "is a named pipe (FIFO), not a regular file",
    "dev_zero_link": "is a symbolic link to /dev/zero, which is a character device, not a regular file",
    "dangling_link": "is a symbolic link to a path that does not exist",
}


def test_file_problem_names_each_kind(tmp_path):
    regular = tmp_path / "f.txt"
    regular.write_text("x")
    (tmp_path / "link").symlink_to(regular)
    assert file_problem(regular) is None and file_problem(tmp_path / "link") is None
    assert file_problem(tmp_path / "missing") == "no such file"
    assert file_problem(tmp_path) == "is a folder"
    assert file_problem("/dev/null") == "is a character device, not a regular file"
    for kind, reason in REASONS.items():
        assert file_problem(special(tmp_path / kind, kind)) == reason
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert file_problem(tmp_path / "loop").startswith("cannot be read (")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # a timeout well below a test run: today the FIFO cases block until it fires
    return subprocess.run([sys.executable, "-m", "medtui", *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("kind", ["fifo", "dev_zero_link"])
def test_chat_gguf_that_is_not_a_regular_file(tmp_path, kind):
    path = special(tmp_path / "model.gguf", kind)
    done = cli("chat", "--gguf", str(path), "--prompt", "hello", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{path}: {REASONS[kind]}; pass a .gguf file" in done.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev_zero_link"])
def test_check_modelfile_that_is_not_a_regular_file(tmp_path, kind):
    path = special(tmp_path / "Modelfile", kind)
    done = cli("export", "--check-modelfile", str(path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"medtui: {path}: {REASONS[kind]}"


@pytest.mark.parametrize("kind", ["fifo", "dev_zero_link"])
def test_an_adapter_folder_holding_a_special_file_is_refused_before_anything_loads(tmp_path, kind):
    from medtui.export.merge import merge_adapter
    from medtui.export.source import ExportError

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    special(adapter / "adapter_model.safetensors", kind)
    with pytest.raises(ExportError) as caught:
        merge_adapter(tmp_path / "no-base-model", adapter, tmp_path / "merged")
    assert str(caught.value) == (f"{adapter / 'adapter_model.safetensors'}: {REASONS[kind]}; "
                                 "an adapter folder holds only files the training run wrote")


@pytest.mark.parametrize("content,reason", [
    ('{"messages": [{"role": "user", "content": "Hi"}]}\n{"messages": [{"role": "user"\n', "line 2: not a held-out conversation"),
    ('{"msgs": []}\n', "line 1: not a held-out conversation"),
    ("fifo", "is a named pipe (FIFO), not a regular file"),
])
def test_a_damaged_held_out_snapshot_stops_the_export_with_its_name(tmp_path, content, reason):
    """A run folder someone sent: its held-out snapshot, read for the fidelity report, is damaged
    (today: JSONDecodeError / KeyError as the whole message, or a hang on a FIFO)."""
    from medtui.config import load_config
    from medtui.export.fidelity import held_out_conversations
    from medtui.export.source import ExportError
    from medtui.train import events as ev

    snapshot = tmp_path / ev.DATASET_DIR / ev.EVAL_DATA_FILE
    snapshot.parent.mkdir(parents=True)
    if content == "fifo":
        os.mkfifo(snapshot)
    else:
        snapshot.write_text(content)
    with pytest.raises(ExportError) as caught:
        held_out_conversations(tmp_path, load_config(None, []), None, 10)
    assert caught.value.message.startswith(f"{snapshot}: {reason}")
    assert "the run folder is damaged" in caught.value.message
    assert caught.value.hint == "export without the fidelity report: --set export.fidelity_records=0"


def test_a_sound_held_out_snapshot_still_reads(tmp_path):
    import json

    from medtui.config import load_config
    from medtui.export.fidelity import held_out_conversations
    from medtui.train import events as ev

    snapshot = tmp_path / ev.DATASET_DIR / ev.EVAL_DATA_FILE
    snapshot.parent.mkdir(parents=True)
    conversation = [{"role": "system", "content": "Be careful."}, {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello."}]
    snapshot.write_text(json.dumps({"messages": conversation}) + "\n\n" + json.dumps({"messages": conversation}) + "\n")
    assert held_out_conversations(tmp_path, load_config(None, []), None, 10) == ([conversation, conversation], str(snapshot))


def test_damaged_export_records_are_left_out_of_the_list(tmp_path):
    """`medtui export --list` with an export.json that is a list, lacks its files or is a FIFO: the
    good exports are listed (today: AttributeError / KeyError as the whole message, or a hang)."""
    import json

    from medtui.cli import main
    from medtui.export.pipeline import EXPORT_FILE

    good = tmp_path / "run-final"
    good.mkdir()
    (good / EXPORT_FILE).write_text(json.dumps({"dir": str(good), "gguf": [{"quant": "Q4_K_M", "path": "m.gguf"}],
                                                "created": "2026-01-01T00:00:00+00:00"}))
    for name, content in [("a-list", "[1, 2]"), ("no-gguf", json.dumps({"dir": "x"})),
                          ("bad-quant", json.dumps({"dir": "x", "gguf": [{"quant": 4}]}))]:
        (tmp_path / name).mkdir()
        (tmp_path / name / EXPORT_FILE).write_text(content)
    (tmp_path / "pipe").mkdir()
    os.mkfifo(tmp_path / "pipe" / EXPORT_FILE)
    done = cli("export", "--list", "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{'run-final':<40}   [Q4_K_M]  {good}"]
