"""The data stage: load JSONL/JSON/CSV/TSV/Parquet files and hub ids, detect their shape, map
records to chat messages, validate them (structure, duplicates, PHI, length), preview them through
the model's chat template, and prepare the conversations a training run uses.

Importable without Textual, torch or transformers; those load only when a tokenizer is used.

For training: `prepare_training_data(cfg, tokenizer)` gives the conversations (system prompt
included), and `training_format(tokenizer).encode(conversation)` their token ids and the mask of
the tokens that carry loss (each answer and its end-of-turn token), read off the model's own chat
template whatever it is; `.warning` says when assistant-only loss is impossible for that model.
"""

from medtui.data.loaders import LoadedFile, is_hub_id, load_source
from medtui.data.prepare import PreparedData, describe_counts, prepare_training_data, split_eval
from medtui.data.records import (
    ERROR, PROBLEM_CODES, SEVERITY, WARNING, DataError, Problem, RawRecord, ValidationReport,
)
from medtui.data.shapes import SHAPES, SUPPORTED_SHAPES, detect_shape
from medtui.data.templates import (
    Preview, TrainingFormat, count_tokens, fold_system, render_preview, takes_system_role, tokenizer_for,
    training_format,
)
from medtui.data.validate import DataOptions, validate_file, validate_loaded, with_system_prompt

__all__ = [
    "DataError", "DataOptions", "ERROR", "LoadedFile", "PROBLEM_CODES", "PreparedData", "Preview",
    "Problem", "RawRecord", "SEVERITY", "SHAPES", "SUPPORTED_SHAPES", "ValidationReport", "WARNING", "count_tokens",
    "describe_counts", "detect_shape", "is_hub_id", "load_source", "fold_system", "takes_system_role", "training_format", "TrainingFormat", "prepare_training_data",
    "render_preview", "split_eval", "tokenizer_for", "validate_file", "validate_loaded", "with_system_prompt",
]
