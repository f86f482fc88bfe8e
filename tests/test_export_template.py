"""The Ollama TEMPLATE medtui writes renders, with Go's own text/template and Ollama's data shape
(tests/go/ollama_render.go), byte for byte what the model's Jinja chat template renders with the
generation prompt: with and without a system prompt, one turn and several."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from medtui.export.modelfile import ModelfileSpec, check_modelfile, write_modelfile
from medtui.export.template import (
    CHECK_CONVERSATIONS, REWRITE_CHECK, expected_prompt, ollama_template_for, reference_renderer, render_chat_format,
)

GO_PROGRAM = Path(__file__).parent / "go" / "ollama_render.go"

# Other families' chat templates (shortened from their tokenizer_config.json files), to show the
# derivation is not tied to ChatML: Llama 3.1 (BOS, header tokens, a dated system block, trimmed
# contents), Gemma (no system role: the system text is folded into the first user turn; the
# assistant is "model"), Qwen 2.5 (ChatML with a default system prompt).
LLAMA31 = (
    "{{- bos_token }}{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content']|trim %}"
    "{%- set messages = messages[1:] %}{%- else %}{%- set system_message = \"\" %}{%- endif %}"
    "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}"
    "{{- \"Today Date: 26 Jul 2024\\n\\n\" }}{{- system_message }}{{- \"<|eot_id|>\" }}"
    "{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    "+ message['content'] | trim + '<|eot_id|>' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)
GEMMA = (
    "{{ bos_token }}{%- if messages[0]['role'] == 'system' -%}{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}"
    "{%- set loop_messages = messages[1:] -%}{%- else -%}{%- set first_user_prefix = \"\" -%}"
    "{%- set loop_messages = messages -%}{%- endif -%}{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}{%- endif -%}"
    "{%- if (message['role'] == 'assistant') -%}{%- set role = \"model\" -%}{%- else -%}{%- set role = message['role'] -%}"
    "{%- endif -%}{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else \"\") }}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\\n' }}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{'<start_of_turn>model\\n'}}{%- endif -%}"
)
QWEN25 = (
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}{%- for message in messages %}{%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first)"
    " or (message.role == \"assistant\") %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
    "{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

MODELFILE_SYSTEM = 'You are a careful medical assistant.\nSay "see a doctor" when unsure; never diagnose.'


@pytest.fixture(scope="module")
def go_renderer(tmp_path_factory) -> Path:
    if shutil.which("go") is None:
        pytest.fail("Go is needed to check Ollama templates: install golang-go (scripts/setup.sh --test does)")
    binary = tmp_path_factory.mktemp("go") / "ollama_render"
    done = subprocess.run(["go", "build", "-o", str(binary), str(GO_PROGRAM)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return binary


def go_render(binary: Path, requests: list[dict]) -> list[dict]:
    done = subprocess.run([str(binary)], input=json.dumps(requests), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def embedded_tokenizer(embedded_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(embedded_model_dir))


def cases():
    """(label, messages given to Ollama, Modelfile SYSTEM, messages the Jinja template sees)."""
    out = [(label, msgs, "", msgs) for label, msgs in CHECK_CONVERSATIONS]
    user_only = [m for m in CHECK_CONVERSATIONS[2][1]]
    out.append(("several turns, SYSTEM from the Modelfile", user_only, MODELFILE_SYSTEM,
                [{"role": "system", "content": MODELFILE_SYSTEM}, *user_only]))
    out.append(("one turn, SYSTEM from the Modelfile", CHECK_CONVERSATIONS[0][1], MODELFILE_SYSTEM,
                [{"role": "system", "content": MODELFILE_SYSTEM}, *CHECK_CONVERSATIONS[0][1]]))
    return out


def assert_go_matches_jinja(binary: Path, tokenizer, template_text: str, fmt, skip_system: bool = False):
    render = reference_renderer(tokenizer, fmt)
    chosen = [c for c in cases() if not (skip_system and any(m["role"] == "system" for m in c[3]))]
    requests = [{"template": template_text, "messages": msgs, "system": system} for _, msgs, system, _ in chosen]
    answers = go_render(binary, requests)
    for (label, _, _, jinja_messages), answer in zip(chosen, answers):
        assert "error" not in answer, f"{label}: {answer.get('error')}"
        want = expected_prompt(render, fmt, jinja_messages)
        assert answer["prompt"] == want, f"{label}:\nGo:    {answer['prompt']!r}\nJinja: {want!r}"
    return len(chosen)


def test_go_renders_the_embedded_models_chat_template_exactly(go_renderer, embedded_tokenizer):
    derived = ollama_template_for(embedded_tokenizer)
    assert derived.problem is None and derived.text
    assert assert_go_matches_jinja(go_renderer, embedded_tokenizer, derived.text, derived.fmt) == 6


def test_the_template_read_back_from_a_written_modelfile_still_renders_exactly(go_renderer, embedded_tokenizer, tmp_path):
    derived = ollama_template_for(embedded_tokenizer)
    written = write_modelfile(ModelfileSpec("./m.gguf", derived.text, MODELFILE_SYSTEM, ["<|im_end|>"], []))
    parsed = check_modelfile(written.text)
    assert parsed.first("template") == derived.text
    assert parsed.first("system") == MODELFILE_SYSTEM
    assert_go_matches_jinja(go_renderer, embedded_tokenizer, parsed.first("template"), derived.fmt)


@pytest.mark.parametrize("name, template, system_style", [
    pytest.param("llama3.1", LLAMA31, "block", id="llama3.1"),
    pytest.param("gemma", GEMMA, "fold", id="gemma"),
    pytest.param("qwen2.5", QWEN25, "block", id="qwen2.5"),
])
def test_other_families_chat_templates_render_exactly_in_go(go_renderer, embedded_tokenizer, name, template, system_style):
    tokenizer = copy.deepcopy(embedded_tokenizer)
    tokenizer.chat_template = template
    derived = ollama_template_for(tokenizer)
    assert derived.problem is None, derived.problem
    assert derived.fmt.system_style == system_style
    assert_go_matches_jinja(go_renderer, tokenizer, derived.text, derived.fmt)
    if name in ("llama3.1", "gemma"):  # both strip message whitespace, which Go cannot; the note says so
        assert derived.fmt.trims_content and derived.fmt.notes


def test_a_template_that_rewrites_contents_is_reported_not_guessed(embedded_tokenizer):
    tokenizer = copy.deepcopy(embedded_tokenizer)
    tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] | upper }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    derived = ollama_template_for(tokenizer)
    assert derived.text is None
    assert derived.problem


def test_the_python_mirror_agrees_with_go(go_renderer, embedded_tokenizer):
    """render_chat_format is what medtui's own check uses; it must be what Ollama does."""
    derived = ollama_template_for(embedded_tokenizer)
    requests = [{"template": derived.text, "messages": msgs, "system": system} for _, msgs, system, _ in cases()]
    for (_, msgs, system, _), answer in zip(cases(), go_render(go_renderer, requests)):
        assert answer["prompt"] == render_chat_format(derived.fmt, msgs, system)


