"""Export time: seconds per stage and in total, and the file sizes, for the embedded default
(SmolLM2-135M-Instruct) exported to Q4_K_M, Q5_K_M and Q8_0 through `medtui export`.

Without --run, a throwaway run folder is made in a temp folder: the embedded model's real LoRA
adapter (PEFT, rank 16 on all linear layers, its B matrices set to small random values so the
merge changes the weights; no training, since the export's cost does not depend on the values),
the sample data as its data config. Each repeat runs the real CLI in a fresh process, as a user
would; stage times come from the export's own export.json, the total is the command's wall time
(interpreter start and imports included).

    .venv/bin/python bench/export_time.py [--run RUN[:CKPT] --config CFG] [--quant Q4_K_M ...]
                                          [--repeats 1] [--fidelity-records 24] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGES = ("merge", "convert", "quantize", "fidelity", "modelfile", "card")


def make_run(workspace: Path) -> tuple[Path, str]:
    """A run folder with a real adapter for the embedded model; returns (config path, run id)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from medtui.config import dump_toml, load_config
    from medtui.models import materialize_embedded
    from medtui.train import events as ev

    data = ROOT / "data"
    config_path = workspace / "medtui.toml"
    config_path.write_text(dump_toml({
        "data": {"train_files": [str(data / "medical_instruction.jsonl"), str(data / "medical_chat.jsonl")],
                 "eval_file": str(data / "medical_eval.jsonl")},
        "lora": {"r": 16, "lora_alpha": 32},
        "train": {"output_dir": str(workspace / "checkpoints")},
        "export": {"out_dir": str(workspace / "exports")},
    }))
    cfg = load_config(config_path)
    run_id = "bench-export"
    run = workspace / "checkpoints" / run_id
    run.mkdir(parents=True)
    (run / ev.CONFIG_FILE).write_text(cfg.to_toml())
    now = time.time()
    (run / ev.EVENTS_FILE).write_text(json.dumps({"event": "started", "time": now}) + "\n"
                                      + json.dumps({"event": "finished", "time": now}) + "\n")
    base = materialize_embedded()
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    peft_model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                                  task_type="CAUSAL_LM"))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.002)
    peft_model.save_pretrained(run / ev.ADAPTER_DIR)
    AutoTokenizer.from_pretrained(str(base)).save_pretrained(run / ev.ADAPTER_DIR)
    return config_path, run_id


def export_once(config: Path, target: str, quants: list[str], fidelity_records: int, out: Path) -> dict:
    args = [sys.executable, "-m", "medtui", "export", target, "--json", "--config", str(config), "--out", str(out),
            "--set", f"export.fidelity_records={fidelity_records}"]
    for quant in quants:
        args += ["--quant", quant]
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"export failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    print(f"  one export: {wall:.1f} s wall, stages {result['timings_s']}", file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="RUN[:CHECKPOINT] to export (default: a throwaway run of the embedded model)")
    parser.add_argument("--config", help="config of --run")
    parser.add_argument("--quant", action="append", default=[], help="types (default: Q4_K_M, Q5_K_M, Q8_0)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--fidelity-records", type=int, default=24)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    quants = args.quant or ["Q4_K_M", "Q5_K_M", "Q8_0"]

    with tempfile.TemporaryDirectory(prefix="medtui-bench-export-") as tmp:
        workspace = Path(tmp)
        if args.run:
            if not args.config:
                sys.exit("--run needs --config")
            config, target = Path(args.config), args.run
        else:
            config, target = make_run(workspace)
        results = []
        for n in range(args.repeats):
            results.append(export_once(config, target, quants, args.fidelity_records, workspace / f"out-{n}"))

    stages = {s: statistics.median(r["timings_s"].get(s, 0.0) for r in results) for s in STAGES}
    wall = statistics.median(r["wall_s"] for r in results)
    last = results[-1]
    report = {
        "cpus": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
        "repeats": args.repeats,
        "quants": quants,
        "fidelity_records": args.fidelity_records,
        "stages_s": {s: round(v, 2) for s, v in stages.items()},
        "stages_total_s": round(sum(stages.values()), 2),
        "wall_s": round(wall, 2),
        "merged_bytes": last["merged_bytes"],
        "files": [{"quant": g["quant"], "bytes": g["bytes"], "perplexity": g["perplexity"],
                   "agreement": g["agreement"]} for g in last["gguf"]],
        "merged_perplexity": last["merged_perplexity"],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"medtui export of {target} to {', '.join(quants)}; {args.repeats} run(s), median; "
          f"{report['cpus']} CPUs, load average {report['load_avg_1m']:.1f}")
    print("| stage | seconds |\n|---|---:|")
    for stage in STAGES:
        print(f"| {stage} | {stages[stage]:.1f} |")
    print(f"| **sum of stages** | **{report['stages_total_s']:.1f}** |")
    print(f"| **wall time of `medtui export`** | **{wall:.1f}** |")
    print()
    print("| file | size | perplexity | top-1 agreement |\n|---|---:|---:|---:|")
    print(f"| merged/ (safetensors, {last['merged_dtype']}) | {last['merged_bytes'] / 2 ** 20:.1f} MiB | "
          f"{last['merged_perplexity']:.3f} | — |" if last["merged_perplexity"] else
          f"| merged/ | {last['merged_bytes'] / 2 ** 20:.1f} MiB | — | — |")
    for g in last["gguf"]:
        ppl = f"{g['perplexity']:.3f}" if g["perplexity"] is not None else "—"
        agree = f"{g['agreement']:.1%}" if g["agreement"] is not None else "—"
        print(f"| {Path(g['path']).name} | {g['bytes'] / 2 ** 20:.1f} MiB | {ppl} | {agree} |")


if __name__ == "__main__":
    main()
