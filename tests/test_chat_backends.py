"""Both real backends on the embedded default: the adapter of a run trained in this test session
(transformers + PEFT) and the Q4_K_M GGUF of its export (llama-cpp-python). They answer a medical
question in streamed pieces, stop on their own at the end of turn, honour max_new_tokens and
temperature 0, keep the history within the context, and stop when cancelled."""

from __future__ import annotations

import threading
import pytest

from medtui.chat import ChatSession, GenerationSettings, make_backend
from medtui.chat.sources import base_choice, gguf_choice, run_adapters
from medtui.config import load_config
from medtui.safety import SafetySettings

pytestmark = pytest.mark.slow

SHORT_QUESTION = "Answer in one word: which organ pumps blood?"
MEDICAL_QUESTION = "What are the symptoms of dehydration?"


@pytest.fixture(scope="module")
def cfg(session_config):
    return load_config(session_config)


@pytest.fixture(scope="module")
def adapter_backend(cfg, trained_run):
    choice = run_adapters(trained_run)[0]
    assert choice.label.endswith(":final")
    backend = make_backend(choice, cfg)
    backend.load()
    yield backend
    backend.unload()


@pytest.fixture(scope="module")
def gguf_backend(cfg, exported_run):
    q4 = next(g["path"] for g in exported_run["gguf"] if g["quant"] == "Q4_K_M")
    backend = make_backend(gguf_choice(q4), cfg)
    backend.load()
    yield backend
    backend.unload()


@pytest.fixture(params=["adapter", "gguf"])
def backend(request):
    return request.getfixturevalue(f"{request.param}_backend")


def _session(backend, **settings) -> ChatSession:
    values = {"temperature": 0.0, "max_new_tokens": 120, **settings}
    return ChatSession(backend, GenerationSettings(**values), SafetySettings())


def test_answers_a_medical_question_in_streamed_pieces(backend):
    session = _session(backend, max_new_tokens=48)
    reply = session.send(MEDICAL_QUESTION)
    pieces = list(reply)
    assert len(pieces) > 2, pieces
    assert reply.answer.strip(), "the model wrote nothing"
    assert reply.text == "".join(pieces)
    assert reply.text.endswith(SafetySettings().disclaimer)
    assert reply.generation.tokens > 0 and reply.generation.first_token_s is not None
    assert session.turns[-1].answer == reply.answer


def test_stops_on_its_own_at_the_end_of_turn(backend):
    reply = _session(backend, max_new_tokens=120).send(SHORT_QUESTION).consume()
    assert reply.finish == "stop"
    assert 0 < reply.generation.tokens < 120
    assert "<|im_end|>" not in reply.text and "<|im_start|>" not in reply.text


def test_max_new_tokens_is_honoured(backend):
    reply = _session(backend, max_new_tokens=5).send(MEDICAL_QUESTION).consume()
    assert reply.finish == "length"
    assert reply.generation.tokens == 5


def test_temperature_zero_is_greedy_and_repeatable(backend):
    first = _session(backend, max_new_tokens=24).send(MEDICAL_QUESTION).consume()
    second = _session(backend, max_new_tokens=24).send(MEDICAL_QUESTION).consume()
    assert first.answer == second.answer


def test_sampling_settings_reach_the_model(backend):
    # A tiny nucleus keeps sampling to the top token, so the answer equals the greedy one; a
    # repetition penalty that strong changes it. Both show the keys are passed through.
    greedy = _session(backend, max_new_tokens=24).send(MEDICAL_QUESTION).consume().answer
    nucleus = _session(backend, max_new_tokens=24, temperature=1.0, top_p=1e-6).send(MEDICAL_QUESTION).consume().answer
    penalized = _session(backend, max_new_tokens=24, repetition_penalty=3.0).send(MEDICAL_QUESTION).consume().answer
    assert nucleus == greedy
    assert penalized != greedy


def test_cancel_stops_the_answer_mid_way(backend):
    cancel = threading.Event()
    reply = _session(backend, max_new_tokens=200).send("Explain in detail how the heart works.", cancel)
    pieces = []
    for piece in reply:
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert reply.finish == "cancelled"
    assert reply.generation.tokens < 20
    assert reply.answer, "the part written before the stop is kept"


def test_history_is_kept_within_the_context(backend):
    context = 192
    session = _session(backend, max_new_tokens=16, context_length=context)
    dropped = []
    for topic in ["asthma", "diabetes", "anaemia", "a migraine", "gout", "eczema"]:
        reply = session.send(f"In a few sentences, what is {topic} and how is it usually treated?").consume()
        assert reply.finish in ("stop", "length")
        assert reply.generation.prompt_tokens + reply.generation.tokens <= context
        dropped.append(reply.dropped_turns)
    assert dropped[0] == 0 and dropped[-1] > 0, dropped
    assert len(session.turns) == 6  # the conversation itself is kept whole; only what is sent is trimmed



def test_two_models_loading_at_once_leave_later_models_whole(cfg, trained_run):
    # Compare mode loads both sides in two threads. transformers swaps process-wide functions
    # while it builds a model; unserialised, the two loads put the swapped ones back and every
    # later model in the process came out with an empty lm_head (CI saw a held-out loss of
    # ln(49152) = 10.8 in the Eval pane after the compare test).
    for _ in range(4):
        sides = [make_backend(base_choice(cfg), cfg), make_backend(run_adapters(trained_run)[0], cfg)]
        threads = [threading.Thread(target=side.load) for side in sides]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(side.loaded for side in sides)
        for side in sides:
            side.unload()
    later = make_backend(base_choice(cfg), cfg)
    later.load()
    import torch

    model, tokenizer = later.hf_model
    ids = tokenizer("Dehydration happens when the body loses more water than it takes in.", return_tensors="pt").input_ids
    with torch.inference_mode():
        loss = model(ids, labels=ids).loss.item()
    assert loss < 6, f"a loss of {loss:.2f} is a model that predicts nothing"
