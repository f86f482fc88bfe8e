"""Ollama Modelfiles: writing one that Ollama accepts, and a strict checker that follows Ollama's
own grammar (parser/parser.go) and parameter types (api/types.go).

The grammar has no escapes. A value ends at the first line break where the text so far, trimmed,
is a complete value: bare (one line), "..." or \"\"\"...\"\"\". So a quoted value may hold quotes and
line breaks as long as no line inside it ends with the closing quote, and characters that are not
printable (other than tabs and line breaks) are dropped. The writer picks the quoting that the
checker reads back unchanged, and says so when a text cannot be written exactly.
"""

from __future__ import annotations

from medtui.errors import MedtuiError

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# parser.go isValidCommand
COMMANDS = ("from", "license", "template", "system", "adapter", "draft", "renderer", "parser",
            "parameter", "message", "requires")
MESSAGE_ROLES = ("system", "user", "assistant")

# api/types.go Options and Runner: json tag -> Go kind, as FormatParams converts them.
PARAMETER_TYPES: dict[str, str] = {
    "num_keep": "int", "seed": "int", "num_predict": "int", "top_k": "int", "top_p": "float",
    "min_p": "float", "typical_p": "float", "repeat_last_n": "int", "temperature": "float",
    "repeat_penalty": "float", "presence_penalty": "float", "frequency_penalty": "float",
    "stop": "list",
    "num_ctx": "int", "num_batch": "int", "num_gpu": "int", "main_gpu": "int", "use_mmap": "bool",
    "num_thread": "int",
}
# parser.go deprecatedParameters: Ollama prints a warning and ignores them.
DEPRECATED_PARAMETERS = ("penalize_newline", "low_vram", "f16_kv", "logits_all", "vocab_only", "use_mlock",
                         "mirostat", "mirostat_tau", "mirostat_eta")

_GO_BOOLS = ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False")
_INT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT = re.compile(r"[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9]+)?|"
                    r"inf|infinity|nan)\Z", re.IGNORECASE)
