"""The config file: every shipped config loads, and every mistake is named with its key."""

from pathlib import Path

import pytest

from medtui.config import SCHEMA, ConfigError, documented_defaults, load_config

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [ROOT / "medtui.toml", *sorted((ROOT / "configs").glob("*.toml"))]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    cfg = load_config(path)
    assert cfg.source == path


def test_project_config_documents_every_key():
    text = (ROOT / "medtui.toml").read_text()
    for section, keys in SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"\n{key} = " in text, f"medtui.toml does not document [{section}] {key}"


def test_shipped_sample_files_exist():
    cfg = load_config(ROOT / "medtui.toml")
    for name in cfg.train_files + [cfg.data.eval_file]:
        assert cfg.path(name).exists(), name


def write(tmp_path, text):
    path = tmp_path / "medtui.toml"
    path.write_text(text)
    return path


def problems_of(path, overrides=()):
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides)
    return caught.value.problems


def test_wrong_type_names_file_section_key_and_expectation(tmp_path):
    path = write(tmp_path, '[lora]\nr = "eight"\n')
    assert problems_of(path) == ['medtui.toml: [lora] r must be a positive integer, got "eight"']


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, '[lora]\nr = 0\nlora_dropout = 2.0\n[train]\nlearnin_rate = 1e-4\nmax_steps = "many"\n[bogus]\nx = 1\n')
    problems = problems_of(path)
    assert len(problems) == 5
    text = "\n".join(problems)
    assert "[lora] r must be a positive integer, got 0" in text
    assert "[lora] lora_dropout must be a number >= 0 and <= 1, got 2.0" in text
    assert "[train] unknown key 'learnin_rate' (did you mean \"learning_rate\"?)" in text
    assert '[train] max_steps must be an integer >= -1, got "many"' in text
    assert "unknown section [bogus]" in text


def test_choices_are_listed(tmp_path):
    path = write(tmp_path, '[train]\nlr_scheduler_type = "cosin"\n')
    (problem,) = problems_of(path)
    assert 'lr_scheduler_type must be one of "cosine"' in problem and 'got "cosin"' in problem


def test_unknown_quant_type_is_named(tmp_path):
    path = write(tmp_path, '[export]\nquants = ["Q4_K_M", "Q9_X"]\n')
    (problem,) = problems_of(path)
    assert "[export] quants" in problem and "Q9_X" in problem


def test_invalid_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[lora\nr = 8\n")
    (problem,) = problems_of(path)
    assert str(path) in problem and "not valid TOML" in problem


def test_missing_explicit_file(tmp_path):
    (problem,) = problems_of(tmp_path / "nope.toml")
    assert "nope.toml: no such config file" in problem


def test_overrides_are_typed_and_validated(tmp_path):
    path = write(tmp_path, "[lora]\nr = 16\n")
    cfg = load_config(path, ["lora.r=8", "model.name=HuggingFaceTB/SmolLM2-360M-Instruct", "train.learning_rate=1e-4",
                              "model.load_in_4bit=false", 'export.quants=["Q8_0"]'])
    assert cfg.lora.r == 8
    assert cfg.model.name == "HuggingFaceTB/SmolLM2-360M-Instruct"
    assert cfg.train.learning_rate == 1e-4
    assert cfg.model.load_in_4bit is False
    assert cfg.export.quants == ["Q8_0"]
    problems = problems_of(path, ["lora.rank=8", "lora.r=-3", "nodot=1"])
    assert any("unknown key 'rank'" in p for p in problems)
    assert any("[lora] r must be a positive integer, got -3" in p for p in problems)
    assert any("nodot" in p for p in problems)


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    path = write(tmp_path, '[data]\neval_file = "held_out.jsonl"\n')
    cfg = load_config(path)
    assert cfg.path(cfg.data.eval_file) == tmp_path / "held_out.jsonl"


def test_resolved_config_round_trips_through_toml(tmp_path):
    cfg = load_config(write(tmp_path, '[chat]\nsystem_prompt = "Say \\"hi\\"\\nthen stop."\n[data]\ncolumns = {instruction = "q"}\n'))
    again = load_config(write(tmp_path, cfg.to_toml()))
    assert again.as_dict() == cfg.as_dict()


def test_documented_defaults_load_as_the_defaults(tmp_path):
    cfg = load_config(write(tmp_path, documented_defaults()))
    assert cfg.as_dict() == load_config(write(tmp_path, "")).as_dict()


def test_cli_reports_config_errors_without_traceback(tmp_path):
    from conftest import run_cli

    path = write(tmp_path, '[lora]\nr = "eight"\n[train]\nmax_step = 5\n')
    done = run_cli("config", "check", "--config", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert '[lora] r must be a positive integer, got "eight"' in done.stderr
    assert 'did you mean "max_steps"' in done.stderr


def test_cli_config_init_writes_a_loadable_documented_file(tmp_path):
    from conftest import run_cli

    target = tmp_path / "mine.toml"
    assert run_cli("config", "init", str(target)).returncode == 0
    assert load_config(target).lora.r == SCHEMA["lora"]["r"].default
    again = run_cli("config", "init", str(target))
    assert again.returncode == 2 and "--force" in again.stderr
