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
    assert problems_of(path) == ['medtui.toml: [lora] r must be a positive integer <= 65536, got "eight"']


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, '[lora]\nr = 0\nlora_dropout = 2.0\n[train]\nlearnin_rate = 1e-4\nmax_steps = "many"\n[bogus]\nx = 1\n')
    problems = problems_of(path)
    assert len(problems) == 5
    text = "\n".join(problems)
    assert "[lora] r must be a positive integer <= 65536, got 0" in text
    assert "[lora] lora_dropout must be a number >= 0 and <= 1, got 2.0" in text
    assert "[train] unknown key 'learnin_rate' (did you mean \"learning_rate\"?)" in text
    assert '[train] max_steps must be an integer >= -1 and <= 2147483647, got "many"' in text
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
    assert any("[lora] r must be a positive integer <= 65536, got -3" in p for p in problems)
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
    assert '[lora] r must be a positive integer <= 65536, got "eight"' in done.stderr
    assert 'did you mean "max_steps"' in done.stderr


def test_cli_config_init_writes_a_loadable_documented_file(tmp_path):
    from conftest import run_cli

    target = tmp_path / "mine.toml"
    assert run_cli("config", "init", str(target)).returncode == 0
    assert load_config(target).lora.r == SCHEMA["lora"]["r"].default
    again = run_cli("config", "init", str(target))
    assert again.returncode == 2 and "--force" in again.stderr


# ---- hostile values ----------------------------------------------------------------------------

NUMERIC = [(section, name, key) for section, keys in SCHEMA.items() for name, key in keys.items()
           if key.kind in ("int", "float")]


def test_every_number_has_a_declared_range():
    for section, name, key in NUMERIC:
        assert key.minimum is not None and key.maximum is not None, f"[{section}] {name} has no range"


@pytest.mark.parametrize("section,name", [(s, n) for s, n, _ in NUMERIC], ids=lambda x: str(x))
def test_nan_and_infinity_are_rejected_for_every_number(tmp_path, section, name):
    for literal in ("nan", "inf", "-inf"):
        (problem,) = problems_of(write(tmp_path, f"[{section}]\n{name} = {literal}\n"))
        assert f"medtui.toml: [{section}] {name} must be" in problem and problem.endswith(f"got {literal}")


@pytest.mark.parametrize("override,expected", [
    ("train.seed=-1", "[train] seed must be an integer >= 0 and <= 4294967295, got -1"),
    ("train.seed=4294967296", "[train] seed must be an integer >= 0 and <= 4294967295, got 4294967296"),
    ("train.learning_rate=0", "[train] learning_rate must be a positive number <= 1, got 0"),
    ("train.warmup_ratio=1.5", "[train] warmup_ratio must be a number >= 0 and <= 1, got 1.5"),
    ("train.weight_decay=-0.1", "[train] weight_decay must be a number >= 0 and <= 1, got -0.1"),
    ("chat.top_p=0", "[chat] top_p must be a positive number <= 1, got 0"),
    ("export.num_ctx=99999999999", "[export] num_ctx must be an integer >= 128 and <= 2147483647, got 99999999999"),
])
def test_numbers_outside_their_real_range_are_named(tmp_path, override, expected):
    (problem,) = problems_of(write(tmp_path, ""), [override])
    assert problem == f"--set {override}: {expected}"


def test_seed_bounds_are_accepted(tmp_path):
    assert load_config(write(tmp_path, "[train]\nseed = 4294967295\n")).train.seed == 2**32 - 1
    assert load_config(write(tmp_path, "[train]\nseed = 0\n")).train.seed == 0


def test_set_inside_a_key_that_is_not_a_table_is_a_message(tmp_path):
    (problem,) = problems_of(write(tmp_path, ""), ["lora.r.x=1"])
    assert problem == ("--set lora.r.x=1: [lora] r holds a positive integer <= 65536, not a table of keys; "
                       "set it as lora.r=VALUE")
    (problem,) = problems_of(write(tmp_path, ""), ["model=3"])
    assert "[model] is a section, not a key" in problem and "model.name=" in problem


def test_set_into_a_section_the_file_made_a_value_is_a_message(tmp_path):
    problems = problems_of(write(tmp_path, "model = 3\n"), ["model.name=x"])
    assert problems == ["--set model.name=x: [model] is 3 in the config file, not a table of keys, so name cannot be set in it",
                        "medtui.toml: [model] must be a table of keys, got 3"]


