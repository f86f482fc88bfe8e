"""Stage 4: what quantization costs, measured on the run's held-out conversations.

The same token sequences (the held-out split through the model's chat template) go through the
merged model (transformers) and through each GGUF (llama-cpp-python, logits for every position).
Perplexity is exp(mean negative log-likelihood of each next token); agreement is the share of
positions where a GGUF's most likely next token is the merged model's.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from medtui.config import Config
from medtui.train import events as ev


def worker_threads() -> int:
    """Half the logical CPUs: llama.cpp's and torch's spinning threads slow to a crawl when they
    outnumber the cores they actually get (measured 10x on a busy 2-core machine)."""
    return max(1, (os.cpu_count() or 2) // 2)


@dataclass
class Score:
    perplexity: float
    agreement: float | None = None  # None for the merged model itself


@dataclass
class FidelityReport:
    records: int
    tokens: int
    merged: Score | None = None
    gguf: dict[str, Score] = field(default_factory=dict)
    source: str = ""  # where the held-out conversations came from

    def to_dict(self) -> dict:
        return {
            "records": self.records, "tokens": self.tokens, "source": self.source,
            "merged_perplexity": self.merged.perplexity if self.merged else None,
            "gguf": {q: {"perplexity": s.perplexity, "agreement": s.agreement} for q, s in self.gguf.items()},
        }


def held_out_conversations(run_dir: Path, run_cfg: Config, tokenizer, limit: int) -> tuple[list[list[dict]], str]:
    """The run's held-out split: the snapshot the run trained against, else prepared again from its config."""
    from medtui.export.source import ExportError
    from medtui.files import NO_SUCH_FILE, file_problem

    snapshot = Path(run_dir) / ev.DATASET_DIR / ev.EVAL_DATA_FILE
    conversations: list[list[dict]] = []
    problem = file_problem(snapshot)
    if problem is None:
        lineno = 0
        try:
            with open(snapshot, encoding="utf-8") as handle:
                for lineno, line in enumerate(handle, 1):
                    line = line.strip()
                    if line:
                        conversations.append(_snapshot_conversation(json.loads(line)))
                    if len(conversations) >= limit:
                        break
        except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, not a conversation
            reason = str(exc).splitlines()[0] if str(exc) else "not readable"
            raise ExportError(f"{snapshot}: line {lineno}: not a held-out conversation medtui wrote ({reason}); "
                              "the run folder is damaged",
                              hint="export without the fidelity report: --set export.fidelity_records=0") from None
        return conversations, f"{snapshot}"
    if problem != NO_SUCH_FILE:
        raise ExportError(f"{snapshot}: {problem}; the run folder is damaged",
                          hint="export without the fidelity report: --set export.fidelity_records=0")
    from medtui.data import prepare_training_data

    prepared = prepare_training_data(run_cfg, tokenizer)
    return prepared.eval[:limit], "the held-out split of the run's data config"


def _snapshot_conversation(record) -> list[dict]:
    messages = record.get("messages") if isinstance(record, dict) else record
    if not (isinstance(messages, list) and messages and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in messages)):
        raise ValueError("expected {\"messages\": [{\"role\": ..., \"content\": ...}, ...]}")
    return messages


def token_sequences(tokenizer, conversations: list[list[dict]], max_length: int) -> list[list[int]]:
    """The conversations as the run trained on them (medtui.data.templates.training_format: the
    system prompt folded where the template has no system role, one BOS), cut to max_length."""
    from medtui.data.templates import training_format

    fmt = training_format(tokenizer)
    sequences = []
    for messages in conversations:
        ids = fmt.encode(messages, assistant_only_loss=False).ids[:max_length]
        if len(ids) >= 2:
            sequences.append(ids)
    return sequences


def _nll_and_top1(logits, targets, rows: int = 64):
    """Per-position negative log-likelihood of `targets` and the argmax, from a (n, vocab) array.
    In blocks of rows, so a 150k-token vocabulary does not need gigabytes of temporaries."""
    import numpy as np

    logits = np.asarray(logits, dtype=np.float32)
    nll = np.empty(len(targets), dtype=np.float64)
    top1 = np.empty(len(targets), dtype=np.int64)
    for start in range(0, len(targets), rows):
        block = logits[start:start + rows].astype(np.float64)
        peak = block.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(block - peak).sum(axis=1)) + peak[:, 0]
        picked = block[np.arange(len(block)), targets[start:start + rows]]
        nll[start:start + len(block)] = log_norm - picked
        top1[start:start + len(block)] = block.argmax(axis=1)
    return nll, top1


def score_merged(merged_dir: Path, sequences: list[list[int]], device: str = "cpu",
                 step: Callable[[], None] = lambda: None):
    """(perplexity, top-1 predictions per sequence) of the merged model."""
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM

    from medtui.models import MODEL_BUILD_LOCK

    if device != "cuda":
        torch.set_num_threads(worker_threads())
    with MODEL_BUILD_LOCK:
        model = AutoModelForCausalLM.from_pretrained(str(merged_dir), dtype="auto",
                                                     device_map={"": device} if device == "cuda" else None)
    model.eval()
    total_nll, total = 0.0, 0
    predictions = []
    with torch.inference_mode():
        for ids in sequences:
            tensor = torch.tensor([ids], device=model.device)
            logits = model(input_ids=tensor).logits[0, :-1].float().cpu().numpy()
            nll, top1 = _nll_and_top1(logits, np.array(ids[1:]))
            total_nll += float(nll.sum())
            total += len(nll)
            predictions.append(top1)
            step()
    del model
    return math.exp(total_nll / total), predictions


def score_gguf(path: Path, sequences: list[list[int]], reference_top1, step: Callable[[], None] = lambda: None) -> Score:
    import numpy as np

    from medtui.export.gguf import open_gguf

    longest = max(len(s) for s in sequences)
    llm = open_gguf(path, n_ctx=max(64, longest + 8), n_batch=min(512, max(64, longest)),
                    logits_all=True, n_threads=worker_threads(), n_threads_batch=worker_threads(),
                    n_gpu_layers=-1)
    total_nll, total, agree = 0.0, 0, 0
    try:
        for ids, reference in zip(sequences, reference_top1):
            llm.reset()
            llm.eval(ids)
            logits = np.array(llm.scores[: len(ids) - 1], copy=True)
            nll, top1 = _nll_and_top1(logits, np.array(ids[1:]))
            total_nll += float(nll.sum())
            total += len(nll)
            agree += int((top1 == reference).sum())
            step()
    finally:
        llm.close()
    return Score(math.exp(total_nll / total), agree / total)
