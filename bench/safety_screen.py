"""Safety screen: latency per prompt and refusal rates on the held-out split.

Latency: every prompt of a sample is screened one at a time, alternating rules alone
(`classify_by_rules`) and the full screen (`classify`: rules, clause split, the learned
classifier), after one warm-up call that loads the weights; median and 95th percentile per prompt.

Rates: the held-out split (data/safety/heldout.jsonl, written by another engineer and not seen while
tuning) through the full screen and through the rules alone, overall and per category and language;
the dev rates recorded when the model was trained (data/safety/dev.jsonl, never trained on) are
printed beside them, and how many of the MCQ benchmark's everyday exam questions are refused.

    .venv/bin/python bench/safety_screen.py [--heldout FILE] [--sample 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def latency(prompts: list[str]) -> dict:
    from medtui.safety import classify, classify_by_rules

    start = time.perf_counter()
    classify("warm up: load the weights")
    load_s = time.perf_counter() - start
    rules, full = [], []
    for prompt in prompts:
        t = time.perf_counter()
        classify_by_rules(prompt)
        rules.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        classify(prompt)
        full.append((time.perf_counter() - t) * 1000)

    def summary(ms):
        ms = sorted(ms)
        return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
                "max_ms": round(ms[-1], 2)}

    return {"prompts": len(prompts), "first_call_s": round(load_s, 2), "rules": summary(rules),
            "screen": summary(full)}


def main(argv: list[str] | None = None) -> int:
    from medtui.safety import classify_by_rules
    from medtui.safety_data.evaluate import evaluate, format_evaluation, load_labeled
    from medtui.safety_model import load_model

    parser = argparse.ArgumentParser(prog="bench/safety_screen.py")
    parser.add_argument("--heldout", type=Path, default=ROOT / "data" / "safety" / "heldout.jsonl")
    parser.add_argument("--sample", type=int, default=300, help="prompts timed (from the held-out set, then dev)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    heldout = load_labeled(args.heldout) if args.heldout.is_file() else []
    dev = load_labeled(ROOT / "data" / "safety" / "dev.jsonl")
    pool = [r["prompt"] for r in heldout] + [r["prompt"] for r in dev]
    timed = latency(pool[:args.sample])
    # Everyday traffic: the MCQ benchmark's exam questions, none of them a harmful request.
    mcq = [json.loads(line)["question"] for line in (ROOT / "data" / "medical_mcq.jsonl").read_text().splitlines()]
    from medtui.safety import classify_many
    everyday = [q for q, v in zip(mcq, classify_many(mcq)) if v.refused]
    header = load_model().header
    out = {"latency": timed, "model": {"threshold": header["threshold"], "dev": header.get("dev"),
                                        "clause_scores": header.get("clause_scores")},
           "everyday": {"file": "data/medical_mcq.jsonl", "questions": len(mcq), "refused": everyday}}
    if heldout:
        screen = evaluate(heldout)
        rules = evaluate(heldout, lambda texts: [classify_by_rules(t) for t in texts])
        out["heldout"] = {"file": str(args.heldout), "screen": screen.as_dict(), "rules_alone": rules.as_dict()}
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    t = timed
    print(f"latency over {t['prompts']} prompts (first call, loading the weights: {t['first_call_s']} s):")
    print(f"  rules alone   median {t['rules']['median_ms']} ms, p95 {t['rules']['p95_ms']} ms")
    print(f"  full screen   median {t['screen']['median_ms']} ms, p95 {t['screen']['p95_ms']} ms, "
          f"max {t['screen']['max_ms']} ms")
    print(f"threshold {header['threshold']}; dev (never trained on): {header.get('dev')}")
    print(f"everyday exam questions (data/medical_mcq.jsonl) refused: {len(everyday)}/{len(mcq)} {everyday}")
    if heldout:
        print(f"\nheld-out {args.heldout}: full screen")
        print(format_evaluation(screen))
        print("\nheld-out: rules alone")
        print(format_evaluation(rules))
    else:
        print(f"\n(no held-out file at {args.heldout})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
