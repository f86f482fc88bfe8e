"""`medtui eval MODEL…`: every suite on every model, one side-by-side table (models as columns).

medtui.eval does the work (run_eval, the same generator the Eval pane drives); this module turns
its events into progress lines on stderr and its report into a table or one JSON object.
"""

from __future__ import annotations

import json
import sys
import textwrap

from medtui.cli import config_from


def register(sub, common) -> None:
    from medtui.eval.suites import SUITES

    p = sub.add_parser(
        "eval", parents=[common],
        help="evaluate base, runs and GGUFs side by side: held-out loss, answers, safety, medical MCQ",
        description="Evaluate models side by side. MODEL is `base`, RUN[:CHECKPOINT] (a run id or unique "
                    "prefix; CHECKPOINT is final, checkpoint-N or N) or a .gguf file. Results are written "
                    "into each run's folder (eval/<time>.json).",
    )
    p.add_argument("models", nargs="+", metavar="MODEL", help="base, RUN[:CHECKPOINT] or a .gguf file")
    p.add_argument("--suite", dest="suites", action="append", choices=SUITES, metavar="SUITE",
                   help=f"run only this suite (repeatable): {', '.join(SUITES)}; default: all")
    p.add_argument("--limit", type=int, metavar="N",
                   help="at most N items per suite (default: all held-out records and MCQ questions, "
                        "a sample of answers and safety prompts)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(handler=cmd_eval)


def _progress(event, tty: bool) -> None:
    if event.kind == "step":
        if tty:
            line = f"  {event.model} · {event.suite} {event.done}/{event.total} · {event.message}"
            print("\r" + line[:110].ljust(110), end="", file=sys.stderr, flush=True)
        return
    if tty:
        print("\r" + " " * 110 + "\r", end="", file=sys.stderr)
    if event.kind == "load":
        print(f"[{event.fraction:4.0%}] {event.model}: {event.message}", file=sys.stderr, flush=True)
    elif event.kind in ("suite", "model", "plan"):
        prefix = f"{event.model}: " if event.model else ""
        print(f"[{event.fraction:4.0%}] {prefix}{event.message}", file=sys.stderr, flush=True)


def _table(report) -> str:
    from medtui.eval.results import metric_rows

    rows = metric_rows(report)
    headers = ["SUITE", "METRIC", *report.models]
    body = [[suite, label, *values] for suite, label, values in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    previous = None
    for row in body:
        shown = ["" if row[0] == previous else row[0], *row[1:]]
        previous = row[0]
        lines.append("  ".join((c.ljust(w) if i < 2 else c.rjust(w)) for i, (c, w) in enumerate(zip(shown, widths))).rstrip())
    return "\n".join(lines)


def _examples(report) -> str:
    """The first held-out question with the reference and each model's answer, side by side."""
    per_model = report.examples.get("answers") or {}
    first = next((examples[0] for examples in per_model.values() if examples), None)
    if first is None:
        return ""
    wrap = lambda text: textwrap.indent(textwrap.fill(" ".join(text.split())[:600], 100), "    ")  # noqa: E731
    out = ["", "Example (answers suite)", f"  question:", wrap(first["question"]), "  reference:", wrap(first["reference"])]
    for model in report.models:
        examples = per_model.get(model) or []
        if examples:
            out += [f"  {model} ({examples[0]['finish']}, {examples[0]['tokens']} tokens):", wrap(examples[0]["answer"])]
    return "\n".join(out)


def cmd_eval(args) -> int:
    from medtui.eval import resolve_models, run_eval

    cfg = config_from(args)
    models = resolve_models(cfg, args.models)
    tty = sys.stderr.isatty()
    events = run_eval(cfg, models, args.suites, args.limit)
    report = None
    try:
        for event in events:
            _progress(event, tty)
            if event.kind == "done":
                report = event.report
    except KeyboardInterrupt:
        events.close()  # stops the suite in flight and unloads the model before we leave
        print("\nmedtui: evaluation stopped; results of models already finished were kept", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps({"models": report.models, "suites": report.suites, "examples": report.examples,
                          "seconds": report.seconds, "files": report.files}, ensure_ascii=False))
        return 0
    print(_table(report))
    print(_examples(report))
    for model, file in report.files.items():
        print(f"{model}: results in {file}")
    return 0
