"""The training worker: trains one run folder with TRL's SFTTrainer and writes its event log.

Run as `python -m medtui.train.worker RUN_DIR [--resume-from STEP]`, alone or as one rank of
several under `accelerate launch`. Rank 0 holds the run's lock and writes every event; the other
ranks only train. Everything the worker needs is in the run folder (the resolved config and the
data snapshot), so a resume trains on exactly what the start trained on.
"""

from __future__ import annotations
from medtui.errors import MedtuiError

import argparse
import json
import logging
import math
import os
import shutil
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from medtui.train.events import (
    ADAPTER_DIR,
    COMPLETE_MARKER,
    CONFIG_FILE,
    DATA_FILE,
    DATASET_DIR,
    EVAL_DATA_FILE,
    TRAIN_DATA_FILE,
    EventWriter,
    WorkerLock,
    describe_event,
    drop_set_aside,
    read_events,
    restore_set_aside,
    set_aside_later_checkpoints,
    timeline,
    worker_pid,
)

ADAPTER_INFO_FILE = "medtui-adapter.json"

_stop_requested = False


class SetupError(MedtuiError):
    """A run that cannot train as configured; the message names the key to change."""


def _request_stop(signum, frame) -> None:
    global _stop_requested
    if not _stop_requested:
        print(f"medtui worker: stop requested (signal {signum}); saving a checkpoint at the end of this step", flush=True)
    _stop_requested = True


# --------------------------------------------------------------------------- chat template

def training_format_for(tokenizer, assistant_only_loss: bool):
    """How this run renders and masks conversations: the same medtui.data.training_format the Data
    pane's preview shows. With assistant-only loss, a template whose answers cannot be found, or
    that writes no end-of-turn token (the model would never learn to stop), stops the run here."""
    from medtui.data import training_format

    fmt = training_format(tokenizer)
    if assistant_only_loss and fmt.warning:
        raise SetupError(fmt.warning)
    return fmt


def tokenize_conversations(fmt, conversations: list[list[dict]], assistant_only_loss: bool, name: str):
    """input_ids and assistant_masks for each conversation, rendered with the model's own template
    (one BOS, the system prompt folded where the template has no system role). With assistant-only
    loss the mask covers each answer and its end-of-turn token; otherwise every token."""
    from datasets import Dataset

    from medtui.data.templates import TemplateMaskError

    rows = []
    for index, messages in enumerate(conversations, 1):
        try:
            encoded = fmt.encode(messages, assistant_only_loss)
        except TemplateMaskError as exc:
            raise SetupError(f"{name} record {index}: {exc}",
                             hint="set [train] assistant_only_loss = false to train on whole conversations") from None
        if assistant_only_loss and 1 not in encoded.mask:
            raise SetupError(f"{name} record {index} has no assistant tokens to learn from")
        rows.append({"input_ids": encoded.ids, "assistant_masks": encoded.mask} if assistant_only_loss
                    else {"input_ids": encoded.ids})
    return Dataset.from_list(rows)


# --------------------------------------------------------------------------- helpers

def read_snapshot(run_dir: Path, name: str) -> list[list[dict]]:
    path = run_dir / DATASET_DIR / name
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line)["messages"] for line in handle if line.strip()]


