"""medtui's configuration: one TOML file, a declared schema, and errors that name the key.

Every key is declared once in SCHEMA with its type, default, bounds and a one-line doc. Loading
checks the whole file and reports every problem at once (a user fixing a config should not play
whack-a-mole), and a misspelt key gets the closest real key suggested.
"""

from __future__ import annotations

from medtui.errors import UsageError

import difflib
import math
import os
import re
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

# Integers the libraries pass on as a C int (llama.cpp's n_ctx and n_predict, torch's step counters)
# and the seed numpy and torch accept.
INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1
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
    """One configuration key: what it holds and what values it accepts.

    Numbers are finite (NaN and infinity are rejected everywhere) and lie within minimum..maximum.
    """

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
        "max_length": Key(512, "int", "longest record in model tokens; longer records are excluded", minimum=16, maximum=INT32_MAX),
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
        "r": Key(16, "int", "LoRA rank", minimum=1, maximum=65536),
        "lora_alpha": Key(32, "int", "LoRA scaling numerator", minimum=1, maximum=INT32_MAX),
        "lora_dropout": Key(0.05, "float", "dropout on the LoRA path", minimum=0.0, maximum=1.0),
        "target_modules": Key("all-linear", "str-or-list", '"all-linear" or a list of module names'),
        "bias": Key("none", "str", "which biases to train", choices=("none", "all", "lora_only")),
    },
    "train": {
        "max_steps": Key(60, "int", "optimizer steps; -1 trains num_train_epochs instead", minimum=-1, maximum=INT32_MAX),
        "num_train_epochs": Key(1.0, "float", "epochs when max_steps is -1", minimum=0.0, exclusive_minimum=True, maximum=1e6),
        "per_device_train_batch_size": Key(4, "int", "batch per process", minimum=1, maximum=INT32_MAX),
        "gradient_accumulation_steps": Key(1, "int", "micro-batches per optimizer step", minimum=1, maximum=INT32_MAX),
        "learning_rate": Key(2e-4, "float", "peak learning rate", minimum=0.0, exclusive_minimum=True, maximum=1.0),
        "lr_scheduler_type": Key("cosine", "str", "schedule", choices=("cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts")),
        "warmup_ratio": Key(0.05, "float", "share of steps spent warming up", minimum=0.0, maximum=1.0),
        "weight_decay": Key(0.0, "float", "AdamW weight decay", minimum=0.0, maximum=1.0),
        "max_grad_norm": Key(1.0, "float", "gradient clipping (0 turns it off)", minimum=0.0, maximum=1e6),
        "optim": Key("adamw_torch_fused", "str", "optimizer name as transformers spells it (its own default)"),
        "logging_steps": Key(1, "int", "steps between step events", minimum=1, maximum=INT32_MAX),
        "save_steps": Key(20, "int", "steps between checkpoints", minimum=1, maximum=INT32_MAX),
        "eval_steps": Key(20, "int", "steps between evaluations", minimum=1, maximum=INT32_MAX),
        "save_total_limit": Key(0, "int", "checkpoints kept (0 keeps all)", minimum=0, maximum=INT32_MAX),
        "seed": Key(42, "int", "random seed (numpy takes 0 to 2^32-1)", minimum=0, maximum=UINT32_MAX),
        "gradient_checkpointing": Key(True, "bool", "trade compute for memory"),
        "early_stopping_patience": Key(3, "int", "evaluations without improvement before stopping (0 disables)", minimum=0, maximum=INT32_MAX),
        "assistant_only_loss": Key(True, "bool", "compute loss on the assistant's answers only"),
        "packing": Key(False, "bool", "pack several records into one sequence"),
        "padding_free": Key(False, "bool", "concatenate the batch without padding"),
        "num_processes": Key(1, "int", "processes launched through accelerate (one per GPU)", minimum=1, maximum=1024),
        "device": Key("auto", "str", "where to train", choices=("auto", "cpu", "cuda")),
        "output_dir": Key("checkpoints", "str", "folder holding one sub-folder per run"),
        "report_to": Key([], "list[str]", "experiment trackers the trainer logs to; tensorboard writes into the run folder",
                         item_choices=REPORT_TO),
    },
    "export": {
        "quants": Key(["Q4_K_M"], "list[str]", "quantized GGUF types to write", item_choices=tuple(QUANT_TYPES)),
        "out_dir": Key("exports", "str", "folder holding one sub-folder per export"),
        "merge_device": Key("cpu", "str", "where the adapter is merged", choices=("cpu", "cuda")),
        "num_ctx": Key(2048, "int", "Ollama context length", minimum=128, maximum=INT32_MAX),
        "fidelity_records": Key(24, "int", "held-out records scored for perplexity and agreement (0 skips)", minimum=0, maximum=INT32_MAX),
    },
    "chat": {
        "system_prompt": Key(DEFAULT_SYSTEM_PROMPT, "str", "system prompt prepended to every conversation"),
        "refusal_text": Key(DEFAULT_REFUSAL, "str", "answer given to dangerous requests"),
        "disclaimer": Key(DEFAULT_DISCLAIMER, "str", "sentence every answer ends with"),
        "safety": Key(True, "bool", "apply the medical safety layer"),
        "temperature": Key(0.7, "float", "sampling temperature (0 is greedy)", minimum=0.0, maximum=5.0),
        "top_p": Key(0.9, "float", "nucleus sampling", minimum=0.0, maximum=1.0, exclusive_minimum=True),
        "max_new_tokens": Key(256, "int", "longest answer in tokens", minimum=1, maximum=INT32_MAX),
        "repetition_penalty": Key(1.1, "float", "penalty on repeated tokens (1 is none)", minimum=0.0, exclusive_minimum=True, maximum=10.0),
        "context_length": Key(2048, "int", "tokens of history kept; oldest turns drop first", minimum=64, maximum=INT32_MAX),
        "crisis_text": Key(DEFAULT_CRISIS_TEXT, "str", "added to refusals of self-harm, eating-disorder and overdose requests: where to find crisis help"),
    },
    "eval": {
        "max_new_tokens": Key(128, "int", "longest answer in tokens in the answers and safety suites (greedy)", minimum=1, maximum=INT32_MAX),
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
        origins: dict[tuple[str, str | None], str] = {}
        problems = apply_overrides(merged, overrides, origins)
        values, more = validate(merged, origin=str(self.source.name) if self.source else "config", origins=origins)
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
        number = (lambda x: f"{int(x):d}") if key.kind == "int" else (lambda x: f"{x:g}")
        positive = (key.kind == "int" and key.minimum == 1) or (key.minimum == 0 and key.exclusive_minimum)
        if positive:
            base = "a positive " + ("integer" if key.kind == "int" else "number")
            lo = ""
        else:
            lo = "" if key.minimum is None else (f"> {number(key.minimum)}" if key.exclusive_minimum
                                                 else f">= {number(key.minimum)}")
        hi = "" if key.maximum is None else f"<= {number(key.maximum)}"
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
        if not math.isfinite(value):
            return None, _expected(key)
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
    if _strings(value) and any(_SURROGATE.search(text) for text in _strings(value)):
        # Undecodable bytes from the command line (`--set x=$'\xff'`): no file could hold them.
        return None, _expected(key) + " of valid UTF-8 text"
    if kind == "table":
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def _strings(value: Any) -> list[str]:
    """Every string inside a config value (keys of a table included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return [*map(str, value), *(v for v in value.values() if isinstance(v, str))]
    return []


def _suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def validate(
    raw: Mapping[str, Any], origin: str, origins: Mapping[tuple[str, str | None], str] | None = None,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Check `raw` (parsed TOML) against SCHEMA. Returns (values with defaults filled in, problems).

    Each problem starts with where the value came from: `origin` (the file), or for a value a --set
    gave, that --set as `origins` records it under (section, key), or (section, None) for a section.
    """
    values = defaults()
    problems: list[str] = []
    origins = origins or {}
    for section, content in raw.items():
        where = origins.get((section, None), origin)
        if section not in SCHEMA:
            problems.append(f"{where}: unknown section [{section}]{_suggest(section, SCHEMA)}; sections are " + ", ".join(f"[{s}]" for s in SCHEMA))
            continue
        if not isinstance(content, Mapping):
            problems.append(f"{where}: [{section}] must be a table of keys, got {_describe(content)}")
            continue
        keys = SCHEMA[section]
        for name, value in content.items():
            where = origins.get((section, name), origin)
            if name not in keys:
                problems.append(f"{where}: [{section}] unknown key {name!r}{_suggest(name, keys)}")
                continue
            normalized, expected = _check_value(keys[name], value)
            if expected is not None:
                problems.append(f"{where}: [{section}] {name} must be {expected}, got {_describe(value)}")
            else:
                values[section][name] = normalized
    return values, problems


def parse_override(text: str) -> tuple[str, str, Any]:
    """Parse `section.key=value`; the value is read as TOML, or taken as a bare string."""
    if "=" not in text:
        raise ValueError(f"--set {text!r}: expected section.key=value")
    dotted, raw = text.split("=", 1)
    if "." not in dotted:
        if dotted.strip() in SCHEMA:
            first = next(iter(SCHEMA[dotted.strip()]))
            raise ValueError(f"--set {text!r}: [{dotted.strip()}] is a section, not a key; set one of its keys, "
                             f"e.g. {dotted.strip()}.{first}=...")
        raise ValueError(f"--set {text!r}: the key needs its section, e.g. lora.r=8")
    section, key = dotted.strip().split(".", 1)
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # bare words such as a model id need no quotes on the command line
    except RecursionError:
        raise ValueError(f"--set {dotted.strip()}=...: the value is nested thousands of levels deep") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise ValueError(f"--set {dotted.strip()}=...: {str(exc).split(';')[0]}") from None
    return section, key, value


def apply_overrides(
    values: dict[str, Any], overrides: Iterable[str], origins: dict[tuple[str, str | None], str] | None = None,
) -> list[str]:
    """Apply `--set section.key=value` texts to `values` (parsed TOML); returns the problems.

    `origins` records which --set each value came from, so `validate` names it rather than the file.
    A table key takes one entry at a time (`data.columns.instruction=q`); a key inside anything that is
    not a table is a problem, not a crash.
    """
    problems = []
    origins = {} if origins is None else origins
    for text in overrides:
        try:
            section, key, value = parse_override(text)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        label = f"--set {text}"
        current = values.get(section, {})
        if not isinstance(current, Mapping):
            problems.append(f"{label}: [{section}] is {_describe(current)} in the config file, not a table of keys, "
                            f"so {key} cannot be set in it")
            continue
        if section not in values:
            origins[(section, None)] = label
        current = values[section] = dict(current)
        name, dotted, entry = key.partition(".")
        declared = SCHEMA.get(section, {}).get(name)
        if dotted and declared is not None:
            table = current.get(name, {})
            if declared.kind != "table":
                problems.append(f"{label}: [{section}] {name} holds {_expected(declared)}, not a table of keys; "
                                f"set it as {section}.{name}=VALUE")
                continue
            if not isinstance(table, Mapping):
                problems.append(f"{label}: [{section}] {name} is {_describe(table)} in the config file, not a table")
                continue
            current[name] = {**table, entry: value}
            origins[(section, name)] = label
            continue
        current[key] = value
        origins[(section, key)] = label
    return problems


def load_config(path: str | os.PathLike | None = None, overrides: Iterable[str] = ()) -> Config:
    """Load `path` (or ./medtui.toml when it exists, else the defaults) and apply --set overrides.

    Raises ConfigError listing every problem found, each naming the file and key.
    """
    from medtui.files import NO_SUCH_FILE, file_problem

    explicit = path is not None
    source = Path(path) if explicit else Path.cwd() / DEFAULT_CONFIG_NAME
    raw: dict[str, Any] = {}
    origin = source.name
    problem = file_problem(source)
    if problem is None:
        try:
            raw = tomllib.loads(source.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{source}: not valid TOML: {exc}"]) from None
        except RecursionError:
            raise ConfigError([f"{source}: not readable as TOML: arrays or tables nested thousands of levels deep"]) from None
        except UnicodeDecodeError as exc:
            raise ConfigError([f"{source}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"],
                              hint=f"re-save it as UTF-8, e.g. iconv -t UTF-8 {source} > fixed.toml") from None
        except OSError as exc:
            raise ConfigError([f"{source}: cannot be read ({exc.strerror})"]) from None
        except ValueError as exc:  # an integer of thousands of digits (int() refuses more than 4300)
            raise ConfigError([f"{source}: not readable as TOML: {str(exc).split(';')[0]}"]) from None
    elif problem != NO_SUCH_FILE:  # a folder, a FIFO, /dev/zero: reading it would fail or never end
        raise ConfigError([f"{source}: {problem}; a config is a TOML file"])
    elif explicit:
        raise ConfigError([f"{source}: no such config file"],
                          hint="`medtui config init PATH` writes a documented one")
    else:
        source = None
    merged = {k: dict(v) if isinstance(v, Mapping) else v for k, v in raw.items()}
    origins: dict[tuple[str, str | None], str] = {}
    problems = apply_overrides(merged, overrides, origins)
    values, more = validate(merged, origin=origin, origins=origins)
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
        return '"' + _TOML_ESCAPE.sub(_toml_escape, value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


# Everything a TOML basic string cannot hold as it is: quote, backslash and every control character.
_TOML_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_TOML_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_escape(match: re.Match) -> str:
    char = match.group(0)
    return _TOML_SHORT.get(char) or f"\\u{ord(char):04x}"


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_value(key)


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
