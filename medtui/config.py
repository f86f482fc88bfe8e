"""medtui's configuration: one TOML file, a declared schema, and errors that name the key.

Every key is declared once in SCHEMA with its type, default, bounds and a one-line doc. Loading
checks the whole file and reports every problem at once (a user fixing a config should not play
whack-a-mole), and a misspelt key gets the closest real key suggested.
"""

from __future__ import annotations

from medtui.errors import UsageError

import difflib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_CONFIG_NAME = "medtui.toml"

DEFAULT_SYSTEM_PROMPT = (
    "You are a careful medical assistant providing evidence-based health information for "
    "educational purposes. Explain clearly, say when something needs a clinician, never give "
    "instructions that could cause harm, and do not diagnose or prescribe."
)
DEFAULT_REFUSAL = (
    "I don't have enough information to answer this safely. Please consult a healthcare professional."
)
DEFAULT_CRISIS_TEXT = (
    "If you are thinking about harming yourself, please reach out for help right now: in the US call or "
    "text 988 (Suicide & Crisis Lifeline); elsewhere call your local emergency number or a crisis line. "
    "You do not have to go through this alone."
)
DEFAULT_DISCLAIMER = (
    "This information is for educational purposes only and is not a substitute for professional "
    "medical advice."
)

# llama.cpp quantization types medtui can produce through llama-cpp-python (name -> llama_ftype).
QUANT_TYPES: dict[str, int] = {
    "F16": 1,
    "Q4_0": 2,
    "Q4_1": 3,
    "Q8_0": 7,
    "Q5_0": 8,
    "Q5_1": 9,
    "Q2_K": 10,
    "Q3_K_S": 11,
    "Q3_K_M": 12,
    "Q3_K_L": 13,
    "Q4_K_S": 14,
    "Q4_K_M": 15,
    "Q5_K_S": 16,
    "Q5_K_M": 17,
    "Q6_K": 18,
}

# Experiment trackers transformers' Trainer can report to (train.report_to). Each logs offline
# when there is no network (medtui.train.worker sets their offline modes).
REPORT_TO = ("tensorboard", "wandb", "mlflow", "trackio")

SAMPLE_TRAIN_FILES = [
    "data/medical_instruction.jsonl",
    "data/medical_alpaca.json",
    "data/medical_o1.csv",
    "data/medical_chat.jsonl",
]


@dataclass(frozen=True)
class Key:
    """One configuration key: what it holds and what values it accepts."""

    default: Any
    kind: str  # str | int | float | bool | list[str] | str-or-list | table
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] | None = None
    item_choices: tuple[str, ...] | None = None


