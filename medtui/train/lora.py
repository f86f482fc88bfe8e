"""Which of the model's modules LoRA adapts ([lora] target_modules), checked against the model.

"all-linear" (PEFT's own) adapts every linear layer but the output head, whatever the architecture
names them: q/k/v/o and gate/up/down in Llama, Mistral, Qwen and Gemma; the fused `qkv_proj` and
`gate_up_proj` in Phi-3. An explicit list is matched by PEFT against the ends of module names; a
name the model does not have is an error that lists the names it has, before any training starts.
"""

from __future__ import annotations

from medtui.errors import UsageError

ALL_LINEAR = "all-linear"


class LoraTargetError(UsageError):
    """[lora] target_modules names modules the model does not have."""


def linear_module_names(model) -> list[str]:
    """The short names of the model's linear layers that LoRA can adapt (the output head excluded)."""
    import torch

    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    names = {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
             if isinstance(module, torch.nn.Linear) and module is not head}
    return sorted(names)


def target_problem(target_modules, model, model_name: str, origin: str = "config") -> str | None:
    """What is wrong with an explicit target list for this model, or None."""
    if isinstance(target_modules, str):
        return None  # "all-linear", or a regular expression PEFT matches itself
    names = [name for name, _ in model.named_modules()]
    missing = [t for t in target_modules if not any(n == t or n.endswith("." + t) for n in names)]
    if not missing:
        return None
    return (f"{origin}: [lora] target_modules names {', '.join(repr(m) for m in missing)}, which {model_name} does "
            f"not have; its linear layers are {', '.join(linear_module_names(model))} "
            f'(or use target_modules = "{ALL_LINEAR}")')


def empty_model(model_path, trust_remote_code: bool = False):
    """The model's module tree with no weights in memory (for checking names before training)."""
    from accelerate import init_empty_weights
    from transformers import AutoConfig, AutoModelForCausalLM

    from medtui.models import MODEL_BUILD_LOCK

    config = AutoConfig.from_pretrained(str(model_path), trust_remote_code=trust_remote_code)
    with MODEL_BUILD_LOCK, init_empty_weights():
        return AutoModelForCausalLM.from_config(config, trust_remote_code=trust_remote_code)


def check_targets(cfg, model_path) -> None:
    """LoraTargetError when an explicit [lora] target_modules list names a module the model lacks."""
    if isinstance(cfg.lora.target_modules, str):
        return
    from medtui.models import model_label

    origin = cfg.source.name if cfg.source else "config"
    problem = target_problem(cfg.lora.target_modules, empty_model(model_path, cfg.model.trust_remote_code),
                             model_label(cfg.model.name), origin)
    if problem:
        raise LoraTargetError(problem)
