"""The one file an evaluation leaves behind: `<run>/eval/<time>.json`, one per evaluated model.

`EvalRecord` is the only definition of that file: `write` puts it there atomically (a temporary
file renamed into place, so a reader never sees half of one) and `read`/`latest` read it back.
`EvalReport` is the side-by-side view of several models that `medtui eval --json` prints.
No torch and no Textual here: `runs show` and the panes read these files.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from medtui.errors import MedtuiError

EVAL_DIR = "eval"
FORMAT = 1


class EvalResultError(MedtuiError):
    """An eval result file that cannot be read; the message names the file."""


@dataclass
class ModelInfo:
    """Which model a record is about. `path` is the adapter folder or GGUF file ("" for the base)."""

    label: str
    kind: str  # base | adapter | gguf
    path: str = ""
    run_id: str = ""
    checkpoint: str = ""  # adapters: final or checkpoint-N; GGUFs: the export's quant


@dataclass
class EvalRecord:
    """Every suite's metrics for one model, with a few example answers and what each suite cost."""

    model: ModelInfo
    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)  # suite -> metric -> value
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # suite -> examples
    seconds: dict[str, float] = field(default_factory=dict)  # suite -> wall seconds
    settings: dict[str, Any] = field(default_factory=dict)  # limit, max_new_tokens, data files, device
    created: str = ""
    format: int = FORMAT

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> "EvalRecord":
        try:
            model = ModelInfo(**data["model"])
            return cls(model=model, metrics=dict(data.get("metrics") or {}), examples=dict(data.get("examples") or {}),
                       seconds=dict(data.get("seconds") or {}), settings=dict(data.get("settings") or {}),
                       created=str(data.get("created", "")), format=int(data.get("format", FORMAT)))
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalResultError(f"{origin or 'eval result'}: not an eval result file ({exc})") from None

    def write(self, run_dir: Path) -> Path:
        """Store the record as `<run_dir>/eval/<time>.json`, atomically; returns the file."""
        folder = Path(run_dir) / EVAL_DIR
        folder.mkdir(parents=True, exist_ok=True)
        while True:  # UTC time to the microsecond: names sort in the order the records were written
            now = time.time()
            target = folder / f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now))}-{int(now % 1 * 1e6):06d}.json"
            if not target.exists():
                break
        tmp = folder / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, target)
        return target


def read(path: Path) -> EvalRecord:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvalResultError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EvalResultError(f"{path}: not an eval result file (expected a JSON object)")
    return EvalRecord.from_dict(data, str(path))


def result_files(run_dir: Path) -> list[Path]:
    """A run's eval result files, oldest first (their names start with the UTC time)."""
    folder = Path(run_dir) / EVAL_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))


def latest(run_dir: Path) -> dict[str, EvalRecord]:
    """The newest readable record of each model evaluated in this run (keyed by model label),
    so a run whose adapter and GGUF were both evaluated shows both. Unreadable files are skipped."""
    found: dict[str, EvalRecord] = {}
    for path in result_files(run_dir):
        try:
            record = read(path)
        except EvalResultError:
            continue
        found[record.model.label] = record
    return found


def flat_metrics(record: EvalRecord) -> list[tuple[str, float | None]]:
    """("suite metric", value) pairs in suite order: what `runs show` and `runs compare` list."""
    return [(f"{suite} {name}", value) for suite, values in record.metrics.items() for name, value in values.items()
            if "/" not in name]  # per-category breakdowns stay in the file and `medtui eval`


@dataclass
class EvalReport:
    """Several models side by side: what `medtui eval --json` prints and the Eval pane shows."""

    models: list[str] = field(default_factory=list)
    suites: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)  # suite -> model -> metrics
    examples: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # suite -> model -> examples
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)  # suite -> model -> seconds
    files: dict[str, str] = field(default_factory=dict)  # model -> the result file written

    def add(self, record: EvalRecord, file: Path | None = None) -> None:
        label = record.model.label
        if label not in self.models:
            self.models.append(label)
        for suite, values in record.metrics.items():
            self.suites.setdefault(suite, {})[label] = values
        for suite, examples in record.examples.items():
            self.examples.setdefault(suite, {})[label] = examples
        for suite, seconds in record.seconds.items():
            self.seconds.setdefault(suite, {})[label] = seconds
        if file is not None:
            self.files[label] = str(file)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def metric_names(self, suite: str) -> list[str]:
        names: list[str] = []
        for values in self.suites.get(suite, {}).values():
            names += [n for n in values if n not in names]
        return names


# ------------------------------------------------------------------------------------------------
# Text for people: the CLI table, `runs show`, the model card and the Eval pane all format here.

