"""The family matrix, export and chat side: each family's tiny random-weight model (tests/families.py,
real vocabulary and chat template) trained two steps with the default settings, exported to Q8_0
through the CLI, and then checked as Ollama and llama.cpp would use it:

- the merged folder keeps every tokenizer file the base has (llama.cpp's converter reads them);
- the Modelfile's TEMPLATE renders in Go's text/template exactly what the model's own template
  renders, and Ollama's prompt is token for token the prompt `medtui chat --gguf` sends: one BOS
  where the model wants one, never two, the system prompt where training put it;
- the family's end-of-turn token is a PARAMETER stop, ends generation in llama.cpp, and the GGUF
  says which BOS/EOS the model uses;
- `medtui chat --gguf` loads the file, answers and ends.

Random weights say nothing about quality and everything about plumbing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, wait_for_terminal_event, write_test_config
from families import FAMILIES
from test_export_template import MODELFILE_SYSTEM, assert_go_matches_jinja, go_render, go_renderer  # noqa: F401

from medtui.export.modelfile import check_modelfile

pytestmark = pytest.mark.slow

ALL = sorted(FAMILIES)
QUESTION = "What is a fever?"


@pytest.fixture(scope="module", params=ALL)
def family_export(request, family_model, tmp_path_factory) -> dict:
    """One family: two training steps with the default settings, then a Q8_0 export (both via the CLI)."""
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    config = write_test_config(
        folder, model={"name": str(family_model(name)), "max_length": 512},
        train={"max_steps": 2, "save_steps": 2, "eval_steps": 2, "per_device_train_batch_size": 2},
        export={"fidelity_records": 2, "quants": ["Q8_0"]},
    )
    done = run_cli("train", "start", "--config", str(config), "--detach", "--json")
    assert done.returncode == 0, f"{name}: training did not start: {done.stderr[-2000:]}"
    run_dir = Path(json.loads(done.stdout.strip().splitlines()[-1])["dir"])
    events = wait_for_terminal_event(run_dir)
    assert events[-1]["event"] == "finished", f"{name}: {(run_dir / 'worker.log').read_text()[-3000:]}"
    done = run_cli("export", run_dir.name, "--config", str(config), "--json")
    assert done.returncode == 0, f"{name}: export failed: {done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"name": name, "config": config, "base": family_model(name), "result": result,
            "gguf": result["gguf"][0]["path"], "dir": Path(result["dir"])}


@pytest.fixture(scope="module")
def merged_tokenizer(family_export):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(family_export["result"]["merged"])


@pytest.fixture(scope="module")
def gguf_backend(family_export):
    from medtui.chat.backends import GGUFBackend

    backend = GGUFBackend(Path(family_export["gguf"]), context_length=512, threads=1)
    backend.load()
    yield backend
    backend.unload()


def test_the_merged_folder_keeps_every_tokenizer_file_of_the_base(family_export):
    from medtui.export.merge import CONVERTER_TOKENIZER_FILES

    base, merged = family_export["base"], Path(family_export["result"]["merged"])
    for name in CONVERTER_TOKENIZER_FILES:
        if (base / name).exists():
            assert (merged / name).exists(), f"{family_export['name']}: merged/ lost {name}"
    if (base / "tokenizer.model").exists():  # the SentencePiece file the converter reads, unchanged
        assert (merged / "tokenizer.model").read_bytes() == (base / "tokenizer.model").read_bytes()
    base_class = json.loads((base / "tokenizer_config.json").read_text()).get("tokenizer_class")
    assert json.loads((merged / "tokenizer_config.json").read_text()).get("tokenizer_class") == base_class


def test_the_template_renders_in_go_exactly_what_the_models_own_template_renders(
        family_export, merged_tokenizer, go_renderer):
    from medtui.export.gguf import open_gguf
    from medtui.export.template import ollama_template_for

    result = family_export["result"]
    assert result["template"]["derived"] and result["template"]["exact"], result["template"]
    assert not [w for w in result["warnings"] if "TEMPLATE" in w]
    template = check_modelfile((family_export["dir"] / "Modelfile").read_text(),
                               base_dir=family_export["dir"]).first("template")
    llm = open_gguf(family_export["gguf"], n_ctx=256, verbose=False)
    try:
        assert llm.metadata["tokenizer.chat_template"] == merged_tokenizer.chat_template
    finally:
        llm.close()
    fmt = ollama_template_for(merged_tokenizer).fmt
    assert assert_go_matches_jinja(go_renderer, merged_tokenizer, template, fmt) == 6


def test_ollamas_prompt_is_token_for_token_what_medtui_chat_sends(family_export, gguf_backend, go_renderer):
    """The Go-rendered prompt, tokenized as llama.cpp does for Ollama (special tokens parsed, BOS added
    when the GGUF asks), equals the prompt the GGUF chat backend builds from the GGUF's own template:
    one BOS at most, the system prompt placed as training placed it."""
    template = check_modelfile((family_export["dir"] / "Modelfile").read_text()).first("template")
    llm = gguf_backend._llm
    bos = llm.token_bos()
    conversations = [
        [{"role": "user", "content": QUESTION}],
        [{"role": "user", "content": "I have a headache."}, {"role": "assistant", "content": "Since when?"},
         {"role": "user", "content": "Two days."}],
    ]
    for messages in conversations:
        prompt = go_render(go_renderer, [{"template": template, "messages": messages,
                                          "system": MODELFILE_SYSTEM}])[0]["prompt"]
        ollama_ids = llm.tokenize(prompt.encode("utf-8"), add_bos=gguf_backend._adds_bos, special=True)
        chat_ids = gguf_backend._prompt_ids([{"role": "system", "content": MODELFILE_SYSTEM}, *messages])
        assert chat_ids == ollama_ids, f"{family_export['name']}:\n{prompt!r}"
        assert chat_ids[:2] != [bos, bos]
        if gguf_backend._adds_bos:  # (SmolLM2's BOS is <|im_start|>, which its template writes itself)
            assert chat_ids[0] == bos
        assert MODELFILE_SYSTEM.split("\n")[0].encode() in llm.detokenize(chat_ids, special=True)


def test_the_end_of_turn_token_stops_generation_everywhere(family_export, merged_tokenizer, gguf_backend):
    import llama_cpp

    name = family_export["name"]
    end_of_turn = FAMILIES[name].end_of_turn
    parsed = check_modelfile((family_export["dir"] / "Modelfile").read_text())
    stops = parsed.parameters["stop"]
    assert end_of_turn in stops and merged_tokenizer.eos_token in stops
    assert family_export["result"]["template"]["stop"] == stops
    llm = gguf_backend._llm
    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    eot_id = merged_tokenizer.convert_tokens_to_ids(end_of_turn)
    assert llm.tokenize(end_of_turn.encode(), add_bos=False, special=True) == [eot_id]
    assert llama_cpp.llama_vocab_is_eog(vocab, eot_id), f"{name}: llama.cpp does not end a turn at {end_of_turn}"
    assert llama_cpp.llama_vocab_eos(vocab) == merged_tokenizer.eos_token_id
    # What the GGUF says about BOS is what the tokenizer the model was trained with does.
    assert bool(llama_cpp.llama_vocab_get_add_bos(vocab)) == (merged_tokenizer("x").input_ids[0]
                                                              == merged_tokenizer.bos_token_id)
    # A model that produces its end-of-turn token stops there (the token is pushed up, as a trained model would).
    out = llm.create_completion(prompt=gguf_backend._prompt_ids([{"role": "user", "content": QUESTION}]),
                                max_tokens=8, temperature=0.0, logit_bias={eot_id: 100.0})
    assert out["choices"][0]["finish_reason"] == "stop" and out["choices"][0]["text"] == ""


def test_medtui_chat_answers_with_the_gguf(family_export):
    done = run_cli("chat", "--config", str(family_export["config"]), "--gguf", family_export["gguf"],
                   "--set", "chat.max_new_tokens=12", "--prompt", QUESTION, "--json", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["backend"] == "gguf" and answer["tokens"] > 0 and answer["prompt_tokens"] > 10
    assert answer["finish"] in ("stop", "length")
    end_of_turn = FAMILIES[family_export["name"]].end_of_turn
    assert end_of_turn not in answer["answer"]
