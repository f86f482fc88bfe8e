"""From the config's data files to the conversations a training run uses."""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass, field

from medtui.data.records import DataError, ValidationReport
from medtui.data.validate import DataOptions, Progress, SeenRecord, validate_file, with_system_prompt


@dataclass
class PreparedData:
    train: list[list[dict]]   # usable training conversations, each a list of {"role", "content"}
    eval: list[list[dict]]    # usable held-out conversations
    counts: dict              # train_records, train_usable, eval_records, eval_usable, excluded
    sha256: str               # input files' bytes + the data-related config
    reports: list = field(default_factory=list)   # ValidationReport of each file (train files, then eval file)
    notes: list[str] = field(default_factory=list)  # what the model's chat template changes (said once per run)


def _no_usable(report: ValidationReport, role: str) -> DataError:
    first = [f"  {p.where() or 'file'}: {p.code}: {p.message}" for p in report.problems[:5]]
    more = f"\n  ... and {len(report.problems) - 5} more problems" if len(report.problems) > 5 else ""
    detail = ("\n" + "\n".join(first) + more) if first else ""
    return DataError(
        f"{report.file}: no usable record in this {role} file ({report.records} records){detail}\n"
        f"Run `medtui data validate {report.file}` for the full report.")


def prepare_training_data(cfg, tokenizer=None, progress: Progress | None = None) -> PreparedData:
    """Load, map, validate and split the configured data. Raises DataError naming the file when a
    file has no usable record. `tokenizer` (a fast HF tokenizer) enables the max_length check."""
    options = DataOptions.from_config(cfg)
    files = cfg.train_files
    if not files:
        raise DataError("[data] train_files is empty; name at least one data file or hub id", exit_code=2)
    seen: dict[str, SeenRecord] = {}
    digest = hashlib.sha256()
    reports: list[ValidationReport] = []
    train: list[list[dict]] = []
    train_records = 0
    for source in files:
        report = validate_file(source, options, tokenizer=tokenizer, seen=seen, progress=progress)
        if report.usable == 0:
            raise _no_usable(report, "training")
        reports.append(report)
        train_records += report.records
        train.extend(with_system_prompt(c, options) for c in report.usable_conversations())
        digest.update(f"train|{source}|{report.sha256}\n".encode())
    excluded = sum(r.records - r.usable for r in reports)

    eval_source = cfg.data.eval_file
    if eval_source:
        report = validate_file(eval_source, options, tokenizer=tokenizer, seen=seen, progress=progress)
        if report.usable == 0:
            raise _no_usable(report, "evaluation")
        reports.append(report)
        eval_set = [with_system_prompt(c, options) for c in report.usable_conversations()]
        eval_records = report.records
        excluded += report.records - report.usable
        digest.update(f"eval|{eval_source}|{report.sha256}\n".encode())
    else:
        eval_set, train = split_eval(train, cfg.data.eval_split, cfg.train.seed)
        eval_records = len(eval_set)
        digest.update(f"split|{cfg.data.eval_split}|{cfg.train.seed}\n".encode())
    digest.update(json.dumps(options.fingerprint(), sort_keys=True).encode())
    if tokenizer is not None:
        # The model decides which records are too long; its name (not its cache path) keeps the hash portable.
        digest.update(f"model|{cfg.model.name}|{len(tokenizer)}".encode())
    counts = {
        "train_records": train_records,
        "train_usable": len(train),
        "eval_records": eval_records,
        "eval_usable": len(eval_set),
        "excluded": excluded,
    }
    notes: list[str] = []
    if tokenizer is not None:
        from medtui.data.templates import FOLD_NOTE, takes_system_role

        if any(c and c[0]["role"] == "system" for c in train + eval_set) and not takes_system_role(tokenizer):
            notes.append(FOLD_NOTE)
    return PreparedData(train=train, eval=eval_set, counts=counts, sha256=digest.hexdigest(), reports=reports,
                        notes=notes)


def split_eval(conversations: list, share: float, seed: int) -> tuple[list, list]:
    """(eval, train): a deterministic `share` held out, at least one record each side when possible."""
    if share <= 0 or len(conversations) < 2:
        return [], list(conversations)
    order = list(range(len(conversations)))
    random.Random(seed).shuffle(order)
    size = min(max(1, math.ceil(len(conversations) * share)), len(conversations) - 1)
    held = set(order[:size])
    eval_set = [c for i, c in enumerate(conversations) if i in held]
    train = [c for i, c in enumerate(conversations) if i not in held]
    return eval_set, train


def describe_counts(counts: dict) -> str:
    return (f"train {counts['train_usable']}/{counts['train_records']} usable, "
            f"eval {counts['eval_usable']}/{counts['eval_records']}, {counts['excluded']} excluded")