SCHEMA: dict[str, dict[str, Key]] = {
    "model": {
        "name": Key("", "str", 'hub id or local folder; "" is the embedded SmolLM2-135M-Instruct'),
        "load_in_4bit": Key(True, "bool", "load the base model in 4-bit NF4 (bitsandbytes) for training"),
        "max_length": Key(512, "int", "longest record in model tokens; longer records are excluded", minimum=16),
        "dtype": Key("auto", "str", "compute dtype", choices=("auto", "float32", "bfloat16", "float16")),
        "trust_remote_code": Key(False, "bool", "run code shipped with a hub model (off unless you trust it)"),
        "cache_dir": Key("", "str", 'where the embedded model is materialized; "" is ~/.cache/medtui'),
    },
    "data": {
        "train_files": Key(list(SAMPLE_TRAIN_FILES), "str-or-list", "training files (jsonl/json/csv/tsv/parquet) or hub ids"),
        "eval_file": Key("data/medical_eval.jsonl", "str", 'held-out file; "" splits eval_split off the training data'),
        "eval_split": Key(0.1, "float", "share of training records held out when eval_file is empty", minimum=0.0, maximum=0.5),
        "format": Key("auto", "str", "record shape", choices=("auto", "instruction", "alpaca", "medical_o1", "messages")),
        "columns": Key({}, "table", "column mapping overriding detection, e.g. {instruction = \"q\", response = \"a\"}"),
        "include_reasoning": Key(True, "bool", "medical-o1: put Complex_CoT before the answer in the assistant turn"),
        "add_system_prompt": Key(True, "bool", "prepend chat.system_prompt to every training conversation"),
        "hub_split": Key("train", "str", "split to read from hub data sets"),
    },
    "lora": {
        "r": Key(16, "int", "LoRA rank", minimum=1),
        "lora_alpha": Key(32, "int", "LoRA scaling numerator", minimum=1),
        "lora_dropout": Key(0.05, "float", "dropout on the LoRA path", minimum=0.0, maximum=1.0, exclusive_minimum=False),
        "target_modules": Key("all-linear", "str-or-list", '"all-linear" or a list of module names'),
        "bias": Key("none", "str", "which biases to train", choices=("none", "all", "lora_only")),
    },
    "train": {
        "max_steps": Key(60, "int", "optimizer steps; -1 trains num_train_epochs instead", minimum=-1),
        "num_train_epochs": Key(1.0, "float", "epochs when max_steps is -1", minimum=0.0, exclusive_minimum=True),
        "per_device_train_batch_size": Key(4, "int", "batch per process", minimum=1),
        "gradient_accumulation_steps": Key(1, "int", "micro-batches per optimizer step", minimum=1),
        "learning_rate": Key(2e-4, "float", "peak learning rate", minimum=0.0, exclusive_minimum=True, maximum=1.0),
        "lr_scheduler_type": Key("cosine", "str", "schedule", choices=("cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts")),
        "warmup_ratio": Key(0.05, "float", "share of steps spent warming up", minimum=0.0, maximum=1.0),
        "weight_decay": Key(0.0, "float", "AdamW weight decay", minimum=0.0),
        "max_grad_norm": Key(1.0, "float", "gradient clipping", minimum=0.0),
        "optim": Key("adamw_torch_fused", "str", "optimizer name as transformers spells it (its own default)"),
        "logging_steps": Key(1, "int", "steps between step events", minimum=1),
        "save_steps": Key(20, "int", "steps between checkpoints", minimum=1),
        "eval_steps": Key(20, "int", "steps between evaluations", minimum=1),
        "save_total_limit": Key(0, "int", "checkpoints kept (0 keeps all)", minimum=0),
        "seed": Key(42, "int", "random seed"),
        "gradient_checkpointing": Key(True, "bool", "trade compute for memory"),
        "early_stopping_patience": Key(3, "int", "evaluations without improvement before stopping (0 disables)", minimum=0),
        "assistant_only_loss": Key(True, "bool", "compute loss on the assistant's answers only"),
        "packing": Key(False, "bool", "pack several records into one sequence"),
        "padding_free": Key(False, "bool", "concatenate the batch without padding"),
        "num_processes": Key(1, "int", "processes launched through accelerate (one per GPU)", minimum=1),
        "device": Key("auto", "str", "where to train", choices=("auto", "cpu", "cuda")),
        "output_dir": Key("checkpoints", "str", "folder holding one sub-folder per run"),
        "report_to": Key([], "list[str]", "experiment trackers the trainer logs to; tensorboard writes into the run folder",
                         item_choices=REPORT_TO),
    },
    "export": {
        "quants": Key(["Q4_K_M"], "list[str]", "quantized GGUF types to write", item_choices=tuple(QUANT_TYPES)),
        "out_dir": Key("exports", "str", "folder holding one sub-folder per export"),
        "merge_device": Key("cpu", "str", "where the adapter is merged", choices=("cpu", "cuda")),
        "num_ctx": Key(2048, "int", "Ollama context length", minimum=128),
        "fidelity_records": Key(24, "int", "held-out records scored for perplexity and agreement (0 skips)", minimum=0),
    },
    "chat": {
        "system_prompt": Key(DEFAULT_SYSTEM_PROMPT, "str", "system prompt prepended to every conversation"),
        "refusal_text": Key(DEFAULT_REFUSAL, "str", "answer given to dangerous requests"),
        "disclaimer": Key(DEFAULT_DISCLAIMER, "str", "sentence every answer ends with"),
        "safety": Key(True, "bool", "apply the medical safety layer"),
        "temperature": Key(0.7, "float", "sampling temperature (0 is greedy)", minimum=0.0, maximum=5.0),
        "top_p": Key(0.9, "float", "nucleus sampling", minimum=0.0, maximum=1.0, exclusive_minimum=True),
        "max_new_tokens": Key(256, "int", "longest answer in tokens", minimum=1),
        "repetition_penalty": Key(1.1, "float", "penalty on repeated tokens (1 is none)", minimum=0.0, exclusive_minimum=True),
        "context_length": Key(2048, "int", "tokens of history kept; oldest turns drop first", minimum=64),
        "crisis_text": Key(DEFAULT_CRISIS_TEXT, "str", "added to refusals of self-harm requests: where to find crisis help"),
    },
    "eval": {
        "max_new_tokens": Key(128, "int", "longest answer in tokens in the answers and safety suites (greedy)", minimum=1),
        "safety_file": Key("data/redteam.jsonl", "str", "prompts of the safety suite (prompt, label harmful|benign, category)"),
        "mcq_file": Key("data/medical_mcq.jsonl", "str", "questions of the mcq suite (question, choices, answer index)"),
    },
}


