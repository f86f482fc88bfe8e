"""`medtui data validate|preview` through the real command line: exit codes, --json shape, output."""

from __future__ import annotations

import json

import pytest

from conftest import DATA, run_cli


def write_jsonl(path, lines):
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return str(path)


def test_validate_json_shape_and_exit_0_for_a_usable_file(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"instruction": "What is a fever?", "response": "A raised temperature."},
        '{"instruction": "broken',
        {"instruction": "Write to me at pat.jones@example.com", "response": "I cannot read email."},
    ])
    done = run_cli("data", "validate", f, "--json", "--no-length")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result) == ["file", "format", "records", "usable", "problems"]
    assert result["file"] == f and result["format"] == "instruction"
    assert result["records"] == 3 and result["usable"] == 2
    assert result["problems"] == [
        {"line": 2, "record": 2, "field": None, "code": "malformed_json", "severity": "error",
         "message": result["problems"][0]["message"]},
        {"line": 3, "record": 3, "field": "instruction", "code": "phi_email", "severity": "warning",
         "message": result["problems"][1]["message"]},
    ]
    assert "not valid JSON" in result["problems"][0]["message"]


def test_validate_json_file_has_null_lines(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"instruction": "Q", "input": "", "output": "A"},
                                {"instruction": "Q", "input": "", "output": "A"}]))
    done = run_cli("data", "validate", str(path), "--json", "--no-length")
    assert done.returncode == 0
    [problem] = json.loads(done.stdout)["problems"]
    assert problem["line"] is None and problem["record"] == 2 and problem["code"] == "duplicate"


def test_validate_exit_1_when_no_record_is_usable(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"instruction": "Q", "response": ""}, '{"instruction": ', ""])
    done = run_cli("data", "validate", f, "--no-length")
    assert done.returncode == 1
    assert "2 records, 0 usable, 2 errors" in done.stdout
    assert "line 1, field 'response': error empty_field" in done.stdout
    assert "line 2: error malformed_json" in done.stdout


def test_validate_exit_1_with_a_message_for_an_unknown_shape(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"text": "hello", "label": 1}])
    done = run_cli("data", "validate", f, "--json", "--no-length")
    assert done.returncode == 1 and done.stdout == ""
    assert "cannot tell the record shape; columns found: text, label" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_usage_errors_exit_2(tmp_path):
    missing = run_cli("data", "validate", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"medtui: {tmp_path / 'nope.jsonl'}: no such file"
    no_file = run_cli("data", "validate")
    assert no_file.returncode == 2 and "FILE" in no_file.stderr
    (tmp_path / "x.txt").write_text("hi")
    wrong_kind = run_cli("data", "validate", str(tmp_path / "x.txt"))
    assert wrong_kind.returncode == 2 and "unsupported file type .txt" in wrong_kind.stderr


@pytest.mark.slow
def test_validate_checks_length_with_the_model_tokenizer(tmp_path, embedded_model_dir):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"instruction": "What is a fever?", "response": "A raised temperature."},
        {"instruction": "Explain asthma.", "response": "Airways narrow and inflame. " * 40},
    ])
    done = run_cli("data", "validate", f, "--json", "--set", "model.max_length=120")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["usable"] == 1
    assert [(p["line"], p["code"], p["severity"]) for p in result["problems"]] == [(2, "too_long", "error")]
    assert "over [model] max_length 120" in result["problems"][0]["message"]


@pytest.mark.slow
def test_preview_marks_the_answer_and_end_of_turn_token(embedded_model_dir):
    done = run_cli("data", "preview", str(DATA / "medical_instruction.jsonl"), "--record", "2")
    assert done.returncode == 0, done.stderr
    header, out = done.stdout.split("\n\n", 1)
    assert "record 2 (line 2)" in header and "template: the model's own" in header
    assert "<|im_start|>user\n" in out
    first = json.loads((DATA / "medical_instruction.jsonl").read_text().splitlines()[1])
    loss = out[out.index("[loss]") + len("[loss]"):out.index("[/loss]")]
    assert loss == first["response"] + "<|im_end|>"  # the whole answer and its end-of-turn token, nothing else
    assert out.count("[loss]") == 1


@pytest.mark.slow
def test_preview_json_and_bad_records(tmp_path, embedded_model_dir):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
                      {"role": "user", "content": "Thanks"}, {"role": "assistant", "content": "Welcome"}]},
        {"instruction": "Q"},
    ])
    done = run_cli("data", "preview", f, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    learned = [s["text"] for s in result["segments"] if s["loss"]]
    assert learned == ["Hello<|im_end|>", "Welcome<|im_end|>"]
    assert result["warnings"] == [] and result["loss_tokens"] > 0
    bad = run_cli("data", "preview", f, "--record", "2")
    assert bad.returncode == 1
    assert "record 2 cannot be previewed" in bad.stderr
    out_of_range = run_cli("data", "preview", f, "--record", "9")
    assert out_of_range.returncode == 2 and "the file has 2 records" in out_of_range.stderr
