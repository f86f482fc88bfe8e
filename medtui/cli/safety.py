"""`medtui safety screen FILE [--json]`: run the safety screen over a prompt set, no chat model loaded.

FILE (or `-` for standard input) is JSONL with a "prompt" per line (a data set's records work too:
"instruction", "question", "input" or the user turns of "messages"), or plain text with one prompt
per line. With --json: one object per non-blank input line, in order,
{"line", "prompt", "refused", "category", "score"}; without it a table and a summary. Exit 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from medtui.cli import EXIT_OK, UserError, show_usage

PROMPT_FIELDS = ("prompt", "instruction", "question", "input", "text")


def register(sub, common) -> None:
    p = sub.add_parser("safety", parents=[common], help="the medical safety screen: screen prompts",
                       description="The medical safety screen (rules and a learned classifier), without a model.")
    p.set_defaults(handler=lambda args: show_usage(p))
    inner = p.add_subparsers(dest="safety_command", metavar="COMMAND")
    screen = inner.add_parser(
        "screen", parents=[common], help="screen a prompt set or a data set's user turns",
        description="Screen each line of FILE: JSONL with a \"prompt\" per line (or a data set's records), "
                    "or plain text, one prompt per line. FILE - reads standard input.",
    )
    screen.add_argument("file", metavar="FILE", help="JSONL or text file, or - for standard input")
    screen.add_argument("--json", action="store_true", help="one JSON object per input line")
    screen.set_defaults(handler=cmd_screen)


def _read_lines(name: str) -> list[str]:
    if name == "-":
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        from medtui.files import file_problem

        path = Path(name)
        problem = file_problem(path)  # a FIFO or /dev/zero would hang the read
        if problem is not None:
            raise UserError(f"{name}: {problem}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UserError(f"{name}: cannot be read ({exc.strerror})", code=1) from None
        where = name
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UserError(f"{where}: line {line} is not UTF-8 text", hint="re-save the file as UTF-8",
                        code=1) from None
    return text.splitlines()


def prompt_of(line: str) -> tuple[str | None, str | None]:
    """(prompt, problem) for one input line: a JSON object's prompt field or the user turns of its
    messages, or the line itself when it is plain text."""
    stripped = line.strip()
    if not stripped.startswith("{"):
        return stripped, None
    try:
        record = json.loads(stripped)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    for key in PROMPT_FIELDS:
        if isinstance(record.get(key), str):
            return record[key], None
    messages = record.get("messages") or record.get("conversations")
    if isinstance(messages, list):
        turns = [m.get("content") or m.get("value") for m in messages
                 if isinstance(m, dict) and m.get("role", m.get("from")) in ("user", "human")]
        turns = [t for t in turns if isinstance(t, str)]
        if turns:
            return "\n".join(turns), None
    return None, f"no prompt: expected one of {', '.join(PROMPT_FIELDS)} or user turns in messages"


def cmd_screen(args) -> int:
    from medtui.safety import classify_many

    lines = _read_lines(args.file)
    where = "standard input" if args.file == "-" else args.file
    entries = []  # (line number, prompt or None, problem)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        prompt, problem = prompt_of(line)
        if problem:
            print(f"medtui: {where}: line {number}: {problem}; not screened", file=sys.stderr)
        entries.append((number, prompt, problem))
    verdicts = iter(classify_many([p for _, p, problem in entries if not problem]))
    rows = []
    for number, prompt, problem in entries:
        if problem:
            rows.append({"line": number, "prompt": None, "refused": None, "category": None, "score": None,
                         "error": problem})
            continue
        v = next(verdicts)
        rows.append({"line": number, "prompt": prompt, "refused": v.refused, "category": v.category,
                     "score": v.score})
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return EXIT_OK
    print(format_table(rows))
    return EXIT_OK


def format_table(rows: list[dict]) -> str:
    from medtui.safety import category_label

    out = []
    for row in rows:
        if row["refused"] is None:
            status = "skipped"
        else:
            status = f"refused  {category_label(row['category'])}" if row["refused"] else "answered"
        score = "" if row["score"] is None else f"{row['score']:.2f}"
        prompt = (row["prompt"] or row.get("error", "")).replace("\n", " ")
        if len(prompt) > 70:
            prompt = prompt[:69] + "…"
        out.append(f"{row['line']:>5}  {score:>4}  {status:<34} {prompt}")
    screened = [r for r in rows if r["refused"] is not None]
    refused = [r for r in screened if r["refused"]]
    summary = f"{len(screened)} prompt(s) screened, {len(refused)} refused"
    if screened:
        summary += f" ({len(refused) / len(screened):.0%})"
    by_category: dict[str, int] = {}
    for r in refused:
        by_category[r["category"]] = by_category.get(r["category"], 0) + 1
    if by_category:
        summary += ": " + ", ".join(f"{category_label(c)} {n}" for c, n in sorted(by_category.items()))
    skipped = len(rows) - len(screened)
    if skipped:
        summary += f"; {skipped} line(s) skipped"
    return "\n".join(out + [summary])
