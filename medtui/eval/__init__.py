"""Evaluation: base model, adapters and GGUFs side by side on held-out answers, medical
multiple-choice questions and safety (`medtui eval`, the Eval pane). No Textual here; torch,
transformers, llama.cpp and lm-eval load only when a suite runs."""

from medtui.eval.models import EvalModel, ModelSpecError, resolve_model, resolve_models
from medtui.eval.results import EvalRecord, EvalReport, ModelInfo, latest, read, result_files
from medtui.eval.run import EvalEvent, check_suites, run_eval
from medtui.eval.suites import DEFAULT_LIMITS, SUITES, EvalCancelled, EvalDataError, is_refusal

__all__ = [
    "DEFAULT_LIMITS", "SUITES", "EvalCancelled", "EvalDataError", "EvalEvent", "EvalModel", "EvalRecord",
    "EvalReport", "ModelInfo", "ModelSpecError", "check_suites", "is_refusal", "latest", "read",
    "resolve_model", "resolve_models", "result_files", "run_eval",
]
