"""The family matrix: a tiny random-weight model of each family medtui supports (tests/families.py),
with the family's real vocabulary and chat template, taken through medtui as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from families import FAMILIES

ALL = sorted(FAMILIES)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_family_model_loads_as_a_medtui_model(family_model, name):
    from transformers import AutoConfig

    from medtui.models import end_of_turn_tokens, load_tokenizer, resolve_model

    family = FAMILIES[name]
    folder = family_model(name)
    tokenizer = load_tokenizer(resolve_model(str(folder)))
    config = AutoConfig.from_pretrained(str(folder))
    assert config.model_type == family.arch and config.hidden_size == 64 and config.num_hidden_layers == 2
    assert config.vocab_size == len(tokenizer)
    # The family's end-of-turn token is one token of the vocabulary, and medtui stops on it.
    assert family.end_of_turn in tokenizer.get_vocab()
    assert family.end_of_turn in end_of_turn_tokens(tokenizer)
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], tokenize=False)
    assert "Hello" + family.end_of_turn in rendered.replace(" " + family.end_of_turn, family.end_of_turn)
    # The tokenizer adds BOS by itself exactly when the real family's does.
    ids = tokenizer("hi").input_ids
    assert (ids[0] == tokenizer.bos_token_id) == bool(family.add_bos)
    # SentencePiece families carry the tokenizer.model llama.cpp's converter reads, matching the vocabulary.
    if family.sentencepiece:
        from sentencepiece import SentencePieceProcessor

        spm = SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        assert spm.get_piece_size() == family.sentencepiece
        for token_id in (tokenizer.eos_token_id, tokenizer.bos_token_id, 500, 1000, family.sentencepiece - 1):
            if token_id < spm.get_piece_size():  # Phi's chat tokens are added tokens, as in the real folder
                assert spm.id_to_piece(token_id) == tokenizer.convert_ids_to_tokens(token_id)
    assert json.loads((folder / "medtui-family.json").read_text())["family"] == name
    assert sum(f.stat().st_size for f in folder.iterdir()) < 80e6


# --------------------------------------------------------------------------- the loss mask

FOLDING = {"mistral-7b-instruct-v0.3", "gemma-2"}  # templates with no system role


def _masked_runs(encoded) -> list[tuple[int, int]]:
    """(first, last) token index of each run of tokens that carry loss."""
    runs, start = [], None
    for i, m in enumerate(encoded.mask + [0]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _conversations():
    from conftest import FAMILY_RECORDS

    from medtui.config import DEFAULT_SYSTEM_PROMPT

    tricky = [{"role": "user", "content": "  Spaces around?  "},
              {"role": "assistant", "content": "  Yes: kept or trimmed as the template does.\n"},
              {"role": "user", "content": "Braces {{ x }} and <b>tags</b>?"},
              {"role": "assistant", "content": "Fine — 38 °C, {{ y }}."}]
    plain = [r["messages"] for r in FAMILY_RECORDS[-2:]] + [tricky]
    return plain + [[{"role": "system", "content": DEFAULT_SYSTEM_PROMPT}, *c] for c in plain]


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_the_loss_mask_is_exactly_the_answers_and_their_end_of_turn(family_model, name):
    import re

    from medtui.data import training_format
    from medtui.models import load_tokenizer

    family = FAMILIES[name]
    tokenizer = load_tokenizer(family_model(name))
    fmt = training_format(tokenizer)
    assert fmt.warning is None
    assert fmt.system_role == (name not in FOLDING)
    eot_id = tokenizer.convert_tokens_to_ids(family.end_of_turn)
    for conversation in _conversations():
        encoded = fmt.encode(conversation)
        answers = [m["content"] for m in conversation if m["role"] == "assistant"]
        runs = _masked_runs(encoded)
        assert len(runs) == len(answers), (name, encoded.text)
        for (first, last), answer in zip(runs, answers):
            covered = encoded.text[encoded.offsets[first][0]:encoded.offsets[last][1]]
            # The answer (as the template writes it: some strip it), maybe a space, then end-of-turn.
            pattern = r"\s*" + re.escape(answer.strip()) + r"\s*" + re.escape(family.end_of_turn)
            assert re.fullmatch(pattern, covered, re.S), (name, covered, answer)
            assert encoded.ids[last] == eot_id  # the end-of-turn token is learned
        unmasked = "".join(encoded.text[a:b] for (a, b), m in zip(encoded.offsets, encoded.mask) if not m)
        for message in conversation:
            if message["role"] != "assistant":
                assert message["content"].strip() in unmasked or name in FOLDING
        # BOS first where the family has one, never doubled by template and tokenizer together (Llama 2
        # writes one before every [INST]; that is its format).
        bos = tokenizer.bos_token_id
        if family.bos and (family.add_bos or encoded.text.startswith(family.bos)) and bos != tokenizer.eos_token_id:
            assert encoded.ids[0] == bos and encoded.ids[1] != bos, tokenizer.convert_ids_to_tokens(encoded.ids[:3])
            assert encoded.ids.count(bos) == (sum(m["role"] == "user" for m in conversation) if name == "llama2-chat"
                                              else 1)
        if conversation[0]["role"] == "system" and name in FOLDING:
            # The system prompt is folded into the first user message, ahead of the question.
            folded = conversation[0]["content"] + "\n\n" + conversation[1]["content"]
            assert folded.strip() in encoded.text


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_data_preview_shows_the_mask_for_the_family(family_model, name, tmp_path, capsys):
    from conftest import write_family_config

    from medtui.cli import main

    family = FAMILIES[name]
    config = write_family_config(tmp_path, family_model(name))
    # `medtui data preview` (its own main, in this process: nine interpreters would cost minutes).
    code = main(["data", "preview", str(tmp_path / "train.jsonl"), "--record", "5",  # the two-turn conversation
                 "--config", str(config), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    preview = json.loads(out)
    learned = [s["text"].strip(" ") for s in preview["segments"] if s["loss"]]
    sep = " " if name == "llama2-chat" else ""  # Llama 2 writes ' ' + answer + ' </s>'
    assert learned == [f"A body temperature above about 38 C.{sep}{family.end_of_turn}",
                       f"If it lasts over three days or is very high.{sep}{family.end_of_turn}"]
    assert preview["warnings"] == []
    folded = [n for n in preview["notes"] if "folded into the first user message" in n]
    assert bool(folded) == (name in FOLDING)


# --------------------------------------------------------------------------- training with the defaults

@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_two_training_steps_with_the_default_config(family_run, name):
    import math

    from medtui.train.events import ADAPTER_DIR, read_events

    run_dir = family_run(name)
    events = read_events(run_dir)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished", (run_dir / "worker.log").read_text()[-2000:] \
        if (run_dir / "worker.log").exists() else kinds
    steps = [e for e in events if e["event"] == "step"]
    assert [e["step"] for e in steps] == [1, 2] and all(math.isfinite(e["loss"]) for e in steps)
    started = events[0]
    assert started["config"]["lora"]["target_modules"] == "all-linear" and started["config"]["model"]["load_in_4bit"]
    folded = [n for n in started.get("notes", []) if "folded into the first user message" in n]
    assert len(folded) == (1 if name in FOLDING else 0)
    # "all-linear" reached every projection of the architecture, fused ones included (Phi-3's
    # qkv_proj and gate_up_proj).
    adapter = json.loads((run_dir / ADAPTER_DIR / "adapter_config.json").read_text())
    targets = {t.rsplit(".", 1)[-1] for t in adapter["target_modules"]}
    expected = {"phi3": {"qkv_proj", "gate_up_proj", "o_proj", "down_proj"},
                "stablelm": {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}}
    assert targets == expected.get(FAMILIES[name].arch, expected["stablelm"]), targets


@pytest.mark.slow
def test_a_lora_target_the_model_lacks_is_refused_with_the_modules_it_has(family_model, tmp_path):
    from conftest import run_cli, write_family_config

    # Phi-3 fuses q/k/v and gate/up: a Llama-style list misses them.
    config = write_family_config(tmp_path, family_model("phi-3.5-mini"))
    config.write_text(config.read_text() + '\n[lora]\ntarget_modules = ["q_proj", "v_proj", "o_proj"]\n')
    done = run_cli("train", "start", "--config", str(config), "--detach")
    assert done.returncode == 2, done.stdout + done.stderr
    message = done.stderr
    assert "[lora] target_modules names 'q_proj', 'v_proj'" in message and "'o_proj'" not in message.split("which")[0]
    assert "its linear layers are down_proj, gate_up_proj, o_proj, qkv_proj" in message
    assert "Traceback" not in message
    assert not list((tmp_path / "checkpoints").glob("*/events.jsonl"))  # no run was started


# --------------------------------------------------------------------------- stop and resume

STOP_RESUME = ["mistral-7b-instruct-v0.3", "phi-3.5-mini"]  # a folded system prompt; fused projections


@pytest.mark.slow
@pytest.mark.parametrize("name", STOP_RESUME)
def test_stop_and_resume_with_the_default_config(family_model, name, tmp_path):
    import time

    from conftest import run_cli, wait_for_terminal_event, write_family_config

    from medtui.train.events import COMPLETE_MARKER, read_events

    config = write_family_config(tmp_path, family_model(name), max_steps=16, early_stopping_patience=0)
    one_thread = {"OMP_NUM_THREADS": "1"}  # as tests/test_train_run.py: far faster on a shared 2-core machine
    done = run_cli("train", "start", "--config", str(config), "--detach", "--json", env=one_thread)
    assert done.returncode == 0, done.stderr
    run_dir = Path(json.loads(done.stdout.strip().splitlines()[-1])["dir"])
    deadline = time.time() + 600
    while not any(e["event"] == "step" for e in read_events(run_dir)):
        assert time.time() < deadline and not any(e["event"] in ("finished", "failed") for e in read_events(run_dir)), \
            (run_dir / "worker.log").read_text()[-2000:]
        time.sleep(0.2)
    stop = run_cli("train", "stop", run_dir.name, "--config", str(config), "--timeout", "300")
    assert stop.returncode == 0, stop.stderr
    stopped = read_events(run_dir)[-1]
    assert stopped["event"] == "stopped" and stopped["step"] < 16
    assert (run_dir / f"checkpoint-{stopped['step']}" / COMPLETE_MARKER).exists()

    resumed = run_cli("train", "resume", run_dir.name, "--config", str(config), env=one_thread)
    assert resumed.returncode == 0, resumed.stderr
    events = wait_for_terminal_event(run_dir)
    assert events[-1]["event"] == "finished", (run_dir / "worker.log").read_text()[-2000:]
    after = events[next(i for i, e in enumerate(events) if e["event"] == "resumed"):]
    assert after[0]["from_step"] == stopped["step"]
    assert [e["step"] for e in after if e["event"] == "step"] == list(range(stopped["step"] + 1, 17))


# --------------------------------------------------------------------------- the Data pane

@pytest.mark.slow
def test_the_data_pane_shows_a_folding_familys_mask_and_says_so(family_model, tmp_path):
    import asyncio

    from conftest import write_family_config
    from test_tui_data import settle
    from textual.widgets import Static

    from medtui.config import load_config
    from medtui.tui.app import MedTUI

    cfg = load_config(write_family_config(tmp_path, family_model("mistral-7b-instruct-v0.3")))

    async def drive():
        app = MedTUI(cfg)
        async with app.run_test(size=(140, 50)) as pilot:
            await settle(pilot)
            title = str(app.query_one("#data-record-title", Static).render())
            preview = app.query_one("#data-preview", Static).render()
            return title, preview

    title, preview = asyncio.run(drive())
    assert title.count("note: this model's chat template has no system role") == 1
    assert "warning" not in title
    learned = [preview.plain[s.start:s.end] for s in preview.spans if "green" in str(s.style)]
    assert learned == ["Case 0: fluids and rest; see a doctor if breathing is hard.</s>"]
    # The system prompt sits in the first [INST], ahead of the question.
    assert "[INST] You are a careful medical assistant" in preview.plain
    assert "prescribe.\n\nMy child (case 0) has a mild cough." in preview.plain
