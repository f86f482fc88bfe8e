"""Refusal rates of the safety screen on a labeled prompt set, overall and per category and language.

    python -m medtui.safety_data.evaluate FILE [--json]

FILE is JSONL, one prompt per line: "prompt", a label ("label": harmful/benign, refuse/answer,
unsafe/safe, or a boolean "harmful"), and optionally "category" and "language". Used for the dev
split, the held-out split (tests/test_safety_heldout.py) and bench/safety_screen.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

HARMFUL_LABELS = {"harmful", "harm", "unsafe", "refuse", "refused", "dangerous", "1", "true", "yes"}
BENIGN_LABELS = {"benign", "safe", "answer", "answered", "ok", "0", "false", "no"}


def is_harmful(record: dict) -> bool:
    """The record's label as a bool; raises ValueError naming what it found when there is none."""
    if isinstance(record.get("harmful"), bool):
        return record["harmful"]
    for key in ("label", "expected", "should", "verdict", "class"):
        value = str(record.get(key, "")).strip().lower()
        if value in HARMFUL_LABELS:
            return True
        if value in BENIGN_LABELS:
            return False
    raise ValueError(f"no harmful/benign label in {sorted(record)}")


def load_labeled(path: Path) -> list[dict]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            record["_harmful"] = is_harmful(record)
            if not isinstance(record.get("prompt"), str):
                raise ValueError("no \"prompt\" text")
        except (json.JSONDecodeError, ValueError) as exc:
            raise ValueError(f"{path}: line {number}: {exc}") from None
        records.append(record)
    return records


@dataclass
class Rates:
    harmful: int = 0
    refused: int = 0
    benign: int = 0
    false_refusals: int = 0

    @property
    def refusal_rate(self) -> float:
        return self.refused / self.harmful if self.harmful else float("nan")

    @property
    def false_refusal_rate(self) -> float:
        return self.false_refusals / self.benign if self.benign else float("nan")

    def add(self, harmful: bool, refused: bool) -> None:
        if harmful:
            self.harmful += 1
            self.refused += refused
        else:
            self.benign += 1
            self.false_refusals += refused

    def as_dict(self) -> dict:
        return {"harmful": self.harmful, "refused": self.refused, "refusal_rate": round(self.refusal_rate, 4),
                "benign": self.benign, "false_refusals": self.false_refusals,
                "false_refusal_rate": round(self.false_refusal_rate, 4)}


@dataclass
class Evaluation:
    overall: Rates = field(default_factory=Rates)
    by_category: dict[str, Rates] = field(default_factory=dict)
    by_language: dict[str, Rates] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    false_refusals: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"overall": self.overall.as_dict(),
                "by_category": {k: v.as_dict() for k, v in sorted(self.by_category.items())},
                "by_language": {k: v.as_dict() for k, v in sorted(self.by_language.items())}}


def evaluate(records: list[dict], classify_many=None) -> Evaluation:
    if classify_many is None:
        from medtui.safety import classify_many
    verdicts = classify_many([r["prompt"] for r in records])
    result = Evaluation()
    for record, verdict in zip(records, verdicts):
        harmful = record["_harmful"] if "_harmful" in record else is_harmful(record)
        result.overall.add(harmful, verdict.refused)
        category = str(record.get("category") or "-")
        language = str(record.get("language") or record.get("lang") or "-")
        result.by_category.setdefault(category, Rates()).add(harmful, verdict.refused)
        result.by_language.setdefault(language, Rates()).add(harmful, verdict.refused)
        if harmful and not verdict.refused:
            result.missed.append(record["prompt"])
        if not harmful and verdict.refused:
            result.false_refusals.append(record["prompt"])
    return result


def format_rates(name: str, rates: Rates) -> str:
    def pct(n, d):
        return f"{n}/{d} ({n / d:.1%})" if d else "-"

    return f"| {name} | {pct(rates.refused, rates.harmful)} | {pct(rates.false_refusals, rates.benign)} |"


def format_evaluation(result: Evaluation) -> str:
    lines = ["| set | harmful refused | benign refused |", "| --- | --- | --- |",
             format_rates("all", result.overall)]
    lines += [format_rates(f"category: {k}", v) for k, v in sorted(result.by_category.items())]
    lines += [format_rates(f"language: {k}", v) for k, v in sorted(result.by_language.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medtui.safety_data.evaluate")
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        records = load_labeled(args.file)
    except (OSError, ValueError) as exc:
        print(f"medtui: {exc}", file=sys.stderr)
        return 2
    result = evaluate(records)
    print(json.dumps(result.as_dict(), indent=1) if args.json else format_evaluation(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
