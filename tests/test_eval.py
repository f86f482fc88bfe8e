"""medtui eval without a model: the result file, refusal recognition, the shipped question set,
the prompt files' error messages, the model card section and what `runs show`/`compare` print.
The suites on real models are in test_eval_models.py."""

from __future__ import annotations

import collections
import json

import pytest

from conftest import DATA, run_cli, write_test_config
from medtui.config import DEFAULT_REFUSAL
from medtui.errors import MedtuiError
from medtui.eval import EvalRecord, ModelInfo, is_refusal, latest, read, result_files
from medtui.eval.results import EvalReport, metric_rows
from medtui.eval.suites import EvalDataError, check_mcq_file, interleave, load_prompts
from medtui.export.card import add_eval_to_card
from test_runs_support import FINISHED, write_ended_runs_workspace


def record(label="run:final", loss=2.5, refused=0.25, created="2026-11-27T08:00:00+00:00") -> EvalRecord:
    return EvalRecord(
        model=ModelInfo(label, "adapter", "/x/adapter", "run", "final"),
        metrics={"heldout": {"loss": loss, "perplexity": 12.2},
                 "safety": {"refused_harmful": refused, "answered_benign": 0.9, "refused_harmful/overdose": 0.5}},
        examples={"answers": [{"question": "q", "reference": "r", "answer": "a", "finish": "stop", "tokens": 3}]},
        seconds={"heldout": 1.5, "safety": 9.0},
        settings={"limits": {"heldout": None, "safety": 4}, "max_new_tokens": 32, "device": "cpu"},
        created=created,
    )


def test_record_is_written_atomically_and_reads_back(tmp_path):
    first = record().write(tmp_path)
    second = record(label="exp:Q4_K_M", loss=2.7).write(tmp_path)
    third = record(loss=2.1).write(tmp_path)  # the same model again: the newer one wins
    assert first.parent == tmp_path / "eval" and first.suffix == ".json"
    assert len({first, second, third}) == 3
    assert not [p for p in (tmp_path / "eval").iterdir() if p.name.startswith(".")]  # no temporary left
    assert read(third).metrics["heldout"]["loss"] == 2.1
    newest = latest(tmp_path)
    assert set(newest) == {"run:final", "exp:Q4_K_M"}
    assert newest["run:final"].metrics["heldout"]["loss"] == 2.1


def test_an_unreadable_result_file_is_named_and_skipped(tmp_path):
    good = record().write(tmp_path)
    bad = tmp_path / "eval" / "99999999-bad.json"
    bad.write_text("{not json")
    with pytest.raises(MedtuiError) as caught:
        read(bad)
    assert str(bad) in str(caught.value)
    assert result_files(tmp_path)[-1] == bad
    assert latest(tmp_path)["run:final"].metrics == read(good).metrics


@pytest.mark.parametrize("answer", [
    DEFAULT_REFUSAL,
    "I don't have enough information to answer this safely.",
    "I'm sorry, but I can't help with that.",
    "I cannot provide instructions for hurting someone.",
    "I am unable to assist with this request.",
])
def test_refusals_are_recognised(answer):
    assert is_refusal(answer, DEFAULT_REFUSAL)


@pytest.mark.parametrize("answer", [
    "Paracetamol overdose damages the liver; go to the emergency department. Please consult a healthcare professional.",
    "Chest pain has many causes. I can not stress enough that crushing pain needs an ambulance.",
    "",
])
def test_answers_are_not_mistaken_for_refusals(answer):
    assert not is_refusal(answer, DEFAULT_REFUSAL)


def test_a_configured_refusal_text_is_recognised():
    text = "Sorry, that is outside what this assistant may discuss."
    assert is_refusal("Sorry, that is outside what this assistant may discuss.", text)
    assert not is_refusal("Sorry, that is outside what this assistant may discuss.", DEFAULT_REFUSAL)


def test_the_shipped_question_set_is_complete_and_balanced():
    path = DATA / "medical_mcq.jsonl"
    assert check_mcq_file(path) >= 150
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert all(len(i["choices"]) == 4 and len(set(i["choices"])) == 4 for i in items)
    assert len({i["question"] for i in items}) == len(items)
    specialties = collections.Counter(i["specialty"] for i in items)
    assert len(specialties) >= 12 and min(specialties.values()) >= 5
    positions = collections.Counter(i["answer"] for i in items)
    assert set(positions) == {0, 1, 2, 3} and max(positions.values()) - min(positions.values()) <= 2
    assert (DATA / "medical_mcq.md").exists()  # its data card


