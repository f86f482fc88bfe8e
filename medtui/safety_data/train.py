"""Train the learned safety screen from data/safety/train.jsonl (fixed seed, scikit-learn).

    python -m medtui.safety_data.train [--data FILE] [--out FILE] [--search]

Fits on the train split, picks the refusal threshold on the dev split (the lowest score that keeps
dev's false refusals of the whole screen, rules included, at or under TARGET_FALSE_REFUSAL), raises
it if the red-team file's benign prompts (another author's wording) need more, reports dev rates, then refits the same settings on train and dev together and writes medtui/safety_model.npz.
Whether the score is the whole message's or the highest of the message's and its clauses' is also
chosen on dev (stored as "clause_scores"). --search prints dev rates for a small grid of settings
instead (how C was chosen).
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
C_HARM = 2.0
C_CATEGORY = 4.0
TARGET_FALSE_REFUSAL = 0.04
# Benign near-misses written by another hand (the rules' red-team file): the threshold is raised, if
# need be, until they too are refused at most TARGET_FALSE_REFUSAL of the time. (Not the held-out split.)
REDTEAM = Path("data/redteam.jsonl")
DEFAULT_DATA = Path("data/safety/train.jsonl")


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fit(records: list[dict], c_harm: float = C_HARM, c_category: float = C_CATEGORY):
    """(harm head, category head, idf) fitted on `records`."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    counts, cues = hashed_counts([r["prompt"] for r in records])
    idf = TfidfTransformer(sublinear_tf=True).fit(counts).idf_.astype(np.float32)
    x = features(counts, cues, idf)
    y = np.array([r["label"] == "harmful" for r in records])
    harm = LogisticRegression(C=c_harm, max_iter=2000, class_weight="balanced", random_state=SEED).fit(x, y)
    harmful = [i for i, r in enumerate(records) if r["label"] == "harmful"]
    cats = np.array([CATEGORIES.index(records[i]["category"]) for i in harmful])
    cat = LogisticRegression(C=c_category, max_iter=2000, random_state=SEED).fit(x[harmful], cats)
    return harm, cat, idf


def write_model(fitted, path: Path, threshold: float, extra: dict) -> int:
    from medtui.safety_cues import WIDTH

    harm, cat, idf = fitted
    n = len(idf)
    # An n-gram never seen in training gets sklearn's IDF for a document frequency of 0.
    default_idf = float(idf.max())
    header = {"features": FEATURES, "categories": list(CATEGORIES), "threshold": threshold, "cues": WIDTH,
              "default_idf": default_idf, **extra}
    assert harm.coef_.shape[1] == n + WIDTH
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medtui.safety_data.train", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--search", action="store_true")
    args = parser.parse_args(argv)
    records = load(args.data)
    train = [r for r in records if r["split"] == "train"]
    dev = [r for r in records if r["split"] == "dev"]
    benign = np.array([r["label"] == "benign" for r in dev])
    tmp = args.out.with_name("dev-" + args.out.name)
    grid = [(c, c) for c in (1.0, 4.0, 8.0, 16.0, 32.0)] if args.search else [(C_HARM, C_CATEGORY)]
    harmful = ~benign
    try:
        for c_harm, c_category in grid:
            write_model(fit(train, c_harm, c_category), tmp, 0.5, {})
            seen = screen_scores(dev, tmp)
            results = {}
            for mode in ("clauses", "whole"):
                threshold = choose_threshold(seen[mode], seen["rules"], benign)
                refused = (seen[mode] >= threshold) | seen["rules"]
                results[mode] = (refused[harmful].mean(), threshold, refused)
                print(f"C={c_harm:g}/{c_category:g}, score of {mode}: threshold {threshold:.3f}; dev: "
                      f"{rates(dev, refused)}")
            mode = max(results, key=lambda m: results[m][0])
            _, threshold, refused = results[mode]
            if REDTEAM.is_file():
                redteam = load(REDTEAM)
                red = screen_scores(redteam, tmp)
                red_benign = np.array([r["label"] == "benign" for r in redteam])
                red_threshold = choose_threshold(red[mode], red["rules"], red_benign)
                if red_threshold > threshold:
                    threshold = red_threshold
                    refused = (seen[mode] >= threshold) | seen["rules"]
                print(f"red-team benign ask for {red_threshold:.3f}; threshold {threshold:.3f}; dev: {rates(dev, refused)}")
    finally:
        tmp.unlink(missing_ok=True)
    if args.search:
        return 0
    kept = write_model(fit(records), args.out, threshold, {
        "trained_on": str(args.data), "prompts": len(records), "seed": SEED, "C": [C_HARM, C_CATEGORY],
        "clause_scores": mode == "clauses",
        "dev": {"threshold_from": "dev split, model fitted on train split", "rates": rates(dev, refused),
                "rules_alone": rates(dev, seen["rules"])},
    })
    print(f"wrote {args.out} ({kept} feature columns, {args.out.stat().st_size / 1e6:.2f} MB), threshold {threshold:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
