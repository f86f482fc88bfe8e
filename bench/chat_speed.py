"""Chat speed: first-token latency and tokens/s per backend, and what medtui's layer costs.

For each backend (base and adapter through transformers, GGUF through llama-cpp-python) the same
prompts are answered twice, alternately, from the same loaded model:
  direct  the library alone: transformers `generate` with a TextIteratorStreamer on a thread, or
          llama-cpp-python `create_chat_completion(stream=True)`, on the same messages;
  medtui  `ChatSession.send(prompt)`: safety screen, history fitting (token counting), the
          streaming wrapper, the disclaimer.
Sampling is greedy so both produce the same tokens. The overhead is reported three ways, since a
shared machine makes wall time noisy: the median over answers of medtui's wall time against the
direct call's (side by side, alternating), the same for the process's CPU time, and the cost of
medtui's own steps (screen, history fitting, disclaimer) timed alone, as a share of a direct answer.

    .venv/bin/python bench/chat_speed.py [--config CFG] [--adapter RUN[:CKPT]] [--gguf FILE]
                                         [--tokens 64] [--repeats 2] [--json]

With no --gguf the newest export's GGUF is used, else the GGUF bundled with the embedded model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROMPTS = [
    "What are the common symptoms of iron deficiency anemia?",
    "How is type 2 diabetes usually diagnosed?",
    "What should I do for a minor burn on my hand?",
    "Why do doctors recommend finishing a course of antibiotics?",
]


def direct_transformers(backend, messages, settings, max_new_tokens):
    """transformers alone, as a hand-written script would stream it."""
    from transformers import GenerationConfig, TextIteratorStreamer

    model, tokenizer = backend._model, backend._tokenizer
    start = time.perf_counter()
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                           return_dict=True, return_tensors="pt").to(model.device)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, temperature=None, top_p=None,
                              top_k=None, repetition_penalty=settings.repetition_penalty,
                              eos_token_id=backend._stop_ids, pad_token_id=tokenizer.pad_token_id)
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("ids", model.generate(
        **inputs, generation_config=config, streamer=streamer)))
    thread.start()
    first = None
    for piece in streamer:
        if piece and first is None:
            first = time.perf_counter() - start
    thread.join()
    tokens = int(out["ids"].shape[1] - inputs["input_ids"].shape[1])
    return first, time.perf_counter() - start, tokens


def direct_llama(backend, messages, settings, max_new_tokens):
    """llama-cpp-python alone."""
    llm = backend._llm
    start = time.perf_counter()
    first = None
    text, finish = "", None
    for chunk in llm.create_chat_completion(messages=messages, temperature=0.0, top_p=settings.top_p, top_k=0,
                                            min_p=0.0, max_tokens=max_new_tokens, repeat_penalty=settings.repetition_penalty,
                                            stream=True):
        choice = chunk["choices"][0]
        piece = choice["delta"].get("content")
        finish = choice.get("finish_reason") or finish
        if piece:
            first = first if first is not None else time.perf_counter() - start
            text += piece
    seconds = time.perf_counter() - start
    # Counted as medtui counts them: the answer's tokens plus the end-of-turn token when one ended it.
    return first, seconds, len(llm.tokenize(text.encode(), add_bos=False, special=False)) + (finish != "length")


def layer_cost_s(session, prompt: str, repeats: int = 20) -> float:
    """Seconds medtui's own steps take per answer, timed without generating."""
    from medtui.chat import fit_history
    from medtui.safety import with_disclaimer

    backend, settings, safety = session.backend, session.settings, session.safety
    start = time.perf_counter()
    for _ in range(repeats):
        session.screen(prompt)
        fit_history(safety.system_prompt, [], prompt, backend.count_tokens, settings.context_length,
                    settings.max_new_tokens)
        with_disclaimer("An answer of a few sentences about the question asked. " * 6, safety.disclaimer)
    return (time.perf_counter() - start) / repeats


