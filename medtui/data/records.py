"""What the data stage hands around: raw records, problems, reports, and the one error type.

No heavy imports here: the TUI imports these types to show a report.
"""

from __future__ import annotations

from medtui.errors import MedtuiError

from dataclasses import dataclass, field
from typing import Any

ERROR, WARNING = "error", "warning"

# Every problem code and whether it excludes the record (error) or only warns.
SEVERITY: dict[str, str] = {
    "malformed_json": ERROR,
    "not_utf8": ERROR,
    # A NUL character in text is corruption (a binary file, a UTF-16 file read as bytes); llama.cpp
    # reads prompts as C strings and would cut the text there.
    "nul_byte": ERROR,
    "missing_field": ERROR,
    "empty_field": ERROR,
    "wrong_type": ERROR,
    "unknown_role": ERROR,
    "no_assistant_turn": ERROR,
    # The first copy stays usable; later copies would only over-weight it in training.
    "duplicate": ERROR,
    "too_long": ERROR,
    # The model's chat template raised on it (roles that do not alternate, a system turn it has no place for).
    "template_refused": ERROR,
    # Patterns, not proof: a human decides, so these warn and keep the record.
    "phi_email": WARNING,
    "phi_phone": WARNING,
    "phi_ssn": WARNING,
    "phi_mrn": WARNING,
    "phi_dob": WARNING,
    "phi_address": WARNING,
    # The safety screen refuses the user turn but the record answers it: it would teach compliance.
    "harmful_request": WARNING,
}
PROBLEM_CODES = tuple(SEVERITY)


class DataError(MedtuiError):
    """A data file that cannot be used as a whole. The message names the file (and line or key)
    and what to do. `exit_code` is 1 when the data is unusable, 2 when the request was wrong
    (no such file, unsupported kind)."""

    def __init__(self, message: str, exit_code: int = 1, hint: str = ""):
        super().__init__(message, hint=hint, code=exit_code)

    @property
    def exit_code(self) -> int:
        return self.code


@dataclass
class RawRecord:
    """One record as read from its file, before shape mapping.

    `number` is the 1-based record number (blank lines are not records); `line` the 1-based file
    line where the record starts, where the format has lines that mean something (JSONL, CSV).
    `fields` is None when the record could not be read at all (its problem is already recorded).
    """

    number: int
    line: int | None
    fields: dict[str, Any] | None


@dataclass
class Problem:
    code: str
    message: str
    record: int | None = None
    line: int | None = None
    field: str | None = None

    @property
    def severity(self) -> str:
        return SEVERITY[self.code]

    def where(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        elif self.record is not None:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line, "record": self.record, "field": self.field,
            "code": self.code, "severity": self.severity, "message": self.message,
        }


@dataclass
class ValidationReport:
    """Everything validation learned about one file."""

    file: str
    format: str                      # the detected (or configured) shape
    kind: str                        # jsonl | json | csv | tsv | parquet | hub
    columns: list[str] = field(default_factory=list)
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    # record number -> chat messages, for every record that survived structural checks
    conversations: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    lines: dict[int, int] = field(default_factory=dict)  # record number -> file line (JSONL/CSV)
    excluded: set[int] = field(default_factory=set)     # record numbers with an error
    sha256: str = ""                                     # of the file's bytes (hub: id + fingerprint)

    @property
    def usable(self) -> int:
        return sum(1 for n in self.conversations if n not in self.excluded)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == WARNING)

    def usable_conversations(self) -> list[list[dict[str, str]]]:
        return [c for n, c in sorted(self.conversations.items()) if n not in self.excluded]

    def add(self, code: str, message: str, record: int | None = None, field_name: str | None = None,
            line: int | None = None) -> Problem:
        if line is None and record is not None:
            line = self.lines.get(record)
        problem = Problem(code, message, record=record, line=line, field=field_name)
        self.problems.append(problem)
        if record is not None and problem.severity == ERROR:
            self.excluded.add(record)
        return problem

    def copy(self) -> "ValidationReport":
        """A copy whose problems and exclusions can grow without touching this one (the TUI shows
        one report while a worker adds the length check to its copy)."""
        return ValidationReport(
            file=self.file, format=self.format, kind=self.kind, columns=list(self.columns), records=self.records,
            problems=list(self.problems), conversations=self.conversations, lines=self.lines,
            excluded=set(self.excluded), sha256=self.sha256,
        )

    def sort_problems(self) -> None:
        self.problems.sort(key=lambda p: (p.record or 0, p.line or 0, PROBLEM_CODES.index(p.code)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "records": self.records,
            "usable": self.usable,
            "problems": [p.as_dict() for p in self.problems],
        }
