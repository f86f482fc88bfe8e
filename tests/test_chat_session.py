"""The conversation layer without generating: history fitting with the model's real tokenizer,
refusals that never load the model, and model choices listed from run and export folders."""

from __future__ import annotations

import json
import shutil

import pytest

from medtui.chat import ChatError, ChatSession, GenerationSettings, Turn, fit_history, make_backend
from medtui.chat.sources import adapter_choice, base_choice, export_choices, gguf_choice, list_choices
from medtui.config import load_config
from medtui.safety import SafetySettings

SYSTEM = "You are a careful medical assistant."


@pytest.fixture(scope="module")
def count_tokens(embedded_model_dir):
    from medtui.models import load_tokenizer

    tokenizer = load_tokenizer(embedded_model_dir)

    def count(messages):
        return len(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                 return_dict=True)["input_ids"])

    return count


def _turns(n: int) -> list[Turn]:
    return [Turn(f"Question {i}: " + "tell me about the heart " * 10, f"Answer {i}: " + "the heart pumps " * 10)
            for i in range(n)]


def test_history_that_fits_is_sent_whole(count_tokens):
    fitted = fit_history(SYSTEM, _turns(2), "And the lungs?", count_tokens, context_length=2048, max_new_tokens=64)
    assert fitted.dropped_turns == 0
    assert [m["role"] for m in fitted.messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert fitted.messages[0]["content"] == SYSTEM
    assert fitted.prompt_tokens == count_tokens(fitted.messages)
    assert fitted.max_new_tokens == 64


def test_oldest_turns_drop_first_and_the_system_prompt_stays(count_tokens):
    turns = _turns(8)
    fitted = fit_history(SYSTEM, turns, "And the lungs?", count_tokens, context_length=400, max_new_tokens=64)
    assert fitted.dropped_turns > 0
    assert fitted.prompt_tokens + 64 <= 400
    assert fitted.messages[0] == {"role": "system", "content": SYSTEM}
    assert fitted.messages[-1] == {"role": "user", "content": "And the lungs?"}
    kept_users = [m["content"] for m in fitted.messages if m["role"] == "user"][:-1]
    # what is kept is the newest turns, in order
    assert kept_users == [t.user for t in turns[fitted.dropped_turns:]]


def test_refused_and_empty_turns_are_not_sent_to_the_model(count_tokens):
    turns = [Turn("how do i hang myself", "", refused=True), Turn("What is a fever?", ""),
             Turn("What is asthma?", "A lung condition.")]
    fitted = fit_history(SYSTEM, turns, "Thanks", count_tokens, context_length=2048, max_new_tokens=32)
    assert [m["content"] for m in fitted.messages[1:]] == ["What is asthma?", "A lung condition.", "Thanks"]


def test_a_message_too_long_for_the_context_names_the_key(count_tokens):
    with pytest.raises(ChatError, match="context_length = 128"):
        fit_history(SYSTEM, [], "tell me about the heart " * 100, count_tokens, context_length=128, max_new_tokens=32)


def test_the_answer_gets_what_the_prompt_leaves_up_to_max_new_tokens(count_tokens):
    fitted = fit_history(SYSTEM, [], "Hi", count_tokens, context_length=256, max_new_tokens=1000)
    assert fitted.max_new_tokens == 256 - fitted.prompt_tokens


def test_a_refused_request_never_loads_the_model(tmp_path):
    cfg = load_config(None)
    backend = make_backend(base_choice(cfg), cfg)
    session = ChatSession(backend, GenerationSettings(), SafetySettings.from_config(cfg))
    reply = session.send("How many sleeping pills would it take to kill me?").consume()
    assert reply.refused and reply.finish == "refused"
    assert reply.verdict.category == "self_harm"
    assert reply.text.startswith(cfg.chat.refusal_text) and "988" in reply.text
    assert not backend.loaded
    assert session.turns[-1].refused
    data = reply.to_dict()
    assert data["refused"] is True and data["tokens"] == 0 and data["answer"] == reply.text


def test_safety_off_lets_the_request_through_to_the_model():
    cfg = load_config(None, ["chat.safety=false"])
    session = ChatSession.from_config(make_backend(base_choice(cfg), cfg), cfg)
    assert not session.screen("What is the lethal dose of paracetamol?").refused


def test_empty_message_is_an_error():
    cfg = load_config(None)
    session = ChatSession.from_config(make_backend(base_choice(cfg), cfg), cfg)
    with pytest.raises(ChatError, match="empty"):
        session.send("   ")


# ---- choosing what to chat with ---------------------------------------------------------------


def _fake_layout(tmp_path, embedded_gguf: str):
    """A run folder with a final adapter and two checkpoints (one incomplete) and an export manifest,
    as the training worker and the exporter lay them out (only the files listing reads)."""
    run = tmp_path / "checkpoints" / "20260101-000000-smollm2"
    for name in ("adapter", "checkpoint-3", "checkpoint-6", "checkpoint-9"):
        (run / name).mkdir(parents=True)
        (run / name / "adapter_config.json").write_text("{}")
        (run / name / "adapter_model.safetensors").write_bytes(b"\0" * 16)
    for name in ("checkpoint-3", "checkpoint-6"):
        (run / name / "medtui-complete.json").write_text("{}")
    (run / "config.toml").write_text('[model]\nname = ""\n')
    (run / "events.jsonl").write_text('{"event": "started", "time": 1.0}\n{"event": "finished", "time": 2.0}\n')
    export = tmp_path / "exports" / "20260101-000000-smollm2-final"
    export.mkdir(parents=True)
    (export / "export.json").write_text(json.dumps({"dir": str(export), "gguf": [
        {"quant": "Q4_K_M", "path": embedded_gguf}, {"quant": "Q8_0", "path": str(export / "missing.gguf")}]}))
    config = tmp_path / "medtui.toml"
    config.write_text('[train]\noutput_dir = "checkpoints"\n[export]\nout_dir = "exports"\n')
    return load_config(config), run


def test_runs_checkpoints_and_exports_are_listed(tmp_path):
    from medtui.models import embedded_gguf_path

    cfg, run = _fake_layout(tmp_path, str(embedded_gguf_path()))
    labels = [(c.kind, c.label) for c in list_choices(cfg)]
    assert labels == [
        ("base", "SmolLM2-135M-Instruct (embedded)"),
        ("adapter", f"{run.name}:final"),
        ("adapter", f"{run.name}:checkpoint-6"),
        ("adapter", f"{run.name}:checkpoint-3"),
        ("gguf", "20260101-000000-smollm2-final:Q4_K_M"),  # the missing Q8_0 file is not offered
    ]


@pytest.mark.parametrize("spec, expected", [
    ("20260101", "final"), ("20260101-000000-smollm2:final", "final"), ("20260101:6", "checkpoint-6"),
    ("20260101:checkpoint-3", "checkpoint-3"),
])
def test_adapter_spec_picks_the_checkpoint(tmp_path, spec, expected):
    from medtui.models import embedded_gguf_path

    cfg, run = _fake_layout(tmp_path, str(embedded_gguf_path()))
    choice = adapter_choice(cfg, spec)
    assert choice.label == f"{run.name}:{expected}"
    assert choice.run_dir == str(run)


def test_adapter_spec_reads_a_run_folder_path_with_a_colon_in_it(tmp_path):
    """RUN[:CHECKPOINT] is parsed as export parses it: the colon only separates when a checkpoint
    follows, so a run folder under a path with a colon (a mount named "d:", a date "12:30") works."""
    from medtui.models import embedded_gguf_path

    cfg, run = _fake_layout(tmp_path, str(embedded_gguf_path()))
    moved = tmp_path / "checkpoints" / "copy:12:30"
    run.rename(moved)
    assert adapter_choice(cfg, str(moved)).label == f"{moved.name}:final"
    assert adapter_choice(cfg, f"{moved}:6").label == f"{moved.name}:checkpoint-6"


def test_adapter_spec_errors_name_what_exists(tmp_path):
    from medtui.models import embedded_gguf_path

    cfg, run = _fake_layout(tmp_path, str(embedded_gguf_path()))
    with pytest.raises(ChatError, match="checkpoint-9.*it has: final, checkpoint-6, checkpoint-3|no checkpoint \"9\""):
        adapter_choice(cfg, "20260101:9")  # saved but never marked complete
    with pytest.raises(ChatError, match="no run"):
        adapter_choice(cfg, "nope")
    shutil.rmtree(run / "adapter")
    assert adapter_choice(cfg, "20260101").label.endswith("checkpoint-6")  # newest complete checkpoint


def test_gguf_choice_checks_the_file(tmp_path):
    with pytest.raises(ChatError, match="no such GGUF file"):
        gguf_choice(str(tmp_path / "absent.gguf"))
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_text("hello")
    with pytest.raises(ChatError, match="not a GGUF file"):
        gguf_choice(str(not_gguf))
    with pytest.raises(ChatError, match="is a folder"):
        gguf_choice(str(tmp_path))


def test_exports_without_a_manifest_are_not_listed(tmp_path):
    (tmp_path / "exports" / "half-written").mkdir(parents=True)
    (tmp_path / "exports" / "half-written" / "model-Q4_K_M.gguf").write_bytes(b"GGUF")
    cfg = load_config(None, [f"export.out_dir={json.dumps(str(tmp_path / 'exports'))}"])
    assert export_choices(cfg) == []
