"""The headless command line: every pane's job as a command (`medtui data|train|runs|export|chat|safety`).

Each area registers its sub-commands from its own module; this module owns the shared options
(--config, --set), turns known failures into one readable message and an exit code, and keeps
tracebacks out of the user's face (they go to a log file instead).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from medtui import __version__
from medtui.config import load_config
from medtui.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, MedtuiError, UsageError


class UserError(UsageError):
    """A failure the user can fix, raised by the command modules; exit code 2 unless given."""

    def __init__(self, message: str, code: int = EXIT_USAGE, hint: str = ""):
        super().__init__(message, hint=hint, code=code)


# How every command that takes a run describes its RUN argument (medtui.runs.resolve_run reads it).
RUN_HELP = "run id, a unique prefix of it, or the path of a run folder"


def report(exc: MedtuiError) -> int:
    """Every expected failure, printed the same way: `medtui: message`, then the hint."""
    print(exc.message if exc.located else f"medtui: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)
    return exc.code


def confirm(question: str, no_terminal: str, hint: str | None = None) -> bool:
    """Ask `question [y/N]` on the terminal; without a terminal to answer in, refuse with `no_terminal`."""
    if not sys.stdin.isatty():
        raise UserError(no_terminal, hint=hint)
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def config_options() -> argparse.ArgumentParser:
    """--config and --set, shared by every command."""
    parent = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: the options sit on the top parser and on every sub-parser; without it a sub-parser's
    # default would overwrite a value given before the command (`medtui --config X data validate F`).
    parent.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="TOML config (default: ./medtui.toml when present)")
    parent.add_argument(
        "--set", dest="overrides", action="append", default=argparse.SUPPRESS, metavar="SECTION.KEY=VALUE",
        help="override one config key, e.g. --set lora.r=8 (repeatable)",
    )
    return parent


def show_usage(parser: argparse.ArgumentParser) -> int:
    """A command group called without its subcommand: its help on stderr, the usage exit code."""
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def config_from(args: argparse.Namespace):
    return load_config(getattr(args, "config", None), getattr(args, "overrides", []))


def build_parser() -> argparse.ArgumentParser:
    from medtui.cli import chat, data, eval, export, runs, safety, setup, train

    common = config_options()
    parser = argparse.ArgumentParser(
        prog="medtui",
        description="Fine-tune language models on medical instruction data with 4-bit LoRA, export to GGUF, chat-test.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"medtui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (data, train, runs, export, chat, eval, safety, setup):
        module.register(sub, common)
    return parser


def error_log_path() -> Path:
    from medtui.models import cache_root

    return cache_root() / "last-error.log"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        if args.command is None:
            from medtui.tui.app import run_app

            try:
                cfg = config_from(args)
            except MedtuiError as exc:
                return report(exc)
            run_app(cfg)
            return EXIT_OK
        parser.parse_args([args.command, "--help"])
    try:
        return int(args.handler(args) or EXIT_OK)
    except MedtuiError as exc:
        return report(exc)
    except KeyboardInterrupt:
        print("medtui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `medtui runs list | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # the last line of defence: a message, never a traceback
        log = error_log_path()
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
            where = f" (details in {log})"
        except OSError:
            where = ""
        print(f"medtui: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