def memory_mb(device: str) -> float:
    if device == "cuda":
        import torch

        # The peak since the worker started: what decides whether a run fits the GPU.
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    try:
        import psutil

        return round(psutil.Process().memory_info().rss / 2**20, 1)
    except ImportError:
        with open("/proc/self/statm") as handle:
            return round(int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def choose_device(cfg) -> str:
    import torch

    if cfg.train.device == "cpu":
        return "cpu"
    if cfg.train.device == "cuda" or torch.cuda.is_available():
        return "cuda"
    return "cpu"


def choose_dtype(cfg, device: str):
    import torch

    named = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    if cfg.model.dtype != "auto":
        return named[cfg.model.dtype]
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def planned_steps(cfg, n_train: int, world: int) -> int:
    t = cfg.train
    if t.max_steps > 0:
        return t.max_steps
    batches = math.ceil(n_train / (t.per_device_train_batch_size * world))
    return max(1, math.ceil(math.ceil(batches / t.gradient_accumulation_steps) * t.num_train_epochs))


def describe_failure(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "OutOfMemoryError" or "out of memory" in text.lower():
        return ("out of GPU memory: lower [train] per_device_train_batch_size or [model] max_length, or turn on "
                "[train] gradient_checkpointing and [model] load_in_4bit")
    if isinstance(exc, MemoryError):
        return "out of RAM: lower [train] per_device_train_batch_size or [model] max_length, or turn on [model] load_in_4bit"
    if isinstance(exc, MedtuiError):
        return exc.describe()
    first = text.splitlines()[0] if text else ""
    return f"{name}: {first[:400]} (traceback in worker.log)"


def _write_marker(checkpoint: Path, step: int) -> None:
    tmp = checkpoint / f".{COMPLETE_MARKER}.tmp"
    tmp.write_text(json.dumps({"step": step, "time": round(time.time(), 3)}))
    os.replace(tmp, checkpoint / COMPLETE_MARKER)


def _distributed():
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1 else None


# --------------------------------------------------------------------------- events from the trainer

def event_callback_class():
    from transformers import EarlyStoppingCallback, TrainerCallback

    class EventCallback(TrainerCallback):
        """Turns the trainer's logs, evaluations and saves into events, and stop requests into a
        checkpoint at the current step. Every rank runs it; only rank 0 writes."""

        def __init__(self, writer: EventWriter | None, run_dir: Path, device: str, elapsed_before: float):
            self.writer = writer
            self.run_dir = run_dir
            self.device = device
            self.elapsed_before = elapsed_before
            self.trainer = None  # set once the trainer exists
            self.stopping = False
            self.early_stop: dict[str, Any] | None = None

        def _emit(self, event: str, **fields) -> None:
            if self.writer is not None:
                self.writer.write(event, **fields)

        def on_train_begin(self, args, state, control, **kwargs):
            self.begin = time.monotonic()
            self.first_step = state.global_step
            self.last_log_time = self.begin
            self.last_tokens = float(getattr(self.trainer, "_total_train_tokens", 0) or 0)

        def on_step_end(self, args, state, control, **kwargs):
            stop = _stop_requested
            dist = _distributed()
            if dist is not None:
                import torch

                # Every rank must leave the loop at the same step, or the others wait forever.
                flag = torch.tensor([1 if stop else 0], device=args.device)
                dist.all_reduce(flag, op=dist.ReduceOp.MAX)
                stop = bool(flag.item())
            if stop:
                self.stopping = True
                control.should_save = True
                control.should_training_stop = True
            if control.should_save and self.writer is not None:
                # A folder re-saved at this step (after a resume) is incomplete until saved again.
                stale = self.run_dir / f"checkpoint-{state.global_step}" / COMPLETE_MARKER
                stale.unlink(missing_ok=True)

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if self.writer is None or "loss" not in logs or "train_runtime" in logs:
                return
            now = time.monotonic()
            tokens = logs.get("num_tokens")
            tokens_per_s = None
            if tokens is not None and now > self.last_log_time:
                tokens_per_s = round((float(tokens) - self.last_tokens) / (now - self.last_log_time), 1)
                self.last_tokens = float(tokens)
            self.last_log_time = now
            session = now - self.begin
            done = state.global_step - self.first_step
            eta = (state.max_steps - state.global_step) * session / done if done > 0 else None
            record = self.writer.write(
                "step", step=state.global_step, total=state.max_steps, epoch=round(state.epoch or 0.0, 4),
                loss=logs.get("loss"), learning_rate=logs.get("learning_rate"), grad_norm=logs.get("grad_norm"),
                tokens_per_s=tokens_per_s, memory_mb=memory_mb(self.device),
                elapsed=round(self.elapsed_before + session, 2), eta=None if eta is None else round(eta, 1),
            )
            print(describe_event(record), flush=True)

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            self.last_log_time = time.monotonic()  # tokens/s measures training, not evaluation
            metrics = metrics or {}
            if "eval_loss" in metrics:
                self._emit("eval", step=state.global_step, eval_loss=metrics["eval_loss"])
                if self.writer is not None:
                    print(f"eval at step {state.global_step}: eval_loss {metrics['eval_loss']}", flush=True)

        def on_save(self, args, state, control, **kwargs):
            dist = _distributed()
            if dist is not None:
                dist.barrier()  # every rank's part of the checkpoint (its RNG state) is on disk
            self.last_log_time = time.monotonic()  # tokens/s measures training, not saving
            if self.writer is None:
                return
            checkpoint = self.run_dir / f"checkpoint-{state.global_step}"
            if checkpoint.is_dir():
                _write_marker(checkpoint, state.global_step)
                self._emit("checkpoint", step=state.global_step, path=str(checkpoint))
                drop_set_aside(self.run_dir)  # the resumed run has a checkpoint of its own now

        def on_train_end(self, args, state, control, **kwargs):
            if self.stopping or self.trainer is None:
                return
            for callback in self.trainer.callback_handler.callbacks:
                if isinstance(callback, EarlyStoppingCallback):
                    if callback.early_stopping_patience_counter >= callback.early_stopping_patience:
                        self.early_stop = {
                            "step": state.global_step, "best_step": state.best_global_step,
                            "best_eval_loss": state.best_metric, "patience": callback.early_stopping_patience,
                        }
                        self._emit("early_stop", **self.early_stop)

    return EventCallback


# --------------------------------------------------------------------------- the run

class TrainingSession:
    def __init__(self, run_dir: Path, writer: EventWriter | None, rank: int, world: int, resume_from: int | None,
                 allow_remote_code: bool = False):
        self.run_dir = run_dir
        self.writer = writer
        self.rank = rank
        self.world = world
        self.resume_from = resume_from
        self.allow_remote_code = allow_remote_code
        self.trainer = None
        self._step = resume_from or 0

    @property
    def step(self) -> int:
        return self.trainer.state.global_step if self.trainer is not None else self._step

    def emit(self, event: str, **fields) -> None:
        if self.writer is not None:
            self.writer.write(event, **fields)

    def run(self) -> str:
        from medtui.models import model_label

        cfg = run_config(self.run_dir, self.allow_remote_code)
        train_convs = read_snapshot(self.run_dir, TRAIN_DATA_FILE)
        eval_convs = read_snapshot(self.run_dir, EVAL_DATA_FILE)
        if not train_convs:
            raise SetupError(f"{self.run_dir / DATASET_DIR / TRAIN_DATA_FILE}: the run's data snapshot holds no record")
        data_info = json.loads((self.run_dir / DATA_FILE).read_text())
        total = planned_steps(cfg, len(train_convs), self.world)
        checkpoint = None
        elapsed_before = 0.0
        if self.resume_from is None:
            self.emit("started", run=self.run_dir.name, model=model_label(cfg.model.name), config=cfg.as_dict(),
                      counts=data_info.get("counts", {}), total=total, num_processes=self.world,
                      notes=data_info.get("notes", []))
        else:
            checkpoint = self.run_dir / f"checkpoint-{self.resume_from}"
            if not (checkpoint / COMPLETE_MARKER).exists():
                raise SetupError(f"{checkpoint} is not a complete checkpoint")
            set_aside = set_aside_later_checkpoints(self.run_dir, self.resume_from) if self.writer is not None else []
            previous = [e for e in timeline(read_events(self.run_dir)) if e["event"] == "step"
                        and e["step"] <= self.resume_from]
            elapsed_before = float(previous[-1].get("elapsed") or 0.0) if previous else 0.0
            fields = {"from_step": self.resume_from, "checkpoint": str(checkpoint), "total": total,
                      "num_processes": self.world}
            if set_aside:
                fields["set_aside"] = set_aside
            self.emit("resumed", **fields)
        print(f"medtui worker: {len(train_convs)} training and {len(eval_convs)} eval conversations", flush=True)

        import torch  # noqa: F401  (after the events above: the log shows the run began at once)
        from datasets.utils.logging import disable_progress_bar
        from transformers.utils import logging as hf_logging

        disable_progress_bar()
        hf_logging.set_verbosity_warning()
        hf_logging.disable_progress_bar()
        # bitsandbytes' notice about a hub kernel it cannot fetch offline only misleads in the log.
        logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", category=FutureWarning)
        from medtui.models import load_tokenizer, resolve_model

        model_path = resolve_model(cfg.model.name, cfg.model.cache_dir)
        tokenizer = load_tokenizer(model_path, trust_remote_code=cfg.model.trust_remote_code)
        only_answers = cfg.train.assistant_only_loss
        fmt = training_format_for(tokenizer, only_answers)
        train_ds = tokenize_conversations(fmt, train_convs, only_answers, "training")
        eval_ds = tokenize_conversations(fmt, eval_convs, only_answers, "eval") if eval_convs else None

        device = choose_device(cfg)
        dtype = choose_dtype(cfg, device)
        model = load_model(cfg, model_path, device, dtype)
        args = build_training_args(cfg, self.run_dir, device, dtype, has_eval=eval_ds is not None)
        trainer, events = build_trainer(cfg, model, tokenizer, args, train_ds, eval_ds, self.writer,
                                        self.run_dir, device, elapsed_before)
        self.trainer = trainer
        if _stop_requested:
            self.emit("stopped", step=self.step, checkpoint=str(checkpoint) if checkpoint else None)
            return "stopped"
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        if events.stopping:
            saved = self.run_dir / f"checkpoint-{self.step}"
            self.emit("stopped", step=self.step, checkpoint=str(saved) if saved.is_dir() else None)
            return "stopped"
        adapter = self._save_adapter(trainer, tokenizer, cfg, model_path) if self.writer is not None else None
        losses = [e["loss"] for e in read_events(self.run_dir) if e["event"] == "step"] if self.writer else []
        state = trainer.state
        self.emit("finished", step=self.step, loss=losses[-1] if losses else None, adapter=str(adapter),
                  best_step=state.best_global_step, best_eval_loss=state.best_metric,
                  elapsed=round(elapsed_before + (time.monotonic() - events.begin), 2))
        return "finished"

    def _save_adapter(self, trainer, tokenizer, cfg, model_path) -> Path:
        """adapter/ appears whole or not at all: written beside it, then renamed into place."""
        target = self.run_dir / ADAPTER_DIR
        tmp = self.run_dir / f".{ADAPTER_DIR}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        trainer.model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        info = {"base_model": str(model_path), "model_name": cfg.model.name, "step": trainer.state.global_step,
                "best_step": trainer.state.best_global_step}
        (tmp / ADAPTER_INFO_FILE).write_text(json.dumps(info, indent=2))
        old = self.run_dir / f".{ADAPTER_DIR}.old"
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
        print(f"medtui worker: adapter saved to {target}", flush=True)
        return target


def run_config(run_dir: Path, allow_remote_code: bool):
    """The run's config as the worker trains with it: `trust_remote_code` from the run folder holds
    only when the launcher passed --trust-remote-code (the user's own config allows it)."""
    from medtui.config import load_config

    cfg = load_config(Path(run_dir) / CONFIG_FILE)
    if cfg.model.trust_remote_code and not allow_remote_code:
        print("medtui worker: the run's config asks for trust_remote_code but the user's config does not allow "
              "it; the model's own code is not run", flush=True)
        cfg = cfg.with_overrides(["model.trust_remote_code=false"])
    return cfg


def load_model(cfg, model_path, device: str, dtype):
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    kwargs: dict[str, Any] = {"trust_remote_code": cfg.model.trust_remote_code}
    if cfg.model.load_in_4bit:
        # On CPU the 4-bit kernels compute in bfloat16; the unquantized parts stay float32.
        compute = dtype if device == "cuda" else torch.bfloat16
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute,
            bnb_4bit_use_double_quant=True,
        )
    kwargs["dtype"] = dtype
    if device == "cuda":
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    return AutoModelForCausalLM.from_pretrained(str(model_path), **kwargs)


