"""Export: a run's adapter -> merged safetensors -> GGUF F16 -> quantized GGUFs -> an Ollama
Modelfile whose TEMPLATE provably matches the model -> a model card, with a fidelity report.

Importing this package is cheap (no torch, transformers or llama_cpp); each stage imports what it
needs when it runs. The stages live in their own modules: source, merge, convert, quantize,
fidelity, template, modelfile, card; pipeline runs them in order.
"""

from medtui.export.pipeline import (
    BUILD_PREFIX, EXPORT_FILE, MODELFILE, STAGE_NAMES, STAGES, ExportPlan, export_run, list_exports, plan_export,
    remove_stale_builds,
)
from medtui.export.source import FINAL, ExportError, ExportSource, checkpoint_name, resolve_source, split_target

__all__ = [
    "BUILD_PREFIX", "EXPORT_FILE", "ExportError", "ExportPlan", "ExportSource", "FINAL", "MODELFILE", "STAGES",
    "STAGE_NAMES", "checkpoint_name", "export_run", "list_exports", "plan_export", "remove_stale_builds",
    "resolve_source", "split_target",
]
