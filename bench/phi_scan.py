"""How long the PHI scan takes on one long field, for the texts that once made it quadratic.

Times `find_phi` on 200 kB fields built from each pathological pattern (a keyword followed by a run
of spaces, an unterminated email address, ...) and on ordinary medical prose of the same size, then
`validate_file` on a JSONL file whose one record holds such a field. With `--against REV` the PHI
module of that git revision is timed side by side on the same texts (at `--old-size`, since the old
scan needs minutes at 200 kB).

Run: .venv/bin/python bench/phi_scan.py [--size 200000] [--against 016316c --old-size 20000]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROSE = ("Hypertension is common; amlodipine 5 mg daily, recheck 120/80 every 4-6 weeks, call 988 or 911 in a "
         "crisis, 150,000-450,000 platelets. ")
TEXTS = {
    "dob then spaces": lambda n: "dob" + " " * n,
    "mrn then spaces": lambda n: "mrn" + " " * n + "x",
    "ssn then spaces then an ssn": lambda n: "ssn" + " " * n + "123-45-6789",
    "email local part without end": lambda n: "a" * n + "@",
    "dotted domain": lambda n: "x@" + "a." * (n // 2) + "1",
    "medical prose": lambda n: (PROSE * (n // len(PROSE) + 1))[:n],
}


def best(find, text: str, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        find(text)
        times.append(time.perf_counter() - start)
    return min(times)


def old_find_phi(rev: str):
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:medtui/data/phi.py"], check=True,
                            capture_output=True, text=True).stdout
    folder = Path(tempfile.mkdtemp())
    (folder / "phi_old.py").write_text(source)
    spec = importlib.util.spec_from_file_location("phi_old", folder / "phi_old.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["phi_old"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.find_phi


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--against", metavar="REV")
    parser.add_argument("--old-size", type=int, default=20_000)
    args = parser.parse_args()
    from medtui.data import DataOptions, validate_file
    from medtui.data.phi import find_phi

    old = old_find_phi(args.against) if args.against else None
    print(f"| text | find_phi, {args.size:,} chars |" + (f" this tree at {args.old_size:,} | {args.against} at {args.old_size:,} |" if old else ""))
    print("|---|---:|" + ("---:|---:|" if old else ""))
    for name, make in TEXTS.items():
        row = f"| {name} | {best(find_phi, make(args.size)) * 1e3:.1f} ms |"
        if old:
            small = make(args.old_size)
            row += f" {best(find_phi, small) * 1e3:.1f} ms | {best(old, small, repeat=1) * 1e3:.0f} ms |"
        print(row, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.jsonl"
        path.write_text(json.dumps({"instruction": TEXTS["dob then spaces"](args.size), "response": "ok"}) + "\n")
        start = time.perf_counter()
        validate_file(str(path), DataOptions())
        print(f"\nvalidate_file, one record with a {args.size:,}-character field: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
