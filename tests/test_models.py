"""The embedded default becomes an ordinary model folder; other model names fail clearly."""

import os

import pytest

from medtui.models import ModelNotAvailable, end_of_turn_tokens, is_materialized, load_tokenizer, resolve_model


@pytest.mark.slow
def test_embedded_default_is_a_normal_model_folder(embedded_model_dir):
    assert is_materialized(embedded_model_dir)
    assert (embedded_model_dir / "model.safetensors").exists()
    assert (embedded_model_dir / "config.json").exists()
    assert resolve_model("") == embedded_model_dir  # second use: no work, same folder


@pytest.mark.slow
def test_embedded_tokenizer_renders_chatml_and_knows_its_stop_token(embedded_model_dir):
    tokenizer = load_tokenizer(embedded_model_dir)
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is hypertension?"}], tokenize=False, add_generation_prompt=True
    )
    assert "<|im_start|>user\nWhat is hypertension?<|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n")
    assert "<|im_end|>" in end_of_turn_tokens(tokenizer)


@pytest.mark.slow
def test_embedded_model_loads_from_its_folder_like_any_model(embedded_model_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(embedded_model_dir)
    assert model.config.model_type == "llama"
    assert model.num_parameters() > 100_000_000


def test_uncached_hub_id_offline_is_a_clear_message(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailable) as caught:
        resolve_model("someone/not-a-cached-model-xyz")
    message = str(caught.value)
    assert "someone/not-a-cached-model-xyz" in message and "not in the local Hugging Face cache" in message


def test_folder_without_config_is_named(tmp_path):
    with pytest.raises(ModelNotAvailable) as caught:
        resolve_model(str(tmp_path))
    assert "no config.json" in str(caught.value)


def test_missing_local_path_is_named(tmp_path):
    with pytest.raises(ModelNotAvailable) as caught:
        resolve_model(str(tmp_path / "nope"))
    assert "no such folder" in str(caught.value)
