"""Every loader on a small file made in the test: records, line numbers, and bad input as problems."""

from __future__ import annotations

import json

import pytest

from medtui.data import DataError, DataOptions, is_hub_id, load_source, validate_file


def codes(report):
    return [(p.code, p.line, p.record) for p in report.problems]


def test_jsonl_keeps_file_lines_and_skips_blank_lines(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"instruction": "q1", "response": "a1"}\n'
        "\n"
        "   \n"
        '{"instruction": "q2", "response": "a2"}\r\n'
        '{"instruction": "q3", "response": "a3"}'  # no final newline
    )
    loaded = load_source(str(path))
    assert [(r.number, r.line) for r in loaded.records] == [(1, 1), (2, 4), (3, 5)]
    assert loaded.records[1].fields == {"instruction": "q2", "response": "a2"}
    assert loaded.problems == []


def test_jsonl_bad_lines_are_problems_on_their_line_and_the_rest_loads(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(
        b'{"instruction": "q1", "response": "a1"}\n'
        b'{"instruction": "q2", "response": \n'          # malformed JSON
        b'\n'
        b'{"instruction": "caf\xe9", "response": "a"}\n'   # Latin-1 byte
        b'["not", "an", "object"]\n'
        b'{"instruction": "q5", "response": "a5"}\n'
    )
    report = validate_file(str(path), DataOptions())
    assert codes(report) == [("malformed_json", 2, 2), ("not_utf8", 4, 3), ("wrong_type", 5, 4)]
    assert "0xe9" in report.problems[1].message
    assert report.records == 5 and report.usable == 2


def test_jsonl_with_bom(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"instruction": "q", "response": "a"}\n')
    report = validate_file(str(path), DataOptions())
    assert report.usable == 1 and report.problems == []


def test_json_array(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"instruction": "q1", "input": "", "output": "a1"},
                                {"instruction": "q2", "input": "ctx", "output": "a2"}], indent=2))
    report = validate_file(str(path), DataOptions())
    assert report.kind == "json" and report.format == "alpaca" and report.usable == 2
    assert report.lines == {}  # JSON names records, not lines


def test_json_object_holding_a_list(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"version": 2, "data": [{"instruction": "q", "response": "a"}, 7]}))
    report = validate_file(str(path), DataOptions())
    assert report.records == 2 and report.usable == 1
    assert codes(report) == [("wrong_type", None, 2)]


def test_json_object_without_a_list_is_an_error_naming_its_keys(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"instruction": "q", "response": "a"}))
    with pytest.raises(DataError, match=r"d\.json: the JSON object holds no list of records \(keys: instruction, response\)"):
        load_source(str(path))


