"""Validation: every problem code with its severity, counts, duplicates, PHI, length, and the
prepared training data the trainer receives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medtui.config import SAMPLE_TRAIN_FILES

from medtui.config import load_config
from medtui.data import (
    PROBLEM_CODES, SEVERITY, DataError, DataOptions, prepare_training_data, validate_file,
)
from medtui.data.phi import find_phi

ROOT = Path(__file__).resolve().parents[1]
# The training sample files and the held-out file (data/ also holds the eval suites' MCQ and red-team sets).
SAMPLE_FILES = [ROOT / name for name in SAMPLE_TRAIN_FILES] + [ROOT / "data" / "medical_eval.jsonl"]


def write_jsonl(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return str(path)


def problem_table(report):
    return [(p.line, p.record, p.field, p.code, p.severity) for p in report.problems]


def test_severities_are_as_documented():
    assert set(PROBLEM_CODES) == {
        "malformed_json", "not_utf8", "nul_byte", "missing_field", "empty_field", "wrong_type", "unknown_role",
        "no_assistant_turn", "duplicate", "too_long", "template_refused", "phi_email", "phi_phone", "phi_ssn", "phi_mrn",
        "phi_dob", "phi_address", "harmful_request"}
    assert {c for c, s in SEVERITY.items() if s == "warning"} == (
        {c for c in PROBLEM_CODES if c.startswith("phi_")} | {"harmful_request"})


def test_field_problems_name_line_field_and_exclude_the_record(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"instruction": "Q1", "response": "A1"},
        {"instruction": "Q2"},                                   # missing_field
        {"instruction": "   ", "response": "A3"},                # empty_field
        {"instruction": "Q4", "response": ["A", "B"]},           # wrong_type
        {"instruction": None, "response": "A5"},                 # null reads as missing
    ])
    report = validate_file(f, DataOptions())
    assert problem_table(report) == [
        (2, 2, "response", "missing_field", "error"),
        (3, 3, "instruction", "empty_field", "error"),
        (4, 4, "response", "wrong_type", "error"),
        (5, 5, "instruction", "missing_field", "error"),
    ]
    assert "got a list" in report.problems[2].message
    assert report.records == 5 and report.usable == 1
    assert report.usable_conversations() == [report.conversations[1]]


def test_message_problems(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]},
        {"messages": [{"role": "human", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]},
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Anyone?"}]},
        {"messages": [{"role": "user", "content": "Hi"}, {"content": "Hello"}]},
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ""}]},
        {"messages": "user: hi"},
        {"messages": []},
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": 5}]},
    ])
    report = validate_file(f, DataOptions())
    assert problem_table(report) == [
        (2, 2, "messages[0].role", "unknown_role", "error"),
        (3, 3, "messages", "no_assistant_turn", "error"),
        (4, 4, "messages[1].role", "missing_field", "error"),
        (5, 5, "messages[1].content", "empty_field", "error"),
        (6, 6, "messages", "wrong_type", "error"),
        (7, 7, "messages", "empty_field", "error"),
        (8, 8, "messages[1].content", "wrong_type", "error"),
    ]
    assert "'human'" in report.problems[0].message and "'user'" in report.problems[0].message
    assert report.usable == 1


def test_duplicates_name_the_record_they_repeat_and_stay_listed(tmp_path):
    same = {"instruction": "What is a fever?", "response": "A raised temperature."}
    f = write_jsonl(tmp_path / "d.jsonl", [same, {"instruction": "Other", "response": "x"}, "", same, same])
    report = validate_file(f, DataOptions())
    assert problem_table(report) == [(4, 3, None, "duplicate", "error"), (5, 4, None, "duplicate", "error")]
    assert all(p.message == "exact duplicate of record 1 (line 1)" for p in report.problems)
    assert report.records == 4 and report.usable == 2  # the first copy stays usable


def test_duplicates_across_shapes_compare_the_conversation(tmp_path):
    first = write_jsonl(tmp_path / "a.jsonl", [{"instruction": "Q", "response": "A"}])
    second = tmp_path / "b.csv"
    second.write_text("prompt,completion\nQ,A\n")
    seen = {}
    validate_file(first, DataOptions(), seen=seen)
    report = validate_file(str(second), DataOptions(), seen=seen)
    assert [p.message for p in report.problems] == ["exact duplicate of record 1 (line 1) of a.jsonl"]


PHI_CASES = [
    ("phi_email", "Please write to pat.jones@example.com about the results."),
    ("phi_phone", "Call me on (617) 555-0199 after the scan."),
    ("phi_phone", "My number is +44 20 7946 0958."),
    ("phi_ssn", "SSN 123-45-6789 on file."),
    ("phi_mrn", "Patient MRN: 4839201 was admitted."),
    ("phi_mrn", "medical record number 00482913"),
    ("phi_dob", "DOB: 03/14/1962, presenting with chest pain."),
    ("phi_dob", "date of birth March 3, 1985"),
    ("phi_address", "She lives at 42 Oak Street and walks daily."),
    ("phi_address", "Send it to P.O. Box 1234."),
]


@pytest.mark.parametrize("code,text", PHI_CASES)
def test_phi_patterns_warn_with_their_kind_and_keep_the_record(tmp_path, code, text):
    f = write_jsonl(tmp_path / "d.jsonl", [{"instruction": text, "response": "Noted."}])
    report = validate_file(f, DataOptions())
    assert [(p.code, p.severity, p.field) for p in report.problems] == [(code, "warning", "instruction")]
    assert report.usable == 1
    # The report shows the match masked, not the identifier itself.
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 6:
        assert digits not in report.problems[0].message


MEDICAL_TEXT = [
    "Take 500 mg every 4-6 hours, no more than 4,000 mg in 24 hours.",
    "A blood pressure of 120/80 mmHg is normal; 140/90 or higher is high.",
    "A 45-year-old man with a BMI of 31.2 and HbA1c of 6.5%.",
    "Platelets are normally 150,000-450,000 per microliter.",
    "Call 1-800-222-1222 (Poison Control), 988 or 911 in an emergency.",
    "In 2019-2020 guidelines, LDL below 100 mg/dL was advised; 1 in 3 adults is affected.",
    "Potassium 3.5-5.0 mmol/L; urine output 0.5-1 mL/kg/h; FEV1/FVC below 0.70.",
    "Born in 1985, she had her first child in 2012. Dr. Smith reviewed the 2023-01-15 guideline.",
    "Your medical record is private; ask the patient portal for a copy.",
    "Adults need 150 minutes of activity a week; children 60 minutes a day.",
    "Give 10-15 mg/kg every 6 hours; repeat in 2 Weeks if needed.",
]


@pytest.mark.parametrize("text", MEDICAL_TEXT)
def test_medical_numbers_raise_no_phi_warning(text):
    assert find_phi(text) == []


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_data_has_no_problems(path):
    """(harmful_request, the safety screen's verdict, is bounded in tests/test_safety_screen.py: it
    raises one known false alarm on this data.)"""
    report = validate_file(str(path), DataOptions())
    assert report.records > 0
    assert [(p.record, p.code, p.message) for p in report.problems if p.code != "harmful_request"] == []
    assert report.usable == report.records


@pytest.mark.slow
def test_too_long_counts_model_tokens_through_the_chat_template(tmp_path, embedded_model_dir):
    from medtui.models import load_tokenizer

    tokenizer = load_tokenizer(embedded_model_dir)
    short = {"instruction": "What is a fever?", "response": "A raised body temperature."}
    long = {"instruction": "Explain hypertension.", "response": "Blood pressure matters. " * 60}
    f = write_jsonl(tmp_path / "d.jsonl", [short, long])
    options = DataOptions(max_length=100, system_prompt="Be careful.")
    report = validate_file(f, options, tokenizer=tokenizer)
    assert problem_table(report) == [(2, 2, None, "too_long", "error")]
    rendered = tokenizer.apply_chat_template(
        [{"role": "system", "content": "Be careful."}, *report.conversations[2]], tokenize=True)["input_ids"]
    assert report.problems[0].message.startswith(f"{len(rendered)} tokens")
    assert report.usable == 1


def sample_config(tmp_path, **data):
    text = "[data]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in data.items())
    (tmp_path / "medtui.toml").write_text(text)
    return load_config(tmp_path / "medtui.toml")


def test_prepare_uses_the_eval_file_and_adds_the_system_prompt(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", [{"instruction": f"Q{i}", "response": f"A{i}"} for i in range(6)]
                + ['{"broken'])
    write_jsonl(tmp_path / "eval.jsonl", [{"instruction": "E1", "response": "EA1"}, {"instruction": "Q0", "response": "A0"}])
    cfg = sample_config(tmp_path, train_files=["train.jsonl"], eval_file="eval.jsonl")
    prepared = prepare_training_data(cfg, None)
    assert prepared.counts == {"train_records": 7, "train_usable": 6, "eval_records": 2, "eval_usable": 1,
                               "excluded": 2}
    assert prepared.train[0][0] == {"role": "system", "content": cfg.chat.system_prompt}
    assert [c[1]["content"] for c in prepared.eval] == ["E1"]  # the eval copy of a train record is a duplicate
    assert [r.file for r in prepared.reports] == [str(tmp_path / "train.jsonl"), str(tmp_path / "eval.jsonl")]


def test_prepare_splits_deterministically_when_no_eval_file(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", [{"instruction": f"Q{i}", "response": f"A{i}"} for i in range(20)])
    cfg = sample_config(tmp_path, train_files=["train.jsonl"], eval_file="", eval_split=0.25, add_system_prompt=False)
    first = prepare_training_data(cfg, None)
    again = prepare_training_data(cfg, None)
    assert len(first.eval) == 5 and len(first.train) == 15
    assert first.eval == again.eval and first.sha256 == again.sha256
    assert {c[0]["content"] for c in first.eval}.isdisjoint({c[0]["content"] for c in first.train})
    other_seed = prepare_training_data(cfg.with_overrides(["train.seed=7"]), None)
    assert other_seed.eval != first.eval and other_seed.sha256 != first.sha256


def test_prepare_hash_follows_bytes_and_data_config(tmp_path):
    path = tmp_path / "train.jsonl"
    write_jsonl(path, [{"instruction": "Q", "response": "A"}, {"instruction": "Q2", "response": "A2"}])
    cfg = sample_config(tmp_path, train_files=["train.jsonl"], eval_file="")
    before = prepare_training_data(cfg, None).sha256
    assert prepare_training_data(cfg.with_overrides(["data.add_system_prompt=false"]), None).sha256 != before
    write_jsonl(path, [{"instruction": "Q", "response": "A!"}, {"instruction": "Q2", "response": "A2"}])
    assert prepare_training_data(cfg, None).sha256 != before


def test_prepare_refuses_a_file_with_no_usable_record(tmp_path):
    write_jsonl(tmp_path / "good.jsonl", [{"instruction": "Q", "response": "A"}])
    write_jsonl(tmp_path / "bad.jsonl", ['{"instruction": "Q"', {"instruction": "Q", "response": " "}])
    cfg = sample_config(tmp_path, train_files=["good.jsonl", "bad.jsonl"], eval_file="")
    with pytest.raises(DataError) as failure:
        prepare_training_data(cfg, None)
    message = str(failure.value)
    assert message.startswith(f"{tmp_path / 'bad.jsonl'}: no usable record in this training file (2 records)")
    assert "line 1: malformed_json" in message and "line 2, field 'response': empty_field" in message


@pytest.mark.slow
def test_prepare_on_the_sample_data_with_the_real_tokenizer(embedded_model_dir):
    from medtui.models import load_tokenizer

    cfg = load_config(None).with_overrides([])
    cfg = type(cfg)(cfg.as_dict(), None, ROOT)  # the project's defaults, paths against the repo
    prepared = prepare_training_data(cfg, load_tokenizer(embedded_model_dir))
    assert prepared.counts["train_usable"] >= 200 and prepared.counts["eval_usable"] >= 20
    assert prepared.counts["excluded"] == 0
    assert all(c[-1]["role"] == "assistant" for c in prepared.train + prepared.eval)
    assert {r.format for r in prepared.reports} >= {"instruction", "alpaca", "medical_o1", "messages"}
