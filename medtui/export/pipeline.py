"""An export from start to finish: merge -> GGUF F16 -> quantized GGUFs -> fidelity -> Modelfile -> card.

Nothing half-written is ever where a user would take it for finished. All work happens in a
hidden build folder inside the export folder (`.building-<name>-<pid>`, locked while its process
lives), which is renamed to `<run-id>-<checkpoint>` only when everything is written, export.json
last. An interrupted export (Ctrl-C, SIGTERM) deletes its build folder; a killed one leaves a
hidden folder that the next export removes once its lock is free. A second export of the same
checkpoint gets a numbered name (`-2`) unless `force`, which replaces the old one in one rename.

The F16 GGUF is an intermediate: it stays in the export only when F16 is among the requested
types, otherwise it is deleted before the folder is published (it is as large as the merged model).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from medtui import __version__
from medtui.config import QUANT_TYPES, Config
from medtui.export.source import FINAL, ExportError, ExportSource, resolve_source

EXPORT_FILE = "export.json"
MODELFILE = "Modelfile"
CARD_FILE = "README.md"
MERGED_DIR = "merged"
BUILD_PREFIX = ".building-"
TRASH_PREFIX = ".replaced-"

# (stage, what the progress bar says)
STAGES: tuple[tuple[str, str], ...] = (
    ("merge", "Merge adapter"),
    ("convert", "Convert to GGUF F16"),
    ("quantize", "Quantize"),
    ("fidelity", "Fidelity"),
    ("modelfile", "Modelfile"),
    ("card", "Model card"),
)
STAGE_NAMES = tuple(name for name, _ in STAGES)

# Bits per weight of each type, for the disk-space estimate (llama.cpp's own figures, rounded up).
_BITS = {"F16": 16.0, "Q8_0": 8.5, "Q6_K": 6.6, "Q5_K_M": 5.7, "Q5_K_S": 5.6, "Q5_1": 6.0, "Q5_0": 5.5,
         "Q4_K_M": 4.9, "Q4_K_S": 4.6, "Q4_1": 5.0, "Q4_0": 4.5, "Q3_K_L": 4.3, "Q3_K_M": 3.9,
         "Q3_K_S": 3.5, "Q2_K": 3.4}

Progress = Callable[[str, float, str], None]


def _no_progress(stage: str, fraction: float, message: str) -> None:
    pass


@dataclass
class ExportPlan:
    source: ExportSource
    quants: list[str]
    out_root: Path
    final_dir: Path
    base_model: str  # what the run's config names (label)
    base_path: Path | str
    model_slug: str
    ollama_name: str
    needed_bytes: int
    replaces: Path | None = None  # the export `force` replaces


# ---------------------------------------------------------------------------------------------
# Planning


def normalize_quants(quants: list[str] | None, cfg: Config) -> list[str]:
    chosen = list(quants) if quants else list(cfg.export.quants)
    out: list[str] = []
    for q in chosen:
        name = q.strip().upper()
        if name not in QUANT_TYPES:
            raise ExportError(f'unknown quantization type "{q}"; choose from {", ".join(QUANT_TYPES)}')
        if name not in out:
            out.append(name)
    if not out:
        raise ExportError("no quantization type chosen; pass --quant Q4_K_M (or set [export] quants)")
    return out


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "model"


def model_slug(name: str) -> str:
    from medtui.models import EMBEDDED_NAME

    if not name:
        return EMBEDDED_NAME
    return slug(Path(name.rstrip("/")).name)


def ollama_name(source: ExportSource) -> str:
    """A name `ollama create` accepts (lowercase letters, digits, - _ .)."""
    tail = "" if source.checkpoint == FINAL else f"-{source.checkpoint.replace('checkpoint-', 'step')}"
    return slug(f"medtui-{source.run_id}{tail}").lower()


def _weights_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).glob("*.safetensors")) or \
        sum(p.stat().st_size for p in Path(folder).glob("*.bin"))


def _parameter_count(folder: Path) -> int | None:
    import struct

    total = 0
    sizes = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
             "F8_E4M3": 1, "F8_E5M2": 1}
    files = sorted(Path(folder).glob("*.safetensors"))
    if not files:
        return None
    for path in files:
        with open(path, "rb") as handle:
            header = json.loads(handle.read(struct.unpack("<Q", handle.read(8))[0]))
        for key, info in header.items():
            if key == "__metadata__":
                continue
            count = 1
            for dim in info["shape"]:
                count *= dim
            total += count if info["dtype"] in sizes else 0
    return total


def estimate_bytes(base_path: Path | str, quants: list[str]) -> int:
    """Peak disk use of an export: merged weights + F16 GGUF + every quantized file, with 5% slack."""
    folder = Path(base_path)
    if not folder.is_dir():
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(str(base_path), local_files_only=True))
    merged = _weights_bytes(folder)
    params = _parameter_count(folder) or merged // 2
    gguf = sum(params * _BITS.get(q, 8.5) / 8 for q in quants if q != "F16")
    return int((merged + params * 2 + gguf) * 1.05) + 16 * 2 ** 20


def _gb(size: int) -> str:
    return f"{size / 2 ** 30:.1f} GB" if size >= 2 ** 30 else f"{size / 2 ** 20:.0f} MB"


def _lock_free(folder: Path) -> bool:
    lock = folder / ".lock"
    if not lock.exists():
        # A build folder lives a few microseconds before its lock does; only an old one is stale.
        try:
            return time.time() - folder.stat().st_mtime > 60
        except FileNotFoundError:
            return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def remove_stale_builds(out_root: Path) -> list[Path]:
    """Build folders left by exports that were killed outright (their lock is free)."""
    removed = []
    if not out_root.is_dir():
        return removed
    for entry in out_root.iterdir():
        if not entry.is_dir():
            continue
        if entry.name.startswith(BUILD_PREFIX) and _lock_free(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        elif entry.name.startswith(TRASH_PREFIX) and _lock_free(entry):
            # An export being replaced when its replacer was killed: it is the last complete one.
            original = out_root / entry.name[len(TRASH_PREFIX):-7]
            if not original.exists():
                os.replace(entry, original)
            else:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def free_name(out_root: Path, base: str) -> Path:
    for n in range(1, 1000):
        candidate = out_root / (base if n == 1 else f"{base}-{n}")
        if not candidate.exists():
            return candidate
    raise ExportError(f"{out_root} already holds 999 exports named {base}*; delete some")


def plan_export(cfg: Config, target: str, quants: list[str] | None = None, out: str | Path | None = None,
                force: bool = False, checkpoint: str | None = None) -> ExportPlan:
    """Everything checked before any work: the run and adapter, the types, the base model, the
    converter, the disk space and the output name."""
    from medtui.llamacpp import ConverterMissing, converter_script
    from medtui.models import ModelNotAvailable, model_label, resolve_model

    source = resolve_source(cfg, target, checkpoint)
    chosen = normalize_quants(quants, cfg)
    run_cfg = source.run_cfg
    try:
        converter_script(cfg.model.cache_dir)
    except ConverterMissing as exc:
        raise ExportError(str(exc)) from None
    try:
        base_path = resolve_model(run_cfg.model.name, run_cfg.model.cache_dir)
    except ModelNotAvailable as exc:
        raise ExportError(f"the run's base model: {exc}") from None
    out_root = Path(out).expanduser() if out else cfg.path(cfg.export.out_dir)
    try:
        out_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the export folder {out_root}: {exc.strerror}") from None
    if not os.access(out_root, os.W_OK):
        raise ExportError(f"{out_root} is not writable")
    remove_stale_builds(out_root)
    needed = estimate_bytes(base_path, chosen)
    free = shutil.disk_usage(out_root).free
    if free < needed:
        raise ExportError(f"this export needs about {_gb(needed)} free in {out_root} (merged model, GGUF F16 and "
                          f"{', '.join(chosen)}); only {_gb(free)} is free")
    name = f"{source.run_id}-{source.checkpoint}"
    existing = out_root / name
    replaces = existing if force and existing.exists() else None
    final_dir = existing if force else free_name(out_root, name)
    return ExportPlan(source, chosen, out_root, final_dir, model_label(run_cfg.model.name), base_path,
                      model_slug(run_cfg.model.name), ollama_name(source), needed, replaces)


# ---------------------------------------------------------------------------------------------
# Running


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(4 * 2 ** 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _logs_dir(cfg: Config) -> Path:
    from medtui.models import cache_root

    folder = cache_root(cfg.model.cache_dir) / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_run(cfg: Config, target: str, quants: list[str] | None = None, out: str | Path | None = None,
               force: bool = False, checkpoint: str | None = None, progress: Progress | None = None,
               plan: ExportPlan | None = None) -> dict[str, Any]:
    """Run a whole export and return its result (the content of export.json).

    progress(stage, fraction, message) is called as each stage advances; stages are STAGE_NAMES.
    Raises ExportError for anything the user can fix; the build folder is removed on any failure.
    """
    report = progress or _no_progress
    plan = plan or plan_export(cfg, target, quants, out, force, checkpoint)
    build = plan.out_root / f"{BUILD_PREFIX}{plan.final_dir.name}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    build.mkdir()
    lock = open(build / ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        _build(cfg, plan, build, report)
        _publish(plan, build, lock)
        lock = None
        # Read back what was published: the folder may have had to take another name meanwhile.
        return json.loads((plan.final_dir / EXPORT_FILE).read_text(encoding="utf-8"))
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    finally:
        if lock is not None:
            lock.close()


def _build(cfg: Config, plan: ExportPlan, build: Path, report: Progress) -> dict[str, Any]:
    from medtui.export.convert import convert_to_gguf
    from medtui.export.merge import merge_adapter
    from medtui.export.quantize import quantize_gguf

    source, run_cfg = plan.source, plan.source.run_cfg
    final = plan.final_dir
    logs = _logs_dir(cfg)
    timings: dict[str, float] = {}
    warnings: list[str] = list(source.warnings)

    def stage(name: str):
        def at(fraction: float, message: str) -> None:
            report(name, fraction, message)
        return at

    # 1. merge
    started = time.monotonic()
    merged = merge_adapter(plan.base_path, source.adapter_dir, build / MERGED_DIR, cfg.export.merge_device,
                           source.trust_remote_code, stage("merge"))
    timings["merge"] = time.monotonic() - started

    # 2. convert
    started = time.monotonic()
    f16 = build / f"{plan.model_slug}-F16.gguf"
    convert_to_gguf(_converter(cfg), merged.folder, f16, f"{plan.model_slug}-medtui-{source.run_id}",
                    logs / f"{final.name}-convert.log", stage("convert"))
    timings["convert"] = time.monotonic() - started

    # 3. quantize
    started = time.monotonic()
    files: dict[str, Path] = {}
    to_make = [q for q in plan.quants if q != "F16"]
    for n, quant in enumerate(to_make):
        target = build / f"{plan.model_slug}-{quant}.gguf"

        def at(fraction: float, message: str, n=n) -> None:
            report("quantize", (n + fraction) / len(to_make), message)

        quantize_gguf(f16, target, quant, logs / f"{final.name}-{quant}.log", at)
        files[quant] = target
    if "F16" in plan.quants:
        files["F16"] = f16
    ordered = {q: files[q] for q in plan.quants}
    if not to_make:
        report("quantize", 1.0, "F16 only: nothing to quantize")
    timings["quantize"] = time.monotonic() - started

    # 4. fidelity
    started = time.monotonic()
    fidelity = _fidelity(cfg, plan, merged.folder, ordered, report)
    timings["fidelity"] = time.monotonic() - started

    # 5. Modelfile(s)
    started = time.monotonic()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(merged.folder))
    template_info, modelfiles, more_warnings = _write_modelfiles(cfg, plan, build, tokenizer, ordered, report)
    warnings += more_warnings
    timings["modelfile"] = time.monotonic() - started

    # 6. card and export.json
    started = time.monotonic()
    report("card", 0.1, "hashing files")
    if "F16" not in plan.quants:
        f16.unlink()
    _write_text(build / "system-prompt.txt", run_cfg.chat.system_prompt + "\n")
    gguf = []
    for quant, path in ordered.items():
        score = fidelity.gguf.get(quant) if fidelity else None
        gguf.append({
            "quant": quant, "path": str(final / path.name), "bytes": path.stat().st_size,
            "perplexity": score.perplexity if score else None, "agreement": score.agreement if score else None,
        })
    merged_bytes = sum(p.stat().st_size for p in merged.folder.iterdir() if p.is_file())
    first_modelfile = final / MODELFILE
    result: dict[str, Any] = {
        "dir": str(final),
        "modelfile": str(first_modelfile),
        "merged": str(final / MERGED_DIR),
        "gguf": gguf,
        "merged_perplexity": fidelity.merged.perplexity if fidelity and fidelity.merged else None,
        "merged_bytes": merged_bytes,
        "merged_dtype": merged.dtype,
        "parameters": merged.parameters,
        "run_id": source.run_id,
        "run_dir": str(source.run_dir),
        "checkpoint": source.checkpoint,
        "step": source.step,
        "base_model": plan.base_model,
        "ollama_name": plan.ollama_name,
        "ollama_create": f"ollama create {plan.ollama_name} -f {first_modelfile}",
        "modelfiles": {q: str(final / p.name) for q, p in modelfiles.items()},
        "template": template_info,
        "fidelity": fidelity.to_dict() if fidelity else None,
        "warnings": warnings,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "medtui_version": __version__,
    }
    hashed = []
    targets = sorted(p for p in build.rglob("*") if p.is_file() and not p.name.startswith("."))
    for n, path in enumerate(targets):
        hashed.append((str(path.relative_to(build)), path.stat().st_size, _sha256(path)))
        report("card", 0.1 + 0.8 * (n + 1) / len(targets), f"hashing {path.name}")
    from medtui.export.card import model_card
    from medtui.train.events import read_events

    card = model_card(result, run_cfg, read_events(source.run_dir), hashed, run_cfg.chat.disclaimer)
    _write_text(build / CARD_FILE, card)
    timings["card"] = time.monotonic() - started
    result["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    _write_text(build / EXPORT_FILE, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    report("card", 1.0, f"{CARD_FILE} and {EXPORT_FILE} written")
    return result


def _converter(cfg: Config) -> Path:
    from medtui.llamacpp import ConverterMissing, converter_script

    try:
        return converter_script(cfg.model.cache_dir)
    except ConverterMissing as exc:
        raise ExportError(str(exc)) from None


def _fidelity(cfg: Config, plan: ExportPlan, merged_dir: Path, files: dict[str, Path], report: Progress):
    from medtui.export.fidelity import FidelityReport, Score, held_out_conversations, score_gguf, score_merged

    limit = cfg.export.fidelity_records
    if limit <= 0:
        report("fidelity", 1.0, "skipped ([export] fidelity_records = 0)")
        return None
    from transformers import AutoTokenizer

    run_cfg = plan.source.run_cfg
    tokenizer = AutoTokenizer.from_pretrained(str(merged_dir))
    report("fidelity", 0.0, "reading the held-out conversations")
    conversations, where = held_out_conversations(plan.source.run_dir, run_cfg, tokenizer, limit)
    from medtui.export.fidelity import token_sequences

    sequences = token_sequences(tokenizer, conversations, run_cfg.model.max_length)
    if not sequences:
        report("fidelity", 1.0, "no held-out conversations to score")
        return None
    total_steps = len(sequences) * (1 + len(files))
    done = 0

    def step(label: str):
        def advance() -> None:
            nonlocal done
            done += 1
            report("fidelity", min(done / total_steps, 0.99), f"{label}: {done}/{total_steps}")
        return advance

    merged_ppl, reference = score_merged(merged_dir, sequences, cfg.export.merge_device, step("merged model"))
    fidelity = FidelityReport(len(sequences), sum(len(s) - 1 for s in sequences), Score(merged_ppl), source=where)
    for quant, path in files.items():
        fidelity.gguf[quant] = score_gguf(path, sequences, reference, step(quant))
    summary = ", ".join(f"{q} {s.perplexity:.2f}/{s.agreement:.0%}" for q, s in fidelity.gguf.items())
    report("fidelity", 1.0, f"perplexity merged {merged_ppl:.2f}; {summary}")
    return fidelity


def _write_modelfiles(cfg: Config, plan: ExportPlan, build: Path, tokenizer, files: dict[str, Path],
                      report: Progress) -> tuple[dict[str, Any], dict[str, Path], list[str]]:
    from medtui.export.modelfile import ModelfileSpec, check_modelfile, write_modelfile
    from medtui.export.template import ollama_template_for
    from medtui.models import end_of_turn_tokens

    run_cfg = plan.source.run_cfg
    report("modelfile", 0.1, "deriving the Ollama TEMPLATE from the chat template")
    template = ollama_template_for(tokenizer)
    warnings = []
    if template.problem:
        warnings.append(f"no TEMPLATE written: {template.problem}; Ollama picks the closest of its own templates to "
                        "the chat template stored in the GGUF, which may not render the same prompt")
    elif template.limitation:
        warnings.append(f"the TEMPLATE is not exact: {template.limitation}")
    stops = end_of_turn_tokens(tokenizer)
    parameters: list[tuple[str, object]] = [
        ("num_ctx", cfg.export.num_ctx),
        ("temperature", run_cfg.chat.temperature),
        ("top_p", run_cfg.chat.top_p),
        ("repeat_penalty", run_cfg.chat.repetition_penalty),
        ("num_predict", run_cfg.chat.max_new_tokens),
    ]
    modelfiles: dict[str, Path] = {}
    for n, (quant, gguf) in enumerate(files.items()):
        header = [
            f"{plan.ollama_name}: {plan.base_model} fine-tuned by medtui (run {plan.source.run_id}, "
            f"{plan.source.checkpoint}), {quant}.",
            f"Create it with: ollama create {plan.ollama_name}{'' if n == 0 else '-' + quant.lower()} -f "
            f"{MODELFILE if n == 0 else MODELFILE + '.' + quant}",
            "For education only; not for diagnosis or treatment.",
        ]
        spec = ModelfileSpec(f"./{gguf.name}", template.text, run_cfg.chat.system_prompt, stops, parameters, header)
        written = write_modelfile(spec)
        if n == 0:
            warnings += written.changed
        path = build / (MODELFILE if n == 0 else f"{MODELFILE}.{quant}")
        _write_text(path, written.text)
        check_modelfile(path.read_text(encoding="utf-8"), base_dir=build, source=path.name)
        modelfiles[quant] = path
        report("modelfile", 0.2 + 0.8 * (n + 1) / len(files), f"{path.name} written and checked")
    info = template.to_dict()
    info["stop"] = stops
    return info, modelfiles, warnings


def _publish(plan: ExportPlan, build: Path, lock) -> None:
    """Rename the finished build folder into place (replacing the old export when forced)."""
    final = plan.final_dir
    trash = None
    if final.exists():
        if plan.replaces is None:  # another export took the name meanwhile
            final = free_name(plan.out_root, final.name)
            _retarget(build, plan.final_dir, final)
            plan.final_dir = final
        else:
            trash = plan.out_root / f"{TRASH_PREFIX}{final.name}-{uuid.uuid4().hex[:6]}"
    try:
        if trash is not None:
            os.replace(final, trash)
        os.replace(build, final)  # the lock travels with it, so no one takes the folder for a stale build
    except BaseException:
        if trash is not None and trash.exists() and not final.exists():
            os.replace(trash, final)  # interrupted between the two renames: put the old export back
        raise
    (final / ".lock").unlink(missing_ok=True)
    lock.close()
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def _retarget(build: Path, old: Path, new: Path) -> None:
    """Rewrite the paths in export.json and the card when the folder's name had to change."""
    for name in (EXPORT_FILE, CARD_FILE):
        path = build / name
        text = path.read_text(encoding="utf-8")
        _write_text(path, text.replace(str(old), str(new)))


# ---------------------------------------------------------------------------------------------
# Reading finished exports


def list_exports(out_root: Path) -> list[dict[str, Any]]:
    """Every finished export under out_root (folders holding export.json), newest first."""
    found = []
    if not Path(out_root).is_dir():
        return found
    for entry in Path(out_root).iterdir():
        if entry.name.startswith(".") or not (entry / EXPORT_FILE).is_file():
            continue
        try:
            record = json.loads((entry / EXPORT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # damaged: bad JSON, bad UTF-8
            continue
        if _is_export_record(record):
            found.append(record)
    return sorted(found, key=lambda r: str(r.get("created") or ""), reverse=True)


def _is_export_record(record: Any) -> bool:
    """An export.json as medtui writes it, as far as listing it goes (a damaged one is left out)."""
    return (isinstance(record, dict) and isinstance(record.get("dir"), str) and isinstance(record.get("gguf"), list)
            and all(isinstance(g, dict) and isinstance(g.get("quant"), str) for g in record["gguf"]))
