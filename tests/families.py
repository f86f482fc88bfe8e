"""Tiny random-weight models of each model family medtui supports, built with no download.

Each family gets its REAL vocabulary and its REAL chat template, and a two-layer model of its own
architecture (hidden size 64) with random weights: random weights say nothing about quality and
everything about plumbing (templates, loss masks, BOS/EOS, stop tokens, LoRA targets, conversion).

- Vocabularies: llama.cpp's vocabulary-only GGUFs (`models/ggml-vocab-*.gguf`), which `medtui setup`
  keeps beside llama.cpp's converter (medtui.llamacpp.llama_cpp_models_dir); transformers reads a
  tokenizer from them with `gguf_file=`. SmolLM2 uses the embedded model's own tokenizer.
- Chat templates: the seed models' templates as they ship in their GGUFs (tests/fixtures/
  chat_templates.json) and llama.cpp's `models/templates/*.jinja`.
- SentencePiece families (Llama 2, Mistral, Phi-3.5, Gemma 2) also get a `tokenizer.model`, written
  from the same GGUF vocabulary (pieces, scores and types), as their real folders have one and
  llama.cpp's converter reads it.

Adaptations, where no real vocabulary of the family is at hand (said once here, not hidden):
- Mistral 7B Instruct v0.3 uses Llama 2's 32000-piece vocabulary (that of Mistral v0.1/v0.2; v0.3
  adds 768 control tokens, which its template does not use).
- Phi-4-mini's o200k vocabulary is replaced by GPT-2's BPE vocabulary plus Phi's chat tokens; what
  matters for the converter and the template is the same: a GPT2Tokenizer-class BPE tokenizer.
- StableLM 2 Zephyr's arcade100k vocabulary is replaced by GPT-2's plus the Zephyr chat tokens,
  with the StableLM architecture and the Zephyr template (TinyLlama's, with eos <|endoftext|>).
- Gemma 2 uses Gemma 4's vocabulary (the one llama.cpp ships) with its two turn tokens renamed to
  Gemma 2's <start_of_turn> and <end_of_turn>.

Use `build_family(name, folder)` directly, or the session fixture `family_model` (tests/conftest.py)
which builds each family once per test session.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The tiny shape every family shares.
SHAPE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=4096)


@dataclass(frozen=True)
class Family:
    name: str
    arch: str                     # transformers model_type
    vocab: str                    # ggml-vocab-<vocab>.gguf, or "embedded" (SmolLM2's own tokenizer)
    template: str                 # "seed:<key>" (tests/fixtures/chat_templates.json) or "llama.cpp:<file>.jinja"
    tokenizer_class: str          # what the real tokenizer_config.json says
    eos: str | None = None        # the family's eos_token (None: the vocabulary's own)
    bos: str | None = None        # "" for no BOS token at all (Qwen2.5)
    end_of_turn: str = ""         # the token that ends an assistant turn in its template
    added_special: tuple[str, ...] = ()  # chat tokens the stand-in vocabulary lacks
    renamed: dict = field(default_factory=dict)  # token renames in the vocabulary
    sentencepiece: int = 0        # >0: write tokenizer.model with this many pieces from the GGUF
    add_bos: bool | None = None   # does the tokenizer put BOS in front by itself
    tie: bool = True              # tie input and output embeddings (keeps the big vocabularies small)
    config: dict = field(default_factory=dict)
    hub_id: str = ""              # the real model this family stands for


FAMILIES: dict[str, Family] = {f.name: f for f in [
    Family("llama2-chat", "llama", "llama-spm", "seed:llama2-chat", "LlamaTokenizer", eos="</s>", bos="<s>",
           end_of_turn="</s>", sentencepiece=32000, add_bos=True, tie=False, hub_id="meta-llama/Llama-2-7b-chat-hf"),
    Family("mistral-7b-instruct-v0.3", "mistral", "llama-spm", "seed:mistral-7b-instruct-v0.3", "LlamaTokenizer",
           eos="</s>", bos="<s>", end_of_turn="</s>", sentencepiece=32000, add_bos=True, tie=False,
           hub_id="mistralai/Mistral-7B-Instruct-v0.3"),
    Family("phi-4-mini", "phi3", "gpt-2", "seed:phi-4-mini", "GPT2Tokenizer", eos="<|endoftext|>", bos="<|endoftext|>",
           end_of_turn="<|end|>", added_special=("<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<|tool|>",
                                                 "<|/tool|>"),
           add_bos=False, hub_id="microsoft/Phi-4-mini-instruct"),
    Family("phi-3.5-mini", "phi3", "phi-3", "llama.cpp:microsoft-Phi-3.5-mini-instruct.jinja", "LlamaTokenizer",
           eos="<|endoftext|>", bos="<s>", end_of_turn="<|end|>", sentencepiece=32000, add_bos=False, tie=False,
           hub_id="microsoft/Phi-3.5-mini-instruct"),
    Family("zephyr", "stablelm", "gpt-2", "seed:zephyr", "GPT2Tokenizer", eos="<|endoftext|>", bos="<|endoftext|>",
           end_of_turn="<|endoftext|>", added_special=("<|system|>", "<|user|>", "<|assistant|>"), add_bos=False,
           tie=False, config={"partial_rotary_factor": 0.25}, hub_id="stabilityai/stablelm-2-zephyr-1_6b"),
    Family("smollm2", "llama", "embedded", "embedded", "GPT2Tokenizer", end_of_turn="<|im_end|>",
           hub_id="HuggingFaceTB/SmolLM2-1.7B-Instruct"),
    Family("llama-3.1", "llama", "llama-bpe", "llama.cpp:meta-llama-Llama-3.1-8B-Instruct.jinja",
           "PreTrainedTokenizerFast", eos="<|eot_id|>", bos="<|begin_of_text|>", end_of_turn="<|eot_id|>",
           add_bos=True, hub_id="meta-llama/Llama-3.1-8B-Instruct"),
    Family("qwen2.5", "qwen2", "qwen2", "llama.cpp:Qwen-Qwen2.5-7B-Instruct.jinja", "Qwen2Tokenizer",
           eos="<|im_end|>", bos="", end_of_turn="<|im_end|>", add_bos=False, hub_id="Qwen/Qwen2.5-7B-Instruct"),
    Family("gemma-2", "gemma2", "gemma-4", "llama.cpp:google-gemma-2-2b-it.jinja", "GemmaTokenizer",
           eos="<eos>", bos="<bos>", end_of_turn="<end_of_turn>",
           renamed={"<|turn>": "<start_of_turn>", "<turn|>": "<end_of_turn>"}, sentencepiece=262144, add_bos=True,
           config={"head_dim": 16, "query_pre_attn_scalar": 16, "sliding_window": 512},
           hub_id="google/gemma-2-2b-it"),
]}


def llama_cpp_models() -> Path:
    from medtui.llamacpp import llama_cpp_models_dir

    return llama_cpp_models_dir()


def chat_template(family: Family) -> str | None:
    kind, _, key = family.template.partition(":")
    if kind == "seed":
        return json.loads((FIXTURES / "chat_templates.json").read_text())["templates"][key]["chat_template"]
    if kind == "llama.cpp":
        return (llama_cpp_models() / "templates" / key).read_text()
    return None  # the embedded tokenizer's own


def _gguf_vocab(path: Path) -> dict:
    """tokens, scores, token types and the special ids of a vocabulary-only GGUF."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    fields = reader.fields

    def array(key):
        f = fields[key]
        return [f.parts[i] for i in f.data]

    tokens = [bytes(p).decode("utf-8") for p in array("tokenizer.ggml.tokens")]
    scores = [float(p[0]) for p in array("tokenizer.ggml.scores")] if "tokenizer.ggml.scores" in fields else []
    types = [int(p[0]) for p in array("tokenizer.ggml.token_type")]

    def scalar(key, default=None):
        return fields[key].contents() if key in fields else default

    return {"tokens": tokens, "scores": scores, "types": types,
            "unk": scalar("tokenizer.ggml.unknown_token_id", 0), "bos": scalar("tokenizer.ggml.bos_token_id", -1),
            "eos": scalar("tokenizer.ggml.eos_token_id", -1), "pad": scalar("tokenizer.ggml.padding_token_id", -1),
            "space_prefix": bool(scalar("tokenizer.ggml.add_space_prefix", True))}