def timed(call, backend, *args):
    """(result, wall seconds, process CPU seconds) of one call.

    llama-cpp-python keeps the KV cache of the last prompt, so whichever side went second would
    skip most of the prompt; each answer starts from an empty cache instead (as a new chat does)."""
    if backend.kind == "gguf":
        backend._llm.reset()
    wall, cpu = time.perf_counter(), time.process_time()
    result = call(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def through_medtui(session, prompt):
    session.clear()
    start = time.perf_counter()
    reply = session.send(prompt)
    first = None
    for _ in reply:
        if first is None:
            first = time.perf_counter() - start
    g = reply.generation
    return first, time.perf_counter() - start, g.tokens, reply


def bench_backend(backend, cfg, tokens: int, repeats: int):
    from medtui.chat import ChatSession, GenerationSettings
    from medtui.safety import SafetySettings

    settings = GenerationSettings(temperature=0.0, top_p=cfg.chat.top_p, max_new_tokens=tokens,
                                  repetition_penalty=cfg.chat.repetition_penalty,
                                  context_length=cfg.chat.context_length)
    safety = SafetySettings.from_config(cfg)
    load_start = time.perf_counter()
    backend.load()
    load_s = time.perf_counter() - load_start
    session = ChatSession(backend, settings, safety)
    direct = direct_llama if backend.kind == "gguf" else direct_transformers
    # One answer first so neither side pays for warm-up (allocations, kernels, caches).
    through_medtui(session, PROMPTS[0])
    rows = []
    for repeat in range(repeats):
        for index, prompt in enumerate(PROMPTS):
            messages = [{"role": "system", "content": safety.system_prompt}, {"role": "user", "content": prompt}]
            # Alternate who goes first, so drift in the machine's load falls on both sides.
            if (repeat + index) % 2 == 0:
                (d_first, d_total, d_tokens), _, d_cpu = timed(direct, backend, backend, messages, settings, tokens)
                (m_first, m_total, m_tokens, _), _, m_cpu = timed(through_medtui, backend, session, prompt)
            else:
                (m_first, m_total, m_tokens, _), _, m_cpu = timed(through_medtui, backend, session, prompt)
                (d_first, d_total, d_tokens), _, d_cpu = timed(direct, backend, backend, messages, settings, tokens)
            rows.append({"prompt": prompt, "direct_first_s": d_first, "direct_s": d_total, "direct_tokens": d_tokens,
                         "direct_cpu_s": d_cpu, "medtui_first_s": m_first, "medtui_s": m_total,
                         "medtui_tokens": m_tokens, "medtui_cpu_s": m_cpu})
    layer_s = statistics.median(layer_cost_s(session, prompt) for prompt in PROMPTS)
    backend.unload()

    def med(key):
        return statistics.median(r[key] for r in rows)

    def rate(tokens_key, total_key, first_key):
        return statistics.median((r[tokens_key] - 1) / (r[total_key] - r[first_key]) for r in rows
                                 if r[tokens_key] > 1 and r[total_key] > r[first_key])

    same_tokens = all(r["direct_tokens"] == r["medtui_tokens"] for r in rows)
    overhead = statistics.median(r["medtui_s"] / r["direct_s"] - 1 for r in rows)
    cpu_overhead = statistics.median(r["medtui_cpu_s"] / r["direct_cpu_s"] - 1 for r in rows)
    return {
        "backend": backend.kind, "model": backend.model, "load_s": round(load_s, 2), "answers": len(rows),
        "first_token_s": {"direct": round(med("direct_first_s"), 3), "medtui": round(med("medtui_first_s"), 3)},
        "tokens_per_s": {"direct": round(rate("direct_tokens", "direct_s", "direct_first_s"), 2),
                         "medtui": round(rate("medtui_tokens", "medtui_s", "medtui_first_s"), 2)},
        "tokens_median": med("medtui_tokens"),
        "same_tokens": same_tokens,
        "overhead_pct": round(100 * overhead, 2),
        "cpu_overhead_pct": round(100 * cpu_overhead, 2),
        "layer_ms": round(1000 * layer_s, 2),
        "layer_pct": round(100 * layer_s / med("direct_s"), 3),
        "rows": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config")
    parser.add_argument("--adapter", help="RUN[:CHECKPOINT]; default: the newest run's adapter if any")
    parser.add_argument("--gguf")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", action="append", choices=("base", "adapter", "gguf"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from medtui.chat import adapter_choice, base_choice, export_choices, gguf_choice, make_backend
    from medtui.chat.sources import adapter_choices
    from medtui.config import load_config
    from medtui.models import embedded_gguf_path

    cfg = load_config(args.config)
    choices = [base_choice(cfg)]
    if args.adapter:
        choices.append(adapter_choice(cfg, args.adapter))
    elif adapter_choices(cfg):
        choices.append(adapter_choices(cfg)[0])
    exports = export_choices(cfg)
    choices.append(gguf_choice(args.gguf) if args.gguf else exports[0] if exports else
                   gguf_choice(str(embedded_gguf_path())))
    if args.only:
        choices = [c for c in choices if c.kind in args.only]

    load_before = os.getloadavg()
    results = []
    for choice in choices:
        print(f"benchmarking {choice.kind}: {choice.label} ...", file=sys.stderr, flush=True)
        results.append(bench_backend(make_backend(choice, cfg), cfg, args.tokens, args.repeats))
    report = {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
              "max_new_tokens": args.tokens, "prompts": len(PROMPTS), "repeats": args.repeats, "results": results}
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"{len(PROMPTS)} prompts x {args.repeats}, greedy, max_new_tokens {args.tokens}, {os.cpu_count()} CPUs, "
          f"load average {load_before[0]:.1f} -> {report['loadavg_after'][0]:.1f}")
    print("| backend | model | load s | first token s (direct / medtui) | tok/s (direct / medtui) "
          "| tokens | same tokens | overhead: wall | CPU | medtui steps alone |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['backend']} | {r['model']} | {r['load_s']} | {r['first_token_s']['direct']} / "
              f"{r['first_token_s']['medtui']} | {r['tokens_per_s']['direct']} / {r['tokens_per_s']['medtui']} | "
              f"{r['tokens_median']:g} | {'yes' if r['same_tokens'] else 'NO'} | {r['overhead_pct']:+.1f}% | "
              f"{r['cpu_overhead_pct']:+.1f}% | {r['layer_ms']} ms = {r['layer_pct']:.2f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
