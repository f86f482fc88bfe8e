"""What an export starts from: a run folder, one of its adapters, and the config it trained with.

`RUN[:CHECKPOINT]` names it: RUN is a run id (or a unique prefix, or a path), CHECKPOINT is
`checkpoint-N`, `N` or `final`; without one the final adapter is taken, or the newest complete
checkpoint when the run has not finished.
"""

from __future__ import annotations
from medtui.errors import MedtuiError

import re
from dataclasses import dataclass, field
from pathlib import Path

from medtui.config import Config, ConfigError, load_config
from medtui.train import events as ev

FINAL = "final"
_CHECKPOINT = re.compile(r"(?:checkpoint-)?(\d+)\Z")


class ExportError(MedtuiError):
    """An export that cannot go ahead or went wrong; the message says what and what to do."""


@dataclass
class ExportSource:
    run_dir: Path
    adapter_dir: Path
    checkpoint: str  # "checkpoint-N" or "final"
    step: int | None
    run_cfg: Config  # the resolved config the run trained with
    trust_remote_code: bool = False  # only when the run's config and the user's both say so
    warnings: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    @property
    def label(self) -> str:
        return f"{self.run_id}:{self.checkpoint}"


def split_target(text: str) -> tuple[str, str | None]:
    """`RUN[:CHECKPOINT]` -> (RUN, CHECKPOINT or None). A colon is only a separator when what
    follows it names a checkpoint and the whole is not a folder, so paths and ids with colons still work."""
    if ":" in text and not Path(text).is_dir():
        run, _, tail = text.rpartition(":")
        if run and (tail in (FINAL, "adapter") or _CHECKPOINT.match(tail)):
            return run, tail
    return text, None


def checkpoint_name(text: str) -> str:
    """Normalize a checkpoint argument: "6" and "checkpoint-6" -> "checkpoint-6"; "final"/"adapter" -> "final"."""
    if text in (FINAL, "adapter", ev.ADAPTER_DIR):
        return FINAL
    match = _CHECKPOINT.match(text)
    if not match:
        raise ExportError(f'"{text}" is not a checkpoint: write checkpoint-N, N or final')
    return f"checkpoint-{int(match.group(1))}"


def run_config(run_dir: Path, cfg: Config | None = None) -> Config:
    """The config the run trained with (its config.toml). Relative data paths in it resolve
    against the folder of the config the user is working with, where they were written."""
    path = run_dir / ev.CONFIG_FILE
    if not path.exists():
        raise ExportError(f"{path}: missing; the run folder is incomplete, so its base model is unknown")
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        raise ExportError(f"{path} cannot be read: " + "; ".join(exc.problems)) from None
    root = cfg.root if cfg is not None else Path.cwd()
    return Config(loaded.as_dict(), loaded.source, root=root)


def resolve_source(cfg: Config, target: str, checkpoint: str | None = None) -> ExportSource:
    """Find the run and the adapter to export; ExportError lists what exists when the name is wrong."""
    from medtui.runs import RunLookupError, remote_code_allowed, resolve_run, run_adapters, runs_root

    run_text, from_target = split_target(target)
    if checkpoint and from_target and checkpoint_name(checkpoint) != checkpoint_name(from_target):
        raise ExportError(f"{target} names checkpoint {from_target} but --checkpoint says {checkpoint}")
    wanted = checkpoint or from_target
    try:
        run_dir = resolve_run(runs_root(cfg), run_text)
    except RunLookupError as exc:
        raise ExportError(str(exc), hint=exc.hint) from None
    ready = run_adapters(run_dir)  # what the Runs and Chat panes offer too
    checkpoints = {a.name: a for a in ready if a.step is not None}
    final = next((a for a in ready if a.step is None), None)
    available = [*checkpoints, *([FINAL] if final else [])]

    if wanted is None:
        if final is not None:
            name = FINAL
        elif checkpoints:
            name = list(checkpoints)[-1]
        else:
            raise ExportError(f"run {run_dir.name} has no adapter yet (no final adapter and no complete checkpoint)")
    else:
        name = checkpoint_name(wanted)
    if name == FINAL:
        if final is None:
            have = ", ".join(available) or "none"
            raise ExportError(f"run {run_dir.name} has no final adapter (still training, stopped or failed); "
                              f"complete checkpoints: {have}")
        adapter_dir, step = final.path, None
    else:
        if name not in checkpoints:
            partial = (run_dir / name).exists()
            why = ("is incomplete (still being written, cut short, or missing its adapter files)" if partial
                   else "does not exist")
            raise ExportError(f"{run_dir.name}:{name} {why}; exportable: {', '.join(available) or 'none'}")
        adapter_dir, step = checkpoints[name].path, checkpoints[name].step
    run_cfg = run_config(run_dir, cfg)
    trust, warning = remote_code_allowed(cfg, run_cfg.model.trust_remote_code, run_dir.name)
    return ExportSource(run_dir, adapter_dir, name, step, run_cfg, trust, [warning] if warning else [])
