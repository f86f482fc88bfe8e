"""Reading data files into raw records, keeping where each record came from.

JSONL, JSON and CSV/TSV are read with the standard library because that is what keeps exact
1-based line numbers and turns a bad line into a problem on that line instead of a failed load;
Parquet goes through pyarrow (the engine under `datasets`), hub ids through `datasets` itself.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtui.data.records import DataError, Problem, RawRecord
from medtui.files import NO_SUCH_FILE, file_problem

BOM = b"\xef\xbb\xbf"
KINDS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".parquet": "parquet", ".pq": "parquet",
}
SUPPORTED = ".jsonl, .json, .csv, .tsv, .parquet or a hub id (owner/name)"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(:[\w.-]+)?$")
# Lone surrogates are what `surrogateescape` turns undecodable bytes into.
_SURROGATE = re.compile("[\udc80-\udcff]")

# Records preferred under these keys when a JSON object holds more than one list.
_LIST_KEYS = ("data", "train", "records", "examples", "rows", "items", "instances")


@dataclass
class LoadedFile:
    source: str                 # what the user named (path or hub id)
    kind: str                   # jsonl | json | csv | tsv | parquet | hub
    records: list[RawRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)   # every key seen, first-seen order
    sha256: str = ""
    # True when undecodable bytes were carried into strings (JSON/CSV): fields need a check.
    bad_bytes: bool = False


def is_hub_id(source: str, root: Path | None = None) -> bool:
    """`owner/name` (optionally `:config`) that is not an existing path and has no data-file suffix."""
    path = Path(source).expanduser()
    if not path.is_absolute() and root is not None:
        path = root / path
    if path.exists() or Path(source.split(":")[0]).suffix.lower() in KINDS:
        return False
    return bool(_HUB_ID.match(source))


def file_kind(path: Path) -> str:
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path}: unsupported file type {path.suffix or '(no suffix)'!s}; medtui reads {SUPPORTED}", exit_code=2)
    return kind


def load_source(source: str, root: Path | None = None, hub_split: str = "train") -> LoadedFile:
    """Load a path (relative paths against `root`) or a hub id into raw records."""
    if is_hub_id(source, root):
        return load_hub(source, hub_split)
    path = Path(source).expanduser()
    if not path.is_absolute() and root is not None:
        path = root / path
    problem = file_problem(path)
    if problem is not None:  # a FIFO or /dev/zero would hang the read: refused before it starts
        more = f"; name a data file ({SUPPORTED})" if problem != NO_SUCH_FILE else ""
        raise DataError(f"{path}: {problem}{more}", exit_code=2)
    kind = file_kind(path)
    if kind == "parquet":
        return load_parquet(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})", exit_code=2) from None
    check_not_utf16(data, str(path))
    loader = {"jsonl": load_jsonl_bytes, "json": load_json_bytes, "csv": load_csv_bytes, "tsv": load_csv_bytes}[kind]
    loaded = loader(data, str(path), kind)
    loaded.sha256 = hashlib.sha256(data).hexdigest()
    return loaded


def _utf16_order(data: bytes) -> tuple[str, bool] | None:
    """("LE" or "BE", has a byte-order mark) when `data` looks like UTF-16 text, else None.

    Without a mark, text that is mostly ASCII has a zero byte in every other position; UTF-8 text
    has none (a zero byte there is a NUL character, flagged on its record instead).
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") and data[:4] != b"\xff\xfe\x00\x00":
        return ("LE" if data[:2] == b"\xff\xfe" else "BE"), True
    head = data[:4096]
    if len(head) < 8:
        return None
    half = len(head) // 2
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd >= 0.3 * half and even <= 0.02 * half:
        return "LE", False
    if even >= 0.3 * half and odd <= 0.02 * half:
        return "BE", False
    return None


def check_not_utf16(data: bytes, label: str) -> None:
    """A UTF-16 file (Windows tools write it) is named as such, with the command that converts it."""
    found = _utf16_order(data)
    if found is None:
        return
    order, bom = found
    source = "UTF-16" if bom else f"UTF-16{order}"  # iconv reads the mark; without one it must be told
    mark = "with" if bom else "without"
    raise DataError(
        f"{label}: is UTF-16 text ({'little' if order == 'LE' else 'big'}-endian, {mark} a byte-order mark); "
        "medtui reads UTF-8",
        hint=f"convert it: iconv -f {source} -t UTF-8 {label} > {Path(label).stem}.utf8{Path(label).suffix}")