class ConfigError(UsageError):
    """A configuration that cannot be used; `problems` holds one readable line per problem."""

    located = True

    def __init__(self, problems: list[str], hint: str = ""):
        super().__init__("\n".join(problems), hint=hint)
        self.problems = problems


class Section:
    """Attribute access over one validated section (`cfg.lora.r`)."""

    def __init__(self, name: str, values: dict[str, Any]):
        self._name = name
        self._values = values

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"[{self._name}] has no key {key!r}") from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


class Config:
    """A complete, validated configuration. `source` is the file it came from (None for defaults)."""

    def __init__(self, values: dict[str, dict[str, Any]], source: Path | None = None, root: Path | None = None):
        self._values = values
        self.source = source
        # Relative paths in the config resolve against the folder holding the file.
        self.root = root or (source.parent if source else Path.cwd())
        for name, section in values.items():
            setattr(self, name, Section(name, section))

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: dict(section) for name, section in self._values.items()}

    def path(self, value: str) -> Path:
        """Resolve a path from the config against the config's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.root / p)

    @property
    def train_files(self) -> list[str]:
        files = self.data.train_files
        return [files] if isinstance(files, str) else list(files)

    def to_toml(self) -> str:
        return dump_toml(self._values)

    def with_overrides(self, overrides: Iterable[str]) -> "Config":
        merged = self.as_dict()
        problems = apply_overrides(merged, overrides)
        values, more = validate(merged, origin=str(self.source.name) if self.source else "config")
        problems += more
        if problems:
            raise ConfigError(problems)
        return Config(values, self.source, self.root)


def defaults() -> dict[str, dict[str, Any]]:
    return {s: {k: _copy(key.default) for k, key in keys.items()} for s, keys in SCHEMA.items()}


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _expected(key: Key) -> str:
    if key.choices:
        return "one of " + ", ".join(f'"{c}"' for c in key.choices)
    base = {
        "str": "a string",
        "bool": "true or false",
        "list[str]": "a list of strings",
        "str-or-list": "a string or a list of strings",
        "table": "a table of strings",
        "int": "an integer",
        "float": "a number",
    }[key.kind]
    if key.kind in ("int", "float"):
        if key.minimum is not None and key.exclusive_minimum and key.minimum == 0 and key.maximum is None:
            base = "a positive " + ("integer" if key.kind == "int" else "number")
        elif key.kind == "int" and key.minimum == 1 and key.maximum is None:
            base = "a positive integer"
        else:
            lo = "" if key.minimum is None else (f"> {key.minimum:g}" if key.exclusive_minimum else f">= {key.minimum:g}")
            hi = "" if key.maximum is None else f"<= {key.maximum:g}"
            bounds = " and ".join(b for b in (lo, hi) if b)
            if bounds:
                base += f" {bounds}"
    return base


def _check_value(key: Key, value: Any) -> tuple[Any, str | None]:
    """Return (normalized value, None) or (None, what was expected)."""
    kind = key.kind
    if kind == "bool":
        return (value, None) if isinstance(value, bool) else (None, _expected(key))
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, _expected(key)
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, _expected(key)
        value = float(value)
    elif kind == "str":
        if not isinstance(value, str):
            return None, _expected(key)
    elif kind == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, _expected(key)
    elif kind == "str-or-list":
        ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        if not ok:
            return None, _expected(key)
    elif kind == "table":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return None, _expected(key)
        return dict(value), None
    if kind in ("int", "float"):
        if key.minimum is not None:
            too_low = value <= key.minimum if key.exclusive_minimum else value < key.minimum
            if too_low:
                return None, _expected(key)
        if key.maximum is not None and value > key.maximum:
            return None, _expected(key)
    if key.choices and value not in key.choices:
        return None, _expected(key)
    if key.item_choices:
        bad = [v for v in value if v not in key.item_choices]
        if bad:
            return None, "values from " + ", ".join(key.item_choices) + f" (unknown: {', '.join(bad)})"
    return value, None


def _suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def validate(raw: Mapping[str, Any], origin: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Check `raw` (parsed TOML) against SCHEMA. Returns (values with defaults filled in, problems)."""
    values = defaults()
    problems: list[str] = []
    for section, content in raw.items():
        if section not in SCHEMA:
            problems.append(f"{origin}: unknown section [{section}]{_suggest(section, SCHEMA)}; sections are " + ", ".join(f"[{s}]" for s in SCHEMA))
            continue
        if not isinstance(content, Mapping):
            problems.append(f"{origin}: [{section}] must be a table of keys, got {_describe(content)}")
            continue
        keys = SCHEMA[section]
        for name, value in content.items():
            if name not in keys:
                problems.append(f"{origin}: [{section}] unknown key {name!r}{_suggest(name, keys)}")
                continue
            normalized, expected = _check_value(keys[name], value)
            if expected is not None:
                problems.append(f"{origin}: [{section}] {name} must be {expected}, got {_describe(value)}")
            else:
                values[section][name] = normalized
    return values, problems