def test_the_default_prompt_file_ships_in_data_and_small_limits_cover_both_sides():
    prompts = load_prompts(DATA / "redteam.jsonl")
    assert {p["label"] for p in prompts} == {"harmful", "benign"}
    first = interleave(prompts)[:4]
    assert {p["label"] for p in first} == {"harmful", "benign"}


def test_bad_prompt_and_question_files_name_the_line(tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"prompt": "ok", "label": "harmful", "category": "x"}\n{"prompt": "no label"}\n')
    with pytest.raises(EvalDataError, match=rf"{prompts}:2: expected"):
        load_prompts(prompts)
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "q", "choices": ["a", "b"], "answer": 5}\n')
    with pytest.raises(EvalDataError, match=rf"{questions}:1: expected"):
        check_mcq_file(questions)


def test_cli_rejects_what_it_cannot_evaluate(tmp_path):
    config = write_test_config(tmp_path)
    done = run_cli("eval", "no-such-run", "--config", str(config))
    assert done.returncode == 2 and "no run" in done.stderr and "Traceback" not in done.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    done = run_cli("eval", "base", "--suite", "safety", "--config", str(config), "--set", f"eval.safety_file={bad}")
    assert done.returncode == 2 and f"{bad}:1: not JSON" in done.stderr
    done = run_cli("eval", "base", "--limit", "0", "--config", str(config))
    assert done.returncode == 2 and "--limit 0" in done.stderr
    done = run_cli("eval", str(tmp_path / "missing.gguf"), "--config", str(config))
    assert done.returncode != 0 and "missing.gguf" in done.stderr and "Traceback" not in done.stderr


def test_model_card_gets_one_section_per_evaluated_file(tmp_path):
    card = tmp_path / "README.md"
    card.write_text("# m\n\n## Fidelity of each file\n\nx\n\n## Run it\n\nollama\n")
    add_eval_to_card(tmp_path, record(label="exp:Q4_K_M", refused=0.25))
    add_eval_to_card(tmp_path, record(label="exp:Q4_K_M", refused=0.75))  # evaluated again: replaced
    text = card.read_text()
    assert text.index("## Evaluation") < text.index("## Run it")
    assert text.count("### exp:Q4_K_M") == 1
    assert "| harmful refused | 75.0% |" in text and "25.0%" not in text


def test_report_rows_put_models_side_by_side():
    report = EvalReport()
    report.add(record(label="base", loss=3.0))
    report.add(record(label="run:final", loss=2.0))
    rows = {(suite, label): values for suite, label, values in metric_rows(report)}
    assert rows[("heldout", "held-out loss")] == ["3.000", "2.000"]
    assert rows[("safety", "harmful refused: overdose")] == ["50.0%", "50.0%"]
    assert rows[("safety", "seconds")] == ["9.0", "9.0"]


def test_runs_show_and_compare_print_the_latest_eval(tmp_path):
    workspace = write_ended_runs_workspace(tmp_path)
    config = workspace / "medtui.toml"
    runs = workspace / "checkpoints"
    others = sorted(p.name for p in runs.iterdir() if p.is_dir() and p.name != FINISHED)
    record(label=f"{FINISHED}:final", loss=2.25).write(runs / FINISHED)
    shown = run_cli("runs", "show", FINISHED, "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert "Evaluation (latest per model)" in shown.stdout and "2.250" in shown.stdout
    as_json = json.loads(run_cli("runs", "show", FINISHED, "--config", str(config), "--json").stdout)
    assert as_json["eval"][f"{FINISHED}:final"]["metrics"]["heldout"]["loss"] == 2.25
    compared = run_cli("runs", "compare", FINISHED, others[0], "--config", str(config))
    assert compared.returncode == 0, compared.stderr
    assert "Evaluation (each run's latest)" in compared.stdout and "2.250" in compared.stdout


def test_the_runs_pane_detail_names_the_newest_eval(tmp_path):
    from medtui.runs import run_details
    from medtui.tui.panes.runs import describe

    workspace = write_ended_runs_workspace(tmp_path)
    run_dir = workspace / "checkpoints" / FINISHED
    assert "eval'd" not in describe(run_details(run_dir)).plain
    record(loss=2.25, refused=0.25).write(run_dir)
    line = next(l for l in describe(run_details(run_dir)).plain.splitlines() if l.startswith("eval'd"))
    assert "final: held-out loss 2.250" in line and "harmful refused 25.0%" in line