TRACKER_DIR = "tensorboard"


def prepare_trackers(cfg, run_dir: Path) -> list[str]:
    """train.report_to, checked and pointed at the run folder: TensorBoard event files go to
    <run>/tensorboard; wandb and mlflow log offline into the run folder unless the user's
    environment already says where (WANDB_MODE, MLFLOW_TRACKING_URI); trackio logs locally
    (its default when no Space is named)."""
    from transformers.integrations import integration_utils as hf

    wanted = list(dict.fromkeys(cfg.train.report_to))
    available = {"tensorboard": hf.is_tensorboard_available, "wandb": hf.is_wandb_available,
                 "mlflow": hf.is_mlflow_available, "trackio": hf.is_trackio_available}
    missing = [name for name in wanted if not available[name]()]
    if missing:
        raise SetupError(f"[train] report_to names {', '.join(missing)}, which is not installed in this environment",
                         hint=f"pip install {' '.join(missing)}, or remove it from [train] report_to")
    if "tensorboard" in wanted:
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(Path(run_dir) / TRACKER_DIR)
    if "wandb" in wanted:
        os.environ.setdefault("WANDB_MODE", "offline")
        os.environ.setdefault("WANDB_DIR", str(run_dir))
    if "mlflow" in wanted:
        os.environ.setdefault("MLFLOW_TRACKING_URI", (Path(run_dir) / "mlruns").as_uri())
    return wanted