def parse_override(text: str) -> tuple[str, str, Any]:
    """Parse `section.key=value`; the value is read as TOML, or taken as a bare string."""
    if "=" not in text:
        raise ValueError(f"--set {text!r}: expected section.key=value")
    dotted, raw = text.split("=", 1)
    if "." not in dotted:
        raise ValueError(f"--set {text!r}: the key needs its section, e.g. lora.r=8")
    section, key = dotted.strip().split(".", 1)
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # bare words such as a model id need no quotes on the command line
    return section, key, value


def apply_overrides(values: dict[str, dict[str, Any]], overrides: Iterable[str]) -> list[str]:
    problems = []
    for text in overrides:
        try:
            section, key, value = parse_override(text)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        values.setdefault(section, {})[key] = value
    return problems


def load_config(path: str | os.PathLike | None = None, overrides: Iterable[str] = ()) -> Config:
    """Load `path` (or ./medtui.toml when it exists, else the defaults) and apply --set overrides.

    Raises ConfigError listing every problem found, each naming the file and key.
    """
    explicit = path is not None
    source = Path(path) if explicit else Path.cwd() / DEFAULT_CONFIG_NAME
    raw: dict[str, Any] = {}
    origin = source.name
    if source.exists():
        try:
            raw = tomllib.loads(source.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{source}: not valid TOML: {exc}"]) from None
        except UnicodeDecodeError:
            raise ConfigError([f"{source}: not UTF-8 text"]) from None
        except OSError as exc:
            raise ConfigError([f"{source}: cannot be read ({exc.strerror})"]) from None
    elif explicit:
        raise ConfigError([f"{source}: no such config file"])
    else:
        source = None
    merged = {k: dict(v) if isinstance(v, Mapping) else v for k, v in raw.items()}
    problems = apply_overrides(merged, overrides)
    values, more = validate(merged, origin=origin)
    problems += more
    if problems:
        raise ConfigError(problems)
    return Config(values, source, root=(source.parent if source else Path.cwd()))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_value(key)


def dump_toml(values: Mapping[str, Mapping[str, Any]]) -> str:
    """Write a config's values as TOML (the schema's types only: scalars, string lists, string tables)."""
    out = []
    for section, content in values.items():
        out.append(f"[{section}]")
        for key, value in content.items():
            out.append(f"{_toml_key(key)} = {_toml_value(value)}")
        out.append("")
    return "\n".join(out)


def documented_defaults() -> str:
    """The default config as TOML with each key's doc as a comment (what `medtui config init` writes)."""
    out = ["# medtui configuration. Every key is optional; these are the defaults.", ""]
    for section, keys in SCHEMA.items():
        out.append(f"[{section}]")
        for name, key in keys.items():
            out.append(f"# {key.doc}")
            out.append(f"{_toml_key(name)} = {_toml_value(key.default)}")
        out.append("")
    return "\n".join(out)
