"""Validation: every record of a file checked for structure, duplicates, PHI and length, with each
problem naming its line or record and field. A bad record never stops the rest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from medtui.data.loaders import LoadedFile, has_bad_bytes, load_source
from medtui.data.phi import KINDS as PHI_KINDS
from medtui.data.phi import find_phi
from medtui.data.records import ValidationReport
from medtui.data.shapes import detect_shape, make_mapper

# progress(stage, done, total)
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 2000


@dataclass
class DataOptions:
    """The data-related settings validation needs (taken from a Config, or given directly in tests)."""

    format: str = "auto"
    columns: dict[str, str] = field(default_factory=dict)
    include_reasoning: bool = True
    add_system_prompt: bool = True
    system_prompt: str = ""
    max_length: int = 512
    hub_split: str = "train"
    root: Path | None = None
    refusal_text: str = ""  # [chat] refusal_text: an answer holding it is a refusal (harmful_request)

    @classmethod
    def from_config(cls, cfg) -> "DataOptions":
        return cls(
            format=cfg.data.format, columns=dict(cfg.data.columns), include_reasoning=cfg.data.include_reasoning,
            add_system_prompt=cfg.data.add_system_prompt, system_prompt=cfg.chat.system_prompt,
            max_length=cfg.model.max_length, hub_split=cfg.data.hub_split, root=cfg.root,
            refusal_text=cfg.chat.refusal_text,
        )

    def fingerprint(self) -> dict[str, Any]:
        """What changes the prepared data (goes into the data hash)."""
        return {
            "format": self.format, "columns": dict(sorted(self.columns.items())),
            "include_reasoning": self.include_reasoning, "add_system_prompt": self.add_system_prompt,
            "system_prompt": self.system_prompt if self.add_system_prompt else "", "max_length": self.max_length,
            "hub_split": self.hub_split,
        }


def with_system_prompt(messages: list[dict[str, str]], options: DataOptions) -> list[dict[str, str]]:
    """The conversation as training sees it: the configured system prompt first, unless it has one."""
    if options.add_system_prompt and options.system_prompt and messages[0]["role"] != "system":
        return [{"role": "system", "content": options.system_prompt}, *messages]
    return messages


def conversation_key(messages: list[dict[str, str]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for m in messages:
        digest.update(m["role"].encode())
        digest.update(b"\x00")
        digest.update(m["content"].encode("utf-8", "surrogatepass"))
        digest.update(b"\x01")
    return digest.hexdigest()


@dataclass
class SeenRecord:
    label: str
    record: int
    line: int | None

    def describe(self, here: str) -> str:
        where = f"record {self.record}" + (f" (line {self.line})" if self.line is not None else "")
        return where if self.label == here else f"{where} of {Path(self.label).name}"


def validate_loaded(
    loaded: LoadedFile,
    options: DataOptions,
    tokenizer=None,
    seen: dict[str, SeenRecord] | None = None,
    progress: Progress | None = None,
) -> ValidationReport:
    """Check every record of a loaded file. `seen` carries duplicates across files (train and eval)."""
    report = ValidationReport(file=loaded.source, format="unknown", kind=loaded.kind, columns=list(loaded.columns))
    report.records = len(loaded.records)
    for raw in loaded.records:
        if raw.line is not None:
            report.lines[raw.number] = raw.line
    for problem in loaded.problems:
        report.add(problem.code, problem.message, record=problem.record, field_name=problem.field, line=problem.line)
    readable = [r for r in loaded.records if r.fields is not None]
    if not readable:
        report.sort_problems()
        return report
    mapping = detect_shape(loaded.columns, loaded.source, options.format, options.columns)
    report.format = mapping.name
    mapper = make_mapper(mapping, options.include_reasoning)
    seen = {} if seen is None else seen
    mapped_columns = list(mapping.columns.values())
    total = len(loaded.records)
    for index, raw in enumerate(readable):
        if progress and index % PROGRESS_EVERY == 0:
            progress("checking records", index, total)
        number = raw.number
        messages, problems = mapper(raw.fields)
        for code, field_name, message in problems:
            report.add(code, message, record=number, field_name=field_name)
        if messages is None:
            continue
        if loaded.bad_bytes:
            bad = _bad_bytes_field(raw.fields, mapping.name, mapped_columns)
            if bad is not None:
                report.add("not_utf8", f"{bad!r} holds bytes that are not UTF-8; re-save the file as UTF-8",
                           record=number, field_name=bad)
                continue
        nul = _nul_field(raw.fields, mapping.name, mapped_columns)
        if nul is not None:
            name, position = nul
            report.add("nul_byte", f"{name!r} holds a NUL character (\\x00) at character {position + 1}; "
                       "remove it (a binary or UTF-16 file read as text?)", record=number, field_name=name)
            continue
        report.conversations[number] = messages
        key = conversation_key(messages)
        first = seen.get(key)
        if first is not None:
            report.add("duplicate", f"exact duplicate of {first.describe(loaded.source)}", record=number)
        else:
            seen[key] = SeenRecord(loaded.source, number, raw.line)
        for field_name, text in _texts(raw.fields, mapping.name, mapped_columns):
            for finding in find_phi(text):
                report.add(f"phi_{finding.kind}",
                           f"looks like {PHI_KINDS[finding.kind]} ({finding.masked}) at character {finding.start + 1}",
                           record=number, field_name=field_name)
    if progress:
        progress("checking records", total, total)
    check_harmful_requests(report, options)
    if tokenizer is not None:
        check_lengths(report, tokenizer, options, progress=progress)
    report.sort_problems()
    return report


def check_harmful_requests(report: ValidationReport, options: DataOptions) -> None:
    """Warn `harmful_request` where a user turn screens harmful and the answer after it does not refuse:
    trained on, the record would teach the model to comply."""
    from medtui.config import DEFAULT_REFUSAL
    from medtui.safety import category_label, classify_many, is_refusal

    pairs = []  # (record, user text, answer)
    for number, messages in report.conversations.items():
        for i, message in enumerate(messages[:-1]):
            if message["role"] == "user" and messages[i + 1]["role"] == "assistant":
                pairs.append((number, message["content"], messages[i + 1]["content"]))
    verdicts = classify_many([user for _, user, _ in pairs])
    for (number, user, answer), verdict in zip(pairs, verdicts):
        if verdict.refused and not is_refusal(answer, options.refusal_text or DEFAULT_REFUSAL):
            preview = user if len(user) <= 60 else user[:59] + "…"
            report.add("harmful_request",
                       f"the user turn {preview!r} screens harmful ({category_label(verdict.category)}, score "
                       f"{verdict.score:.2f}) but the answer is not a refusal; trained on, it teaches the model "
                       "to comply", record=number)


def _texts(fields: dict, shape: str, columns: list[str]):
    """(field name, text) for every text that goes into the conversation."""
    if shape == "messages":
        for i, message in enumerate(fields.get(columns[0]) or []):
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                yield f"{columns[0]}[{i}].content", message["content"]
        return
    for column in columns:
        value = fields.get(column)
        if isinstance(value, str):
            yield column, value


def _nul_field(fields: dict, shape: str, columns: list[str]) -> tuple[str, int] | None:
    for name, text in _texts(fields, shape, columns):
        if "\0" in text:
            return name, text.index("\0")
    return None


def _bad_bytes_field(fields: dict, shape: str, columns: list[str]) -> str | None:
    for name, text in _texts(fields, shape, columns):
        if has_bad_bytes(text):
            return name
    return None


def check_lengths(report: ValidationReport, tokenizer, options: DataOptions,
                  progress: Progress | None = None) -> None:
    """Exclude records longer than max_length in the model's own tokens, chat template included."""
    from medtui.data.templates import count_tokens

    numbers = [n for n in sorted(report.conversations) if n not in report.excluded]
    conversations = [with_system_prompt(report.conversations[n], options) for n in numbers]
    refused: dict[int, str] = {}
    lengths = count_tokens(tokenizer, conversations, progress=progress, refused=refused)
    for index, reason in refused.items():
        report.add("template_refused", f"the model's chat template refuses this conversation: {reason}",
                   record=numbers[index])
    for number, length in zip(numbers, lengths):
        if length is not None and length > options.max_length:
            report.add("too_long", f"{length} tokens with the chat template, over [model] max_length {options.max_length}",
                       record=number)


def validate_file(
    source: str,
    options: DataOptions,
    tokenizer=None,
    seen: dict[str, SeenRecord] | None = None,
    progress: Progress | None = None,
) -> ValidationReport:
    """Load and validate one file or hub id. Raises DataError when the file cannot be used at all."""
    if progress:
        progress("reading", 0, 1)
    loaded = load_source(source, options.root, options.hub_split)
    report = validate_loaded(loaded, options, tokenizer=tokenizer, seen=seen, progress=progress)
    report.sha256 = loaded.sha256
    return report