def test_set_one_entry_of_a_table_key(tmp_path):
    cfg = load_config(write(tmp_path, '[data]\ncolumns = {response = "a"}\n'), ["data.columns.instruction=q"])
    assert cfg.data.columns == {"response": "a", "instruction": "q"}


def test_set_without_a_config_file_does_not_blame_medtui_toml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no medtui.toml here
    (problem,) = problems_of(None, ["lora.r=0"])
    assert problem == "--set lora.r=0: [lora] r must be a positive integer <= 65536, got 0"
    assert "medtui.toml" not in problem


def test_file_values_and_set_values_are_each_named_by_their_origin(tmp_path):
    problems = problems_of(write(tmp_path, "[lora]\nr = 0\n"), ["lora.lora_alpha=0"])
    assert problems == ["medtui.toml: [lora] r must be a positive integer <= 65536, got 0",
                        "--set lora.lora_alpha=0: [lora] lora_alpha must be a positive integer <= 2147483647, got 0"]


def test_undecodable_bytes_from_the_command_line_are_rejected(tmp_path):
    (problem,) = problems_of(write(tmp_path, ""), ["chat.system_prompt=caf\udce9"])
    assert "[chat] system_prompt must be a string of valid UTF-8 text" in problem


CONTROL = "".join(chr(c) for c in range(32)) + '\x7f"\\ \u2028 é'


def test_strings_with_control_characters_round_trip(tmp_path):
    from medtui.config import dump_toml

    cfg = load_config(write(tmp_path, ""), [])
    values = cfg.as_dict()
    values["chat"]["system_prompt"] = CONTROL
    values["data"]["columns"] = {"instruction": CONTROL, CONTROL: "x", "é": "y"}
    values["data"]["train_files"] = [CONTROL]
    again = load_config(write(tmp_path, dump_toml(values)))
    assert again.as_dict() == values


def test_a_run_config_with_control_characters_reads_back(tmp_path):
    """What `train start` writes into the run folder (the resolved config) loads again."""
    cfg = load_config(write(tmp_path, ""), ["chat.system_prompt=\"tab\\there\\u0007bell\\u001bescape\""])
    assert cfg.chat.system_prompt == "tab\there\x07bell\x1bescape"
    assert load_config(write(tmp_path, cfg.to_toml())).chat.system_prompt == cfg.chat.system_prompt


@pytest.mark.parametrize("kind", ["fifo", "dev_zero_link", "folder"])
def test_a_config_that_is_not_a_regular_file_is_refused_at_once(tmp_path, monkeypatch, kind):
    import os

    path = tmp_path / "medtui.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev_zero_link":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    expected = {"fifo": "is a named pipe (FIFO), not a regular file",
                "dev_zero_link": "is a symbolic link to /dev/zero, which is a character device",
                "folder": "is a folder"}[kind]
    (problem,) = problems_of(path)  # today: blocks for ever on the FIFO, fills the memory on /dev/zero
    assert problem.startswith(f"{path}: {expected}")
    # ./medtui.toml picked up implicitly is checked the same way
    monkeypatch.chdir(tmp_path)
    (problem,) = problems_of(None)
    assert expected in problem


def test_a_config_nested_thousands_deep_is_a_message_not_a_recursion_error(tmp_path):
    deep = "[" * 5000 + "1" + "]" * 5000
    (problem,) = problems_of(write(tmp_path, f"[lora]\nr = {deep}\n"))
    assert problem == f"{tmp_path / 'medtui.toml'}: not readable as TOML: arrays or tables nested thousands of levels deep"
    (problem,) = problems_of(write(tmp_path, ""), [f"lora.r={deep}"])
    assert problem == "--set lora.r=...: the value is nested thousands of levels deep"


def test_an_integer_of_thousands_of_digits_is_a_message(tmp_path):
    (problem,) = problems_of(write(tmp_path, f"[lora]\nr = {'9' * 6000}\n"))
    assert problem.startswith(f"{tmp_path / 'medtui.toml'}: not readable as TOML: Exceeds the limit (4300 digits)")
    (problem,) = problems_of(write(tmp_path, ""), [f"train.seed={'9' * 6000}"])
    assert problem.startswith("--set train.seed=...: Exceeds the limit (4300 digits)")