def write_sentencepiece_model(gguf_path: Path, out: Path, pieces: int, renamed: dict | None = None) -> None:
    """A SentencePiece BPE `tokenizer.model` holding the GGUF's first `pieces` pieces, with their
    scores and types (llama.cpp's token types are SentencePiece's), as the family's real file does."""
    from sentencepiece import sentencepiece_model_pb2 as spm

    vocab = _gguf_vocab(gguf_path)
    renamed = renamed or {}
    model = spm.ModelProto()
    for i in range(min(pieces, len(vocab["tokens"]))):
        piece = model.pieces.add()
        piece.piece = renamed.get(vocab["tokens"][i], vocab["tokens"][i])
        piece.score = vocab["scores"][i] if vocab["scores"] else 0.0
        piece.type = vocab["types"][i] if vocab["types"][i] in (1, 2, 3, 4, 5, 6) else 1
    trainer = model.trainer_spec
    trainer.model_type = spm.TrainerSpec.BPE
    trainer.vocab_size = len(model.pieces)
    trainer.byte_fallback = any(p.type == 6 for p in model.pieces)
    trainer.unk_id = int(vocab["unk"])
    trainer.bos_id = int(vocab["bos"]) if vocab["bos"] is not None and vocab["bos"] < len(model.pieces) else -1
    trainer.eos_id = int(vocab["eos"]) if vocab["eos"] is not None and vocab["eos"] < len(model.pieces) else -1
    trainer.pad_id = int(vocab["pad"]) if vocab["pad"] is not None and 0 <= vocab["pad"] < len(model.pieces) else -1
    normalizer = model.normalizer_spec
    normalizer.name = "identity"
    normalizer.add_dummy_prefix = vocab["space_prefix"]
    normalizer.remove_extra_whitespaces = False
    normalizer.escape_whitespaces = True
    out.write_bytes(model.SerializeToString())