# ---------------------------------------------------------------------------------------------
# The seeds' models and today's favourites, with their real chat templates: the seeds' as they ship
# in the models' GGUFs (tests/fixtures/chat_templates.json), the others from llama.cpp's
# models/templates/ (kept by set-up beside the converter).

# llama.cpp template file, BOS and EOS as the model's tokenizer has them.
LLAMA_CPP_TEMPLATES = {
    "llama-3.1": ("meta-llama-Llama-3.1-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>"),
    "gemma-2": ("google-gemma-2-2b-it", "<bos>", "<eos>"),
    "qwen2.5": ("Qwen-Qwen2.5-7B-Instruct", None, "<|im_end|>"),
    "phi-3.5-mini": ("microsoft-Phi-3.5-mini-instruct", "<s>", "<|endoftext|>"),
    "qwen3": ("Qwen-Qwen3-0.6B", None, "<|im_end|>"),
}


def family_template(name: str) -> dict:
    if name in LLAMA_CPP_TEMPLATES:
        from medtui.llamacpp import llama_cpp_models_dir

        file, bos, eos = LLAMA_CPP_TEMPLATES[name]
        text = (llama_cpp_models_dir() / "templates" / f"{file}.jinja").read_text(encoding="utf-8")
        return {"chat_template": text, "bos_token": bos, "eos_token": eos}
    return json.loads((Path(__file__).parent / "fixtures" / "chat_templates.json").read_text())["templates"][name]


