"""Train the learned safety screen (fixed seed, scikit-learn) and write medtui/safety_model.npz.

    python -m medtui.safety_data.train [--out FILE] [--search]

Reads, in data/safety/:
- train.jsonl — prompts generated from hand-written templates (`python -m medtui.safety_data.generate`);
- authored.jsonl — prompts written one at a time by separate authors (see DATA_CARD.md), weighted
  AUTHORED_WEIGHT times a templated prompt (their wording is closer to real users' than templates
  are), and their everyday questions GENERAL_WEIGHT times;
- dev.jsonl and dev2.jsonl — two other authors' prompts (the first two screens' held-out sets), never
  trained on: the refusal threshold is the lowest score that keeps the whole screen's (rules
  included) false refusals on both together at or under TARGET_FALSE_REFUSAL, raised if the
  red-team file's benign prompts need more; whether the score is the whole message's or the highest
  of the message's and its clauses' is chosen there too.
The held-out split (heldout.jsonl) is never read here.

--search prints dev rates for a small grid of C instead (how C was chosen, with leave-one-author-out
scores: see bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from medtui.safety_data import CATEGORIES
from medtui.safety_model import FEATURES, MODEL_PATH, features, hashed_counts, save_model

SEED = 13
C_HARM = 8.0
C_CATEGORY = 8.0
AUTHORED_WEIGHT = 3.0
# Everyday questions (category "general") are most of what a medical assistant is asked: refusing one
# is the error users meet most, so they weigh more again.
GENERAL_WEIGHT = 6.0
TARGET_FALSE_REFUSAL = 0.04
DATA = Path("data/safety")
TEMPLATED = DATA / "train.jsonl"
AUTHORED = DATA / "authored.jsonl"
DEV = (DATA / "dev.jsonl", DATA / "dev2.jsonl")
# Benign near-misses written by another hand (the rules' red-team file): the threshold is raised, if
# need be, until they too are refused at most TARGET_FALSE_REFUSAL of the time.
REDTEAM = Path("data/redteam.jsonl")


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_records(data: Path = DATA) -> tuple[list[dict], np.ndarray]:
    """Every prompt the screen learns from, and each one's sample weight."""
    templated = load(data / TEMPLATED.name)
    authored = load(data / AUTHORED.name) if (data / AUTHORED.name).is_file() else []
    weights = np.array([1.0] * len(templated)
                       + [GENERAL_WEIGHT if r["category"] == "general" else AUTHORED_WEIGHT for r in authored])
    return templated + authored, weights


