"""`medtui setup` (fetch the converter, prepare the embedded model) and `medtui config ...`."""

from __future__ import annotations

import sys

from medtui.cli import UserError, config_from


def register(sub, common) -> None:
    setup = sub.add_parser("setup", parents=[common], help="fetch llama.cpp's converter and prepare the default model (once)")
    setup.add_argument("--no-model", action="store_true", help="skip materializing the embedded model")
    setup.set_defaults(handler=run_setup)

    config = sub.add_parser("config", help="show, check or write the configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = config_sub.add_parser("show", parents=[common], help="print the resolved config as TOML")
    show.set_defaults(handler=show_config)
    check = config_sub.add_parser("check", parents=[common], help="validate the config; exit 2 on problems")
    check.set_defaults(handler=check_config)
    init = config_sub.add_parser("init", help="write a documented default medtui.toml")
    init.add_argument("path", nargs="?", default="medtui.toml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(handler=init_config)


def _progress_line(stage: str, fraction: float) -> None:
    print(f"  [{fraction * 100:5.1f}%] {stage}", flush=True)


def run_setup(args) -> int:
    from medtui.llamacpp import ConverterMissing, ensure_converter
    from medtui.models import materialize_embedded

    cfg = config_from(args)
    try:
        script = ensure_converter(cfg.model.cache_dir, log=lambda m: print(f"  {m}", flush=True))
    except ConverterMissing as exc:
        raise UserError(str(exc), hint=exc.hint) from None
    print(f"llama.cpp converter: {script}")
    if not args.no_model:
        folder = materialize_embedded(cfg.model.cache_dir, progress=_progress_line)
        print(f"embedded default model: {folder}")
    return 0


def show_config(args) -> int:
    sys.stdout.write(config_from(args).to_toml())
    return 0


def check_config(args) -> int:
    cfg = config_from(args)
    print(f"{cfg.source or 'defaults'}: ok")
    return 0


def init_config(args) -> int:
    from pathlib import Path

    from medtui.config import documented_defaults

    path = Path(args.path)
    if path.exists() and not args.force:
        raise UserError(f"{path} exists; use --force to overwrite it")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(documented_defaults())
    tmp.replace(path)
    print(f"wrote {path}")
    return 0