def family_tokenizer(base, name: str):
    """The embedded tokenizer carrying a family's chat template, BOS and EOS (the BOS added in front
    by the tokenizer itself where the family's tokenizer does so: SentencePiece Llama, Phi-3, Gemma)."""
    spec = family_template(name)
    tokenizer = copy.deepcopy(base)
    tokenizer.add_special_tokens({k: spec[k] for k in ("bos_token", "eos_token") if spec[k]})
    if spec["bos_token"]:
        tokenizer.add_bos_token = True
    tokenizer.chat_template = spec["chat_template"]
    return tokenizer


# family -> how its template places a system prompt
FAMILIES = {
    "phi-4-mini": "block", "phi-3.5-mini": "block", "llama2-chat": "fold", "mistral-7b-instruct-v0.3": "fold",
    "zephyr": "block", "llama-3.1": "block", "gemma-2": "fold", "qwen2.5": "block",
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_familys_own_template_renders_exactly_in_go(go_renderer, embedded_tokenizer, name):
    tokenizer = family_tokenizer(embedded_tokenizer, name)
    derived = ollama_template_for(tokenizer)
    assert derived.problem is None, derived.problem
    assert derived.limitation is None, derived.limitation
    assert derived.fmt.system_style == FAMILIES[name]
    assert assert_go_matches_jinja(go_renderer, tokenizer, derived.text, derived.fmt) == 6
    # No doubled BOS: llama.cpp adds the BOS itself, so the prompt Ollama sends must not start with it.
    bos = family_template(name)["bos_token"]
    prompts = go_render(go_renderer, [{"template": derived.text, "messages": msgs, "system": ""}
                                      for _, msgs in CHECK_CONVERSATIONS])
    for answer in prompts:
        assert not (bos and answer["prompt"].startswith(bos)), answer["prompt"][:40]


def test_phi_prompts_never_carry_the_end_of_sequence_a_finished_conversation_gets(go_renderer, embedded_tokenizer):
    """Phi-3/Phi-4-mini close a finished conversation with <|endoftext|>; a prompt for an answer ends
    with the generation prompt instead, and every earlier turn stays as the model's template writes it."""
    for name in ("phi-4-mini", "phi-3.5-mini"):
        tokenizer = family_tokenizer(embedded_tokenizer, name)
        derived = ollama_template_for(tokenizer)
        assert derived.fmt.closing == "<|endoftext|>"
        assert derived.fmt.assistant_suffix.startswith("<|end|>")
        messages = CHECK_CONVERSATIONS[3][1]
        prompt = go_render(go_renderer, [{"template": derived.text, "messages": messages, "system": ""}])[0]["prompt"]
        assert "<|endoftext|>" not in prompt and prompt.endswith("<|assistant|>" + ("" if name == "phi-4-mini" else "\n"))
        assert prompt.count("<|end|>") == len(messages)


def test_llama2_folds_the_system_prompt_into_the_first_inst_and_writes_bos_only_for_later_turns(
        go_renderer, embedded_tokenizer):
    tokenizer = family_tokenizer(embedded_tokenizer, "llama2-chat")
    derived = ollama_template_for(tokenizer)
    messages = CHECK_CONVERSATIONS[3][1]
    prompt = go_render(go_renderer, [{"template": derived.text, "messages": messages, "system": ""}])[0]["prompt"]
    assert prompt.startswith("[INST] <<SYS>>\n" + messages[0]["content"] + "\n<</SYS>>\n\n" + messages[1]["content"])
    assert prompt.count("<s>[INST] ") == 2 and prompt.count(" </s>") == 2
    assert prompt.endswith(" [/INST]")


def test_a_template_without_a_system_role_gets_the_system_prompt_as_training_does(go_renderer, embedded_tokenizer):
    """Mistral v0.3 and Gemma 2 refuse a system message: the Modelfile's SYSTEM reaches the model in
    front of the first user message, exactly as medtui's training puts it there."""
    from medtui.data.templates import fold_system

    for name in ("mistral-7b-instruct-v0.3", "gemma-2"):
        tokenizer = family_tokenizer(embedded_tokenizer, name)
        derived = ollama_template_for(tokenizer)
        assert derived.fmt.folded_by_medtui and derived.to_dict()["system_folded_by_medtui"]
        user = [{"role": "user", "content": "What is hypertension?"}]
        prompt = go_render(go_renderer, [{"template": derived.text, "messages": user, "system": MODELFILE_SYSTEM}])[0]
        folded = fold_system([{"role": "system", "content": MODELFILE_SYSTEM}, *user])
        assert folded == [{"role": "user", "content": MODELFILE_SYSTEM + "\n\n" + "What is hypertension?"}]
        want = tokenizer.apply_chat_template(folded, tokenize=False, add_generation_prompt=True)
        assert prompt["prompt"] == want[len(derived.fmt.bos_dropped):]


def test_a_template_that_rewrites_earlier_answers_gets_a_template_that_says_it_is_not_exact(
        go_renderer, embedded_tokenizer):
    """Qwen3 drops the <think> section of past answers; Go cannot. The TEMPLATE is still exact on
    the check conversations, and the export says plainly where it is not."""
    tokenizer = family_tokenizer(embedded_tokenizer, "qwen3")
    derived = ollama_template_for(tokenizer)
    assert derived.text and derived.limitation and "<think>" in derived.limitation
    assert derived.to_dict()["exact"] is False
    assert assert_go_matches_jinja(go_renderer, tokenizer, derived.text, derived.fmt) == 6
    label, messages = REWRITE_CHECK
    prompt = go_render(go_renderer, [{"template": derived.text, "messages": messages, "system": ""}])[0]["prompt"]
    assert "Orthostatic" in prompt  # Go keeps the past reasoning ...
    assert "Orthostatic" not in tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


@pytest.mark.parametrize("name", ["qwen3", "mistral-7b-instruct-v0.3"])
def test_the_model_card_says_plainly_what_the_template_does_and_does_not(embedded_tokenizer, tmp_path, name):
    """Qwen3's TEMPLATE is not exact (past answers keep their <think>): the card says so, not 'checked'.
    Mistral has no system role: the card says where the system prompt goes, for llama.cpp users too."""
    from medtui.config import load_config
    from medtui.export.card import model_card

    derived = ollama_template_for(family_tokenizer(embedded_tokenizer, name))
    result = {"ollama_name": "m", "base_model": name, "run_id": "r", "checkpoint": "final", "dir": str(tmp_path),
              "gguf": [{"path": str(tmp_path / "m-Q8_0.gguf"), "bytes": 1, "quant": "Q8_0"}],
              "template": derived.to_dict(), "warnings": []}
    (tmp_path / "medtui.toml").write_text("")
    card = model_card(result, load_config(tmp_path / "medtui.toml"), [], [], "For education only.")
    if name == "qwen3":
        assert "NOT in every case" in card and "<think>" in card and "(checked when it was written)" not in card
    else:
        assert "(checked when it was written)" in card
        assert "has no system role: the system prompt goes in front of the first user message" in card
