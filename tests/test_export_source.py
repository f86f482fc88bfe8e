"""Choosing what to export, and refusing early with a clear message: RUN[:CHECKPOINT] parsing,
missing or half-written checkpoints, unknown types, too little disk, leftovers of killed exports.
These need no model: run folders are laid out as the training worker lays them out."""

from __future__ import annotations

import fcntl
import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli, write_test_config

from medtui.config import load_config
from medtui.export import ExportError, list_exports, plan_export, remove_stale_builds, resolve_source, split_target
from medtui.export.pipeline import BUILD_PREFIX, EXPORT_FILE
from medtui.train import events as ev

RUN_ID = "20260101-120000-smollm2-135m-instruct"


def make_adapter(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    (folder / "adapter_model.safetensors").write_bytes(b"\0" * 16)


def make_run(cfg_path: Path, run_id: str = RUN_ID, checkpoints=(3, 6), final=True, incomplete=()) -> Path:
    cfg = load_config(cfg_path)
    run = cfg.path(cfg.train.output_dir) / run_id
    run.mkdir(parents=True)
    (run / ev.CONFIG_FILE).write_text(cfg.to_toml())
    (run / ev.EVENTS_FILE).write_text(json.dumps({"event": "started", "time": 1.0}) + "\n"
                                      + json.dumps({"event": "finished", "time": 2.0}) + "\n")
    for step in checkpoints:
        make_adapter(run / f"checkpoint-{step}")
        (run / f"checkpoint-{step}" / ev.COMPLETE_MARKER).write_text("{}")
    for step in incomplete:
        make_adapter(run / f"checkpoint-{step}")
    if final:
        make_adapter(run / ev.ADAPTER_DIR)
    return run


@pytest.fixture
def config(tmp_path) -> Path:
    return write_test_config(tmp_path)


@pytest.mark.parametrize("text, expected", [
    ("abc", ("abc", None)),
    ("abc:final", ("abc", "final")),
    ("abc:checkpoint-6", ("abc", "checkpoint-6")),
    ("abc:6", ("abc", "6")),
    ("/runs/a:b/run", ("/runs/a:b/run", None)),  # a colon that names no checkpoint is part of the name
])
def test_run_and_checkpoint_are_split_only_at_a_checkpoint_name(text, expected):
    assert split_target(text) == expected


def test_the_final_adapter_is_the_default_then_the_newest_complete_checkpoint(config):
    make_run(config)
    cfg = load_config(config)
    assert resolve_source(cfg, RUN_ID[:12]).checkpoint == "final"
    assert resolve_source(cfg, f"{RUN_ID}:3").checkpoint == "checkpoint-3"
    assert resolve_source(cfg, RUN_ID, checkpoint="checkpoint-6").adapter_dir.name == "checkpoint-6"
    make_run(config, "20260102-000000-unfinished", checkpoints=(2, 4), final=False, incomplete=(6,))
    source = resolve_source(cfg, "20260102")
    assert source.checkpoint == "checkpoint-4"  # checkpoint-6 was cut short
    assert source.run_cfg.lora.r == 8  # the config the run trained with


def test_a_half_written_checkpoint_is_refused_and_the_usable_ones_listed(config):
    make_run(config, checkpoints=(3,), incomplete=(6,))
    with pytest.raises(ExportError) as caught:
        resolve_source(load_config(config), f"{RUN_ID}:checkpoint-6")
    message = str(caught.value)
    assert "cut short" in message and "checkpoint-3" in message and "final" in message


def test_a_run_without_any_adapter_says_so(config):
    make_run(config, checkpoints=(), final=False)
    with pytest.raises(ExportError, match="has no adapter yet"):
        resolve_source(load_config(config), RUN_ID)


def test_cli_names_the_missing_run_and_the_runs_there(config):
    make_run(config)
    done = run_cli("export", "20270101-nope", "--config", str(config))
    assert done.returncode == 2
    assert 'no run "20270101-nope"' in done.stderr and RUN_ID in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_refuses_an_unknown_quantization_type_before_any_work(config, tmp_path):
    make_run(config)
    done = run_cli("export", RUN_ID, "--quant", "Q4_K_X", "--config", str(config))
    assert done.returncode == 2
    assert 'unknown quantization type "Q4_K_X"' in done.stderr and "Q5_K_M" in done.stderr
    assert not (tmp_path / "exports").exists() or not any((tmp_path / "exports").iterdir())


def test_cli_without_a_run_explains_what_to_type(config):
    done = run_cli("export", "--config", str(config))
    assert done.returncode == 2 and "medtui export RUN" in done.stderr


def test_too_little_disk_space_is_refused_with_the_amount_needed(config, monkeypatch, embedded_model_dir):
    make_run(config)
    import medtui.export.pipeline as pipeline

    class Usage:
        total, used, free = 10 * 2 ** 30, 10 * 2 ** 30 - 50 * 2 ** 20, 50 * 2 ** 20

    monkeypatch.setattr(pipeline.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(ExportError) as caught:
        plan_export(load_config(config), RUN_ID, ["Q4_K_M", "Q8_0"])
    message = str(caught.value)
    assert "needs about" in message and "only 50 MB is free" in message and "exports" in message


def test_the_disk_estimate_covers_merged_f16_and_each_type(config, embedded_model_dir):
    make_run(config)
    cfg = load_config(config)
    one = plan_export(cfg, RUN_ID, ["Q4_K_M"]).needed_bytes
    three = plan_export(cfg, RUN_ID, ["Q4_K_M", "Q5_K_M", "Q8_0"]).needed_bytes
    merged = (embedded_model_dir / "model.safetensors").stat().st_size
    assert one > merged * 1.5  # merged (fp32) + F16 (half of it) + Q4_K_M
    assert three - one > merged / 4  # Q5_K_M and Q8_0 add about 14/32 of the fp32 size


def test_a_second_export_gets_a_new_name_unless_forced(config, embedded_model_dir):
    make_run(config)
    cfg = load_config(config)
    out = cfg.path(cfg.export.out_dir)
    (out / f"{RUN_ID}-final").mkdir(parents=True)
    assert plan_export(cfg, RUN_ID).final_dir.name == f"{RUN_ID}-final-2"
    forced = plan_export(cfg, RUN_ID, force=True)
    assert forced.final_dir.name == f"{RUN_ID}-final" and forced.replaces == out / f"{RUN_ID}-final"


def test_leftovers_of_killed_exports_are_removed_but_not_a_running_ones(tmp_path):
    dead = tmp_path / f"{BUILD_PREFIX}a-final-111-abc"
    live = tmp_path / f"{BUILD_PREFIX}b-final-222-def"
    for folder in (dead, live):
        folder.mkdir()
        (folder / ".lock").write_text("")
        (folder / "merged").mkdir()
    with open(live / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        removed = remove_stale_builds(tmp_path)
    assert removed == [dead] and not dead.exists() and live.exists()
    shutil.rmtree(live)


def test_only_finished_exports_are_listed(tmp_path):
    done = tmp_path / "run-final"
    done.mkdir()
    (done / EXPORT_FILE).write_text(json.dumps({"dir": str(done), "gguf": [], "created": "2026-01-01T00:00:00+00:00"}))
    building = tmp_path / f"{BUILD_PREFIX}run-final-2-1-abc"
    building.mkdir()
    (building / EXPORT_FILE).write_text(json.dumps({"dir": "x", "gguf": []}))
    (tmp_path / "not-an-export").mkdir()
    assert [e["dir"] for e in list_exports(tmp_path)] == [str(done)]


def test_an_export_caught_mid_replacement_is_put_back_not_deleted(tmp_path):
    """--force moves the old export aside, then renames the new one in; killed in between, the old
    one is the last complete export and the next export restores it."""
    import os
    import time

    from medtui.export.pipeline import TRASH_PREFIX

    aside = tmp_path / f"{TRASH_PREFIX}run-final-a1b2c3"
    aside.mkdir()
    (aside / EXPORT_FILE).write_text(json.dumps({"dir": str(tmp_path / "run-final"), "gguf": []}))
    old = time.time() - 3600
    os.utime(aside, (old, old))
    assert remove_stale_builds(tmp_path) == []
    assert (tmp_path / "run-final" / EXPORT_FILE).exists() and not aside.exists()
