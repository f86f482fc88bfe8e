"""What `medtui eval MODEL…` names: `base`, `RUN[:CHECKPOINT]` or a GGUF path, turned into the
chat sources' ModelChoice (one loader for chat and eval) plus the run folder its results go to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from medtui.chat.sources import EXPORT_MANIFEST, ModelChoice, adapter_choice, base_choice, gguf_choice
from medtui.errors import UsageError
from medtui.eval.results import ModelInfo


class ModelSpecError(UsageError):
    """A MODEL argument that names nothing usable."""


@dataclass(frozen=True)
class EvalModel:
    choice: ModelChoice
    run_dir: Path | None = None  # where results are stored (None: the base model, a GGUF from elsewhere)
    export_dir: Path | None = None  # GGUFs of a medtui export: whose model card gets the results
    quant: str = ""

    @property
    def label(self) -> str:
        return self.choice.label

    def info(self) -> ModelInfo:
        which = self.choice.label.split(":", 1)[1] if self.choice.kind == "adapter" else self.quant
        return ModelInfo(self.label, self.choice.kind, self.choice.path, self.run_dir.name if self.run_dir else "", which)


def _export_of(gguf: Path) -> tuple[Path | None, Path | None, str]:
    """(export folder, run folder, quant) when the GGUF belongs to a medtui export."""
    manifest = gguf.parent / EXPORT_MANIFEST
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None, ""
    if not isinstance(info, dict):
        return None, None, ""
    quant = ""
    for entry in info.get("gguf") or []:
        if isinstance(entry, dict) and Path(str(entry.get("path", ""))).name == gguf.name:
            quant = str(entry.get("quant") or "")
    run_dir = Path(info["run_dir"]) if isinstance(info.get("run_dir"), str) and info["run_dir"] else None
    return gguf.parent, (run_dir if run_dir and run_dir.is_dir() else None), quant


def resolve_model(cfg, spec: str) -> EvalModel:
    """One MODEL argument. Runs are found by medtui.runs.resolve_run (through the chat sources)."""
    from medtui.chat.backends import ChatError

    try:
        return _resolve(cfg, spec)
    except ChatError as exc:  # a MODEL that names nothing usable is a usage error here (exit 2)
        raise ModelSpecError(exc.message, hint=exc.hint) from None


def _resolve(cfg, spec: str) -> EvalModel:
    spec = spec.strip()
    if not spec:
        raise ModelSpecError("an empty MODEL argument; give base, RUN[:CHECKPOINT] or a .gguf file")
    if spec == "base":
        return EvalModel(base_choice(cfg))
    if spec.lower().endswith(".gguf") or Path(spec).expanduser().is_file():
        choice = gguf_choice(spec)
        export_dir, run_dir, quant = _export_of(Path(choice.path).resolve())
        if export_dir is not None:
            label = f"{export_dir.name}:{quant or Path(choice.path).stem}"
            choice = ModelChoice("gguf", label, choice.path)
        return EvalModel(choice, run_dir, export_dir, quant or Path(choice.path).stem)
    choice = adapter_choice(cfg, spec)
    return EvalModel(choice, Path(choice.run_dir))


def resolve_models(cfg, specs: list[str]) -> list[EvalModel]:
    models = [resolve_model(cfg, spec) for spec in specs]
    seen: dict[str, str] = {}
    for spec, model in zip(specs, models):
        key = model.choice.key
        if key in seen:
            raise ModelSpecError(f'"{spec}" and "{seen[key]}" name the same model ({model.label}); give each model once')
        seen[key] = spec
    return models



def from_choice(cfg, choice: ModelChoice) -> EvalModel:
    """A model picked from the chat sources' list (the Eval pane) as an EvalModel."""
    if choice.kind == "base":
        return EvalModel(choice)
    if choice.kind == "adapter":
        return EvalModel(choice, Path(choice.run_dir) if choice.run_dir else None)
    return resolve_model(cfg, choice.path)