def _load_vocabulary(family: Family):
    from transformers import AutoTokenizer

    if family.vocab == "embedded":
        from medtui.models import materialize_embedded

        return AutoTokenizer.from_pretrained(str(materialize_embedded()))
    gguf_file = f"ggml-vocab-{family.vocab}.gguf"
    if family.arch == "gemma2":
        from transformers import GemmaTokenizerFast  # AutoTokenizer trips over Gemma 4's per-layer config

        return GemmaTokenizerFast.from_pretrained(str(llama_cpp_models()), gguf_file=gguf_file)
    return AutoTokenizer.from_pretrained(str(llama_cpp_models()), gguf_file=gguf_file)


def _rename_tokens(folder: Path, renamed: dict) -> None:
    """Rename tokens in the saved tokenizer.json (vocabulary and added tokens)."""
    path = folder / "tokenizer.json"
    data = json.loads(path.read_text())
    vocab = data["model"]["vocab"]
    for old, new in renamed.items():
        if isinstance(vocab, dict) and old in vocab:
            vocab[new] = vocab.pop(old)
        for added in data.get("added_tokens", []):
            if added["content"] == old:
                added["content"] = new
                added["special"] = True
    path.write_text(json.dumps(data, ensure_ascii=False))
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    for entry in (config.get("added_tokens_decoder") or {}).values():
        if entry.get("content") in renamed:
            entry["content"] = renamed[entry["content"]]
    config_path.write_text(json.dumps(config, ensure_ascii=False, indent=2))


