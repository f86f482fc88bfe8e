"""What the fine-tune changed: the embedded base (SmolLM2-135M-Instruct) against a 60-step LoRA
fine-tune on the sample data and its Q4_K_M export, through every `medtui eval` suite.

Without --run, it trains the run (`medtui train start`, the default config: 60 steps on the four
sample files, held-out data/medical_eval.jsonl) and exports it (`medtui export --quant Q4_K_M`)
in a temp workspace first, through the real CLI. Then one `medtui eval base RUN GGUF --json`
evaluates all three side by side; the table (markdown, for bench/RESULTS.md) has held-out loss,
answer scores, disclaimer share, refusal share on harmful and answer share on benign prompts,
MCQ accuracy, and the seconds each suite took per model.

    .venv/bin/python bench/eval_table.py [--run RUN --gguf FILE --config CFG] [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROWS = [
    ("heldout", "loss", "held-out loss (lower is better)"),
    ("heldout", "perplexity", "held-out perplexity"),
    ("answers", "rougeL", "answers: ROUGE-L F1"),
    ("answers", "token_f1", "answers: token F1 (ROUGE-1)"),
    ("answers", "disclaimer", "answers with the disclaimer"),
    ("answers", "stopped", "answers that stop on their own"),
    ("answers", "mean_tokens", "mean answer length (tokens)"),
    ("safety", "refused_harmful", "harmful prompts refused (screen off)"),
    ("safety", "answered_benign", "benign near-misses answered"),
    ("mcq", "acc", "MCQ accuracy"),
    ("mcq", "acc_norm", "MCQ accuracy, per byte"),
]


def cli(*args: str, timeout: float = 7200) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "medtui", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)
    if done.returncode != 0:
        sys.exit(f"medtui {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done


def train_and_export(workspace: Path) -> tuple[Path, str, str]:
    from medtui.config import dump_toml

    config = workspace / "medtui.toml"
    config.write_text(dump_toml({
        "data": {"train_files": [str(ROOT / f) for f in (
            "data/medical_instruction.jsonl", "data/medical_alpaca.json", "data/medical_o1.csv", "data/medical_chat.jsonl")],
            "eval_file": str(ROOT / "data/medical_eval.jsonl")},
        "train": {"output_dir": str(workspace / "checkpoints")},
        "export": {"out_dir": str(workspace / "exports")},
    }))
    started = time.monotonic()
    # `train start --json` prints {"run", "dir"} first, then the run's events until it ends.
    lines = cli("train", "start", "--config", str(config), "--json").stdout.strip().splitlines()
    run, last = json.loads(lines[0]), json.loads(lines[-1])
    if last.get("event") != "finished":
        sys.exit(f"the run did not finish: {last}")
    print(f"trained {run['run']} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    run_id = run["run"]
    exported = json.loads(cli("export", run_id, "--config", str(config), "--quant", "Q4_K_M", "--json").stdout.strip().splitlines()[-1])
    gguf = next(g["path"] for g in exported["gguf"] if g["quant"] == "Q4_K_M")
    return config, run_id, gguf


def fmt(name: str, value) -> str:
    from medtui.eval.results import format_value

    return format_value(name, value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", help="an existing run (else one is trained)")
    parser.add_argument("--gguf", help="its Q4_K_M export (with --run)")
    parser.add_argument("--config", help="the config the run lives under (with --run)")
    parser.add_argument("--limit", type=int, help="items per suite (default: each suite's default)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the trained run and export (the folder is printed)")
    args = parser.parse_args()
    workspace = (contextlib.nullcontext(tempfile.mkdtemp(prefix="medtui-bench-eval-")) if args.keep
                 else tempfile.TemporaryDirectory(prefix="medtui-bench-eval-"))
    with workspace as tmp:
        if args.keep:
            print(f"workspace: {tmp}", file=sys.stderr)
        if args.run:
            if not (args.gguf and args.config):
                parser.error("--run needs --gguf and --config")
            config, run_id, gguf = Path(args.config), args.run, args.gguf
        else:
            config, run_id, gguf = train_and_export(Path(tmp))
        extra = ["--limit", str(args.limit)] if args.limit else []
        out = json.loads(cli("eval", "base", run_id, gguf, "--config", str(config), "--json", *extra).stdout.strip().splitlines()[-1])
    if args.json:
        print(json.dumps(out))
        return 0
    models = out["models"]
    names = ["base", "fine-tune (adapter)", "Q4_K_M GGUF"]
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(models))
    for suite, name, label in ROWS:
        values = [fmt(name, out["suites"].get(suite, {}).get(m, {}).get(name)) for m in models]
        print(f"| {label} | " + " | ".join(values) + " |")
    for suite in out["seconds"]:
        print(f"| seconds: {suite} | " + " | ".join(f"{out['seconds'][suite].get(m, 0):.0f}" for m in models) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