def fit(records: list[dict], weights: np.ndarray | None = None, c_harm: float = C_HARM,
        c_category: float = C_CATEGORY):
    """(harm head, category head, idf) fitted on `records`."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    weights = np.ones(len(records)) if weights is None else weights
    counts = hashed_counts([r["prompt"] for r in records])
    idf = TfidfTransformer(sublinear_tf=True).fit(counts).idf_.astype(np.float32)
    x = features(counts, idf)
    y = np.array([r["label"] == "harmful" for r in records])
    harm = LogisticRegression(C=c_harm, max_iter=3000, class_weight="balanced", random_state=SEED)
    harm.fit(x, y, sample_weight=weights)
    harmful = [i for i, r in enumerate(records) if r["label"] == "harmful"]
    cats = np.array([CATEGORIES.index(records[i]["category"]) for i in harmful])
    cat = LogisticRegression(C=c_category, max_iter=3000, random_state=SEED)
    cat.fit(x[harmful], cats, sample_weight=weights[harmful])
    return harm, cat, idf


def write_model(fitted, path: Path, threshold: float, extra: dict) -> int:
    harm, cat, idf = fitted
    assert harm.coef_.shape[1] == len(idf)
    # An n-gram never seen in training gets sklearn's IDF for a document frequency of 0.
    header = {"features": FEATURES, "categories": list(CATEGORIES), "threshold": threshold,
              "default_idf": float(idf.max()), **extra}
    return save_model(path, header, harm.coef_[0], float(harm.intercept_[0]), cat.coef_, cat.intercept_, idf)


def screen_scores(records: list[dict], model_path: Path) -> dict[str, np.ndarray]:
    """What the full screen sees for each record: the rules' verdict, the learned score of the whole
    message, and the highest of the message's and its clauses' scores."""
    from medtui import safety
    from medtui.safety_model import SafetyModel

    model = SafetyModel(model_path)
    rules, batch, spans = [], [], []
    for r in records:
        parts = safety.clauses(r["prompt"])
        rules.append(safety.classify_by_rules(r["prompt"]).refused)
        scored = [r["prompt"]] + (parts if len(parts) > 1 else [])
        spans.append((len(batch), len(scored)))
        batch.extend(scored)
    harmful = model.score(batch).harmful
    whole = np.array([harmful[at] for at, _ in spans])
    best = np.array([harmful[at:at + n].max() for at, n in spans])
    return {"rules": np.array(rules), "whole": whole, "clauses": best}


def choose_threshold(scores: np.ndarray, rules: np.ndarray, benign: np.ndarray) -> float:
    allowed = int(np.floor(TARGET_FALSE_REFUSAL * benign.sum()))
    best = 0.99
    for t in np.unique(np.round(scores[benign & ~rules], 4))[::-1]:
        if ((scores >= t) | rules)[benign].sum() > allowed:
            break
        best = float(t)
    return max(best, 0.05)


def rates(records, refused) -> str:
    harmful = np.array([r["label"] == "harmful" for r in records])
    return (f"harmful refused {refused[harmful].mean():.1%} ({refused[harmful].sum()}/{harmful.sum()}), "
            f"benign refused {refused[~harmful].mean():.1%} ({refused[~harmful].sum()}/{(~harmful).sum()})")


def calibrate(model_path: Path, dev: list[dict]) -> tuple[str, float, np.ndarray, dict]:
    """(score mode, threshold, dev refusals, dev screen scores) for the weights at `model_path`."""
    seen = screen_scores(dev, model_path)
    benign = np.array([r["label"] == "benign" for r in dev])
    results = {}
    for mode in ("clauses", "whole"):
        threshold = choose_threshold(seen[mode], seen["rules"], benign)
        refused = (seen[mode] >= threshold) | seen["rules"]
        results[mode] = (refused[~benign].mean(), threshold, refused)
        print(f"  score of {mode}: threshold {threshold:.3f}; dev: {rates(dev, refused)}")
    mode = max(results, key=lambda m: results[m][0])
    _, threshold, refused = results[mode]
    if REDTEAM.is_file():
        redteam = load(REDTEAM)
        red = screen_scores(redteam, model_path)
        red_threshold = choose_threshold(red[mode], red["rules"], np.array([r["label"] == "benign" for r in redteam]))
        if red_threshold > threshold:
            threshold = red_threshold
            refused = (seen[mode] >= threshold) | seen["rules"]
        print(f"  red-team benign ask for {red_threshold:.3f}; threshold {threshold:.3f}; dev: {rates(dev, refused)}")
    return mode, threshold, refused, seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medtui.safety_data.train", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the folder with the training and dev files")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--search", action="store_true")
    args = parser.parse_args(argv)
    records, weights = training_records(args.data)
    dev_files = [args.data / path.name for path in DEV]
    dev = [record for path in dev_files for record in load(path)]
    tmp = args.out.with_name("dev-" + args.out.name)
    try:
        for c in ((1.0, 2.0, 4.0, 8.0, 16.0, 32.0) if args.search else (C_HARM,)):
            print(f"C={c:g}: fitted on {len(records)} prompts")
            fitted = fit(records, weights, c, c)
            write_model(fitted, tmp, 0.5, {})
            mode, threshold, refused, seen = calibrate(tmp, dev)
    finally:
        tmp.unlink(missing_ok=True)
    if args.search:
        return 0
    kept = write_model(fitted, args.out, threshold, {
        "trained_on": [str(args.data / TEMPLATED.name), str(args.data / AUTHORED.name)],
        "prompts": len(records), "authored_weight": AUTHORED_WEIGHT, "general_weight": GENERAL_WEIGHT, "seed": SEED, "C": [C_HARM, C_CATEGORY],
        "clause_scores": mode == "clauses",
        "dev": {"files": [str(path) for path in dev_files], "threshold_from": "dev sets, never trained on",
                "rates": rates(dev, refused), "rules_alone": rates(dev, seen["rules"])},
    })
    print(f"wrote {args.out} ({kept} feature columns, {args.out.stat().st_size / 1e6:.2f} MB), threshold {threshold:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
