"""Training throughput: medtui's worker against a plain hand-written TRL script, side by side.

Same model (the embedded SmolLM2-135M-Instruct unless --model), same conversations (the data
snapshot of medtui's own run, so both see exactly the same records), same settings (4-bit NF4,
LoRA r=16 on all linear layers, batch 4, gradient checkpointing, max_length), same machine, in
one invocation, each in a fresh process. Throughput is trained (non-padding) tokens per second
per step, as TRL counts them; the median over the steps after the first --warmup.

Also: medtui with packing (best-fit packing, padding-free) on the same data, and peak memory
with the base model loaded in 4 bits against 16/32 bits (bf16 on CUDA, fp32 on CPU).

    .venv/bin/python bench/train_throughput.py [--steps 10] [--warmup 2] [--repeats 1] [--json OUT]

This is a benchmark, not a test: it prints numbers and a verdict (ratio >= 0.95), nothing fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------- the baseline

def plain_trl(model_path: str, data_file: str, steps: int, max_length: int, load_in_4bit: bool, out: str) -> None:
    """What a user of TRL writes by hand (the seeds' style), plus a callback that only measures."""
    import torch
    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    cuda = torch.cuda.is_available()
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.bfloat16) if load_in_4bit else None
    model = AutoModelForCausalLM.from_pretrained(
        model_path, quantization_config=quant, dtype=torch.bfloat16 if cuda else torch.float32,
        device_map={"": 0} if cuda else None)
    dataset = load_dataset("json", data_files=data_file, split="train")

    class Measure(TrainerCallback):
        def __init__(self):
            self.handle = open(out, "w")

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "num_tokens" in logs and "train_runtime" not in logs:
                mem = torch.cuda.max_memory_allocated() if cuda else _rss()
                self.handle.write(json.dumps({"step": state.global_step, "time": time.time(),
                                              "num_tokens": logs["num_tokens"], "memory_mb": mem / 2**20}) + "\n")
                self.handle.flush()

    trainer = SFTTrainer(
        model=model,
        args=SFTConfig(output_dir=tempfile.mkdtemp(), max_steps=steps, per_device_train_batch_size=4,
                       learning_rate=2e-4, lr_scheduler_type="cosine", warmup_steps=0.05, logging_steps=1,
                       max_length=max_length, gradient_checkpointing=True, save_strategy="no", report_to=[],
                       bf16=cuda, use_cpu=not cuda, seed=42),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear",
                               task_type="CAUSAL_LM"),
        callbacks=[Measure()],
    )
    trainer.train()


def _rss() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss)


# --------------------------------------------------------------------------- measuring

def steady_tokens_per_s(points: list[tuple[float, float]], warmup: int) -> float:
    """(time, cumulative tokens) per logged step -> the median of the per-step tokens/s after the
    warm-up steps. The median, not the mean over the window: on a shared machine another job
    starting mid-run can make a step ten times slower, and one such step would decide a mean."""
    usable = points[warmup:]
    if len(usable) < 3:
        raise SystemExit("not enough steps after warm-up; raise --steps")
    return statistics.median((n1 - n0) / (t1 - t0) for (t0, n0), (t1, n1) in zip(usable, usable[1:]))


def run_medtui(workspace: Path, overrides: list[str]) -> tuple[Path, list[tuple[float, float]], float]:
    """A real medtui run (the detached worker, followed to its end). Returns the run folder,
    (time, cumulative tokens) per step and the peak memory the worker reported."""
    from medtui.config import load_config
    from medtui.train.events import read_events, timeline
    from medtui.train.launch import start_run

    cfg = load_config(workspace / "medtui.toml", overrides)
    run_dir = start_run(cfg, detach=False)
    events = timeline(read_events(run_dir))
    if events[-1]["event"] != "finished":
        raise SystemExit(f"medtui run failed: {events[-1]}\n{(run_dir / 'worker.log').read_text()[-2000:]}")
    steps = [e for e in events if e["event"] == "step"]
    points, tokens = [], 0.0
    for previous, event in zip(steps, steps[1:]):
        if not points:
            points.append((previous["time"], 0.0))
        # tokens/s is measured by the worker over the interval since the previous step
        tokens += event["tokens_per_s"] * (event["time"] - previous["time"])
        points.append((event["time"], tokens))
    return run_dir, points, max(e["memory_mb"] for e in steps)


