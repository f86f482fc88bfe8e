"""`medtui train start|status|attach|stop|resume`: the Train pane's jobs, headless.

medtui.train.launch starts and stops workers and medtui.train.events reads their logs; this module
only turns arguments into calls and events into lines (or JSON with --json).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from medtui.cli import EXIT_FAILED, EXIT_OK, RUN_HELP, UserError, config_from, confirm, show_usage
from medtui.train.events import describe_event, format_number


def register(sub, common) -> None:
    train = sub.add_parser("train", parents=[common], help="train a LoRA adapter in a detached worker")
    actions = train.add_subparsers(dest="train_command", metavar="ACTION")

    p = actions.add_parser("start", parents=[common], help="start a run (follows it unless --detach)",
                           description="Create a run folder under [train] output_dir and start its worker. "
                                       "The worker outlives this command and the terminal.")
    p.add_argument("--detach", action="store_true", help="return once the worker runs instead of following it")
    p.add_argument("--json", action="store_true", help='print {"run": ID, "dir": PATH} (then events as JSON lines)')
    p.add_argument("--num-processes", type=int, default=None, metavar="N",
                   help="processes launched through accelerate (default [train] num_processes)")
    p.set_defaults(handler=start_command)

    p = actions.add_parser("status", parents=[common], help="state of one run, or of every run")
    p.add_argument("run", nargs="?", metavar="RUN", help=RUN_HELP + " (default: every run)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=status_command)

    p = actions.add_parser("attach", parents=[common], help="print a run's history, then follow it")
    p.add_argument("run", nargs="?", metavar="RUN", help=RUN_HELP + " (default: the newest run)")
    p.add_argument("--json", action="store_true", help="events as JSON lines")
    p.set_defaults(handler=attach_command)

    p = actions.add_parser("stop", parents=[common], help="save a checkpoint at the current step and stop")
    p.add_argument("run", nargs="?", metavar="RUN", help=RUN_HELP + " (default: the newest run)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="seconds to wait (default 60)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=stop_command)

    p = actions.add_parser("resume", parents=[common], help="continue a stopped or died run from a checkpoint")
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("--checkpoint", type=int, default=None, metavar="N", help="step to resume from (default: latest)")
    p.add_argument("--yes", "-y", action="store_true",
                   help="do not ask before setting later checkpoints aside (resuming from an earlier one)")
    p.add_argument("--detach", action="store_true", help="return once the worker runs instead of following it")
    p.add_argument("--json", action="store_true", help='print {"run": ID, "dir": PATH} (then events as JSON lines)')
    p.set_defaults(handler=resume_command)

    train.set_defaults(handler=lambda args: show_usage(train))


def _run_dir(cfg, ref: str | None) -> Path:
    from medtui.runs import resolve_run, runs_root

    return resolve_run(runs_root(cfg), ref)


# --------------------------------------------------------------------------- formatting

def run_summary(run_dir: Path, index=None) -> dict[str, Any]:
    """`train status`'s view of a run: the Runs summary (so a corrupt run says so) plus what only a
    live run has (its worker's pid, the ETA) and the checkpoints it can resume from."""
    from medtui.runs import RunIndex
    from medtui.train.events import complete_checkpoints, run_state, worker_pid

    index = index or RunIndex(run_dir.parent)
    summary = index.summary(run_dir)
    running = summary.status == "running"
    last = (run_state(run_dir, index.tail(run_dir).events).last_step or {}) if running else {}
    return {
        "run": summary.run_id,
        "dir": str(summary.run_dir),
        "status": summary.status,
        "model": summary.model,
        "step": summary.step,
        "total": summary.total_steps,
        "epoch": summary.epoch,
        "loss": summary.last_loss,
        "eval_loss": summary.last_eval_loss,
        "eta": last.get("eta"),
        "pid": worker_pid(run_dir) if running else None,
        "checkpoints": [step for step, _ in complete_checkpoints(run_dir)],
        "adapter": str(summary.adapter.path) if summary.adapter else None,
        "message": summary.message,
    }


def _follow(run_dir: Path, as_json: bool) -> int:
    from medtui.train.events import run_state, follow_events

    try:
        for event in follow_events(run_dir):
            print(json.dumps(event) if as_json else describe_event(event), flush=True)
    except KeyboardInterrupt:
        print(f"\nstopped following; the run goes on. `medtui train attach {run_dir.name}` follows it again, "
              f"`medtui train stop {run_dir.name}` stops it.", file=sys.stderr)
        return 130
    status = run_state(run_dir).status
    if status == "died":
        print(f"the worker of {run_dir.name} died without a final event (see {run_dir / 'worker.log'}); "
              f"`medtui train resume {run_dir.name}` continues from its last complete checkpoint", file=sys.stderr)
    return EXIT_OK if status in ("finished", "stopped") else EXIT_FAILED


# --------------------------------------------------------------------------- commands

def _announce_then_follow(args, run_dir: Path, said: str, detached_hint: str = "") -> int:
    """What start and resume print once the worker runs: {"run", "dir"} or a line; then, unless
    --detach, the run's events until it ends."""
    if args.json:
        print(json.dumps({"run": run_dir.name, "dir": str(run_dir)}), flush=True)
    else:
        print(said, flush=True)
    if args.detach:
        if detached_hint and not args.json:
            print(detached_hint)
        return EXIT_OK
    return _follow(run_dir, args.json)


def start_command(args) -> int:
    from medtui.train.launch import LaunchError, start_run

    cfg = config_from(args)
    if args.num_processes is not None and args.num_processes < 1:
        raise UserError("--num-processes must be a positive integer")
    try:
        run_dir = start_run(cfg, detach=True, num_processes=args.num_processes)
    except LaunchError as exc:
        raise UserError(str(exc), EXIT_FAILED, hint=exc.hint) from None
    return _announce_then_follow(args, run_dir, f"run {run_dir.name} started in {run_dir}",
                                 f"follow it with `medtui train attach {run_dir.name}`")


def status_command(args) -> int:
    from medtui.runs import RunIndex, run_dirs, runs_root

    cfg = config_from(args)
    if args.run:
        summary = run_summary(_run_dir(cfg, args.run))
        if args.json:
            print(json.dumps(summary))
            return EXIT_OK
        for key, value in summary.items():
            if value is not None:
                print(f"{key:12} {value}")
        return EXIT_OK
    index = RunIndex(runs_root(cfg))
    summaries = [run_summary(path, index) for path in run_dirs(index.root)]
    if args.json:
        print(json.dumps({"runs": summaries}))
        return EXIT_OK
    if not summaries:
        print(f"no runs in {runs_root(cfg)}")
        return EXIT_OK
    print(f"{'RUN':44} {'STATUS':9} {'STEP':>11} {'LOSS':>8} {'EVAL':>8}  CHECKPOINTS")
    for s in summaries:
        step = f"{s['step']}/{s['total'] if s['total'] is not None else '?'}"
        print(f"{s['run']:44} {s['status']:9} {step:>11} {format_number(s['loss']):>8} {format_number(s['eval_loss']):>8}  "
              f"{','.join(map(str, s['checkpoints'])) or '-'}")
    return EXIT_OK


def attach_command(args) -> int:
    cfg = config_from(args)
    return _follow(_run_dir(cfg, args.run), args.json)


def stop_command(args) -> int:
    from medtui.train.events import run_state
    from medtui.train.launch import stop_run

    cfg = config_from(args)
    run_dir = _run_dir(cfg, args.run)
    state = run_state(run_dir)
    if state.status != "running":
        raise UserError(f"run {run_dir.name} is not running (status: {state.status})", EXIT_FAILED)
    if not stop_run(run_dir, timeout=args.timeout):
        raise UserError(f"run {run_dir.name} did not stop within {args.timeout:g} s; it may be saving or "
                        f"evaluating (see {run_dir / 'worker.log'})", EXIT_FAILED)
    state = run_state(run_dir)
    terminal = state.terminal or {}
    if args.json:
        print(json.dumps({"run": run_dir.name, "status": state.status, "step": terminal.get("step"),
                          "checkpoint": terminal.get("checkpoint")}))
    else:
        print(describe_event(terminal) if terminal else f"run {run_dir.name}: {state.status}")
        if state.status == "stopped" and terminal.get("checkpoint"):
            print(f"resume with `medtui train resume {run_dir.name}`")
        elif state.status == "stopped":
            print("it stopped before its first step, so there is nothing to resume; start a new run")
    return EXIT_OK if state.status == "stopped" else EXIT_FAILED


def resume_command(args) -> int:
    from medtui.train.launch import LaunchError, plan_resume, resume_run

    cfg = config_from(args)
    run_dir = _run_dir(cfg, args.run)
    try:
        plan = plan_resume(run_dir, cfg, checkpoint=args.checkpoint)
    except LaunchError as exc:
        raise UserError(str(exc), EXIT_FAILED, exc.hint) from None
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    if plan.later and not args.yes:
        if not confirm(f"{plan.later_question()}. Resume from step {plan.checkpoint}?", plan.later_question(),
                       hint="pass --yes to go ahead without a terminal to confirm in"):
            print("Not resumed; nothing changed.")
            return EXIT_FAILED
    try:
        resume_run(run_dir, cfg, checkpoint=plan.checkpoint, detach=True, set_aside_later=True)
    except LaunchError as exc:
        raise UserError(str(exc), EXIT_FAILED, exc.hint) from None
    return _announce_then_follow(args, run_dir, f"run {run_dir.name} resumed from step {plan.checkpoint}")
