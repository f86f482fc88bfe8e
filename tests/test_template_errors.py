"""A chat template that refuses a conversation (many real ones raise: "Conversation roles must
alternate", "System role not supported") is named on its record, with the template's own reason and
what to do; never `TemplateError: ...`, and the other records are still counted and previewed."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import run_cli
from medtui.config import dump_toml
from medtui.data import DataOptions, validate_file

# The embedded model's ChatML, refusing turns that do not alternate the way Mistral's template does.
# (A template with no system role is no longer refused: medtui folds the system prompt into the first
# user turn, so a refusal has to come from something folding cannot fix.)
REASON = "Conversation roles must alternate user/assistant/user/assistant/..."
ALTERNATING_TEMPLATE = (
    "{%- set ns = namespace(i=0) -%}"
    "{%- for message in messages %}"
    "{%- if message['role'] != 'system' %}"
    "{%- if (message['role'] == 'user') != (ns.i % 2 == 0) %}{{ raise_exception('" + REASON + "') }}{%- endif %}"
    "{%- set ns.i = ns.i + 1 %}"
    "{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


@pytest.fixture(scope="module")
def strict_model(embedded_model_dir, tmp_path_factory):
    """A model folder (the embedded model's config and tokenizer) whose chat template insists on alternating turns."""
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("strict-model")
    shutil.copy(embedded_model_dir / "config.json", folder / "config.json")
    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir)
    tokenizer.chat_template = ALTERNATING_TEMPLATE
    tokenizer.save_pretrained(folder)
    return folder


def messages_file(tmp_path, all_refused: bool = False):
    path = tmp_path / "chat.jsonl"
    two_questions = {"messages": [{"role": "user", "content": "What is gout?"}, {"role": "user", "content": "Be brief."},
                                  {"role": "assistant", "content": "A form of arthritis."}]}
    records = [
        {"messages": [{"role": "user", "content": "What is a fever?"}, {"role": "assistant", "content": "A raised temperature."}]},
        two_questions,
        {"messages": [{"role": "user", "content": "What is asthma?"}, {"role": "assistant", "content": "A lung disease."}]},
    ]
    if all_refused:
        records = [two_questions] * 3
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.slow
def test_a_record_the_template_refuses_is_one_problem_and_the_rest_are_counted(tmp_path, strict_model):
    from medtui.models import load_tokenizer

    tokenizer = load_tokenizer(strict_model)
    report = validate_file(str(messages_file(tmp_path)), DataOptions(add_system_prompt=False), tokenizer=tokenizer)
    assert [(p.code, p.line) for p in report.problems] == [("template_refused", 2)]
    assert report.problems[0].message == f"the model's chat template refuses this conversation: {REASON}"
    assert report.usable == 2


@pytest.mark.slow
def test_cli_preview_and_validate_name_the_refusal_not_the_library(tmp_path, strict_model):
    config = tmp_path / "medtui.toml"
    config.write_text(dump_toml({"model": {"name": str(strict_model)}, "data": {"add_system_prompt": False}}))
    data = messages_file(tmp_path)

    done = run_cli("data", "preview", str(data), "--record", "2", "--config", str(config))
    assert done.returncode == 1
    assert "TemplateError" not in done.stderr and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == (f"medtui: {data}: record 2 (line 2): the chat template of {strict_model} refuses this "
                        f"conversation: {REASON}")
    assert lines[1].startswith("hint: data validate lists every such record as template_refused")

    done = run_cli("data", "preview", str(data), "--record", "1", "--config", str(config))
    assert done.returncode == 0, done.stderr

    done = run_cli("data", "validate", str(data), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "3 records, 2 usable" in done.stdout
    assert ("line 2: error template_refused: the model's chat template refuses this conversation: "
            f"{REASON}") in done.stdout


@pytest.mark.slow
def test_a_template_refusing_every_record_names_the_file_at_training_time(tmp_path, strict_model):
    """A file whose every record the template refuses: training stops before it starts, naming the file
    and the template's reason (it once failed with TemplateError)."""
    from medtui.config import load_config
    from medtui.data import DataError, prepare_training_data
    from medtui.models import load_tokenizer

    data = messages_file(tmp_path, all_refused=True)
    cfg = load_config(None, [f'model.name="{strict_model}"', f'data.train_files=["{data}"]', 'data.eval_file=""'])
    with pytest.raises(DataError) as caught:
        prepare_training_data(cfg, load_tokenizer(strict_model))
    message = caught.value.message
    assert message.startswith(f"{data}: no usable record in this training file (3 records)")
    assert f"template_refused: the model's chat template refuses this conversation: {REASON}" in message


def test_tui_and_cli_show_a_medtui_error_the_same_way():
    from medtui.errors import MedtuiError, describe_error

    error = MedtuiError("data.jsonl: is UTF-16 text", hint="convert it: iconv -f UTF-16 -t UTF-8 data.jsonl")
    assert describe_error(error) == "data.jsonl: is UTF-16 text\nhint: convert it: iconv -f UTF-16 -t UTF-8 data.jsonl"
    assert describe_error(KeyError("messages")) == "unexpected KeyError: 'messages'"