def run_plain(model_path: str, data_file: Path, steps: int, max_length: int, load_in_4bit: bool) -> tuple[list, float]:
    out = Path(tempfile.mkstemp(suffix=".jsonl")[1])
    command = [sys.executable, __file__, "--plain-trl", model_path, str(data_file), str(steps), str(max_length),
               "1" if load_in_4bit else "0", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    if done.returncode != 0:
        raise SystemExit(f"plain TRL script failed:\n{done.stderr[-3000:]}")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    return [(r["time"], r["num_tokens"]) for r in rows], max(r["memory_mb"] for r in rows)


def write_workspace(folder: Path, steps: int, max_length: int) -> Path:
    from medtui.config import SAMPLE_TRAIN_FILES, dump_toml

    values = {
        "model": {"max_length": max_length},
        "data": {"train_files": [str(ROOT / f) for f in SAMPLE_TRAIN_FILES], "eval_file": "", "eval_split": 0.0},
        "train": {"max_steps": steps, "save_steps": steps, "per_device_train_batch_size": 4,
                  "early_stopping_patience": 0, "output_dir": str(folder / "checkpoints")},
    }
    (folder / "medtui.toml").write_text(dump_toml(values))
    return folder / "medtui.toml"


def machine() -> str:
    import torch

    if torch.cuda.is_available():
        return f"CUDA {torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    return f"CPU ({os.cpu_count()} cores, {platform.processor() or platform.machine()}), torch {torch.__version__}"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--plain-trl":
        _, _, model_path, data_file, steps, max_length, four_bit, out = sys.argv
        plain_trl(model_path, data_file, int(steps), int(max_length), four_bit == "1", out)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2, help="first steps left out of the throughput")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=1, help="alternate medtui and TRL this many times")
    parser.add_argument("--skip-memory", action="store_true", help="skip the 16/32-bit memory run")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    args = parser.parse_args()

    from medtui.models import materialize_embedded

    model_path = str(materialize_embedded())
    workspace = Path(tempfile.mkdtemp(prefix="medtui-bench-"))
    write_workspace(workspace, args.steps, args.max_length)
    print(f"machine: {machine()}")
    print(f"model: {model_path}\nsettings: {args.steps} steps (first {args.warmup} left out), batch 4, "
          f"max_length {args.max_length}, LoRA r=16 all-linear, 4-bit NF4, gradient checkpointing\n", flush=True)

    medtui_tps, plain_tps, medtui_mem, plain_mem = [], [], [], []
    data_file = None
    for repeat in range(args.repeats):
        run_dir, points, mem = run_medtui(workspace, [])
        medtui_tps.append(steady_tokens_per_s(points, args.warmup))
        medtui_mem.append(mem)
        data_file = run_dir / "dataset" / "train.jsonl"
        print(f"[{repeat + 1}] medtui worker     {medtui_tps[-1]:8.1f} tokens/s", flush=True)
        points, mem = run_plain(model_path, data_file, args.steps, args.max_length, True)
        plain_tps.append(steady_tokens_per_s(points, args.warmup))
        plain_mem.append(mem)
        print(f"[{repeat + 1}] plain TRL script  {plain_tps[-1]:8.1f} tokens/s", flush=True)
    records = len(data_file.read_text().splitlines())

    _, points, _ = run_medtui(workspace, ["train.packing=true"])
    packed_tps = steady_tokens_per_s(points, args.warmup)
    print(f"medtui + packing (bfd, padding-free)  {packed_tps:8.1f} tokens/s", flush=True)

    full_mem = None
    if not args.skip_memory:
        _, _, full_mem = run_medtui(workspace, ["model.load_in_4bit=false"])

    medtui_median, plain_median = statistics.median(medtui_tps), statistics.median(plain_tps)
    # Each repeat runs the two back to back, so a repeat's own ratio cancels most of the drift
    # in machine load between repeats; the verdict uses the median of those.
    pair_ratios = [m / p for m, p in zip(medtui_tps, plain_tps)]
    ratio = statistics.median(pair_ratios)
    results = {
        "machine": machine(), "steps": args.steps, "warmup": args.warmup, "max_length": args.max_length,
        "records": records, "repeats": args.repeats,
        "medtui_tokens_per_s": medtui_tps, "plain_trl_tokens_per_s": plain_tps, "pair_ratios": pair_ratios,
        "ratio": ratio,
        "packing_tokens_per_s": packed_tps, "packing_speedup": packed_tps / medtui_median,
        "peak_memory_mb_4bit": statistics.median(medtui_mem), "peak_memory_mb_plain_4bit": statistics.median(plain_mem),
        "peak_memory_mb_full": full_mem,
    }
    full = "bf16" if "CUDA" in results["machine"] else "fp32"
    kind = "peak GPU memory allocated" if "CUDA" in results["machine"] else "process RSS"
    print(f"\n{records} training conversations from the sample data")
    print(f"medtui worker      {medtui_median:8.1f} tokens/s (median of {args.repeats})")
    print(f"plain TRL script   {plain_median:8.1f} tokens/s")
    print(f"ratio medtui/TRL   {ratio:8.3f}   (median of the repeats' ratios "
          f"{', '.join(f'{r:.3f}' for r in pair_ratios)})   {'OK (>= 0.95)' if ratio >= 0.95 else 'SLOWER than 0.95'}")
    print(f"packing            {packed_tps:8.1f} tokens/s = {results['packing_speedup']:.2f}x medtui without packing")
    print(f"peak memory ({kind}): 4-bit {results['peak_memory_mb_4bit']:.0f} MB (plain TRL 4-bit "
          f"{results['peak_memory_mb_plain_4bit']:.0f} MB)"
          + (f", {full} {full_mem:.0f} MB" if full_mem is not None else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
