"""Stage 6: the model card (README.md) of an export folder.

It answers what a person picking up the folder asks: what is this model, what was it trained on
and how, how good is it, what does each file cost in fidelity, is a file intact (sizes and
SHA-256), and how do I run it — and it says plainly that it is for education, not for care.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medtui.runs import format_bytes


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _run_metrics(events: list[dict]) -> dict[str, Any]:
    steps = [e for e in events if e.get("event") == "step"]
    evals = [e for e in events if e.get("event") == "eval" and isinstance(e.get("eval_loss"), (int, float))]
    out: dict[str, Any] = {}
    if steps:
        out["steps"] = steps[-1].get("step")
        losses = [e["loss"] for e in steps if isinstance(e.get("loss"), (int, float))]
        if losses:
            out["first_loss"], out["last_loss"] = losses[0], losses[-1]
    if evals:
        best = min(evals, key=lambda e: e["eval_loss"])
        out["best_eval_loss"], out["best_eval_step"] = best["eval_loss"], best.get("step")
        out["last_eval_loss"] = evals[-1]["eval_loss"]
    return out


def model_card(result: dict[str, Any], run_cfg, events: list[dict], files: list[tuple[str, int, str]],
               disclaimer: str) -> str:
    """README.md text. `result` is export.json's content, `files` (relative path, bytes, sha256)."""
    metrics = _run_metrics(events)
    gguf = result["gguf"]
    lines = [
        f"# {result['ollama_name']}",
        "",
        f"> **Educational use only.** {disclaimer} This model was fine-tuned with medtui on a small "
        "instruction data set; it can be wrong, out of date or unsafe. It is not a medical device and "
        "must not be used for diagnosis, treatment or any decision about a person's care.",
        "",
        f"A LoRA fine-tune of **{result['base_model']}**, merged into the base weights and exported to "
        f"GGUF for llama.cpp and Ollama. Run `{result['run_id']}`, {result['checkpoint']}"
        + (f" (step {result['step']})" if result.get("step") else "") + ".",
        "",
        "## Training",
        "",
        "| | |",
        "|---|---|",
        f"| Base model | {result['base_model']} |",
        f"| Training data | {', '.join(f'`{f}`' for f in run_cfg.train_files) or '—'} |",
        f"| Held-out data | {'`' + run_cfg.data.eval_file + '`' if run_cfg.data.eval_file else f'{run_cfg.data.eval_split:.0%} of the training data'} |",
        f"| Method | {'4-bit QLoRA (NF4)' if run_cfg.model.load_in_4bit else 'LoRA'}, rank {run_cfg.lora.r}, "
        f"alpha {run_cfg.lora.lora_alpha}, dropout {run_cfg.lora.lora_dropout}, targets {run_cfg.lora.target_modules} |",
        f"| Optimisation | {run_cfg.train.optim}, learning rate {run_cfg.train.learning_rate:g} ({run_cfg.train.lr_scheduler_type}), "
        f"batch {run_cfg.train.per_device_train_batch_size} × {run_cfg.train.gradient_accumulation_steps} accumulation |",
        f"| Steps | {_fmt(metrics.get('steps'))} |",
        f"| Training loss | {_fmt(metrics.get('first_loss'))} → {_fmt(metrics.get('last_loss'))} |",
        f"| Eval loss | best {_fmt(metrics.get('best_eval_loss'))}"
        + (f" at step {metrics['best_eval_step']}" if metrics.get("best_eval_step") is not None else "")
        + f", last {_fmt(metrics.get('last_eval_loss'))} |",
        f"| Max length | {run_cfg.model.max_length} tokens |",
        "",
        "## Fidelity of each file",
        "",
    ]
    fidelity = result.get("fidelity") or {}
    if fidelity.get("records"):
        lines += [
            f"Measured on {fidelity['records']} held-out conversations ({fidelity['tokens']} tokens): perplexity "
            "(lower is better) and top-1 agreement, the share of positions where the file's most likely next "
            "token is the merged model's.",
            "",
            "| File | Size | Perplexity | Agreement |",
            "|---|---:|---:|---:|",
            f"| merged/ (safetensors) | {format_bytes(result.get('merged_bytes') or 0)} | {_fmt(result.get('merged_perplexity'))} | — |",
        ]
        for item in gguf:
            agreement = f"{item['agreement']:.1%}" if item.get("agreement") is not None else "—"
            lines.append(f"| {Path(item['path']).name} | {format_bytes(item['bytes'])} | {_fmt(item.get('perplexity'))} | {agreement} |")
    else:
        lines.append("Not measured for this export ([export] fidelity_records = 0).")
    lines += [
        "",
        "## Run it",
        "",
        "Ollama:",
        "",
        "```sh",
        f"cd {result['dir']}",
        f"ollama create {result['ollama_name']} -f Modelfile",
        f"ollama run {result['ollama_name']}",
        "```",
        "",
    ]
    others = {q: p for q, p in (result.get("modelfiles") or {}).items() if Path(p).name != "Modelfile"}
    if others:
        lines += ["`Modelfile` uses " + Path(gguf[0]["path"]).name + "; for the other files: "
                  + ", ".join(f"`ollama create {result['ollama_name']}-{q.lower()} -f {Path(p).name}`" for q, p in others.items()),
                  ""]
    first = Path(gguf[0]["path"]).name if gguf else "MODEL.gguf"
    lines += [
        "llama.cpp (`llama-cli` uses the chat template stored in the GGUF; give it the system prompt below):",
        "",
        "```sh",
        f"llama-cli -m {first} -cnv --system-prompt \"$(cat system-prompt.txt)\"",
        "```",
        "",
        "llama-cpp-python:",
        "",
        "```python",
        "from llama_cpp import Llama",
        f"llm = Llama(model_path=\"{first}\", n_ctx={run_cfg.export.num_ctx})",
        "print(llm.create_chat_completion(messages=[",
        "    {\"role\": \"system\", \"content\": SYSTEM_PROMPT},",
        "    {\"role\": \"user\", \"content\": \"What are the warning signs of a stroke?\"},",
        "])[\"choices\"][0][\"message\"][\"content\"])",
        "```",
        "",
        _template_sentence(result.get("template") or {}),
    ]
    if (result.get("template") or {}).get("system_folded_by_medtui"):
        lines += ["", "This model's chat template has no system role: the system prompt goes in front of the first "
                  "user message, a blank line between, as in training. The TEMPLATE does this; with llama.cpp or "
                  "llama-cpp-python, do the same yourself rather than sending a system message."]
    notes = (result.get("template") or {}).get("notes") or []
    warnings = result.get("warnings") or []
    if notes or warnings:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in [*notes, *warnings]]
    lines += [
        "",
        "## System prompt",
        "",
        "```text",
        run_cfg.chat.system_prompt,
        "```",
        "",
        "## Files",
        "",
        "| File | Size | SHA-256 |",
        "|---|---:|---|",
    ]
    lines += [f"| {name} | {format_bytes(size)} | `{digest}` |" for name, size, digest in files]
    lines += ["", f"Made with medtui {result.get('medtui_version', '')}.", ""]
    return "\n".join(lines)