def _note_columns(columns: dict[str, None], fields: dict[str, Any]) -> None:
    for key in fields:
        if key not in columns:
            columns[key] = None


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


def load_jsonl_bytes(data: bytes, label: str, kind: str = "jsonl") -> LoadedFile:
    loaded = LoadedFile(label, kind)
    columns: dict[str, None] = {}
    if data.startswith(BOM):
        data = data[len(BOM):]
    number = 0
    decode = json.loads
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue  # blank lines are not records
        number += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            loaded.problems.append(Problem(
                "not_utf8",
                f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not UTF-8; re-save the file as UTF-8",
                record=number, line=lineno))
            loaded.records.append(RawRecord(number, lineno, None))
            continue
        try:
            value = decode(text)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            loaded.problems.append(Problem("malformed_json", _json_failure(exc), record=number, line=lineno))
            loaded.records.append(RawRecord(number, lineno, None))
            continue
        if not isinstance(value, dict):
            loaded.problems.append(Problem(
                "wrong_type", f"a record must be a JSON object, got {_json_type(value)}", record=number, line=lineno))
            loaded.records.append(RawRecord(number, lineno, None))
            continue
        _note_columns(columns, value)
        loaded.records.append(RawRecord(number, lineno, value))
    loaded.columns = list(columns)
    return loaded


def _json_failure(exc: Exception) -> str:
    """What is wrong with a JSON text that did not parse (syntax, nesting too deep, a huge number)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at column {exc.colno}: {exc.msg}"
    if isinstance(exc, RecursionError):
        return "not readable as JSON: nested too deeply (arrays or objects inside each other thousands of levels deep)"
    # int() refuses integers of more than sys.get_int_max_str_digits() digits (4300 by default)
    return f"not readable as JSON: {str(exc).splitlines()[0] if str(exc) else 'a value out of range'}"


def _decode_lenient(data: bytes) -> tuple[str, bool]:
    """Text with undecodable bytes kept as lone surrogates, so they surface as a problem on their record."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="surrogateescape"), True


def _list_in_object(obj: dict, label: str) -> list:
    lists = {k: v for k, v in obj.items() if isinstance(v, list) and any(isinstance(x, dict) for x in v[:50])}
    if not lists:
        keys = ", ".join(map(str, obj)) or "(none)"
        raise DataError(
            f"{label}: the JSON object holds no list of records (keys: {keys}); "
            "use an array of objects, or an object with one list of objects (e.g. {\"data\": [...]})")
    for key in _LIST_KEYS:
        if key in lists:
            return lists[key]
    return max(lists.values(), key=len)


