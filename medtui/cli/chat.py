"""`medtui chat (--adapter RUN[:CHECKPOINT] | --gguf FILE | --base) [--prompt TEXT] [--json]`.

With --prompt: one answer streamed to stdout (or one JSON object with --json). Without it: a
conversation in the terminal, where Ctrl-C stops the answer being written and Ctrl-D leaves.
Loading messages and timings go to stderr so stdout holds only the answer.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from contextlib import contextmanager

from medtui.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UserError, config_from

EXIT_STOPPED = 130
HELP_LINE = "/clear forgets the conversation, /quit (or Ctrl-D) leaves, Ctrl-C stops an answer."


def register(sub, common) -> None:
    p = sub.add_parser(
        "chat", parents=[common],
        help="chat with the base model, a run's adapter or a GGUF export (medical safety layer on)",
        description="Chat with a model behind the medical safety layer. Sampling comes from [chat] "
                    "(e.g. --set chat.temperature=0 --set chat.max_new_tokens=64).",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--adapter", metavar="RUN[:CHECKPOINT]",
                       help="a run's LoRA adapter: run id or prefix; checkpoint-N, N or final (default: final)")
    which.add_argument("--gguf", metavar="FILE", help="a GGUF file (e.g. from `medtui export`)")
    which.add_argument("--base", action="store_true", help="the base model from [model] name, without adapter")
    which.add_argument("--list", action="store_true", help="list what there is to chat with and exit")
    p.add_argument("--prompt", metavar="TEXT", help="ask one question and exit (no prompt: a conversation)")
    p.add_argument("--json", action="store_true", help="with --prompt or --list: print one JSON object")
    p.set_defaults(handler=cmd_chat)


def cmd_chat(args) -> int:
    from medtui.chat import ChatError, ChatSession, adapter_choice, base_choice, gguf_choice, list_choices, make_backend

    cfg = config_from(args)
    if args.list:
        return _list(list_choices(cfg), args.json)
    if args.json and args.prompt is None:
        raise UserError("--json needs --prompt (a conversation cannot be one JSON object)")
    try:
        if args.adapter is not None:
            choice = adapter_choice(cfg, args.adapter)
        elif args.gguf is not None:
            choice = gguf_choice(args.gguf)
        else:
            choice = base_choice(cfg)
        session = ChatSession.from_config(make_backend(choice, cfg), cfg)
    except ChatError as exc:
        raise UserError(str(exc), EXIT_USAGE, hint=exc.hint) from None
    try:
        if args.prompt is not None:
            return _one_answer(session, args.prompt, args.json)
        return _conversation(session)
    except ChatError as exc:
        raise UserError(str(exc), EXIT_FAILED, hint=exc.hint) from None
    finally:
        # Freed here rather than by llama-cpp-python's __del__ at interpreter exit, which can
        # print a traceback once its module globals are gone.
        session.backend.unload()


def _list(choices, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"models": [{"kind": c.kind, "label": c.label, "path": c.path} for c in choices]}))
        return EXIT_OK
    for choice in choices:
        flag = {"base": "--base", "adapter": f"--adapter {choice.label}", "gguf": f"--gguf {choice.path}"}[choice.kind]
        print(f"{choice.kind:<8} {choice.label:<48} {flag}")
    return EXIT_OK


def _status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load(session) -> float:
    backend = session.backend
    start = time.perf_counter()
    _status(f"loading {backend.name} ...")
    backend.load(lambda message: None)
    seconds = time.perf_counter() - start
    _status(f"loaded {backend.name} ({backend.device_used}) in {seconds:.1f} s")
    return seconds


@contextmanager
def _ctrl_c_sets(event: threading.Event):
    """While an answer streams, Ctrl-C stops it (the partial answer is kept) instead of killing medtui."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stream_reply(session, text: str, echo: bool):
    cancel = threading.Event()
    reply = session.send(text, cancel)
    with _ctrl_c_sets(cancel):
        for piece in reply:
            if echo:
                sys.stdout.write(piece)
                sys.stdout.flush()
    return reply


def _stats(reply) -> str:
    from medtui.chat import FINISH_LABELS

    if reply.refused:
        from medtui.safety import describe

        return f"[{describe(reply.verdict)}]"
    g = reply.generation
    speed = f", {g.tokens_per_s:.1f} tok/s" if g.tokens_per_s else ""
    dropped = f", {reply.dropped_turns} oldest turn(s) left out to fit the context" if reply.dropped_turns else ""
    return f"[{g.tokens} tokens in {reply.seconds:.1f} s{speed}, {FINISH_LABELS.get(g.finish, g.finish)}{dropped}]"


def _one_answer(session, prompt: str, as_json: bool) -> int:
    load_seconds = 0.0
    if not session.screen(prompt).refused:  # a refused request never needs the model
        load_seconds = _load(session)
    reply = _stream_reply(session, prompt, echo=not as_json)
    if as_json:
        print(json.dumps({**reply.to_dict(), "load_seconds": round(load_seconds, 3)}, ensure_ascii=False))
    else:
        print()
        _status(_stats(reply))
    return EXIT_STOPPED if reply.finish == "cancelled" else EXIT_OK


def _conversation(session) -> int:
    _load(session)
    _status(f"chatting with {session.backend.name}. {HELP_LINE}")
    while True:
        try:
            text = input("\nyou> ").strip()
        except EOFError:
            print()
            return EXIT_OK
        except KeyboardInterrupt:
            print()
            return EXIT_OK
        if not text:
            continue
        command = text.lower()
        if command in ("/quit", "/exit", "/q"):
            return EXIT_OK
        if command == "/clear":
            session.clear()
            _status("conversation cleared")
            continue
        if command in ("/help", "/?"):
            _status(HELP_LINE)
            continue
        sys.stdout.write("\nmodel> ")
        sys.stdout.flush()
        reply = _stream_reply(session, text, echo=True)
        print()
        _status(_stats(reply))
