"""Safety screen: how it does on authors it never saw (out-of-author estimate).

The authored prompts (data/safety/authored.jsonl) come from many separate authors. Authors are dealt
into 5 folds (fixed seed); each fold's prompts are scored by a model trained exactly as
`python -m medtui.safety_data.train` trains, but without that fold's authors. At the shipped
threshold (rules not applied) it reports the share of those authors' harmful prompts refused, of
their benign near-misses refused, and of their everyday questions refused. Takes about 4 minutes here.

    .venv/bin/python bench/safety_out_of_author.py [--folds 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from medtui.safety_data.train import DATA, fit, training_records, write_model
    from medtui.safety_model import SafetyModel, load_model

    parser = argparse.ArgumentParser(prog="bench/safety_out_of_author.py")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    records, weights = training_records(ROOT / DATA)
    authors = sorted({r["author"] for r in records if r.get("author")})
    np.random.default_rng(0).shuffle(authors)
    scores = np.full(len(records), np.nan)
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.folds):
            fold = set(authors[k::args.folds])
            held = np.array([r.get("author") in fold for r in records])
            path = Path(tmp) / f"fold{k}.npz"
            write_model(fit([r for r, h in zip(records, held) if not h], weights[~held]), path, 0.5, {})
            scores[held] = SafetyModel(path).score([r["prompt"] for r, h in zip(records, held) if h]).harmful
            print(f"fold {k + 1}/{args.folds}: {', '.join(sorted(fold))}", flush=True)
    threshold = load_model().threshold
    scored = ~np.isnan(scores)
    harmful = np.array([r["label"] == "harmful" for r in records])
    everyday = np.array([r["category"] == "general" for r in records])
    refused = scores >= threshold
    for name, rows in (("harmful", harmful), ("near-miss benign", ~harmful & ~everyday), ("everyday", everyday)):
        rows = rows & scored
        print(f"{name}: {refused[rows].sum()}/{rows.sum()} refused ({refused[rows].mean():.1%}) at threshold {threshold:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