def load_json_bytes(data: bytes, label: str, kind: str = "json") -> LoadedFile:
    text, bad_bytes = _decode_lenient(data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        # Plenty of ".json" files are JSON Lines; read them as such rather than refuse.
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            return load_jsonl_bytes(data, label, kind="jsonl")
        loaded = LoadedFile(label, kind)
        loaded.problems.append(Problem(
            "malformed_json",
            f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; no record could be read",
            line=exc.lineno))
        return loaded
    except (RecursionError, ValueError) as exc:
        if text.lstrip().startswith("{") and "\n{" in text:  # JSON Lines: one bad line, not the whole file
            return load_jsonl_bytes(data, label, kind="jsonl")
        loaded = LoadedFile(label, kind)
        loaded.problems.append(Problem("malformed_json", _json_failure(exc) + "; no record could be read"))
        return loaded
    if isinstance(value, dict):
        items = _list_in_object(value, label)
    elif isinstance(value, list):
        items = value
    else:
        raise DataError(f"{label}: holds {_json_type(value)}; expected an array of records or an object with a list")
    loaded = LoadedFile(label, kind, bad_bytes=bad_bytes)
    columns: dict[str, None] = {}
    for number, item in enumerate(items, 1):
        if isinstance(item, dict):
            _note_columns(columns, item)
            loaded.records.append(RawRecord(number, None, item))
        else:
            loaded.problems.append(Problem(
                "wrong_type", f"a record must be a JSON object, got {_json_type(item)}", record=number))
            loaded.records.append(RawRecord(number, None, None))
    loaded.columns = list(columns)
    return loaded


def load_csv_bytes(data: bytes, label: str, kind: str = "csv") -> LoadedFile:
    text, bad_bytes = _decode_lenient(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if kind == "tsv" or ("," not in first_line and "\t" in first_line) else ","
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    loaded = LoadedFile(label, kind, bad_bytes=bad_bytes)
    try:
        header: list[str] = []
        for row in reader:
            if row and any(cell.strip() for cell in row):
                header = [cell.strip() for cell in row]
                break
        if not header:
            return loaded
        loaded.columns = header
        previous_end = reader.line_num
        number = 0
        for row in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue  # blank lines are not records
            number += 1
            if len(row) > len(header):
                loaded.problems.append(Problem(
                    "wrong_type",
                    f"row has {len(row)} cells but the header names {len(header)} columns "
                    f"(an unquoted {'tab' if delimiter == chr(9) else 'comma'} in a field?)",
                    record=number, line=start))
                loaded.records.append(RawRecord(number, start, None))
                continue
            # Cells past the end of a short row are absent, so they read as missing fields.
            loaded.records.append(RawRecord(number, start, dict(zip(header, row))))
    except csv.Error as exc:
        raise DataError(f"{label}: line {reader.line_num}: not readable as {kind.upper()} ({exc})") from None
    return loaded


def load_parquet(path: Path) -> LoadedFile:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow comes with datasets
        raise DataError(f"{path}: reading Parquet needs pyarrow (installed with datasets)", exit_code=2) from None
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise DataError(f"{path}: not readable as Parquet ({exc})") from None
    loaded = LoadedFile(str(path), "parquet", columns=list(table.column_names))
    for number, row in enumerate(table.to_pylist(), 1):
        loaded.records.append(RawRecord(number, None, row))
    loaded.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return loaded


# datasets' words when a data set with several configurations is loaded without naming one.
_MISSING_CONFIG = re.compile(r"available configs: \[(.*?)\]", re.S)


def load_hub(source: str, split: str) -> LoadedFile:
    """A hub data set through `datasets`; `owner/name:config` picks a configuration."""
    name, _, config = source.partition(":")
    _probe_hub(source, name)
    try:
        import datasets
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
        dataset = datasets.load_dataset(name, config or None, split=split)
    except Exception as exc:
        several = _MISSING_CONFIG.search(str(exc))
        if several and not config:
            configs = [c.strip().strip("'\"") for c in several.group(1).split(",") if c.strip()]
            raise DataError(
                f"{source}: this data set has several configurations ({', '.join(configs)}) and none is chosen; "
                f'name one in [data] train_files, e.g. "{name}:{configs[0]}"', exit_code=2) from None
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{source}: cannot load this hub data set (split {split!r}): {reason}; check the id, the network "
            "(HF_DATASETS_OFFLINE / HF_HUB_OFFLINE) and [data] hub_split, or download it to a file",
            exit_code=2) from None
    loaded = LoadedFile(source, "hub", columns=list(dataset.column_names))
    for number, row in enumerate(dataset, 1):
        loaded.records.append(RawRecord(number, None, row))
    loaded.sha256 = hashlib.sha256(f"{source}|{split}|{getattr(dataset, '_fingerprint', '')}".encode()).hexdigest()
    return loaded


def _offline() -> bool:
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def _probe_hub(source: str, name: str) -> None:
    """One quick request before `datasets` (whose downloads retry for half a minute when the hub is
    unreachable), so a missing id or a missing network gets a clear message at once."""
    if _offline():
        return  # datasets then reads the local cache only, and says so when it is not there
    from huggingface_hub import HfApi

    try:
        HfApi().dataset_info(name, timeout=10)
    except Exception as exc:
        kind = type(exc).__name__
        if "NotFound" in kind or "RepositoryNotFound" in kind or "GatedRepo" in kind:
            raise DataError(f"{source}: no such data set on the hub, or it needs a login ({kind})", exit_code=2) from None
        raise DataError(
            f"{source}: the hub could not be reached ({kind}); check the network, or set HF_HUB_OFFLINE=1 "
            "to read a copy already in the local cache", exit_code=2) from None


def has_bad_bytes(text: str) -> bool:
    return _SURROGATE.search(text) is not None
