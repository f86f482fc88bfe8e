"""`medtui data validate FILE` and `medtui data preview FILE`: the Data pane's jobs, headless."""

from __future__ import annotations

import json
import sys

from medtui.cli import EXIT_FAILED, EXIT_OK, UserError, config_from, show_usage

SHOWN_PROBLEMS = 50


def register(sub, common) -> None:
    data = sub.add_parser("data", parents=[common], help="validate and preview training data")
    actions = data.add_subparsers(dest="data_command", metavar="ACTION")

    validate = actions.add_parser(
        "validate", parents=[common], help="check a data file: shape, every bad line, duplicates, PHI, length",
        description="Exit 0 when the file has usable records, 1 when none is usable, 2 on a usage error.")
    validate.add_argument("file", metavar="FILE", help="data file (.jsonl .json .csv .tsv .parquet) or hub id")
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.add_argument("--all", action="store_true", help=f"list every problem (default: the first {SHOWN_PROBLEMS})")
    validate.add_argument("--no-length", action="store_true",
                          help="skip the max_length check (no tokenizer is loaded)")
    validate.set_defaults(handler=validate_command)

    preview = actions.add_parser(
        "preview", parents=[common], help="one record through the model's chat template, loss tokens marked")
    preview.add_argument("file", metavar="FILE", help="data file or hub id")
    preview.add_argument("--record", type=int, default=1, metavar="N", help="1-based record number (default 1)")
    preview.add_argument("--json", action="store_true", help="print one JSON object")
    preview.set_defaults(handler=preview_command)

    data.set_defaults(handler=lambda args: show_usage(data))


def _stderr_progress():
    if not sys.stderr.isatty():
        return None

    def report(stage: str, done: int, total: int) -> None:
        end = "\n" if done >= total and stage == "counting tokens" else ""
        sys.stderr.write(f"\r{stage} {done}/{total}   " + end)
        sys.stderr.flush()

    return report


def _model_progress(stage: str, fraction: float) -> None:
    print(f"preparing the model: {stage} ({fraction:.0%})", file=sys.stderr)


def _tokenizer(cfg):
    from medtui.data import tokenizer_for
    from medtui.models import ModelNotAvailable

    try:
        return tokenizer_for(cfg, _model_progress)
    except ModelNotAvailable as exc:
        raise UserError(str(exc), hint=exc.hint) from None


def _validate(args, cfg, tokenizer=None):
    from medtui.data import DataError, DataOptions, validate_file

    options = DataOptions.from_config(cfg)
    options.root = None  # a file named on the command line is relative to where the user stands
    try:
        return validate_file(args.file, options, tokenizer=tokenizer, progress=_stderr_progress())
    except DataError as exc:
        raise UserError(str(exc), exc.exit_code, hint=exc.hint) from None
    finally:
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K")


def validate_command(args) -> int:
    from medtui.data import DataOptions
    from medtui.data.validate import check_lengths

    cfg = config_from(args)
    # Structure first: a missing file or an unknown shape should not wait for a tokenizer.
    report = _validate(args, cfg, None)
    tokenizer = None
    if not args.no_length and report.conversations:
        try:
            tokenizer = _tokenizer(cfg)
        except UserError as exc:  # the structural checks are still worth having
            print(f"medtui: max_length not checked: {exc}", file=sys.stderr)
        if tokenizer is not None:
            check_lengths(report, tokenizer, DataOptions.from_config(cfg), progress=_stderr_progress())
            report.sort_problems()
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(_summary(report, cfg, tokenizer is not None))
        shown = report.problems if args.all else report.problems[:SHOWN_PROBLEMS]
        for problem in shown:
            where = problem.where() or "file"
            print(f"  {where}: {problem.severity} {problem.code}: {problem.message}")
        hidden = len(report.problems) - len(shown)
        if hidden:
            print(f"  ... {hidden} more (--all lists them, --json gives them all as JSON)")
    return EXIT_OK if report.usable else EXIT_FAILED


def _summary(report, cfg, length_checked: bool) -> str:
    shape = report.format if report.format != "unknown" else "no readable record"
    line = (f"{report.file}: {shape} ({report.kind}), {report.records} records, {report.usable} usable, "
            f"{report.errors} errors (record excluded), {report.warnings} warnings")
    if not length_checked:
        line += " [max_length not checked]"
    elif report.usable:
        line += f" [max_length {cfg.model.max_length} checked]"
    return line


def preview_command(args) -> int:
    from medtui.data import render_preview, with_system_prompt
    from medtui.data.templates import ChatTemplateError
    from medtui.data.validate import DataOptions

    cfg = config_from(args)
    report = _validate(args, cfg, None)
    if not 1 <= args.record <= max(report.records, 0):
        raise UserError(f"{report.file}: --record {args.record} is out of range; the file has {report.records} records")
    problems = [p for p in report.problems if p.record == args.record]
    conversation = report.conversations.get(args.record)
    if conversation is None:
        lines = [f"{report.file}: record {args.record} cannot be previewed:"]
        lines += [f"  {p.where()}: {p.code}: {p.message}" for p in problems]
        raise UserError("\n".join(lines), EXIT_FAILED)
    tokenizer = _tokenizer(cfg)
    conversation = with_system_prompt(conversation, DataOptions.from_config(cfg))
    line = report.lines.get(args.record)
    try:
        preview = render_preview(tokenizer, conversation,
                                 assistant_only_loss=cfg.train.assistant_only_loss, max_length=cfg.model.max_length)
    except ChatTemplateError as exc:
        where = f"record {args.record}" + (f" (line {line})" if line else "")
        raise UserError(f"{report.file}: {where}: {exc.message}", EXIT_FAILED, hint=exc.hint) from None
    if args.json:
        print(json.dumps({"file": report.file, "record": args.record, "line": line, "format": report.format,
                          **preview.as_dict(), "problems": [p.as_dict() for p in problems]}, ensure_ascii=False))
        return EXIT_OK
    color = sys.stdout.isatty()
    where = f"record {args.record}" + (f" (line {line})" if line else "")
    legend = "green" if color else "[loss]...[/loss]"
    print(f"{report.file}: {where}, {report.format}: {preview.tokens} tokens, {preview.loss_tokens} carry loss "
          f"({legend}; template: {preview.template_source})")
    print()
    out = []
    for text, loss in preview.segments:
        if not loss:
            out.append(text)
        elif color:
            out.append(f"\033[1;32m{text}\033[0m")
        else:
            out.append(f"[loss]{text}[/loss]")
    print("".join(out).rstrip("\n"))
    for note in preview.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in preview.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for problem in problems:
        print(f"{problem.severity}: {problem.code}: {problem.message}", file=sys.stderr)
    return EXIT_OK
