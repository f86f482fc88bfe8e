"""How fast medtui validates a large data set.

Generates a JSONL file of N medical-looking records in a temp folder (with a sprinkling of
duplicates, PHI, bad lines and empty fields so every path runs), then times, side by side:
  1. structure + duplicates + PHI (no tokenizer), the part that must take seconds for 100,000 records;
  2. token counting through the embedded model's chat template and fast tokenizer (batched).

Run: .venv/bin/python bench/validate_speed.py [--records 100000] [--skip-tokens]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CONDITIONS = ["hypertension", "type 2 diabetes", "asthma", "migraine", "iron-deficiency anaemia", "gout", "eczema",
              "hypothyroidism", "urinary tract infection", "osteoarthritis", "atrial fibrillation", "COPD"]
ANSWER = ("{c} is common. Typical management includes lifestyle changes and, when needed, medicines such as "
          "{drug} 500 mg twice daily as prescribed. Blood pressure around 120/80 is a usual target; recheck every "
          "4-6 weeks at first. Seek urgent care for chest pain, fainting or trouble breathing. This information is "
          "for educational purposes only and is not a substitute for professional medical advice.")
DRUGS = ["metformin", "amlodipine", "salbutamol", "sumatriptan", "ferrous sulfate", "allopurinol", "levothyroxine"]


def make_file(path: Path, count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(count):
            c = rng.choice(CONDITIONS)
            record = {"instruction": f"Question {i}: what should I know about {c} at age {rng.randint(18, 90)}?",
                      "response": ANSWER.format(c=c.capitalize(), drug=rng.choice(DRUGS))}
            roll = rng.random()
            if roll < 0.01:
                record["instruction"] = "Question 7: what should I know about asthma at age 30?"
                record["response"] = ANSWER.format(c="Asthma", drug="salbutamol")  # duplicates
            elif roll < 0.015:
                record["instruction"] += " My email is pat.jones@example.com and MRN 4839201."
            elif roll < 0.017:
                record["response"] = ""
            if roll > 0.999:
                handle.write('{"instruction": "broken\n')
                continue
            handle.write(json.dumps(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--skip-tokens", action="store_true", help="only time structure + duplicates + PHI")
    args = parser.parse_args()

    from medtui.data import DataOptions, count_tokens, validate_file, with_system_prompt
    from medtui.config import DEFAULT_SYSTEM_PROMPT

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        make_file(path, args.records)
        size_mb = path.stat().st_size / 1e6
        options = DataOptions(system_prompt=DEFAULT_SYSTEM_PROMPT)

        start = time.perf_counter()
        report = validate_file(str(path), options)
        structural = time.perf_counter() - start
        codes: dict[str, int] = {}
        for p in report.problems:
            codes[p.code] = codes.get(p.code, 0) + 1
        print(f"file: {report.records} records, {size_mb:.1f} MB; usable {report.usable}; problems {codes}")
        print(f"structure + duplicates + PHI: {structural:.2f} s, {report.records / structural:,.0f} records/s")

        if args.skip_tokens:
            return
        from medtui.models import load_tokenizer, materialize_embedded

        tokenizer = load_tokenizer(materialize_embedded())
        conversations = [with_system_prompt(c, options) for c in report.usable_conversations()]
        start = time.perf_counter()
        lengths = count_tokens(tokenizer, conversations)
        counting = time.perf_counter() - start
        print(f"token counting (chat template + fast tokenizer, batched): {counting:.2f} s, "
              f"{len(lengths) / counting:,.0f} records/s, mean {sum(lengths) / len(lengths):.0f} tokens")
        # The unbatched way, on a slice, for the ratio batching buys.
        sample = conversations[:2000]
        start = time.perf_counter()
        for conversation in sample:
            tokenizer.apply_chat_template(conversation, tokenize=True)
        one_by_one = time.perf_counter() - start
        print(f"token counting one record at a time (2,000 records): {len(sample) / one_by_one:,.0f} records/s "
              f"(batched is {(len(lengths) / counting) / (len(sample) / one_by_one):.1f}x)")


if __name__ == "__main__":
    main()
