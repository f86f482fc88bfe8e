"""Hostile data files: one bad line stays one bad record, and a file that is not what it claims to be
is named at once (never a hang, a traceback or a lost file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medtui.data import DataError, DataOptions, validate_file

GOOD = [{"instruction": f"What is condition {i}?", "response": f"Condition {i} is a condition."} for i in range(3)]


def codes(report):
    return [(p.code, p.line, p.record) for p in report.problems]


def jsonl(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


@pytest.mark.parametrize("bad", [
    '{"instruction": ' + "[" * 100_000 + "]" * 100_000 + ', "response": "a"}',
    '{"instruction": "q", "response": "a", "n": ' + "7" * 6000 + "}",
], ids=["nested-100000-deep", "6000-digit-number"])
def test_one_unreadable_json_line_is_one_malformed_record(tmp_path, bad):
    path = jsonl(tmp_path / "d.jsonl", [json.dumps(GOOD[0]), bad, json.dumps(GOOD[1]), json.dumps(GOOD[2])])
    report = validate_file(path, DataOptions())  # today: RecursionError / ValueError, the whole file lost
    assert codes(report) == [("malformed_json", 2, 2)]
    assert report.records == 4 and report.usable == 3
    message = report.problems[0].message
    assert "nested too deeply" in message or "digits" in message


def test_a_json_document_nested_too_deep_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "d.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    report = validate_file(str(path), DataOptions())
    assert [p.code for p in report.problems] == ["malformed_json"] and report.usable == 0
    assert "nested too deeply" in report.problems[0].message


def test_nul_characters_in_text_are_flagged_on_their_record(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", [
        json.dumps(GOOD[0]), json.dumps({"instruction": "What is\u0000 asthma?", "response": "A disease."}),
        json.dumps(GOOD[1])])
    report = validate_file(path, DataOptions())
    assert [(p.code, p.line, p.field) for p in report.problems] == [("nul_byte", 2, "instruction")]
    assert report.problems[0].severity == "error" and report.usable == 2
    assert "character 8" in report.problems[0].message

    csv = tmp_path / "d.csv"
    csv.write_bytes(b"instruction,response\nq1,a1\nq\x002,a2\n")
    report = validate_file(str(csv), DataOptions())
    assert [(p.code, p.line) for p in report.problems] == [("nul_byte", 3)] and report.usable == 1


@pytest.mark.parametrize("encoding,bom,source", [
    ("utf-16", True, "UTF-16"),            # Python writes a BOM and little-endian
    ("utf-16-le", False, "UTF-16LE"),
    ("utf-16-be", False, "UTF-16BE"),
])
@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_a_utf16_file_is_named_with_the_command_that_converts_it(tmp_path, encoding, bom, source, suffix):
    path = tmp_path / f"notes{suffix}"
    text = {".jsonl": "".join(json.dumps(r) + "\n" for r in GOOD), ".json": json.dumps(GOOD),
            ".csv": "instruction,response\n" + "".join(f"{r['instruction']},{r['response']}\n" for r in GOOD)}[suffix]
    path.write_bytes(text.encode(encoding))
    with pytest.raises(DataError) as caught:
        validate_file(str(path), DataOptions())
    error = caught.value
    assert f"{path}: is UTF-16 text" in error.message and ("with a byte-order mark" if bom else "without") in error.message
    assert error.hint.startswith(f"convert it: iconv -f {source} -t UTF-8 {path}")

    # the command the hint gives makes a file that validates
    fixed = subprocess.run(["iconv", "-f", source, "-t", "UTF-8", str(path)], capture_output=True, check=True).stdout
    path.write_bytes(fixed)
    assert validate_file(str(path), DataOptions()).usable == 3


def test_utf8_text_with_many_non_ascii_characters_is_not_taken_for_utf16(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", [json.dumps({"instruction": "Qu'est-ce que l'asthme ? ééé ñ 中文 " * 20,
                                                     "response": "Une maladie."}, ensure_ascii=False)])
    assert validate_file(path, DataOptions()).usable == 1


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "data.jsonl"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev_zero_link":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("kind,reason", [
    ("fifo", "is a named pipe (FIFO), not a regular file"),
    ("dev_zero_link", "is a symbolic link to /dev/zero, which is a character device, not a regular file"),
    ("folder", "is a folder"),
])
def test_a_data_path_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind, reason):
    path = _special(tmp_path, kind)
    with pytest.raises(DataError) as caught:  # today: blocks on the FIFO, reads /dev/zero until memory runs out
        validate_file(str(path), DataOptions())
    assert caught.value.message.startswith(f"{path}: {reason}") and caught.value.exit_code == 2


def test_data_validate_on_a_fifo_exits_with_a_message(tmp_path):
    path = _special(tmp_path, "fifo")
    done = subprocess.run([sys.executable, "-m", "medtui", "data", "validate", str(path), "--no-length"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"medtui: {path}: is a named pipe (FIFO), not a regular file; "
                                   "name a data file (.jsonl, .json, .csv, .tsv, .parquet or a hub id (owner/name))")


# ---- the PHI scan is linear in the text size ------------------------------------------------------

# Texts that made a pattern backtrack over the whole text from one keyword (today "dob" followed by
# 30,000 spaces takes 34 s, and the scan holds the interpreter lock, so the TUI froze meanwhile).
PATHOLOGICAL = {
    "dob then spaces": lambda n: "dob" + " " * n,
    "dob is then spaces and a colon": lambda n: "DOB is " + " " * (n // 2) + ":" + " " * (n // 2),
    "mrn then spaces": lambda n: "mrn" + " " * n + "x",
    "ssn then spaces then an ssn": lambda n: "ssn" + " " * n + "123-45-6789",
    "an email's local part without end": lambda n: "a" * n + "@",
    "dotted local part": lambda n: "a." * (n // 2) + "@",
    "dotted domain": lambda n: "x@" + "a." * (n // 2) + "1",
}


def _best_time(text: str, repeat: int = 5) -> float:
    import time

    from medtui.data.phi import find_phi

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        find_phi(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_phi_scan_time_grows_linearly_with_the_text(name):
    """Side by side, 8 times the text must cost about 8 times as much (a quadratic scan costs 64 times)."""
    make = PATHOLOGICAL[name]
    small, large = _best_time(make(2_000)), _best_time(make(16_000))
    assert large / max(small, 1e-5) < 24, f"{name}: {small * 1e3:.2f} ms -> {large * 1e3:.2f} ms for 8x the text"


def test_phi_detections_survive_in_a_long_field(tmp_path):
    from medtui.data.phi import find_phi

    pad = " " * 30_000
    text = f"dob{pad} DOB: 03/04/1985 {pad} MRN: 12345678 {pad} write to pat.jones@example.com {pad} SSN 123-45-6789"
    assert [f.kind for f in find_phi(text)] == ["dob", "mrn", "email", "ssn"]
    path = jsonl(tmp_path / "d.jsonl", [json.dumps({"instruction": text, "response": "Noted."})])
    report = validate_file(path, DataOptions())
    assert [p.code for p in report.problems] == ["phi_email", "phi_ssn", "phi_mrn", "phi_dob"] and report.usable == 1


def test_data_validate_prints_the_utf16_fix_as_a_hint(tmp_path, capsys):
    from medtui.cli import main

    path = tmp_path / "wide.csv"
    path.write_bytes("instruction,response\nq,a\n".encode("utf-16-le"))
    assert main(["data", "validate", str(path), "--no-length"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"medtui: {path}: is UTF-16 text (little-endian, without a byte-order mark); medtui reads UTF-8",
        f"hint: convert it: iconv -f UTF-16LE -t UTF-8 {path} > wide.utf8.csv"]