EVAL_HEADING = "## Evaluation"


def add_eval_to_card(export_dir: Path, record) -> Path | None:
    """Put an eval record (medtui.eval.results.EvalRecord) of one of this export's files into its
    model card: a section per evaluated file under "## Evaluation", replaced when evaluated again.
    The card is rewritten atomically; an export without a card is left alone."""
    import os
    import uuid

    from medtui.eval.results import card_section

    card = Path(export_dir) / "README.md"
    try:
        text = card.read_text(encoding="utf-8")
    except OSError:
        return None
    begin, end = f"<!-- medtui-eval {record.model.label} -->", f"<!-- /medtui-eval {record.model.label} -->"
    block = f"{begin}\n{card_section(record)}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        if EVAL_HEADING not in text:
            intro = (f"{EVAL_HEADING}\n\nMeasured by `medtui eval` after the export: held-out loss, answers "
                     "against the held-out references, the model's own refusals with the safety screen off, "
                     "and medical multiple-choice accuracy.\n")
            text = text.replace("## Run it", f"{intro}\n## Run it", 1) if "## Run it" in text else text + f"\n{intro}"
        at = text.index(EVAL_HEADING)
        following = text.find("\n## ", at + len(EVAL_HEADING))
        insert_at = following + 1 if following != -1 else len(text)
        text = text[:insert_at] + block + "\n\n" + text[insert_at:]
    tmp = card.with_name(f".{card.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, card)
    return card


def _template_sentence(template: dict) -> str:
    """How far the Modelfile's TEMPLATE can be trusted, said plainly."""
    if not template.get("derived"):
        return (f"The Modelfile has no TEMPLATE: it could not be derived ({template.get('problem')}), so Ollama picks "
                "the closest of its own templates to the chat template stored in the GGUF, which may not render the "
                "same prompt; check the prompt Ollama builds before relying on it.")
    if template.get("limitation"):
        return ("The Modelfile's TEMPLATE renders the same prompt as the model's own chat template on the checked "
                f"conversations, but NOT in every case: {template.get('limitation')}.")
    return "The Modelfile's TEMPLATE renders the same prompt as the model's own chat template (checked when it was written)."