def build_training_args(cfg, run_dir: Path, device: str, dtype, has_eval: bool):
    import torch
    from trl import SFTConfig

    t = cfg.train
    early = t.early_stopping_patience > 0 and has_eval
    padding_free_only = t.padding_free and not t.packing
    return SFTConfig(
        output_dir=str(run_dir),
        use_cpu=device == "cpu",
        bf16=device == "cuda" and dtype == torch.bfloat16,
        fp16=device == "cuda" and dtype == torch.float16,
        max_steps=t.max_steps,
        num_train_epochs=t.num_train_epochs,
        per_device_train_batch_size=t.per_device_train_batch_size,
        per_device_eval_batch_size=t.per_device_train_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler_type,
        # transformers 5 takes the warm-up share as a float below 1 in warmup_steps.
        warmup_steps=min(t.warmup_ratio, 0.999),
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        optim=t.optim,
        logging_steps=t.logging_steps,
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit or None,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=t.eval_steps if has_eval else None,
        prediction_loss_only=True,
        load_best_model_at_end=early,
        metric_for_best_model="eval_loss" if early else None,
        greater_is_better=False if early else None,
        seed=t.seed,
        data_seed=t.seed,
        # transformers 5 calls gradient checkpointing activation checkpointing; the config keeps TRL's name.
        activation_checkpointing=t.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if t.gradient_checkpointing else None,
        ddp_find_unused_parameters=False,
        # The data stage already excluded records over max_length; padding-free without packing
        # cannot enforce a length itself.
        max_length=None if padding_free_only else cfg.model.max_length,
        packing=t.packing,
        padding_free=t.padding_free,
        restore_callback_states_from_checkpoint=True,
        report_to=prepare_trackers(cfg, run_dir),
        run_name=Path(run_dir).name,
        disable_tqdm=True,
        logging_strategy="steps",
        save_only_model=False,
        dataloader_num_workers=0,
    )


