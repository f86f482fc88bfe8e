"""Record shapes: which one a file holds, and how each record becomes chat messages.

Four shapes are understood (instruction/response, Alpaca, medical-o1, chat messages). Detection
looks at the columns a file has; `[data] format` and `[data] columns` override it for files whose
columns are named differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from medtui.data.records import DataError

ROLES = ("system", "user", "assistant")
MISSING = object()


@dataclass(frozen=True)
class Shape:
    name: str
    title: str
    # canonical field -> column names tried in order (case-insensitive) when not mapped
    candidates: dict[str, tuple[str, ...]]
    required: tuple[str, ...]    # fields whose columns must exist for the shape to be detected

    def describe(self) -> str:
        return f"{self.name} ({', '.join(c[0] for c in self.candidates.values())})"


SHAPES: dict[str, Shape] = {
    "messages": Shape("messages", "chat messages", {"messages": ("messages",)}, ("messages",)),
    "medical_o1": Shape(
        "medical_o1", "medical-o1 (question, reasoning, response)",
        {"question": ("Question",), "reasoning": ("Complex_CoT",), "response": ("Response",), "system": ("system",)},
        ("question", "reasoning", "response"),
    ),
    "alpaca": Shape(
        "alpaca", "Alpaca (instruction, input, output)",
        {"instruction": ("instruction",), "input": ("input",), "output": ("output",), "system": ("system",)},
        ("instruction", "output"),
    ),
    "instruction": Shape(
        "instruction", "instruction/response",
        {"instruction": ("instruction", "prompt", "question", "query"),
         "response": ("response", "completion", "answer"), "system": ("system",)},
        ("instruction", "response"),
    ),
}
MAPPABLE = ("instruction", "input", "output", "response", "question", "reasoning", "messages", "system")
SUPPORTED_SHAPES = (
    "instruction (instruction, response), alpaca (instruction, input, output), "
    "medical_o1 (Question, Complex_CoT, Response), messages (messages: a list of {role, content})"
)

# One problem found while mapping a record: (code, field, message).
FieldProblem = tuple[str, "str | None", str]


@dataclass
class ShapeMapping:
    """A detected shape with the actual column behind each canonical field."""

    shape: Shape
    columns: dict[str, str]   # canonical field -> column in the file

    @property
    def name(self) -> str:
        return self.shape.name


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    exact = set(columns)
    for name in names:
        if name in exact:
            return name
    lowered = {c.lower(): c for c in columns if isinstance(c, str)}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _resolve(shape: Shape, columns: list[str], mapping: Mapping[str, str]) -> dict[str, str] | None:
    resolved: dict[str, str] = {}
    for canonical, names in shape.candidates.items():
        if canonical in mapping:
            found = mapping[canonical] if mapping[canonical] in columns else None
        else:
            found = _find(columns, names)
        if found is not None:
            resolved[canonical] = found
        elif canonical in shape.required:
            return None
    return resolved


def detect_shape(columns: list[str], label: str, fmt: str = "auto", mapping: Mapping[str, str] | None = None) -> ShapeMapping:
    """Pick the shape of a file from its columns, honouring `[data] format` and `[data] columns`."""
    mapping = dict(mapping or {})
    unknown = [k for k in mapping if k not in MAPPABLE]
    if unknown:
        raise DataError(
            f"[data] columns: unknown field {unknown[0]!r}; fields that can be mapped: {', '.join(MAPPABLE)}", exit_code=2)
    found = ", ".join(map(str, columns)) or "(none)"
    absent = [f"{k} = {v!r}" for k, v in mapping.items() if v not in columns and k != "system"]
    if fmt != "auto":
        shape = SHAPES[fmt]
        resolved = _resolve(shape, columns, mapping)
        if resolved is None:
            need = [c for c in shape.required if _resolve_one(shape, c, columns, mapping) is None]
            raise DataError(
                f"{label}: [data] format is {fmt!r} but no column holds {', '.join(need)}; columns found: {found}. "
                "Map them with [data] columns, e.g. columns = {" + f'{need[0]} = "your_column"' + "}")
        return ShapeMapping(shape, resolved)
    if absent:
        raise DataError(f"{label}: [data] columns maps {absent[0]} but the file has no such column; columns found: {found}")
    relevant = set(mapping) - {"system"}
    for shape in SHAPES.values():
        if relevant and not relevant <= set(shape.candidates):
            continue
        resolved = _resolve(shape, columns, mapping)
        if resolved is not None:
            return ShapeMapping(shape, resolved)
    raise DataError(
        f"{label}: cannot tell the record shape; columns found: {found}. Supported shapes: {SUPPORTED_SHAPES}. "
        'Map other column names with [data] columns, e.g. columns = {instruction = "q", response = "a"}')


def _resolve_one(shape: Shape, canonical: str, columns: list[str], mapping: Mapping[str, str]) -> str | None:
    if canonical in mapping:
        return mapping[canonical] if mapping[canonical] in columns else None
    return _find(columns, shape.candidates[canonical])


def _describe_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _text(fields: dict, column: str, required: bool, problems: list[FieldProblem]) -> str | None:
    value = fields.get(column, MISSING)
    if value is MISSING or value is None:
        if required:
            problems.append(("missing_field", column, f"no value for {column!r}"))
        return None
    if not isinstance(value, str):
        problems.append(("wrong_type", column, f"{column!r} must be text, got {_describe_type(value)}"))
        return None
    if required and not value.strip():
        problems.append(("empty_field", column, f"{column!r} is empty"))
        return None
    return value


def _content_text(content: Any) -> Any:
    """Multimodal-style content (a list of {"type": "text", "text": ...} parts) read as its text."""
    if isinstance(content, list) and content and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content
    ):
        return "".join(p["text"] for p in content)
    return content


def messages_from_list(value: Any, column: str, problems: list[FieldProblem]) -> list[dict[str, str]] | None:
    if value is MISSING or value is None:
        problems.append(("missing_field", column, f"no value for {column!r}"))
        return None
    if hasattr(value, "tolist"):  # numpy arrays from Parquet readers
        value = value.tolist()
    if not isinstance(value, list):
        problems.append(("wrong_type", column, f"{column!r} must be a list of {{role, content}} messages, got {_describe_type(value)}"))
        return None
    if not value:
        problems.append(("empty_field", column, f"{column!r} holds no messages"))
        return None
    messages: list[dict[str, str]] = []
    ok = True
    for i, message in enumerate(value):
        where = f"{column}[{i}]"
        if not isinstance(message, dict):
            problems.append(("wrong_type", where, f"message {i} must be an object with role and content, got {_describe_type(message)}"))
            ok = False
            continue
        role = message.get("role", MISSING)
        content = _content_text(message.get("content", MISSING))
        if role is MISSING or role is None:
            problems.append(("missing_field", f"{where}.role", f"message {i} has no role"))
            ok = False
        elif not isinstance(role, str):
            problems.append(("wrong_type", f"{where}.role", f"message {i} role must be text, got {_describe_type(role)}"))
            ok = False
        elif role not in ROLES:
            hint = {"human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant"}.get(role.lower())
            extra = f" (rename it to {hint!r})" if hint else ""
            problems.append(("unknown_role", f"{where}.role", f"message {i} has role {role!r}; roles are system, user, assistant{extra}"))
            ok = False
        if content is MISSING or content is None:
            problems.append(("missing_field", f"{where}.content", f"message {i} has no content"))
            ok = False
        elif not isinstance(content, str):
            problems.append(("wrong_type", f"{where}.content", f"message {i} content must be text, got {_describe_type(content)}"))
            ok = False
        elif not content.strip():
            problems.append(("empty_field", f"{where}.content", f"message {i} ({role}) has empty content"))
            ok = False
        if ok:
            messages.append({"role": role, "content": content})
    if not ok:
        return None
    if not any(m["role"] == "assistant" for m in messages):
        problems.append(("no_assistant_turn", column, "the conversation has no assistant turn, so nothing would be learned"))
        return None
    return messages


def reasoning_answer(reasoning: str, response: str) -> str:
    """medical-o1's assistant turn: the reasoning first, then the answer, as HuatuoGPT-o1 was trained."""
    return f"## Thinking\n\n{reasoning.strip()}\n\n## Final Response\n\n{response.strip()}"


