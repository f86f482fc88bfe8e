"""A real export of a real training run (the session's `exported_run`, made through the CLI):
the files it promises exist and are what they say, the GGUFs load in llama-cpp-python and answer,
the fidelity report measures what quantization costs, the Modelfile is one Ollama accepts and
whose TEMPLATE, stops and SYSTEM match the model, and the card tells the truth about the files."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest
from conftest import run_cli

from medtui.export.modelfile import check_modelfile
from medtui.export.source import run_config

pytestmark = pytest.mark.slow

QUESTION = "What are the common symptoms of influenza, and when should someone see a doctor?"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def export_dir(exported_run) -> Path:
    return Path(exported_run["dir"])


@pytest.fixture(scope="module")
def merged_tokenizer(exported_run):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(exported_run["merged"])


def test_the_result_names_every_file_it_wrote(exported_run, export_dir, trained_run):
    assert export_dir.name == f"{trained_run.name}-final"
    assert set(exported_run) >= {"dir", "modelfile", "merged", "gguf"}
    assert [g["quant"] for g in exported_run["gguf"]] == ["Q4_K_M", "Q8_0"]
    for item in exported_run["gguf"]:
        path = Path(item["path"])
        assert path.parent == export_dir and path.name.endswith(f"-{item['quant']}.gguf")
        assert path.stat().st_size == item["bytes"]
        assert path.read_bytes()[:4] == b"GGUF"
    q4, q8 = (g["bytes"] for g in exported_run["gguf"])
    assert q4 < q8  # 4.9 against 8.5 bits per weight
    merged = Path(exported_run["merged"])
    assert (merged / "config.json").exists() and list(merged.glob("*.safetensors"))
    assert (merged / "chat_template.jinja").exists() or "chat_template" in (merged / "tokenizer_config.json").read_text()
    assert Path(exported_run["modelfile"]) == export_dir / "Modelfile"
    # F16 was not asked for: the intermediate file is gone, nothing hidden is left behind.
    assert not list(export_dir.glob("*-F16.gguf"))
    assert not [p for p in export_dir.parent.iterdir() if p.name.startswith(".")]


def test_export_json_is_the_cli_result_and_the_export_is_listed(exported_run, export_dir, session_config):
    assert json.loads((export_dir / "export.json").read_text()) == exported_run
    done = run_cli("export", "--list", "--json", "--config", str(session_config))
    assert done.returncode == 0, done.stderr
    assert exported_run["dir"] in [e["dir"] for e in json.loads(done.stdout)["exports"]]


def test_every_gguf_loads_in_llama_cpp_and_answers_a_medical_question(exported_run, trained_run):
    from medtui.export.gguf import open_gguf

    system = run_config(trained_run).chat.system_prompt
    for item in exported_run["gguf"]:
        llm = open_gguf(item["path"], n_ctx=1024, n_threads=1)
        try:
            answer = llm.create_chat_completion(
                messages=[{"role": "system", "content": system}, {"role": "user", "content": QUESTION}],
                max_tokens=48, temperature=0.0,
            )["choices"][0]
        finally:
            llm.close()
        text = answer["message"]["content"]
        words = [w for w in text.split() if any(c.isalpha() for c in w)]
        assert len(words) >= 8, f"{item['quant']} answered {text!r}"
        assert any(w in text.lower() for w in ("fever", "cough", "symptom", "flu", "influenza")), text
        assert "<|im_start|>" not in text and "<|im_end|>" not in text
        assert answer["finish_reason"] in ("stop", "length")


def test_fidelity_shows_what_each_quantization_costs(exported_run):
    merged = exported_run["merged_perplexity"]
    q4, q8 = exported_run["gguf"]
    assert math.isfinite(merged) and merged > 1
    for item in (q4, q8):
        assert math.isfinite(item["perplexity"]) and item["perplexity"] > 1
        assert 0.5 < item["agreement"] <= 1.0
    # 8-bit stays closer to the merged model than 4-bit, in perplexity and in agreement.
    assert abs(q8["perplexity"] - merged) <= abs(q4["perplexity"] - merged)
    assert q8["agreement"] >= q4["agreement"]
    assert exported_run["fidelity"]["records"] == 6 and exported_run["fidelity"]["tokens"] > 100


def test_the_modelfile_is_valid_and_matches_the_model(exported_run, export_dir, merged_tokenizer, trained_run):
    from medtui.models import end_of_turn_tokens

    parsed = check_modelfile((export_dir / "Modelfile").read_text(), base_dir=export_dir)
    assert parsed.first("model") == "./" + Path(exported_run["gguf"][0]["path"]).name
    assert parsed.first("system") == run_config(trained_run).chat.system_prompt
    assert parsed.parameters["stop"] == end_of_turn_tokens(merged_tokenizer) == ["<|im_end|>"]
    assert parsed.parameters["num_ctx"] == ["2048"]
    assert parsed.first("template") and exported_run["template"]["derived"]
    other = check_modelfile((export_dir / "Modelfile.Q8_0").read_text(), base_dir=export_dir)
    assert other.first("model") == "./" + Path(exported_run["gguf"][1]["path"]).name
    assert exported_run["ollama_create"] == f"ollama create {exported_run['ollama_name']} -f {export_dir / 'Modelfile'}"


def test_the_exported_template_renders_in_go_what_the_gguf_chat_template_renders(
        exported_run, export_dir, merged_tokenizer, go_renderer):
    from test_export_template import assert_go_matches_jinja

    from medtui.export.gguf import open_gguf
    from medtui.export.template import ollama_template_for

    template = check_modelfile((export_dir / "Modelfile").read_text()).first("template")
    llm = open_gguf(exported_run["gguf"][0]["path"], n_ctx=64, vocab_only=True)
    try:
        gguf_template = llm.metadata["tokenizer.chat_template"]
    finally:
        llm.close()
    assert gguf_template == merged_tokenizer.chat_template  # the GGUF carries the model's own template
    fmt = ollama_template_for(merged_tokenizer).fmt
    assert assert_go_matches_jinja(go_renderer, merged_tokenizer, template, fmt) == 6


def test_the_model_card_reports_metrics_sizes_hashes_and_the_warning(exported_run, export_dir):
    card = (export_dir / "README.md").read_text()
    assert "Educational use only" in card and "not a medical device" in card
    assert "SmolLM2-135M-Instruct" in card
    for item in exported_run["gguf"]:
        name = Path(item["path"]).name
        assert sha256(Path(item["path"])) in card
        assert f"{item['perplexity']:.4g}" in card and f"{item['agreement']:.1%}" in card
        assert name in card
    assert f"{exported_run['merged_perplexity']:.4g}" in card
    assert exported_run["ollama_create"].split(" -f ")[0] in card
    assert "Eval loss" in card and "rank 8" in card


from test_export_template import go_renderer  # noqa: E402,F401  (the compiled Go renderer fixture)
