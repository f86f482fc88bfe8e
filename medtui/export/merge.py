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
# Every file llama.cpp's converter may read for the vocabulary. transformers 5 saves a tokenizer as
# tokenizer.json + tokenizer_config.json only: a SentencePiece `tokenizer.model` (Llama 2, Mistral,
# Phi-3 need it: "Missing .../merged/tokenizer.model") and the older side files are copied over.
CONVERTER_TOKENIZER_FILES = ("tokenizer.model", "tokenizer.model.v3", "spiece.model", "tokenizer.json",
                             "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json",
                             "merges.txt")


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


def _local_folder(path: Path | str) -> Path | None:
    folder = Path(path)
    if folder.is_dir():
        return folder
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(str(path), local_files_only=True))
    except Exception:  # not a cached hub model: nothing to copy from
        return None


# tokenizer_config.json keys the converter reads that transformers 5 leaves out when it saves a
# tokenizer: the class picks llama.cpp's vocabulary path (Phi-4-mini's "GPT2Tokenizer" means BPE), and
# add_bos_token/add_eos_token decide whether llama.cpp and Ollama put BOS/EOS around every prompt.
_CONVERTER_CONFIG_KEYS = ("tokenizer_class", "add_bos_token", "add_eos_token", "add_prefix_space", "legacy")


def _restore_tokenizer_config(out_dir: Path, base: Path) -> list[str]:
    import json

    saved_path, base_path = out_dir / "tokenizer_config.json", base / "tokenizer_config.json"
    if not (saved_path.is_file() and base_path.is_file()):
        return []
    try:
        saved = json.loads(saved_path.read_text(encoding="utf-8"))
        original = json.loads(base_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    restored = []
    for key in _CONVERTER_CONFIG_KEYS:
        if key not in original or saved.get(key) == original[key]:
            continue
        if key in saved and not (key == "tokenizer_class" and saved[key] == "TokenizersBackend"):
            continue  # the run's tokenizer says otherwise on purpose
        saved[key] = original[key]
        restored.append(key)
    if restored:
        tmp = saved_path.with_name(".tokenizer_config.json.tmp")
        tmp.write_text(json.dumps(saved, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(saved_path)
    return restored


def keep_tokenizer_files(sources: list[Path | str], out_dir: Path) -> list[str]:
    """Copy into `out_dir` the tokenizer files of `sources` (first one that has a file wins) that
    saving the tokenizer did not write, and restore the converter's tokenizer_config keys from the
    last source (the base model). Returns what was copied or restored."""
    import shutil

    copied = []
    folders = [f for f in (_local_folder(s) for s in sources) if f is not None]
    for name in CONVERTER_TOKENIZER_FILES:
        if (out_dir / name).exists():
            continue
        for folder in folders:
            if (folder / name).is_file():
                tmp = out_dir / f".{name}.tmp"
                shutil.copyfile(folder / name, tmp)
                tmp.replace(out_dir / name)
                copied.append(name)
                break
    if folders:
        copied += [f"tokenizer_config.json:{key}" for key in _restore_tokenizer_config(out_dir, folders[-1])]
    return copied


def merge_adapter(base_path: Path | str, adapter_dir: Path, out_dir: Path, device: str = "cpu",
                  trust_remote_code: bool = False,
                  report: Callable[[float, str], None] = lambda f, m: None) -> MergeResult:
    check_adapter_files(adapter_dir)
    from medtui.models import MODEL_BUILD_LOCK, quiet_library_chatter

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
    with MODEL_BUILD_LOCK:  # the TUI may be loading a chat model at the same time
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
    keep_tokenizer_files([pick_tokenizer_source(adapter_dir, base_path), base_path], out_dir)
    report(1.0, f"merged model: {parameters / 1e6:.0f}M parameters, {dtype}")
    return MergeResult(out_dir, dtype, parameters)
