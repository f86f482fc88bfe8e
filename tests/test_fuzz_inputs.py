"""Bounded fuzzing of what users hand medtui: random bytes, truncations and mutations of the sample
data files and of medtui.toml, fed to `medtui data validate` and `medtui config check`.

Whatever the input, the command ends with exit code 0, 1 or 2, prints no traceback and no bare
exception class name, and when it fails its message names the file. The cases come from a fixed
seed, so a failure here reproduces exactly (the case id says which mutation of which file).
"""

from __future__ import annotations

import contextlib
import io
import random
import re
from pathlib import Path

import pytest

from medtui.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261127
DATA_FILES = sorted(p for p in (ROOT / "data").glob("medical_*") if p.suffix in (".jsonl", ".json", ".csv"))
CONFIG_FILE = ROOT / "medtui.toml"
CASES_PER_FILE = 48
# A class name standing in for an explanation ("KeyError: 'x'", "medtui: RecursionError", "TemplateError: ...").
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b|\b(?:KeyError|StopIteration)\b")

SPECIAL = [b"\x00", b'"', b"'", b"{", b"}", b"[", b"]", b",", b":", b"=", b"\\", b"\n", b"\r", b"\t", b"\xff",
           b"\xc3", b"\xef\xbb\xbf", b"\\u0000", b"\\ud800", b"nan", b"inf", b"-1", b"1e999", b"true", b"null",
           b"[[[[[[[[", b"#", b'"""', b"\x1b[2J", b"\xe2\x80\xa8"]


def _mutate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    kind = rng.choice(["random", "truncate", "flip", "insert", "delete", "duplicate", "splice_special",
                       "deep", "huge_number", "utf16", "lines_shuffled"])
    if kind == "random":
        return kind, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 600)))
    if not data:
        return kind, data
    at = rng.randrange(len(data))
    if kind == "truncate":
        return kind, data[:at]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return kind, bytes(out)
    if kind == "insert":
        return kind, data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))) + data[at:]
    if kind == "delete":
        return kind, data[:at] + data[at + rng.randint(1, 400):]
    if kind == "duplicate":
        end = min(len(data), at + rng.randint(1, 2000))
        return kind, data[:end] + data[at:end] * rng.randint(1, 3) + data[end:]
    if kind == "splice_special":
        out = data
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(out) + 1)
            out = out[:at] + rng.choice(SPECIAL) + out[at:]
        return kind, out
    if kind == "deep":
        depth = rng.choice([1_000, 20_000, 100_000])
        opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
        deep = opener * depth + b"1" + closer * depth
        if rng.random() < 0.5:  # somewhere in the text, or as a value on a line of its own
            return kind, data[:at] + deep + data[at:]
        line = data.rfind(b"\n", 0, at) + 1
        value = rng.choice([deep + b"\n", b"k = " + deep + b"\n", b'{"instruction": ' + deep + b"}\n"])
        return kind, data[:line] + value + data[line:]
    if kind == "huge_number":
        return kind, data[:at] + b"9" * rng.choice([4_301, 6_000, 50_000]) + data[at:]
    if kind == "utf16":
        return kind, data.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"]))
    lines = data.split(b"\n")
    rng.shuffle(lines)
    return kind, b"\n".join(lines)


def _cases():
    rng = random.Random(SEED)
    cases = []
    for source in [*DATA_FILES, CONFIG_FILE]:
        original = source.read_bytes()
        for index in range(CASES_PER_FILE):
            kind, data = _mutate(rng, original)
            cases.append(pytest.param(source, data, id=f"{source.name}-{index}-{kind}"))
    return cases


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    # main() writes unexpected failures to the cache's last-error.log; keep it in the test's folder
    monkeypatch.setenv("MEDTUI_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def check(code: int, out: str, err: str, path: Path) -> None:
    assert code in (0, 1, 2), f"exit code {code}\n{err[-2000:]}"
    assert "Traceback" not in out + err
    named = CLASS_NAME.findall(err)
    assert not named, f"an exception class stands in for a message: {named}\n{err[-2000:]}"
    if code != 0:
        assert path.name in out + err, f"the failure does not name {path.name}:\n{err[-2000:]}"


@pytest.mark.parametrize("source,data", _cases())
def test_mutated_input_gets_a_clear_message(tmp_path, source, data):
    path = tmp_path / source.name
    path.write_bytes(data)
    if source == CONFIG_FILE:
        check(*run_main(["config", "check", "--config", str(path)]), path)
        # the same file picked up implicitly as ./medtui.toml, as `medtui` with no --config does
        code, out, err = run_main(["config", "check"])
        check(code, out, err, path)
    else:
        check(*run_main(["data", "validate", str(path), "--no-length"]), path)
        check(*run_main(["data", "validate", str(path), "--no-length", "--json"]), path)