def build_trainer(cfg, model, tokenizer, args, train_ds, eval_ds, writer, run_dir, device, elapsed_before):
    from peft import LoraConfig
    from transformers import EarlyStoppingCallback
    from trl import SFTTrainer

    lora = cfg.lora
    peft_config = LoraConfig(
        r=lora.r, lora_alpha=lora.lora_alpha, lora_dropout=lora.lora_dropout, bias=lora.bias,
        target_modules=lora.target_modules, task_type="CAUSAL_LM",
    )
    events = event_callback_class()(writer, run_dir, device, elapsed_before)
    callbacks = []
    if args.load_best_model_at_end:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.train.early_stopping_patience))
    callbacks.append(events)
    class Trainer(SFTTrainer):
        def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
            # TRL trains a QLoRA adapter in bfloat16, but PEFT's load_adapter (used on resume)
            # upcasts it to float32: the resumed steps would then differ from the uninterrupted
            # ones. Put every trainable weight back in the dtype it had before loading.
            target = model if model is not None else self.model
            before = {name: p.dtype for name, p in target.named_parameters() if p.requires_grad}
            super()._load_from_checkpoint(resume_from_checkpoint, model)
            for name, param in target.named_parameters():
                if param.requires_grad and name in before and param.dtype != before[name]:
                    param.data = param.data.to(before[name])

    trainer = Trainer(
        model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds, processing_class=tokenizer,
        peft_config=peft_config, callbacks=callbacks,
    )
    events.trainer = trainer
    return trainer, events


# --------------------------------------------------------------------------- entry point

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medtui.train.worker", description="medtui's training worker")
    parser.add_argument("run_dir")
    parser.add_argument("--resume-from", type=int, default=None, metavar="STEP")
    parser.add_argument("--trust-remote-code", action="store_true",
                        help="the user's config allows the model's own code (the run's config must ask for it too)")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir).resolve()
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    print(f"medtui worker: rank {rank} of {world} (pid {os.getpid()}) on run {run_dir.name}", flush=True)

    lock = writer = None
    if rank == 0:
        lock = WorkerLock(run_dir)
        if not lock.acquire():
            print(f"medtui worker: run {run_dir.name} already has a running worker (pid {worker_pid(run_dir)}); "
                  "not starting a second one", file=sys.stderr, flush=True)
            return 3
        writer = EventWriter(run_dir)
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal is not a reason to stop

    session = TrainingSession(run_dir, writer, rank, world, args.resume_from, args.trust_remote_code)
    try:
        outcome = session.run()
        print(f"medtui worker: rank {rank} {outcome}", flush=True)
        return 0
    except BaseException as exc:  # the event log must always end with a terminal event
        traceback.print_exc()
        sys.stderr.flush()
        if writer is not None:
            writer.write("failed", step=session.step, message=describe_failure(exc))
        return 1
    finally:
        if writer is not None:
            # A resume that ended before saving gives back the checkpoints it set aside.
            restored = restore_set_aside(run_dir)
            if restored:
                print(f"medtui worker: the resumed run saved nothing; checkpoints {restored} are back", flush=True)
            writer.close()
        if lock is not None:
            lock.release()


if __name__ == "__main__":
    sys.exit(main())
