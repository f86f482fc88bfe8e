"""`medtui export RUN[:CHECKPOINT]`: a run's adapter to merged safetensors, GGUF files and an Ollama
Modelfile, with a fidelity report; `--list` shows finished exports, `--check-modelfile` runs the
strict Modelfile checker on any file.

Progress goes to stderr as one line per step of a stage, so `--json` leaves stdout to the single
result object. `--events` prints JSON lines instead (progress, then done or error): the Export
pane runs this command as a child process and reads them, which lets it cancel an export cleanly.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from medtui.cli import EXIT_FAILED, UserError, config_from
from medtui.errors import MedtuiError


def register(sub, common) -> None:
    p = sub.add_parser(
        "export", parents=[common],
        help="merge a run's adapter, convert to GGUF, quantize, write an Ollama Modelfile and a model card",
        description="Export RUN[:CHECKPOINT] (checkpoint-N, N or final; default: the final adapter) to "
                    "merged safetensors, GGUF F16 and quantized GGUFs, an Ollama Modelfile and a model card.",
    )
    p.add_argument("target", nargs="?", metavar="RUN[:CHECKPOINT]", help="run id (or unique prefix), optionally :checkpoint-N")
    p.add_argument("--checkpoint", metavar="CHECKPOINT", help="checkpoint-N, N or final (instead of RUN:CHECKPOINT)")
    p.add_argument("--quant", "-q", action="append", default=[], metavar="TYPE",
                   help="quantization type, repeatable (default: [export] quants, Q4_K_M); F16 keeps the F16 GGUF")
    p.add_argument("--out", metavar="DIR", help="export folder (default: [export] out_dir)")
    p.add_argument("--force", action="store_true", help="replace an earlier export of the same checkpoint")
    p.add_argument("--json", action="store_true", help="print one JSON object when done")
    p.add_argument("--events", action="store_true", help="print progress and the result as JSON lines (for tools)")
    p.add_argument("--list", action="store_true", help="list finished exports")
    p.add_argument("--check-modelfile", metavar="PATH", help="check a Modelfile against Ollama's grammar and exit")
    p.set_defaults(handler=run_export)


class StickyInterrupt:
    """Ctrl-C and SIGTERM (a closed SSH session, `kill`, the pane's cancel) unwind the export like
    KeyboardInterrupt, so the build folder is removed on the way out.

    Python drops a KeyboardInterrupt raised while it runs a callback whose errors it ignores (the
    at-fork hooks that run as the converter or quantizer child is spawned, a __del__): the export
    would then finish as if the user had not asked it to stop. The signal is therefore also
    remembered, and the next progress report raises it again.
    """

    def __init__(self) -> None:
        self.signalled = False

    def install(self) -> None:
        def handler(signum, frame):
            self.signalled = True
            raise KeyboardInterrupt

        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                signal.signal(signum, handler)
            except ValueError:  # not the main thread (tests calling main() from a thread)
                return

    def wrap(self, progress):
        def checked(stage: str, fraction: float, message: str) -> None:
            if self.signalled:
                raise KeyboardInterrupt
            progress(stage, fraction, message)

        return checked


class ProgressPrinter:
    """One line per visible change: a new stage, a new message after a short pause, or the end."""

    def __init__(self, stream=sys.stderr, min_interval: float = 0.5):
        self.stream = stream
        self.min_interval = min_interval
        self.stage = None
        self.shown = -1.0
        self.last_time = 0.0

    def __call__(self, stage: str, fraction: float, message: str) -> None:
        now = time.monotonic()
        new_stage = stage != self.stage
        if not (new_stage or fraction >= 1.0 or (now - self.last_time >= self.min_interval and fraction > self.shown)):
            return
        self.stage, self.shown, self.last_time = stage, fraction, now
        filled = int(round(fraction * 20))
        bar = "#" * filled + "-" * (20 - filled)
        print(f"{stage:<9} [{bar}] {fraction * 100:3.0f}%  {message}", file=self.stream, flush=True)


def _error_event(args, exc: MedtuiError) -> None:
    """The failure as the Export pane shows it: the message and the hint, as the CLI prints them."""
    if args.events:
        print(json.dumps({"event": "error", "message": exc.describe()}), flush=True)


def _events_printer(stage: str, fraction: float, message: str) -> None:
    print(json.dumps({"event": "progress", "stage": stage, "fraction": round(fraction, 4), "message": message}),
          flush=True)


def _size(size: int) -> str:
    from medtui.runs import format_bytes

    return format_bytes(size)


def _summary(result: dict) -> str:
    lines = [f"Exported {result['run_id']}:{result['checkpoint']} to {result['dir']}"]
    rows = [("merged/", _size(result.get("merged_bytes") or 0), result.get("merged_perplexity"), None)]
    rows += [(Path(g["path"]).name, _size(g["bytes"]), g.get("perplexity"), g.get("agreement")) for g in result["gguf"]]
    width = max(len(r[0]) for r in rows)
    fidelity = result.get("fidelity")
    if fidelity:
        lines.append(f"  fidelity on {fidelity['records']} held-out conversations ({fidelity['tokens']} tokens):")
    for name, size, ppl, agreement in rows:
        ppl_text = f"perplexity {ppl:8.3f}" if ppl is not None else "perplexity        —"
        agree_text = f"  agreement {agreement:6.1%}" if agreement is not None else ""
        lines.append(f"  {name:<{width}}  {size:>9}  {ppl_text}{agree_text}")
    lines.append(f"Modelfile: {result['modelfile']} (checked against Ollama's grammar)")
    for warning in result.get("warnings") or []:
        lines.append(f"note: {warning}")
    lines.append(f"Create the Ollama model:\n  {result['ollama_create']}")
    return "\n".join(lines)


def _list(args) -> int:
    from medtui.export import list_exports

    cfg = config_from(args)
    root = Path(args.out).expanduser() if args.out else cfg.path(cfg.export.out_dir)
    exports = list_exports(root)
    if args.json:
        print(json.dumps({"dir": str(root), "exports": exports}, ensure_ascii=False))
        return 0
    if not exports:
        print(f"no exports in {root} yet (make one with `medtui export RUN`)")
        return 0
    for item in exports:
        types = ", ".join(g["quant"] for g in item["gguf"])
        print(f"{Path(item['dir']).name:<40} {item.get('base_model', '')}  [{types}]  {item['dir']}")
    return 0


def _check(args) -> int:
    from medtui.export.modelfile import ModelfileError, check_modelfile
    from medtui.files import file_problem

    path = Path(args.check_modelfile).expanduser()
    problem = file_problem(path)
    if problem is not None:  # a FIFO or /dev/zero would hang the read
        raise UserError(f"{path}: {problem}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    try:
        parsed = check_modelfile(text, base_dir=path.parent, source=str(path))
    except ModelfileError as exc:
        raise UserError(str(exc), code=EXIT_FAILED, hint=exc.hint) from None
    for warning in parsed.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    commands = ", ".join(sorted({c.keyword.upper() for c in parsed.commands}))
    print(f"{path}: ok ({len(parsed.commands)} commands: {commands})")
    return 0


def run_export(args) -> int:
    if args.list:
        return _list(args)
    if args.check_modelfile:
        return _check(args)
    if not args.target:
        raise UserError("name the run to export: medtui export RUN[:CHECKPOINT] (see `medtui runs list`)")
    from medtui.export import ExportError, export_run, plan_export

    cfg = config_from(args)
    interrupt = StickyInterrupt()
    interrupt.install()
    progress = interrupt.wrap(_events_printer if args.events else ProgressPrinter())
    try:
        plan = plan_export(cfg, args.target, args.quant or None, args.out, args.force, args.checkpoint)
    except ExportError as exc:  # nothing started: a usage problem (run, checkpoint, type, disk, converter)
        _error_event(args, exc)
        raise UserError(str(exc), hint=exc.hint) from None
    except MedtuiError as exc:
        _error_event(args, exc)
        raise
    if not args.events:
        for warning in plan.source.warnings:
            print(f"warning: {warning}", file=sys.stderr, flush=True)
    try:
        if not args.events:
            verb = "replacing" if plan.replaces else "into"
            print(f"exporting {plan.source.label} ({plan.base_model}) to {', '.join(plan.quants)}, {verb} "
                  f"{plan.final_dir}; needs about {plan.needed_bytes / 2 ** 20:.0f} MB of disk",
                  file=sys.stderr, flush=True)
        result = export_run(cfg, args.target, plan=plan, progress=progress)
    except ExportError as exc:
        _error_event(args, exc)
        raise UserError(str(exc), code=EXIT_FAILED, hint=exc.hint) from None
    except MedtuiError as exc:
        _error_event(args, exc)
        raise
    if args.events:
        print(json.dumps({"event": "done", "result": result}, ensure_ascii=False), flush=True)
    elif args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(_summary(result))
    return 0
