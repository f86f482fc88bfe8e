"""The data stage: load JSONL/JSON/CSV/TSV/Parquet files and hub ids, detect their shape, map
records to chat messages, validate them (structure, duplicates, PHI, length), preview them through
the model's chat template, and prepare the conversations a training run uses.

Importable without Textual, torch or transformers; those load only when a tokenizer is used.

For training: `prepare_training_data(cfg, tokenizer)` gives the conversations (system prompt
included), and `loss_template(tokenizer).template` is the chat template to set on the tokenizer
before TRL's SFTTrainer with `assistant_only_loss=True` (TRL has no marked-up template for plain
ChatML such as the embedded SmolLM2, and would refuse); `.template is None` means assistant-only
loss is impossible for that model and `.warning` says why.
"""

from medtui.data.loaders import LoadedFile, is_hub_id, load_source
from medtui.data.prepare import PreparedData, describe_counts, prepare_training_data, split_eval
from medtui.data.records import (
    ERROR, PROBLEM_CODES, SEVERITY, WARNING, DataError, Problem, RawRecord, ValidationReport,
)
from medtui.data.shapes import SHAPES, SUPPORTED_SHAPES, detect_shape
from medtui.data.templates import LossTemplate, Preview, count_tokens, loss_template, render_preview, tokenizer_for
from medtui.data.validate import DataOptions, validate_file, validate_loaded, with_system_prompt

__all__ = [
    "DataError", "DataOptions", "ERROR", "LoadedFile", "LossTemplate", "PROBLEM_CODES", "PreparedData", "Preview",
    "Problem", "RawRecord", "SEVERITY", "SHAPES", "SUPPORTED_SHAPES", "ValidationReport", "WARNING", "count_tokens",
    "describe_counts", "detect_shape", "is_hub_id", "load_source", "loss_template", "prepare_training_data",
    "render_preview", "split_eval", "tokenizer_for", "validate_file", "validate_loaded", "with_system_prompt",
]
