"""Shape detection, the [data] format/columns overrides, and how each shape becomes messages."""

from __future__ import annotations

import json

import pytest

from medtui.data import DataError, DataOptions, validate_file


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_instruction_shape(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"instruction": "What is a fever?", "response": "A raised temperature."}])
    report = validate_file(f, DataOptions())
    assert report.format == "instruction"
    assert report.conversations[1] == [{"role": "user", "content": "What is a fever?"},
                                       {"role": "assistant", "content": "A raised temperature."}]


def test_prompt_completion_columns_read_as_instruction(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "Q", "completion": "A"}])
    assert validate_file(f, DataOptions()).format == "instruction"


def test_alpaca_shape_joins_input_to_the_instruction(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"instruction": "Can I take ibuprofen?", "input": "Age 62, takes warfarin.", "output": "Usually avoided."},
        {"instruction": "What is BMI?", "input": "", "output": "Weight over height squared."},
    ])
    report = validate_file(f, DataOptions())
    assert report.format == "alpaca"
    assert report.conversations[1][0]["content"] == "Can I take ibuprofen?\n\nAge 62, takes warfarin."
    assert report.conversations[2][0]["content"] == "What is BMI?"


def test_medical_o1_reasoning_goes_before_the_answer(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Question,Complex_CoT,Response\nWhy pause metformin?,Contrast can affect kidneys.,It may be held.\n")
    with_reasoning = validate_file(str(path), DataOptions(include_reasoning=True))
    assert with_reasoning.format == "medical_o1"
    answer = with_reasoning.conversations[1][-1]["content"]
    assert answer.index("Contrast can affect kidneys.") < answer.index("It may be held.")
    without = validate_file(str(path), DataOptions(include_reasoning=False))
    assert without.conversations[1][-1]["content"] == "It may be held."


def test_messages_shape_with_text_parts_and_system_turn(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"messages": [
        {"role": "system", "content": "Be careful."},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": "Hello", "extra": 1},
    ]}])
    report = validate_file(f, DataOptions())
    assert report.format == "messages"
    assert report.conversations[1] == [{"role": "system", "content": "Be careful."},
                                       {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]


def test_column_mapping_overrides_detection(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"q": "What is a fever?", "a": "A raised temperature.", "id": 3}])
    report = validate_file(f, DataOptions(columns={"instruction": "q", "response": "a"}))
    assert report.format == "instruction" and report.usable == 1
    assert report.conversations[1][1]["content"] == "A raised temperature."


def test_format_override_with_mapping(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"question": "Q?", "thinking": "T", "answer": "A"}])
    report = validate_file(f, DataOptions(format="medical_o1",
                                          columns={"question": "question", "reasoning": "thinking", "response": "answer"}))
    assert report.format == "medical_o1"
    assert "T" in report.conversations[1][-1]["content"]


def test_mapping_to_a_missing_column_names_it(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"q": "Q", "a": "A"}])
    with pytest.raises(DataError, match=r"\[data\] columns maps response = 'answer' but the file has no such column; columns found: q, a"):
        validate_file(f, DataOptions(columns={"instruction": "q", "response": "answer"}))


def test_unknown_mapping_field(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"q": "Q", "a": "A"}])
    with pytest.raises(DataError, match=r"\[data\] columns: unknown field 'answer'"):
        validate_file(f, DataOptions(columns={"answer": "a"}))


def test_unknown_shape_lists_columns_found_and_shapes_supported(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"text": "free text", "label": 1}])
    with pytest.raises(DataError) as failure:
        validate_file(f, DataOptions())
    message = str(failure.value)
    assert "d.jsonl: cannot tell the record shape; columns found: text, label" in message
    for shape in ("instruction (instruction, response)", "alpaca (instruction, input, output)",
                  "medical_o1 (Question, Complex_CoT, Response)", "messages"):
        assert shape in message
    assert "[data] columns" in message
    assert failure.value.exit_code == 1


def test_explicit_format_without_its_columns(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"instruction": "Q", "response": "A"}])
    with pytest.raises(DataError, match=r"\[data\] format is 'alpaca' but no column holds output; columns found: instruction, response"):
        validate_file(f, DataOptions(format="alpaca"))


def test_system_column_becomes_the_system_turn(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"system": "Answer briefly.", "instruction": "Q", "response": "A"}])
    report = validate_file(f, DataOptions())
    assert report.conversations[1][0] == {"role": "system", "content": "Answer briefly."}
