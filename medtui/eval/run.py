"""`run_eval`: the one evaluation workflow, which `medtui eval` and the Eval pane both drive.

It yields EvalEvents while it works (loading a model, each item of each suite, a model done) and
ends with one carrying the side-by-side EvalReport. Models load one at a time through the chat
backends and are unloaded before the next. Each model's record is written into its run folder
as soon as all its suites are done (a GGUF of a medtui export also gets an "Evaluation" section
in the export's model card); stopping (the cancel event, or Ctrl-C in the consumer) ends the
work in flight, unloads the model and writes nothing for unfinished models.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from medtui.errors import UsageError
from medtui.eval.models import EvalModel
from medtui.eval.results import EvalRecord, EvalReport
from medtui.eval.suites import DEFAULT_LIMITS, SUITES, EvalCancelled, SuiteInput


@dataclass
class EvalEvent:
    """kind: plan | load | step | suite | model | done. `fraction` is the whole evaluation's share done."""

    kind: str
    model: str = ""
    suite: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    fraction: float = 0.0
    record: EvalRecord | None = None
    file: Path | None = None
    report: EvalReport | None = None


def check_suites(suites: list[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(suites or SUITES))
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        raise UsageError(f"unknown suite {', '.join(unknown)}; suites are {', '.join(SUITES)}")
    return chosen


def _held_out(cfg, models: list[EvalModel]) -> tuple[list[list[dict]], str]:
    """The held-out conversations every model is scored on: those of the first run among the
    models (the snapshot it trained against), else the held-out split of the current config."""
    from medtui.export.fidelity import held_out_conversations
    from medtui.export.source import run_config

    run_dir = next((m.run_dir for m in models if m.run_dir is not None), None)
    if run_dir is not None:
        return held_out_conversations(run_dir, run_config(run_dir, cfg), None, 10**9)
    from medtui.data import prepare_training_data

    return prepare_training_data(cfg, None).eval, "the held-out split of the current config"


def data_file(cfg, value: str) -> Path:
    """An [eval] file: relative to the config's folder, else the copy shipped in medtui's data/
    folder (so the defaults work from any working folder)."""
    path = cfg.path(value)
    if not path.exists() and not Path(value).is_absolute():
        import medtui

        shipped = Path(medtui.__file__).resolve().parents[1] / value
        if shipped.exists():
            return shipped
    return path


def _prepare(cfg, models: list[EvalModel], suites: list[str], limit: int | None) -> SuiteInput:
    from medtui.eval.suites import check_mcq_file, interleave, load_prompts

    limits = {s: (limit if limit is not None else DEFAULT_LIMITS[s]) for s in SUITES}
    data = SuiteInput(cfg, limits, cfg.eval.max_new_tokens, cfg.model.max_length)
    if {"heldout", "answers"} & set(suites):
        data.conversations, data.conversations_source = _held_out(cfg, models)
        if not data.conversations:
            raise UsageError("no held-out conversations to evaluate on",
                             hint="set [data] eval_file or eval_split, or evaluate a run")
    if "safety" in suites:
        data.safety_file = str(data_file(cfg, cfg.eval.safety_file))
        data.safety_prompts = interleave(load_prompts(Path(data.safety_file)))
    if "mcq" in suites:
        data.mcq_file = str(data_file(cfg, cfg.eval.mcq_file))
        check_mcq_file(Path(data.mcq_file))
    return data


def _reused_fidelity(model: EvalModel, data: SuiteInput) -> dict | None:
    """The export's own perplexity for this GGUF, when it scored exactly the records heldout would."""
    if model.export_dir is None or model.run_dir is None:
        return None
    import json

    try:
        from medtui.chat.sources import EXPORT_MANIFEST

        info = json.loads((model.export_dir / EXPORT_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fidelity = info.get("fidelity") or {}
    score = (fidelity.get("gguf") or {}).get(model.quant) or {}
    wanted = len(data.take("heldout", data.conversations))
    same_source = str(model.run_dir) in str(fidelity.get("source", "")) and str(model.run_dir) in data.conversations_source
    if not score.get("perplexity") or fidelity.get("records") != wanted or not same_source:
        return None
    ppl = float(score["perplexity"])
    return {"loss": math.log(ppl), "perplexity": ppl, "records": wanted, "tokens": fidelity.get("tokens")}


class _Threaded:
    """`work(step)` in a thread; iterating yields its step reports here, then `value` holds its
    result (or its exception is raised). `stop()` cancels the work and waits for it: a consumer
    that goes away (Ctrl-C, close()) never leaves a model busy behind it."""

    def __init__(self, work: Callable[[Callable[[int, int, str], None]], Any], cancel: threading.Event):
        self.cancel = cancel
        self.value: Any = None
        self._reports: queue.Queue = queue.Queue()
        self._outcome: dict[str, Any] = {}
        self._worker = threading.Thread(target=self._run, args=(work,), name="medtui-eval", daemon=True)
        self._worker.start()

    def _run(self, work) -> None:
        try:
            self._outcome["value"] = work(lambda done, total, message: self._reports.put((done, total, message)))
        except BaseException as exc:  # re-raised in the consumer's thread
            self._outcome["error"] = exc
        finally:
            self._reports.put(None)

    def __iter__(self) -> Iterator[tuple[int, int, str]]:
        try:
            while True:
                try:
                    item = self._reports.get(timeout=0.2)
                except queue.Empty:
                    continue
                if item is None:
                    break
                yield item
        finally:
            self.stop()
        if "error" in self._outcome:
            raise self._outcome["error"]
        self.value = self._outcome.get("value")

    def stop(self) -> None:
        if self._worker.is_alive():
            self.cancel.set()
            self._worker.join()


def run_eval(cfg, models: list[EvalModel], suites: list[str] | None = None, limit: int | None = None,
             progress: Callable[[EvalEvent], None] | None = None,
             cancel: threading.Event | None = None) -> Iterator[EvalEvent]:
    """Evaluate every model on every suite; yields EvalEvents, the last of kind "done"."""
    from medtui.chat.sources import make_backend
    from medtui.eval import suites as suite_code
    from medtui.eval.scoring import Scorer

    if not models:
        raise UsageError("name at least one model to evaluate: base, RUN[:CHECKPOINT] or a .gguf file")
    chosen = check_suites(suites)
    if limit is not None and limit < 1:
        raise UsageError(f"--limit {limit}: give a positive number of items per suite")
    cancel = cancel or threading.Event()
    report = EvalReport()
    units = len(models) * (len(chosen) + 1)  # loading counts as one unit per model
    finished = 0

    def event(**kwargs) -> EvalEvent:
        made = EvalEvent(**kwargs)
        if progress is not None:
            progress(made)
        return made

    yield event(kind="plan", message=f"{len(models)} model(s) x {len(chosen)} suite(s)", total=units)
    data = _prepare(cfg, models, chosen, limit)
    data.cancel = cancel
    for model in models:
        if cancel.is_set():
            raise EvalCancelled("evaluation stopped")
        backend = make_backend(model.choice, cfg)
        scorer = Scorer(backend, context=max(cfg.chat.context_length, cfg.model.max_length + 8))
        record = EvalRecord(model=model.info())
        running = None
        try:
            def load(step, backend=backend):
                backend.load(lambda message: step(0, 1, message))
            running = _Threaded(load, cancel)
            for _, _, message in running:
                yield event(kind="load", model=model.label, message=message, fraction=finished / units)
            finished += 1
            for suite in chosen:
                started = time.monotonic()
                reused = _reused_fidelity(model, data) if suite == "heldout" else None
                if reused is not None:
                    metrics, examples = reused, []
                    yield event(kind="step", model=model.label, suite=suite, done=1, total=1,
                                message="reusing the export's fidelity perplexity", fraction=finished / units)
                else:
                    code = getattr(suite_code, suite)
                    subject = backend if suite in ("answers", "safety") else scorer

                    def work(step, code=code, subject=subject):
                        return code(subject, data, step)
                    running = _Threaded(work, cancel)
                    for done, total, message in running:
                        yield event(kind="step", model=model.label, suite=suite, done=done, total=total,
                                    message=message, fraction=(finished + (done / total if total else 0)) / units)
                    metrics, examples = running.value
                if cancel.is_set():
                    raise EvalCancelled("evaluation stopped")
                record.metrics[suite] = metrics
                if examples:
                    record.examples[suite] = examples
                record.seconds[suite] = round(time.monotonic() - started, 2)
                finished += 1
                yield event(kind="suite", model=model.label, suite=suite, fraction=finished / units,
                            message=f"{suite} done in {record.seconds[suite]:.1f} s")
            record.settings = {
                "limits": {s: data.limits[s] for s in chosen}, "max_new_tokens": data.max_new_tokens,
                "held_out": data.conversations_source, "safety_file": data.safety_file, "mcq_file": data.mcq_file,
                "device": backend.device_used,
                "reused": ["heldout"] if "heldout" in chosen and _reused_fidelity(model, data) else [],
            }
        finally:
            if running is not None:
                running.stop()  # the consumer left mid-suite: finish the item in flight first
            scorer.close()
            backend.unload()
        record.created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        file = record.write(model.run_dir) if model.run_dir is not None else None
        if model.export_dir is not None:
            from medtui.export.card import add_eval_to_card

            add_eval_to_card(model.export_dir, record)
        report.add(record, file)
        yield event(kind="model", model=model.label, record=record, file=file, fraction=finished / units,
                    message=f"results written to {file}" if file else "results not stored (no run folder)")
    yield event(kind="done", report=report, fraction=1.0, message="evaluation finished")