def test_malformed_json_file_names_line_and_column(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('[\n  {"instruction": "q", "response": "a"},\n  {"instruction": "q2" "response": "a"}\n]')
    report = validate_file(str(path), DataOptions())
    assert report.records == 0 and report.usable == 0
    [problem] = report.problems
    assert problem.code == "malformed_json" and problem.line == 3
    assert "line 3 column" in problem.message


def test_json_suffix_holding_json_lines_reads_as_lines(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('{"instruction": "q1", "response": "a1"}\n{"instruction": "q2", "response": "a2"}\n')
    report = validate_file(str(path), DataOptions())
    assert report.kind == "jsonl" and report.usable == 2 and report.lines == {1: 1, 2: 2}


def test_json_bad_bytes_are_a_problem_on_their_record(tmp_path):
    path = tmp_path / "d.json"
    path.write_bytes(b'[{"instruction": "q", "response": "a"}, {"instruction": "na\xefve", "response": "b"}]')
    report = validate_file(str(path), DataOptions())
    assert codes(report) == [("not_utf8", None, 2)]
    assert report.problems[0].field == "instruction"
    assert report.usable == 1


def test_csv_with_bom_quoted_newlines_and_blank_lines(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(
        b"\xef\xbb\xbfQuestion,Complex_CoT,Response\r\n"
        b'"What is gout?","Uric acid\nforms crystals.","A form of arthritis."\r\n'
        b"\r\n"
        b'"Second, with comma?","Think","Answer"\r\n'
    )
    loaded = load_source(str(path))
    assert loaded.columns == ["Question", "Complex_CoT", "Response"]  # BOM not part of the first name
    assert [(r.number, r.line) for r in loaded.records] == [(1, 2), (2, 5)]
    assert loaded.records[0].fields["Complex_CoT"] == "Uric acid\nforms crystals."  # newline kept
    report = validate_file(str(path), DataOptions())
    assert report.format == "medical_o1" and report.usable == 2


def test_csv_row_with_extra_cells_and_short_row(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("instruction,response\nq1,a1\nq2,a2,oops\nq3\n")
    report = validate_file(str(path), DataOptions())
    assert codes(report) == [("wrong_type", 3, 2), ("missing_field", 4, 3)]
    assert "3 cells but the header names 2 columns" in report.problems[0].message


def test_csv_bad_bytes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"instruction,response\nq1,a1\nq\xff2,a2\n")
    report = validate_file(str(path), DataOptions())
    assert codes(report) == [("not_utf8", 3, 2)]


def test_tsv(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text('instruction\tresponse\nWhat is a cold?\t"A viral infection,\nusually mild."\n')
    report = validate_file(str(path), DataOptions())
    assert report.kind == "tsv" and report.usable == 1
    assert report.conversations[1][-1]["content"] == "A viral infection,\nusually mild."


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    messages = [[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
                [{"role": "user", "content": "Only a question"}]]
    pq.write_table(pa.table({"messages": messages}), path)
    report = validate_file(str(path), DataOptions())
    assert report.kind == "parquet" and report.format == "messages"
    assert report.records == 2 and report.usable == 1
    assert codes(report) == [("no_assistant_turn", None, 2)]


def test_missing_file_and_unsupported_kind_are_usage_errors(tmp_path):
    with pytest.raises(DataError, match="no such file") as missing:
        load_source(str(tmp_path / "nope.jsonl"))
    assert missing.value.exit_code == 2
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"unsupported file type \.txt") as kind:
        load_source(str(tmp_path / "notes.txt"))
    assert kind.value.exit_code == 2


def test_hub_ids_are_told_apart_from_paths(tmp_path):
    assert is_hub_id("FreedomIntelligence/medical-o1-reasoning-SFT")
    assert is_hub_id("FreedomIntelligence/medical-o1-reasoning-SFT:en")
    assert not is_hub_id("data/medical_instruction.jsonl")  # a data-file suffix is a path
    (tmp_path / "owner").mkdir()
    (tmp_path / "owner" / "name").write_text("")
    assert not is_hub_id("owner/name", root=tmp_path)  # an existing path wins


def test_hub_id_offline_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError) as failure:
        load_source("medtui-tests/no-such-dataset-here")
    message = str(failure.value)
    assert message.startswith("medtui-tests/no-such-dataset-here: cannot load this hub data set")
    assert "Traceback" not in message


def _two_configuration_dataset(folder):
    """A data set laid out as on the hub, with two configurations (as medical-o1-reasoning-SFT has four)."""
    for config in ("en", "zh"):
        (folder / config).mkdir(parents=True)
        (folder / config / "train.jsonl").write_text(json.dumps({"Question": f"q {config}", "Response": "a"}) + "\n")
    (folder / "README.md").write_text("---\nconfigs:\n- config_name: en\n  data_files: en/train.jsonl\n"
                                      "- config_name: zh\n  data_files: zh/train.jsonl\n---\n")
    return folder


def test_a_data_set_with_several_configurations_and_none_chosen_lists_them(tmp_path, monkeypatch):
    from medtui.data.loaders import load_hub

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    source = str(_two_configuration_dataset(tmp_path / "medical-o1"))
    with pytest.raises(DataError) as failure:
        load_hub(source, "train")  # datasets' own refusal, as the hub gives it for a real id
    assert failure.value.exit_code == 2
    assert str(failure.value) == (f"{source}: this data set has several configurations (en, zh) and none is chosen; "
                                  f'name one in [data] train_files, e.g. "{source}:en"')
    # Naming one loads it: `id:config` picks the configuration.
    loaded = load_hub(f"{source}:zh", "train")
    assert [r.fields["Question"] for r in loaded.records] == ["q zh"]
