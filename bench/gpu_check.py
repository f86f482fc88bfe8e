"""The CUDA check: 4-bit QLoRA on a Llama-3-8B-shaped model, medtui's worker against plain TRL, then merge and convert.

Made for a bare GPU machine with no network (bench/gpu_check.sh installs the carried wheels first).
No download: the model is built here with random weights in Llama-3-8B's shape (32 layers, hidden
4096, MLP 14336, 32 heads, 8 KV heads, vocabulary 128k) and the real Llama 3 tokenizer and chat
template (carried as .gpu/llama3-tokenizer.tar.xz, made from llama.cpp's ggml-vocab-llama-bpe.gguf and
its Llama-3.1-8B-Instruct template). Random weights say nothing about quality; tokens/s, memory and the
export plumbing are the same as for the real model.

Steps, each timed:
  1. build the model on the GPU (bf16) and save it as safetensors;
  2. medtui's detached worker trains N steps (4-bit NF4, LoRA r=16 all-linear, batch 4,
     gradient checkpointing, the sample data), followed to its end;
  3. a plain hand-written TRL script (bench/train_throughput.py's baseline) trains the same
     records with the same settings;
  4. medtui's export stages: merge the adapter into the bf16 base on the GPU, then llama.cpp's
     converter writes a GGUF.
Tokens/s is the median of the per-step rates after the warm-up steps; memory is the peak GPU
memory torch allocated (torch.cuda.max_memory_allocated) in each training process.

    python3 bench/gpu_check.py --out DIR [--steps 16] [--warmup 3] [--max-length 512] [--budget 540]

It prints each number as it comes and writes DIR/gpu_check.json; a step that would not fit the
time budget is skipped and said so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LLAMA3_8B = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=8, max_position_embeddings=8192, rope_theta=500000.0, rms_norm_eps=1e-5,
                 tie_word_embeddings=False)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def unpack(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def build_model(tokenizer_dir: Path, out: Path, layers: int, tiny: bool = False) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    shape = dict(LLAMA3_8B, num_hidden_layers=layers)
    if tiny:  # the script's own dry run on a machine without a GPU
        shape.update(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2)
    config = LlamaConfig(vocab_size=max(128256, len(tokenizer)), bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.convert_tokens_to_ids("<|eot_id|>"), **shape)
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    parameters = sum(p.numel() for p in model.parameters())
    model.generation_config.eos_token_id = config.eos_token_id
    model.save_pretrained(out, max_shard_size="5GB")
    tokenizer.save_pretrained(out)
    del model
    torch.cuda.empty_cache()
    return {"parameters": parameters, "layers": layers, "vocab": config.vocab_size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.environ.get("OUT", "gpu-check-out"))
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--layers", type=int, default=32, help="fewer layers for a quick try of the script")
    parser.add_argument("--budget", type=float, default=500, help="seconds; later steps are skipped past it")
    parser.add_argument("--work", default="", help="scratch folder for the model (default: a temporary one)")
    parser.add_argument("--repeats", type=int, default=1, help="alternate medtui and plain TRL this many times")
    parser.add_argument("--skip-export", action="store_true", help="train only: no merge and conversion")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra medtui config override")
    parser.add_argument("--tiny", action="store_true", help="dry run of the script itself: a tiny model, CPU allowed")
    args = parser.parse_args()
    started = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"settings": {"steps": args.steps, "warmup": args.warmup, "max_length": args.max_length,
                                  "batch": 4, "lora": "r=16 all-linear", "quant": "4-bit NF4, double quant, bf16 compute",
                                  "gradient_checkpointing": True}, "timings_s": {}, "skipped": []}

    def save() -> None:
        (out / "gpu_check.json").write_text(json.dumps(results, indent=2))

    def left() -> float:
        return args.budget - (time.time() - started)

    import torch

    cuda = torch.cuda.is_available()
    if not cuda and not args.tiny:
        say("no CUDA device: this check is for a GPU machine (--tiny runs the plumbing on the CPU)")
        return 2
    import bitsandbytes
    import peft
    import transformers
    import trl

    results["machine"] = {"gpu": torch.cuda.get_device_name(0) if cuda else "none (CPU dry run)",
                          "gpu_memory_gb": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if cuda else 0,
                          "torch": torch.__version__, "cuda": torch.version.cuda,
                          "transformers": transformers.__version__, "trl": trl.__version__, "peft": peft.__version__,
                          "bitsandbytes": bitsandbytes.__version__}
    say(f"machine: {results['machine']}")
    save()

    work = Path(args.work or tempfile.mkdtemp(prefix="medtui-gpu-"))
    gpu_assets = ROOT / ".gpu"
    tokenizer_dir = unpack(gpu_assets / "llama3-tokenizer.tar.xz", work) / "llama3-tokenizer"
    converter_root = unpack(gpu_assets / "llama.cpp.tar.xz", work) / "llama.cpp"
    model_dir = work / "llama3-8b-shape-random"

    t = time.time()
    results["model"] = build_model(tokenizer_dir, model_dir, args.layers, args.tiny)
    results["timings_s"]["build_and_save_model"] = round(time.time() - t, 1)
    say(f"model built and saved: {results['model']['parameters'] / 1e9:.2f} B parameters "
        f"in {results['timings_s']['build_and_save_model']} s")
    save()

    from train_throughput import run_medtui, run_plain, steady_tokens_per_s, write_workspace

    workspace = work / "workspace"
    workspace.mkdir()
    write_workspace(workspace, args.steps, args.max_length)
    overrides = [f"model.name={model_dir}", f"train.device={'cuda' if cuda else 'cpu'}", *args.set]

    import statistics

    results["medtui"], results["plain_trl"], results["pair_ratios"] = [], [], []
    for repeat in range(args.repeats):
        if repeat and left() < 150:
            results["skipped"].append(f"repeats after {repeat} (time budget)")
            break
        t = time.time()
        run_dir, points, memory = run_medtui(workspace, overrides)
        results["medtui"].append({"tokens_per_s": round(steady_tokens_per_s(points, args.warmup), 1),
                                  "peak_gpu_memory_mb": memory, "run": run_dir.name, "seconds": round(time.time() - t, 1)})
        say(f"[{repeat + 1}] medtui worker: {results['medtui'][-1]['tokens_per_s']} tokens/s, peak {memory:.0f} MB "
            f"({results['medtui'][-1]['seconds']} s with loading)")
        save()
        data_file = run_dir / "dataset" / "train.jsonl"
        if left() < 120:
            results["skipped"].append("plain TRL run (time budget)")
            break
        t = time.time()
        points, memory = run_plain(str(model_dir), data_file, args.steps, args.max_length, True)
        results["plain_trl"].append({"tokens_per_s": round(steady_tokens_per_s(points, args.warmup), 1),
                                     "peak_gpu_memory_mb": memory, "seconds": round(time.time() - t, 1)})
        results["pair_ratios"].append(round(results["medtui"][-1]["tokens_per_s"] / results["plain_trl"][-1]["tokens_per_s"], 3))
        say(f"[{repeat + 1}] plain TRL: {results['plain_trl'][-1]['tokens_per_s']} tokens/s, peak {memory:.0f} MB; "
            f"ratio medtui/TRL {results['pair_ratios'][-1]}")
        save()
    if results["pair_ratios"]:
        results["ratio_medtui_over_trl"] = statistics.median(results["pair_ratios"])
        say(f"ratio medtui/TRL, median of the repeats: {results['ratio_medtui_over_trl']}")
    if args.skip_export:
        results["skipped"].append("merge and convert (--skip-export)")
        results["timings_s"]["total"] = round(time.time() - started, 1)
        save()
        return 0

    adapter = max((p for p in run_dir.glob("checkpoint-*") if p.is_dir()), key=lambda p: int(p.name.split("-")[1]))
    if left() > 120:
        from medtui.export.merge import merge_adapter

        t = time.time()
        merged = merge_adapter(model_dir, adapter, work / "merged", device="cuda" if cuda else "cpu")
        results["timings_s"]["merge_cuda"] = round(time.time() - t, 1)
        say(f"merged on the GPU in {results['timings_s']['merge_cuda']} s ({merged.dtype})")
        shutil.rmtree(model_dir, ignore_errors=True)  # room on the disk for the GGUF
        save()
        if left() > 150:  # an 8B conversion writes 16 GB
            from medtui.export.convert import convert_to_gguf

            t = time.time()
            gguf = work / "llama3-8b-shape-F16.gguf"
            convert_to_gguf(converter_root / "0.3.36" / "convert_hf_to_gguf.py", work / "merged", gguf,
                            "llama3-8b-shape-random", work / "convert.log",
                            report=lambda f, m: None)
            results["timings_s"]["convert_f16"] = round(time.time() - t, 1)
            results["gguf_gb"] = round(gguf.stat().st_size / 2**30, 2)
            say(f"converted to GGUF F16 in {results['timings_s']['convert_f16']} s ({results['gguf_gb']} GiB)")
        else:
            results["skipped"].append("convert (time budget)")
    else:
        results["skipped"].append("merge and convert (time budget)")
    results["timings_s"]["total"] = round(time.time() - started, 1)
    save()
    say(f"done in {results['timings_s']['total']} s; skipped: {results['skipped'] or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
