"""`medtui runs list|show|compare|delete`: browse, compare and delete training runs.

medtui.runs returns the data; this module only formats it (tables, sparklines, a plotext chart)
or prints it as one JSON object with --json.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from medtui.cli import EXIT_FAILED, RUN_HELP, UserError, config_from, confirm


def register(sub, common) -> None:
    runs = sub.add_parser("runs", parents=[common], help="browse, compare and delete training runs")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="SUBCOMMAND")

    p = runs_sub.add_parser("list", parents=[common], help="every run with status, steps, eval loss and checkpoints")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_list)

    p = runs_sub.add_parser("show", parents=[common], help="one run: metrics, loss curve, checkpoints, config")
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_show)

    p = runs_sub.add_parser("compare", parents=[common], help="two runs side by side: config, metrics, loss curves")
    p.add_argument("run_a", metavar="RUN", help=RUN_HELP)
    p.add_argument("run_b", metavar="RUN", help=RUN_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_compare)

    p = runs_sub.add_parser("delete", parents=[common], help="delete a run that is not running")
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_delete)

    runs.set_defaults(handler=lambda args: _usage(runs))


def _usage(parser) -> int:
    # `medtui runs` alone is a request for help, not a mistake: stdout, exit 0.
    parser.print_help()
    return 0


def _root(args) -> Path:
    from medtui.runs import runs_root

    return runs_root(config_from(args))


def _resolve(root: Path, text: str) -> Path:
    from medtui.runs import resolve_run

    return resolve_run(root, text)


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False))


def _table(headers: list[str], rows: list[list[str]], indent: str = "") -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = [indent + "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    for row in rows:
        lines.append(indent + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def _checkpoints_cell(summary) -> str:
    from medtui.runs import format_loss

    parts = [f"{c.step}" + (f" ({format_loss(c.eval_loss)})" if c.eval_loss is not None else "") for c in summary.checkpoints]
    if len(parts) > 4:  # `runs show` lists them all
        parts = [f"{len(parts) - 3} more…", *parts[-3:]]
    if summary.adapter:
        parts.append("adapter")
    return ", ".join(parts) or "-"


def _best_cell(summary) -> str:
    from medtui.runs import format_loss

    if summary.best_eval_loss is None:
        return "-"
    at = f" @{summary.best_eval_step}" if summary.best_eval_step is not None else ""
    return format_loss(summary.best_eval_loss) + at


# ---------------------------------------------------------------------------------------------


def cmd_list(args) -> int:
    from medtui.runs import data_label, elide_middle, format_duration, format_loss, format_steps, list_runs

    root = _root(args)
    summaries = list_runs(root)
    if args.json:
        _print_json({"dir": str(root), "runs": [s.to_dict() for s in summaries]})
        return 0
    if not summaries:
        print(f"No runs in {root} yet. Start one with `medtui train start`.")
        return 0
    rows = [
        [
            s.run_id, s.status, elide_middle(s.model, 32), elide_middle(data_label(s, with_counts=False), 30),
            format_steps(s), _best_cell(s), format_loss(s.last_eval_loss), format_duration(s.duration_s),
            _checkpoints_cell(s),
        ]
        for s in summaries
    ]
    print(_table(["ID", "STATUS", "MODEL", "DATA", "STEPS", "BEST EVAL", "LAST EVAL", "DURATION", "CHECKPOINTS (EVAL)"], rows))
    for s in summaries:
        for problem in s.problems:
            print(f"{s.run_id} is corrupt: {problem}")
    print(f"\n{len(summaries)} run(s) in {root}")
    return 0


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def cmd_show(args) -> int:
    from medtui.runs import (
        data_label, format_duration, format_loss, format_steps, run_details, sparkline,
    )

    run_dir = _resolve(_root(args), args.run)
    details = run_details(run_dir)
    from medtui.eval.results import latest, run_eval_lines

    if args.json:
        _print_json({**details.to_dict(), "eval": {m: r.to_dict() for m, r in latest(run_dir).items()}})
        return 0
    s = details.summary
    lines = [f"Run {s.run_id}  [{s.status}]", ""]
    info = [
        ("folder", str(s.run_dir)),
        ("model", s.model),
        ("data", data_label(s) + (f"  sha256 {s.data_sha256[:12]}" if s.data_sha256 else "")),
        ("steps", format_steps(s) + (f"  (epoch {s.epoch:.2f})" if s.epoch is not None else "")
         + (f"  resumed {s.resumes}x" if s.resumes else "") + ("  early-stopped" if s.early_stopped else "")),
        ("train loss", _loss_range(details.loss_curve)),
        ("eval loss", f"best {_best_cell(s)}, last {format_loss(s.last_eval_loss)}" if s.best_eval_loss is not None else "-"),
        ("tokens/s", f"{details.tokens_per_s:.0f}" if details.tokens_per_s is not None else "-"),
        ("peak memory", f"{details.peak_memory_mb:.0f} MB" if details.peak_memory_mb is not None else "-"),
        ("duration", f"{format_duration(s.duration_s)}  (started {_when(s.started_at)}, ended {_when(s.ended_at)})"),
        ("log", str(details.log_file)),
    ]
    if s.message:
        info.insert(1, ("message", s.message))
    width = max(len(k) for k, _ in info)
    lines += [f"  {k.ljust(width)}  {v}" for k, v in info]
    if details.loss_curve:
        lines += ["", "Loss   " + sparkline([v for _, v in details.loss_curve], 60)]
    if details.eval_curve:
        lines += ["Eval   " + sparkline([v for _, v in details.eval_curve], 60)]
    lines += ["", "Checkpoints"]
    if s.exportable:
        rows = [[c.name, str(c.step) if c.step is not None else "-", format_loss(c.eval_loss)] for c in s.exportable]
        lines.append(_table(["NAME", "STEP", "EVAL LOSS"], rows, indent="  "))
    else:
        lines.append("  none complete yet")
    if details.incomplete_checkpoints:
        lines.append("  incomplete (not usable): " + ", ".join(details.incomplete_checkpoints))
    lines += ["", "Evaluation (latest per model)", *run_eval_lines(run_dir)]
    lines += ["", "Config" + (f"  ({details.config_problem})" if details.config_problem else "")]
    for section, keys in details.config.items():
        lines.append(f"  [{section}]")
        lines += [f"    {k} = {_value(v)}" for k, v in keys.items()]
    print("\n".join(lines))
    return 0


def _loss_range(curve: list[tuple[int, float]]) -> str:
    if not curve:
        return "-"
    (first_step, first), (last_step, last) = curve[0], curve[-1]
    return f"{first:.4f} (step {first_step}) -> {last:.4f} (step {last_step})"


def _value(value: Any) -> str:
    from medtui.runs import format_config_value

    return "-" if value is None else format_config_value(value)


def _metric(name: str, value: Any) -> str:
    from medtui.runs import format_metric

    return format_metric(name, value)


def cmd_compare(args) -> int:
    from medtui.runs import compare_runs, elide_middle

    root = _root(args)
    a_dir, b_dir = _resolve(root, args.run_a), _resolve(root, args.run_b)
    if a_dir.resolve() == b_dir.resolve():
        raise UserError(f"both arguments name run {a_dir.name}; give two different runs")
    comparison = compare_runs(a_dir, b_dir)
    from medtui.eval.results import compare_eval_lines, latest

    if args.json:
        _print_json({**comparison.to_dict(), "eval": {d.name: {m: r.metrics for m, r in latest(d).items()} for d in (a_dir, b_dir)}})
        return 0
    a_id, b_id = comparison.a.summary.run_id, comparison.b.summary.run_id
    out = [f"A = {a_id}", f"B = {b_id}", "", "Metrics"]
    rows = [[name, _metric(name, va), _metric(name, vb)]
            for name, va, vb in comparison.metrics]
    out.append(_table(["", "A", "B"], rows, indent="  "))
    out += ["", "Evaluation (each run's latest)", *compare_eval_lines(a_dir, b_dir)]
    out += ["", f"Config differences ({len(comparison.config_diff)})"]
    if comparison.config_diff:
        rows = [[key, elide_middle(_value(va), 40), elide_middle(_value(vb), 40)] for key, va, vb in comparison.config_diff]
        out.append(_table(["KEY", "A", "B"], rows, indent="  "))
    else:
        out.append("  none: both runs used the same config")
    out += ["", "Loss curves"]
    out.append(_loss_chart(comparison))
    print("\n".join(out))
    return 0


def _loss_chart(comparison) -> str:
    """Both training-loss curves on one plotext chart (plain text when stdout is not a terminal)."""
    import plotext as plt

    curves = [(c.summary.run_id, c.loss_curve) for c in (comparison.a, comparison.b)]
    if not any(curve for _, curve in curves):
        return "  neither run has logged a step yet"
    colour = sys.stdout.isatty()
    # Without colour the two curves must differ by their marks alone.
    markers = ("braille", "braille") if colour else ("•", "x")
    plt.clear_figure()
    for (label, curve), marker in zip(curves, markers):
        if curve:
            plt.plot([s for s, _ in curve], [v for _, v in curve], label=label, marker=marker)
    columns = shutil.get_terminal_size((100, 24)).columns
    plt.plotsize(max(40, min(columns, 120)), 18)
    plt.xlabel("step")
    plt.theme("clear")
    chart = plt.build()
    return chart if colour else plt.uncolorize(chart)


def cmd_delete(args) -> int:
    from medtui.runs import RunBusyError, check_deletable, delete_run, folder_bytes, format_bytes, run_details

    root = _root(args)
    run_dir = _resolve(root, args.run)
    summary = run_details(run_dir).summary
    try:
        check_deletable(run_dir)  # before asking, so nobody confirms a deletion that is then refused
    except RunBusyError as exc:
        raise UserError(str(exc), EXIT_FAILED, hint=exc.hint) from None
    if not args.yes:
        what = (f"run {summary.run_id} ({summary.status}, {len(summary.checkpoints)} checkpoint(s), "
                f"{format_bytes(folder_bytes(run_dir))})")
        if not confirm(f"Delete {what}? This cannot be undone.",
                       f"delete run {summary.run_id}: pass --yes to delete without a terminal to confirm in"):
            print("Not deleted.")
            return EXIT_FAILED
    try:
        freed = delete_run(run_dir, root)
    except RunBusyError as exc:
        raise UserError(str(exc), EXIT_FAILED, hint=exc.hint) from None
    if args.json:
        _print_json({"deleted": summary.run_id, "dir": str(run_dir), "bytes": freed})
    else:
        print(f"Deleted run {summary.run_id} ({format_bytes(freed)} freed).")
    return 0