_SEMVER = re.compile(r"v?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?)?"
                     r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\Z")
_FLOAT32_MAX = 3.4028234663852886e38


class ModelfileError(MedtuiError):
    """A Modelfile Ollama would refuse; `line` is the 1-based line it is on (0: the whole file)."""

    def __init__(self, line: int, message: str, source: str = "Modelfile"):
        where = f"{source} line {line}" if line else source
        super().__init__(f"{where}: {message}")
        self.line = line
        self.reason = message


@dataclass
class Command:
    name: str  # as Ollama names it: "model" for FROM, the parameter's name for PARAMETER
    args: str
    line: int
    keyword: str = ""  # the command word as written (FROM, PARAMETER, ...)


@dataclass
class Modelfile:
    commands: list[Command]
    warnings: list[str] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        return [c.args for c in self.commands if c.name == name]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    @property
    def parameters(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in self.commands:
            if c.keyword == "parameter":
                out.setdefault(c.name, []).append(c.args)
        return out


# ---------------------------------------------------------------------------------------------
# Parsing: a port of parser.go's ParseFile state machine


_NIL, _NAME, _VALUE, _PARAMETER, _MESSAGE, _COMMENT = range(6)


def _is_space(ch: str) -> bool:
    return ch in (" ", "\t")


def _is_newline(ch: str) -> bool:
    return ch in ("\r", "\n")


def _is_alpha(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _go_is_print(ch: str) -> bool:
    """strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def _go_trim_space(text: str) -> str:
    """strings.TrimSpace (unicode.IsSpace)."""
    def space(ch: str) -> bool:
        return ch in "\t\n\v\f\r \x85\xa0" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")

    start, end = 0, len(text)
    while start < end and space(text[start]):
        start += 1
    while end > start and space(text[end - 1]):
        end -= 1
    return text[start:end]


def _unquote(text: str) -> tuple[str, bool]:
    if text[:3] == '"""':
        if len(text) >= 6 and text[-3:] == '"""':
            return text[3:-3], True
        return "", False
    if text[:1] == '"':
        if len(text) >= 2 and text[-1] == '"':
            return text[1:-1], True
        return "", False
    return text, True


class _Unexpected(Exception):
    pass


def _next_state(ch: str, state: int) -> tuple[int, str]:
    """parser.go parseRuneForState: the next state and the rune to keep ("" for none)."""
    if state == _NIL:
        if ch == "#":
            return _COMMENT, ""
        if _is_space(ch) or _is_newline(ch):
            return _NIL, ""
        return _NAME, ch
    if state == _NAME:
        if _is_alpha(ch):
            return _NAME, ch
        if _is_space(ch):
            return _VALUE, ""
        raise ModelfileError(0, "")  # filled in by the caller: invalid command
    if state == _VALUE:
        if _is_newline(ch) or _is_space(ch):
            return _NIL, ch
        return _VALUE, ch
    if state == _PARAMETER:
        if _is_alpha(ch) or ch.isdigit() and ch.isascii() or ch == "_":
            return _PARAMETER, ch
        if _is_space(ch):
            return _VALUE, ""
        raise _Unexpected()
    if state == _MESSAGE:
        if _is_alpha(ch):
            return _MESSAGE, ch
        if _is_space(ch):
            return _VALUE, ""
        raise _Unexpected()
    if state == _COMMENT:
        return (_NIL, "") if _is_newline(ch) else (_COMMENT, "")
    raise _Unexpected()  # pragma: no cover


def parse_modelfile(text: str, source: str = "Modelfile") -> Modelfile:
    """Parse like Ollama's ParseFile; raise ModelfileError naming the line for anything it refuses."""
    if text.startswith("\ufeff"):
        text = text[1:]
    commands: list[Command] = []
    state, line, started = _NIL, 1, 1
    buffer: list[str] = []
    name = keyword = role = ""
    bad_command = ('unknown command "{}": commands are FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, '
                   "MESSAGE, REQUIRES, DRAFT, RENDERER, PARSER")
    for ch in text:
        if _is_newline(ch):
            line += 1
        try:
            nxt, kept = _next_state(ch, state)
        except ModelfileError:
            word = "".join(buffer)
            if word.lower() in COMMANDS and (_is_newline(ch) or ch == "#"):
                raise ModelfileError(started, f"{word} needs a value on the same line", source) from None
            raise ModelfileError(started, bad_command.format(word + ch if not _is_newline(ch) else word), source) from None
        except _Unexpected:
            what = "parameter name" if state == _PARAMETER else "message role"
            raise ModelfileError(started, f"bad character {ch!r} in the {what} (a value must follow on the same line)", source) from None
        if nxt != state:
            if state == _NAME:
                word = "".join(buffer)
                if word.lower() not in COMMANDS:
                    raise ModelfileError(started, bad_command.format(word), source)
                keyword = word.lower()
                if keyword == "from":
                    name = "model"
                elif keyword == "parameter":
                    nxt = _PARAMETER
                elif keyword == "message":
                    nxt = _MESSAGE
                    name = keyword
                else:
                    name = keyword
            elif state == _PARAMETER:
                name = "".join(buffer)
            elif state == _MESSAGE:
                role = "".join(buffer)
                if role not in MESSAGE_ROLES:
                    raise ModelfileError(started, f'message role must be one of "system", "user", or "assistant", got "{role}"', source)
            elif state == _VALUE:
                value, ok = _unquote(_go_trim_space("".join(buffer)))
                if not ok or _is_space(kept):
                    buffer.append(kept)
                    continue
                if role:
                    value, role = f"{role}: {value}", ""
                commands.append(Command(name, value, started, keyword))
            if state in (_NIL, _COMMENT) and nxt == _NAME:
                started = line
            buffer = []
            state = nxt
        if kept and _go_is_print(kept):
            buffer.append(kept)
    if state == _VALUE:
        value, ok = _unquote(_go_trim_space("".join(buffer)))
        if not ok:
            raise ModelfileError(started, "unexpected end of file: a quoted value is never closed", source)
        if role:
            value = f"{role}: {value}"
        commands.append(Command(name, value, started, keyword))
    elif state not in (_NIL, _COMMENT):
        raise ModelfileError(started, "unexpected end of file: the command has no value", source)
    if not any(c.name == "model" for c in commands):
        raise ModelfileError(0, "no FROM line", source)
    return Modelfile(commands)


# ---------------------------------------------------------------------------------------------
# Checking what parses but Ollama's create would still refuse


def _check_parameter(cmd: Command, source: str) -> str | None:
    """Raise for a value FormatParams refuses; return a warning for a deprecated parameter."""
    if cmd.name in DEPRECATED_PARAMETERS:
        return f"{source} line {cmd.line}: parameter {cmd.name} is deprecated; Ollama ignores it"
    kind = PARAMETER_TYPES.get(cmd.name)
    if kind is None:
        known = ", ".join(sorted(PARAMETER_TYPES))
        raise ModelfileError(cmd.line, f"unknown parameter '{cmd.name}' (Ollama knows {known})", source)
    value = cmd.args
    if kind == "int":
        if not _INT.match(value) or not -(2 ** 63) <= int(value) < 2 ** 63:
            raise ModelfileError(cmd.line, f"parameter {cmd.name} must be an integer, got {value!r}", source)
    elif kind == "float":
        ok = bool(_FLOAT.match(value))
        if ok:
            try:
                number = float(value.replace("_", ""))
            except ValueError:
                ok = False
            else:
                ok = number != number or abs(number) <= _FLOAT32_MAX or value.lower().lstrip("+-").startswith("inf")
        if not ok:
            raise ModelfileError(cmd.line, f"parameter {cmd.name} must be a number, got {value!r}", source)
    elif kind == "bool":
        if value not in _GO_BOOLS:
            raise ModelfileError(cmd.line, f"parameter {cmd.name} must be true or false, got {value!r}", source)
    return None


def check_modelfile(text: str, base_dir: Path | None = None, source: str = "Modelfile") -> Modelfile:
    """Parse and check a Modelfile as strictly as `ollama create` would.

    Rejects (ModelfileError naming the line): unknown commands, unknown parameters, values of the
    wrong type, bad MESSAGE roles, unterminated quotes, an invalid REQUIRES version, an empty FROM
    and no FROM at all. With `base_dir`, a FROM or ADAPTER that is a file path must exist there.
    Deprecated parameters are accepted with a warning, as Ollama does.
    """
    parsed = parse_modelfile(text, source)
    _check_smuggling(parsed, source)
    for cmd in parsed.commands:
        if cmd.keyword == "parameter":
            warning = _check_parameter(cmd, source)
            if warning:
                parsed.warnings.append(warning)
        elif cmd.name in ("model", "adapter", "draft"):
            if not cmd.args:
                raise ModelfileError(cmd.line, f"{cmd.keyword.upper()} needs a model name or a file path", source)
            if base_dir is not None and _looks_like_path(cmd.args):
                target = Path(cmd.args).expanduser()
                target = target if target.is_absolute() else Path(base_dir) / target
                if not target.exists():
                    raise ModelfileError(cmd.line, f"{cmd.keyword.upper()} {cmd.args}: no such file ({target})", source)
        elif cmd.name == "requires":
            if not _SEMVER.match(cmd.args):
                raise ModelfileError(cmd.line, f"REQUIRES must be a valid semver (e.g. 0.14.0), got {cmd.args!r}", source)
    return parsed


# Commands a Modelfile holds once: a second one would quietly take the first one's place.
ONCE_ONLY = ("from", "template", "system", "requires", "renderer", "parser")


def _check_smuggling(parsed: Modelfile, source: str) -> None:
    """Stricter than Ollama, on purpose: a line break slipped into a comment at the top (a run id,
    a model name) turns the rest of that comment into a command above FROM, or into a second FROM,
    TEMPLATE or SYSTEM that takes the real one's place. So FROM comes first and those come once."""
    from_line = min(c.line for c in parsed.commands if c.keyword == "from")
    seen: dict[str, int] = {}
    for cmd in parsed.commands:
        word = cmd.keyword.upper()
        if cmd.line < from_line:
            raise ModelfileError(cmd.line, f"{word} comes before FROM (line {from_line}); put FROM first: a "
                                 "command above it is what a line break injected into the header comments "
                                 "would produce", source)
        if cmd.keyword in ONCE_ONLY:
            if cmd.keyword in seen:
                raise ModelfileError(cmd.line, f"a second {word} (the first is on line {seen[cmd.keyword]}); a "
                                     f"Modelfile holds one {word}, and a second one would replace the first", source)
            seen[cmd.keyword] = cmd.line


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~", "\\")) or value.lower().endswith((".gguf", ".bin", ".safetensors"))


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class Written:
    text: str
    changed: list[str] = field(default_factory=list)  # what had to change to fit the grammar


def _reads_back(keyword: str, written: str, want: str) -> bool:
    """Whether `KEYWORD written` on its own line parses back to exactly `want`."""
    try:
        parsed = parse_modelfile(f"FROM x\n{keyword} {written}\n")
    except ModelfileError:
        return False
    return len(parsed.commands) == 2 and parsed.commands[1].args == want


def quote_value(value: str, keyword: str = "SYSTEM", label: str | None = None,
                forms: tuple[str, ...] = ("triple", "double", "bare")) -> Written:
    """The value written so Ollama's parser reads back exactly `value` (or as close as the grammar
    allows, with what changed listed). The first of `forms` that reads back unchanged wins; triple
    quotes suit long texts, since they only break on a line that ends with three quotes."""
    label = label or keyword
    changed: list[str] = []
    dropped = sorted({ch for ch in value if not (_go_is_print(ch) or ch in "\t\r\n")})
    if dropped:
        value = "".join(ch for ch in value if ch not in dropped)
        names = ", ".join(f"U+{ord(ch):04X}" for ch in dropped)
        changed.append(f"{label}: left out characters Ollama's parser drops ({names})")
    spelled = {"triple": f'"""{value}"""', "double": f'"{value}"', "bare": value}
    candidates = [spelled[form] for form in forms] + [spelled[f] for f in spelled if f not in forms]
    for candidate in candidates:
        if _reads_back(keyword, candidate, value):
            return Written(candidate, changed)
    # A line ending in three double quotes would end a triple-quoted value early (and one ending
    # in a quote, a "..." value): no quoting holds it. Swap those line-ending quotes for single ones.
    pieces = re.split(r"(\r\n|\r|\n)", value)
    for n in range(0, len(pieces) - 1, 2):
        stripped = pieces[n].rstrip(" \t")
        if stripped.endswith('"""'):
            pieces[n] = stripped[:-3] + "'''" + pieces[n][len(stripped):]
    fixed = "".join(pieces)
    candidate = f'"""{fixed}"""'
    if _reads_back(keyword, candidate, fixed):
        changed.append(f'{label}: a line ending in """ cannot be held by a Modelfile value; its """ became \'\'\'')
        return Written(candidate, changed)
    raise ModelfileError(0, f"{label} cannot be written as a Modelfile value")  # pragma: no cover


@dataclass
class ModelfileSpec:
    """What goes into a Modelfile medtui writes."""

    from_path: str
    template: str | None
    system: str
    stop: list[str]
    parameters: list[tuple[str, object]]
    header: list[str] = field(default_factory=list)  # comment lines at the top


def _parameter_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else str(value)
    return str(value)


def comment_line(text: str) -> str:
    """One header line as a comment that stays one line: line breaks and other characters that
    are not printable are written as escapes (\\n, \\r, \\x1b), so no value in a header (a run id,
    a model name) can end the comment and start a command."""
    escaped = "".join(ch if _go_is_print(ch) or ch == "\t" else ch.encode("unicode_escape").decode("ascii")
                      for ch in text)
    return f"# {escaped}" if escaped else "#"


def write_modelfile(spec: ModelfileSpec) -> Written:
    """The Modelfile text, checked by the strict checker before it is returned."""
    changed: list[str] = []
    out = [comment_line(line) for line in spec.header]
    out.append(f"FROM {quote_value(spec.from_path, 'FROM', forms=('bare', 'double', 'triple')).text}")
    if spec.template is not None:
        written = quote_value(spec.template, "TEMPLATE")
        if written.changed:
            raise ModelfileError(0, "the chat TEMPLATE cannot be written as a Modelfile value: " + "; ".join(written.changed))
        out.append(f"TEMPLATE {written.text}")
    if spec.system:
        written = quote_value(spec.system, "SYSTEM", "the system prompt")
        changed += written.changed
        out.append(f"SYSTEM {written.text}")
    for token in spec.stop:
        written = quote_value(token, "PARAMETER stop", f"stop token {token!r}", forms=("double", "triple"))
        changed += written.changed
        out.append(f"PARAMETER stop {written.text}")
    for name, value in spec.parameters:
        out.append(f"PARAMETER {name} {_parameter_value(value)}")
    text = "\n".join(out) + "\n"
    parsed = check_modelfile(text)
    written = [line.split(" ", 1)[0].lower() for line in out if not line.startswith("#")]
    if [c.keyword for c in parsed.commands] != written:  # pragma: no cover - comment_line prevents it
        raise ModelfileError(0, "the Modelfile does not read back as the commands written")
    return Written(text, changed)