def make_mapper(mapping: ShapeMapping, include_reasoning: bool = True) -> Callable[[dict], tuple[list[dict[str, str]] | None, list[FieldProblem]]]:
    """A function turning one record's fields into messages (or None) plus the problems found."""
    cols = mapping.columns
    name = mapping.name
    system_col = cols.get("system")

    def system_turn(fields: dict, problems: list[FieldProblem]) -> list[dict[str, str]]:
        if system_col is None:
            return []
        text = _text(fields, system_col, False, problems)
        return [{"role": "system", "content": text}] if text and text.strip() else []

    if name == "messages":
        column = cols["messages"]

        def map_messages(fields: dict):
            problems: list[FieldProblem] = []
            return messages_from_list(fields.get(column, MISSING), column, problems), problems

        return map_messages

    if name == "medical_o1":
        q, r, a = cols["question"], cols.get("reasoning"), cols["response"]

        def map_o1(fields: dict):
            problems: list[FieldProblem] = []
            system = system_turn(fields, problems)
            question = _text(fields, q, True, problems)
            reasoning = _text(fields, r, include_reasoning, problems) if r else None
            answer = _text(fields, a, True, problems)
            if problems:
                return None, problems
            content = reasoning_answer(reasoning, answer) if include_reasoning and reasoning else answer
            return system + [{"role": "user", "content": question}, {"role": "assistant", "content": content}], problems

        return map_o1

    if name == "alpaca":
        ins, inp, out = cols["instruction"], cols.get("input"), cols["output"]

        def map_alpaca(fields: dict):
            problems: list[FieldProblem] = []
            system = system_turn(fields, problems)
            instruction = _text(fields, ins, True, problems)
            extra = _text(fields, inp, False, problems) if inp else None
            output = _text(fields, out, True, problems)
            if problems:
                return None, problems
            prompt = f"{instruction.strip()}\n\n{extra.strip()}" if extra and extra.strip() else instruction
            return system + [{"role": "user", "content": prompt}, {"role": "assistant", "content": output}], problems

        return map_alpaca

    ins, res = cols["instruction"], cols["response"]

    def map_instruction(fields: dict):
        problems: list[FieldProblem] = []
        system = system_turn(fields, problems)
        instruction = _text(fields, ins, True, problems)
        response = _text(fields, res, True, problems)
        if problems:
            return None, problems
        return system + [{"role": "user", "content": instruction}, {"role": "assistant", "content": response}], problems

    return map_instruction
