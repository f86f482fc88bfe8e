"""What there is to chat with: the base model, every run's adapter and checkpoints, every export's
GGUFs; and the backend each choice loads. Listing reads folders only (no model is touched)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from medtui.chat.backends import Backend, ChatError, GGUFBackend, TransformersBackend, check_gguf
from medtui.train import events as ev

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

EXPORT_MANIFEST = "export.json"
FINAL = "final"


@dataclass(frozen=True)
class ModelChoice:
    """One thing to chat with. `path` is the adapter folder or GGUF file ("" for the base model)."""

    kind: str  # base | adapter | gguf
    label: str
    path: str = ""
    run_dir: str = ""
    base_model: str = ""  # adapters: the [model] name their run trained on

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.path}"


def base_choice(cfg) -> ModelChoice:
    from medtui.models import model_label

    return ModelChoice("base", model_label(cfg.model.name), base_model=cfg.model.name)


def _run_model(run_dir: Path) -> tuple[str, str]:
    """The [model] name and cache_dir a run trained with (from its stored config)."""
    try:
        stored = tomllib.loads((run_dir / ev.CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return "", ""
    model = stored.get("model") if isinstance(stored.get("model"), dict) else {}
    name, cache = model.get("name", ""), model.get("cache_dir", "")
    return (name if isinstance(name, str) else ""), (cache if isinstance(cache, str) else "")


def _adapter_choice(run_dir: Path, folder: Path, which: str) -> ModelChoice:
    return ModelChoice("adapter", f"{run_dir.name}:{which}", str(folder), str(run_dir), _run_model(run_dir)[0])


def run_adapters(run_dir: Path) -> list[ModelChoice]:
    """A run's final adapter (when training finished) and its complete checkpoints, newest first:
    what medtui.runs.run_adapters counts as ready, as the Runs and Export panes offer it."""
    from medtui.runs import run_adapters as ready

    run_dir = Path(run_dir)
    return [_adapter_choice(run_dir, a.path, FINAL if a.step is None else a.name) for a in reversed(ready(run_dir))]


def adapter_choices(cfg) -> list[ModelChoice]:
    from medtui.runs import run_dirs, runs_root

    choices = []
    for run_dir in sorted(run_dirs(runs_root(cfg)), key=lambda p: p.name, reverse=True):
        choices.extend(run_adapters(run_dir))
    return choices


def export_choices(cfg) -> list[ModelChoice]:
    """The GGUFs of every finished export (an export.json is written last, so its files exist)."""
    root = cfg.path(cfg.export.out_dir)
    choices = []
    for manifest in sorted(root.glob(f"*/{EXPORT_MANIFEST}"), reverse=True):
        if manifest.parent.name.startswith("."):  # an export still being built
            continue
        try:
            info = json.loads(manifest.read_text(encoding="utf-8"))
            ggufs = info.get("gguf") or []
        except (OSError, ValueError, AttributeError):
            continue
        for entry in ggufs:
            if not isinstance(entry, dict) or not entry.get("path"):
                continue
            path = Path(entry["path"])
            path = path if path.is_absolute() else manifest.parent / path
            if path.exists():
                quant = entry.get("quant") or path.stem
                choices.append(ModelChoice("gguf", f"{manifest.parent.name}:{quant}", str(path)))
    return choices


def list_choices(cfg) -> list[ModelChoice]:
    return [base_choice(cfg), *adapter_choices(cfg), *export_choices(cfg)]


def adapter_choice(cfg, spec: str) -> ModelChoice:
    """RUN[:CHECKPOINT] -> the adapter to load. RUN is an id, a unique prefix or a run folder;
    CHECKPOINT is checkpoint-N, N, or final (default: the final adapter, else the newest checkpoint)."""
    from medtui.export.source import split_target
    from medtui.runs import RunLookupError, resolve_run, runs_root

    if spec.endswith(":"):
        raise ChatError(f'--adapter "{spec}": name a checkpoint after the colon, or leave the colon out')
    run_text, which = split_target(spec)  # the one RUN[:CHECKPOINT] parser: a path with a colon stays a path
    try:
        run_dir = resolve_run(runs_root(cfg), run_text)
    except RunLookupError as exc:
        raise ChatError(str(exc), hint=exc.hint) from None
    available = run_adapters(run_dir)
    if not available:
        raise ChatError(f"run {run_dir.name} has no adapter yet: no final adapter and no complete checkpoint in {run_dir}")
    if not which:
        return available[0]
    wanted = {FINAL, ev.ADAPTER_DIR} if which in (FINAL, ev.ADAPTER_DIR) else {which, f"checkpoint-{which}"}
    for choice in available:
        if choice.label.split(":", 1)[1] in wanted or Path(choice.path).name in wanted:
            return choice
    names = ", ".join(c.label.split(":", 1)[1] for c in available)
    raise ChatError(f'run {run_dir.name} has no checkpoint "{which}"; it has: {names}')


def gguf_choice(path: str) -> ModelChoice:
    file = check_gguf(Path(path))
    return ModelChoice("gguf", file.name, str(file))


def make_backend(choice: ModelChoice, cfg) -> Backend:
    """The (not yet loaded) backend for a choice. Adapters load on the base model their run used."""
    if choice.kind == "gguf":
        return GGUFBackend(Path(choice.path), choice.label, context_length=cfg.chat.context_length)
    trust = cfg.model.trust_remote_code
    if choice.kind == "base":
        return TransformersBackend("base", choice.label, cfg.model.name, cfg.model.cache_dir, trust_remote_code=trust)
    if choice.kind == "adapter":
        name, cache = _run_model(Path(choice.run_dir)) if choice.run_dir else (cfg.model.name, "")
        return TransformersBackend("adapter", choice.label, name, cache or cfg.model.cache_dir,
                                   adapter_path=Path(choice.path), trust_remote_code=trust)
    raise ChatError(f"unknown backend kind {choice.kind!r}")
