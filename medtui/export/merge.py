"""Stage 1: the LoRA adapter merged into the base model's original weights, saved as safetensors.

QLoRA trains against 4-bit weights, but the merge uses the base model as published (its own
dtype, never the 4-bit copy): merging into dequantized 4-bit weights would bake the quantization
error into every later file. The merge runs on the CPU by default, so a GPU still holding a
finished training run (or too small for the full-precision model) cannot run out of memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from medtui.export.source import ExportError

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


@dataclass
class MergeResult:
    folder: Path
    dtype: str
    parameters: int


def pick_tokenizer_source(adapter_dir: Path, base_path: Path | str) -> Path | str:
    """The tokenizer the run trained with: saved beside the adapter, else the base model's."""
    if any((Path(adapter_dir) / name).exists() for name in TOKENIZER_FILES):
        return Path(adapter_dir)
    return base_path


def check_adapter_files(adapter_dir: Path) -> None:
    """Every file in the adapter folder is a regular file: a FIFO or a link to a device in a run
    folder someone sent would hang the loaders below, so it is refused before anything loads."""
    from medtui.files import file_problem

    for entry in sorted(Path(adapter_dir).iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            continue
        problem = file_problem(entry)
        if problem is not None:
            raise ExportError(f"{entry}: {problem}; an adapter folder holds only files the training run wrote")


def merge_adapter(base_path: Path | str, adapter_dir: Path, out_dir: Path, device: str = "cpu",
                  trust_remote_code: bool = False,
                  report: Callable[[float, str], None] = lambda f, m: None) -> MergeResult:
    check_adapter_files(adapter_dir)
    from medtui.models import quiet_library_chatter

    quiet_library_chatter()
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device == "cuda" and not torch.cuda.is_available():
        raise ExportError("[export] merge_device is \"cuda\" but torch sees no GPU; set it to \"cpu\"")
    if device != "cuda":
        from medtui.export.fidelity import worker_threads

        torch.set_num_threads(worker_threads())
    report(0.02, "loading the base model in its original precision")
    try:
        base = AutoModelForCausalLM.from_pretrained(
            str(base_path), dtype="auto", device_map={"": device} if device == "cuda" else None,
            trust_remote_code=trust_remote_code, low_cpu_mem_usage=True,
        )
    except OSError as exc:
        raise ExportError(f"the base model {base_path} cannot be loaded: {exc}") from None
    dtype = str(base.dtype).replace("torch.", "")
    report(0.35, f"loading the adapter from {adapter_dir.name}/")
    try:
        model = PeftModel.from_pretrained(base, str(adapter_dir), is_trainable=False)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ExportError(f"the adapter in {adapter_dir} does not fit the base model {base_path}: {exc}") from None
    report(0.5, "merging the LoRA weights")
    try:
        merged = model.merge_and_unload(progressbar=False, safe_merge=True)
    except ValueError as exc:  # safe_merge found NaNs: the training diverged
        raise ExportError(f"the adapter in {adapter_dir} cannot be merged: {exc}") from None
    parameters = sum(p.numel() for p in merged.parameters())
    report(0.6, f"saving safetensors ({dtype})")
    out_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out_dir, safe_serialization=True)
    del merged, model, base
    report(0.9, "saving the tokenizer and chat template")
    tokenizer = AutoTokenizer.from_pretrained(str(pick_tokenizer_source(adapter_dir, base_path)),
                                              trust_remote_code=trust_remote_code)
    if not getattr(tokenizer, "chat_template", None):
        base_tokenizer = AutoTokenizer.from_pretrained(str(base_path), trust_remote_code=trust_remote_code)
        tokenizer.chat_template = getattr(base_tokenizer, "chat_template", None)
    tokenizer.save_pretrained(out_dir)
    report(1.0, f"merged model: {parameters / 1e6:.0f}M parameters, {dtype}")
    return MergeResult(out_dir, dtype, parameters)