def _set_bos_post_processor(folder: Path, bos: str | None) -> None:
    """Make the tokenizer put `bos` in front of what it encodes (None: add nothing), as the real
    family's tokenizer does; the GGUF-derived tokenizer.json does not always say so."""
    path = folder / "tokenizer.json"
    data = json.loads(path.read_text())
    current = data.get("post_processor")
    steps = current.get("processors", [current]) if current and current.get("type") == "Sequence" else [current]
    steps = [p for p in steps if p and p.get("type") != "TemplateProcessing"]
    if bos is not None:
        vocab = data["model"]["vocab"]
        bos_id = vocab[bos] if isinstance(vocab, dict) and bos in vocab else next(
            t["id"] for t in data["added_tokens"] if t["content"] == bos)
        steps.append({
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
        })
    data["post_processor"] = (None if not steps else steps[0] if len(steps) == 1
                              else {"type": "Sequence", "processors": steps})
    path.write_text(json.dumps(data, ensure_ascii=False))


def build_tokenizer(family: Family, folder: Path):
    """Write the family's tokenizer files into `folder` and return the tokenizer as loaded back."""
    from transformers import AutoTokenizer

    tokenizer = _load_vocabulary(family)
    if family.added_special:
        tokenizer.add_special_tokens({"additional_special_tokens": list(family.added_special)})
    if family.eos:
        tokenizer.eos_token = family.eos
    if family.bos:
        tokenizer.bos_token = family.bos
    template = chat_template(family)
    if template is not None:
        tokenizer.chat_template = template
    tokenizer.save_pretrained(str(folder))
    if family.renamed:
        _rename_tokens(folder, family.renamed)
    if family.add_bos is not None:
        _set_bos_post_processor(folder, tokenizer.bos_token if family.add_bos else None)
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_class"] = family.tokenizer_class
    if family.bos == "":
        config["bos_token"] = None
    if family.add_bos is not None:
        config["add_bos_token"] = family.add_bos
    config_path.write_text(json.dumps(config, ensure_ascii=False, indent=2))
    if family.sentencepiece:
        write_sentencepiece_model(llama_cpp_models() / f"ggml-vocab-{family.vocab}.gguf", folder / "tokenizer.model",
                                  family.sentencepiece, family.renamed)
    return AutoTokenizer.from_pretrained(str(folder))


def build_family(name: str, folder: Path | str) -> Path:
    """A model folder for family `name` (transformers and medtui load it as `[model] name = <folder>`)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    family = FAMILIES[name]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(family, folder)
    ids = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
    }
    config = AutoConfig.for_model(family.arch, vocab_size=len(tokenizer), tie_word_embeddings=family.tie,
                                  **SHAPE, **ids, **family.config)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.generation_config = GenerationConfig(**ids)
    model.save_pretrained(str(folder))
    (folder / "medtui-family.json").write_text(json.dumps({"family": name, "stands_for": family.hub_id}))
    return folder


def end_of_turn(name: str) -> str:
    return FAMILIES[name].end_of_turn


def cached_family(name: str) -> Path:
    """build_family into medtui's cache, once per version of this builder: a model folder that many
    test sessions share (it is only read: runs and exports write elsewhere). Built beside its final
    place and renamed into it, so a folder that exists is complete."""
    import hashlib
    import shutil
    import tempfile

    import transformers

    from medtui.models import cache_root

    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update((FIXTURES / "chat_templates.json").read_bytes())
    digest.update(transformers.__version__.encode())
    target = cache_root() / "test-families" / f"{name}-{digest.hexdigest()[:12]}"
    if (target / "medtui-family.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        build_family(name, work / "model")
        try:
            os.replace(work / "model", target)
        except OSError:  # another session finished the same folder first
            if not (target / "medtui-family.json").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


if __name__ == "__main__":  # build one family by hand: python tests/families.py NAME FOLDER
    import sys

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(build_family(sys.argv[1], sys.argv[2]))
