"""Every ready-made config in configs/ is valid, and the per-model ones fit their model family:
LoRA targets the architecture has, the seed's data set with a configuration named, and the stop
tokens they state are the ones medtui takes from that family's tokenizer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from families import FAMILIES
from medtui.config import load_config
from medtui.data import is_hub_id
from medtui.train.launch import training_problems

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))
BY_HUB_ID = {f.hub_id: f for f in FAMILIES.values()}
# The seeds' models, and today's Llama 3.1 8B and Qwen2.5 7B: each has its config.
REQUIRED = {"microsoft/Phi-4-mini-instruct", "mistralai/Mistral-7B-Instruct-v0.3", "meta-llama/Llama-2-7b-chat-hf",
            "stabilityai/stablelm-2-zephyr-1_6b", "HuggingFaceTB/SmolLM2-1.7B-Instruct",
            "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct"}


def _model_configs():
    return [c for c in CONFIGS if load_config(c).model.name]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_is_valid(path):
    cfg = load_config(path)  # raises ConfigError naming the file and key on any problem
    # The GPU checks need a GPU; everything else that spans several keys must hold.
    assert training_problems(cfg.with_overrides(["train.device=auto"])) == []


def test_each_seed_model_and_llama_and_qwen_have_a_config():
    assert {load_config(c).model.name for c in _model_configs()} >= REQUIRED


@pytest.mark.parametrize("path", [c for c in CONFIGS if "name" in c.read_text()], ids=lambda p: p.name)
def test_model_configs_fit_a_24_gb_gpu_on_the_seed_data(path):
    cfg = load_config(path)
    assert cfg.model.name in BY_HUB_ID, f"{path.name}: no family model stands for {cfg.model.name}"
    # The seed's data set has four configurations and fails to load without one.
    assert cfg.train_files == ["FreedomIntelligence/medical-o1-reasoning-SFT:en"] and is_hub_id(cfg.train_files[0])
    assert cfg.data.format == "medical_o1"
    assert cfg.model.load_in_4bit and cfg.train.gradient_checkpointing and cfg.model.max_length >= 1024
    # QLoRA on 24 GB: micro-batches of 2 for 7-8B models, larger only for small ones; 16 records per step.
    batch, accumulation = cfg.train.per_device_train_batch_size, cfg.train.gradient_accumulation_steps
    assert batch * accumulation == 16
    size = re.search(r"(\d+(?:\.\d+)?)B\b", path.read_text().splitlines()[0], re.I)
    assert size, f"{path.name}: the first line names the model size"
    assert batch <= (2 if float(size.group(1)) >= 7 else 4 if float(size.group(1)) >= 3 else 8)


@pytest.mark.slow
@pytest.mark.parametrize("path", [c for c in CONFIGS if "name" in c.read_text()], ids=lambda p: p.name)
def test_model_configs_match_their_family(path, family_model):
    from medtui.models import end_of_turn_tokens, load_tokenizer
    from medtui.train.lora import empty_model, target_problem

    cfg = load_config(path)
    family = BY_HUB_ID[cfg.model.name]
    folder = family_model(family.name)
    # The LoRA targets are modules this architecture has (Phi's fused projections included).
    assert target_problem(cfg.lora.target_modules, empty_model(folder), family.name, path.name) is None
    # The stop tokens the config states are those medtui derives from the family's tokenizer.
    stated = re.search(r"^# stop: (.+)$", path.read_text(), re.M)
    assert stated, f"{path.name}: no '# stop:' line"
    assert set(stated.group(1).split(", ")) == set(end_of_turn_tokens(load_tokenizer(folder)))