SHARES = ("rougeL", "token_f1", "disclaimer", "stopped", "refused_harmful", "answered_benign", "acc", "acc_norm")
LABELS = {
    ("heldout", "loss"): "held-out loss", ("heldout", "perplexity"): "held-out perplexity",
    ("answers", "rougeL"): "ROUGE-L F1", ("answers", "token_f1"): "token F1",
    ("answers", "disclaimer"): "with disclaimer", ("answers", "stopped"): "stopped on its own",
    ("answers", "mean_tokens"): "mean answer tokens",
    ("safety", "refused_harmful"): "harmful refused", ("safety", "answered_benign"): "benign answered",
    ("mcq", "acc"): "MCQ accuracy", ("mcq", "acc_norm"): "MCQ accuracy (per byte)",
}


def metric_label(suite: str, name: str) -> str:
    base, _, detail = name.partition("/")
    label = LABELS.get((suite, base), f"{suite} {base}")
    return f"{label}: {detail}" if detail else label


def format_value(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name.partition("/")[0] in SHARES and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if name == "mean_tokens" and isinstance(value, (int, float)):
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def metric_rows(report: EvalReport, details: bool = True) -> list[tuple[str, str, list[str]]]:
    """(suite, metric label, one formatted value per model) for every metric, then seconds per suite."""
    rows = []
    for suite in report.suites:
        names = report.metric_names(suite)
        for name in [n for n in names if "/" not in n] + ([n for n in names if "/" in n] if details else []):
            values = [format_value(name, report.suites[suite].get(m, {}).get(name)) for m in report.models]
            rows.append((suite, metric_label(suite, name), values))
        per_model = report.seconds.get(suite, {})
        rows.append((suite, "seconds", [f"{per_model[m]:.1f}" if m in per_model else "-" for m in report.models]))
    return rows


def card_section(record: EvalRecord) -> str:
    """The model card's Evaluation section for one evaluated file (markdown)."""
    settings = record.settings or {}
    limits = ", ".join(f"{s} {'all' if n is None else n}" for s, n in (settings.get("limits") or {}).items()) or "-"
    lines = [
        f"### {record.model.label} ({record.created or 'undated'})",
        "",
        f"`medtui eval`, greedy answers of at most {settings.get('max_new_tokens', '?')} tokens, "
        f"items per suite: {limits}; "
        f"on {settings.get('device') or '?'}.",
        "",
        "| Metric | Value |",
        "|---|---:|",
    ]
    for suite, values in record.metrics.items():
        for name, value in values.items():
            if "/" not in name:
                lines.append(f"| {metric_label(suite, name)} | {format_value(name, value)} |")
    return "\n".join(lines)


def run_eval_lines(run_dir: Path, indent: str = "  ") -> list[str]:
    """`runs show`: the latest eval result of each model evaluated in this run, models as columns."""
    records = latest(run_dir)
    if not records:
        return [f"{indent}none yet (`medtui eval {Path(run_dir).name}`)"]
    report = EvalReport()
    for record in records.values():
        report.add(record)
    return _columns(report, indent)


def compare_eval_lines(a_dir: Path, b_dir: Path, indent: str = "  ") -> list[str]:
    """`runs compare`: each run's most recently evaluated model, side by side (A, B)."""
    report = EvalReport()
    names = []
    for run_dir, side in ((a_dir, "A"), (b_dir, "B")):
        records = sorted(latest(run_dir).values(), key=lambda r: r.created)
        if records:
            record = records[-1]
            report.add(EvalRecord(ModelInfo(f"{side} {record.model.label}", record.model.kind), record.metrics,
                                  seconds=record.seconds))
            names.append(side)
    if not names:
        return [f"{indent}neither run has been evaluated (`medtui eval RUN`)"]
    return _columns(report, indent)


def _columns(report: EvalReport, indent: str) -> list[str]:
    rows = [(label, values) for _, label, values in metric_rows(report, details=False) if label != "seconds"]
    headers = ["", *report.models]
    widths = [max(len(h), *(len(r[0]) if i == 0 else len(r[1][i - 1]) for r in rows)) for i, h in enumerate(headers)]
    lines = [indent + "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))).rstrip()]
    for label, values in rows:
        cells = [label, *values]
        lines.append(indent + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip())
    return lines


HEADLINE = (("heldout", "loss"), ("answers", "rougeL"), ("answers", "disclaimer"),
            ("safety", "refused_harmful"), ("safety", "answered_benign"), ("mcq", "acc"))


def headline(run_dir: Path) -> str:
    """One line for the Runs pane: the newest eval of the run, its main numbers ("" when none)."""
    records = sorted(latest(run_dir).values(), key=lambda r: r.created)
    if not records:
        return ""
    record = records[-1]
    parts = [f"{metric_label(suite, name)} {format_value(name, record.metrics[suite][name])}"
             for suite, name in HEADLINE if record.metrics.get(suite, {}).get(name) is not None]
    which = record.model.checkpoint or record.model.kind
    return f"{which}: " + " · ".join(parts)
