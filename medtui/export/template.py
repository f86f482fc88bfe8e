"""The model's Jinja chat template, rewritten as the Go text/template that Ollama's TEMPLATE runs.

Translating Jinja source is hopeless in general (templates loop, branch, call filters), but what a
chat template *renders* is usually simple: a head, then each message wrapped in a prefix and a
suffix that depend on its role, then the generation prompt. So medtui renders the model's own
template on probe conversations whose contents are markers, reads those pieces off the output,
writes a Go template from them, and then checks on realistic conversations that the pieces give
back exactly what the Jinja template renders. A template outside that shape (one that rewrites
contents, or whose turns depend on more than their role) is reported, never guessed.

Ollama's side, from its template/template.go and server/routes.go: a TEMPLATE that mentions
.Messages gets {System, Messages, Tools, Response, Think, ...}; .Messages keeps the system
messages in place (consecutive messages of one role are joined with a blank line), and the
Modelfile's SYSTEM is prepended as a system message when the request has none of its own.
"""

from __future__ import annotations
from medtui.errors import MedtuiError

from dataclasses import dataclass, field
from typing import Any, Callable

# Marker contents for the probes: plain words that no template rewrites or trims.
_S1, _S2 = "MEDTUIPROBESYSA", "MEDTUIPROBESYSB"
_U1, _U2 = "MEDTUIPROBEUSRA", "MEDTUIPROBEUSRB"
_A1, _A2 = "MEDTUIPROBEASTA", "MEDTUIPROBEASTB"

Message = dict[str, str]
Renderer = Callable[[list[Message], bool], str]


class TemplateNotDerivable(MedtuiError):
    """The chat template's output is not a head + role-wrapped messages + generation prompt."""


@dataclass
class ChatFormat:
    """What the model's chat template wraps around each message, as read off its output."""

    user_prefix: str
    user_suffix: str
    assistant_prefix: str
    assistant_suffix: str
    generation_prompt: str
    head_without_system: str  # before the first message when it is not a system message
    system_style: str  # "block": a turn of its own; "fold": put in front of the first user message
    head_with_system: str = ""  # block: everything before the first system message's content
    system_suffix: str = ""  # block
    system_prefix_later: str | None = None  # block: a system message after the first; None: the template has none
    fold_separator: str = ""  # fold: between the system text and the first user message
    bos_dropped: str = ""  # a BOS token left out because llama.cpp and Ollama add it themselves
    trims_content: bool = False  # the Jinja template strips whitespace around contents; Go cannot
    notes: list[str] = field(default_factory=list)


def jinja_renderer(tokenizer) -> Renderer:
    """The tokenizer's own chat template, as a function of (messages, add_generation_prompt)."""

    def render(messages: list[Message], generation: bool) -> str:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)

    return render


def _try(render: Renderer, messages: list[Message], generation: bool = False) -> str | None:
    try:
        text = render(messages, generation)
    except Exception:  # templates signal unsupported conversations by raising (Jinja's raise_exception)
        return None
    return text if isinstance(text, str) else None


def _msg(role: str, content: str) -> Message:
    return {"role": role, "content": content}


def _split_once(text: str, marker: str, what: str) -> tuple[str, str]:
    if text.count(marker) != 1:
        raise TemplateNotDerivable(f"the chat template does not render the {what} exactly once as given")
    before, after = text.split(marker)
    return before, after


def _after_prefix(text: str | None, prefix: str | None, what: str) -> str:
    if text is None or prefix is None:
        raise TemplateNotDerivable(f"the chat template refuses {what}")
    if not text.startswith(prefix):
        raise TemplateNotDerivable(f"the chat template renders earlier turns differently once {what} follows")
    return text[len(prefix):]


def derive_chat_format(render: Renderer, bos_token: str | None = None, adds_bos: bool = False) -> ChatFormat:
    """Read the pieces of the chat format off the template's output on probe conversations.

    `adds_bos`: the tokenizer puts its BOS token in front by itself, so llama.cpp and Ollama do
    too, and a BOS the template writes as text would be doubled; it is left out of the pieces.
    """
    u1, a1, u2 = _msg("user", _U1), _msg("assistant", _A1), _msg("user", _U2)
    only_user = _try(render, [u1])
    with_generation = _try(render, [u1], True)
    if only_user is None or with_generation is None:
        raise TemplateNotDerivable("the chat template refuses a conversation of one user message")
    generation = _after_prefix(with_generation, only_user, "the generation prompt")
    answered = _try(render, [u1, a1])
    assistant_prefix, assistant_suffix = _split_once(
        _after_prefix(answered, only_user, "an assistant answer"), _A1, "assistant message")
    followed = _try(render, [u1, a1, u2])
    user_prefix, user_suffix = _split_once(
        _after_prefix(followed, answered, "a second user message"), _U2, "second user message")
    first_user = user_prefix + _U1 + user_suffix
    if not only_user.endswith(first_user):
        raise TemplateNotDerivable("the chat template wraps the first user message differently from later ones")
    head = only_user[: -len(first_user)]
    if _U1 in head:
        raise TemplateNotDerivable("the chat template repeats the user message")

    fmt = ChatFormat(user_prefix, user_suffix, assistant_prefix, assistant_suffix, generation, head, "block")
    _derive_system(render, fmt, first_user)

    if adds_bos and bos_token:
        heads = [fmt.head_without_system, fmt.head_with_system]
        if all(h.startswith(bos_token) for h in heads):
            fmt.head_without_system = fmt.head_without_system[len(bos_token):]
            fmt.head_with_system = fmt.head_with_system[len(bos_token):]
            fmt.bos_dropped = bos_token
            fmt.notes.append(f"{bos_token} is left out of the TEMPLATE: llama.cpp adds it when it tokenizes")

    padded = _try(render, [_msg("user", f"  {_U1}  ")])
    if padded is not None and f"  {_U1}  " not in padded:
        fmt.trims_content = True
        fmt.notes.append("the model's template strips spaces around each message; Ollama's TEMPLATE keeps them")
    return fmt


def _derive_system(render: Renderer, fmt: ChatFormat, first_user: str) -> None:
    s1, u1 = _msg("system", _S1), _msg("user", _U1)
    rendered = _try(render, [s1, u1])
    if rendered is None or _S1 not in rendered:
        fmt.system_style = "none"
        fmt.notes.append("the model's chat template has no system turn; the SYSTEM prompt is not part of the prompt")
        return
    if rendered.endswith(first_user) and rendered[: -len(first_user)].count(_S1) == 1:
        before, after = rendered[: -len(first_user)].split(_S1)
        fmt.system_style, fmt.head_with_system, fmt.system_suffix = "block", before, after
        later = _try(render, [u1, _msg("assistant", _A1), _msg("system", _S2), _msg("user", _U2)])
        answered = _try(render, [u1, _msg("assistant", _A1)])
        if later is not None and answered is not None and later.startswith(answered):
            tail = later[len(answered):]
            expected_end = fmt.system_suffix + fmt.user_prefix + _U2 + fmt.user_suffix
            if tail.count(_S2) == 1 and tail.endswith(_S2 + expected_end):
                fmt.system_prefix_later = tail[: tail.index(_S2)]
        return
    # Gemma-style: no system turn, the system text goes in front of the first user message.
    marker_at = rendered.find(_S1)
    before, after = rendered[:marker_at], rendered[marker_at + len(_S1):]
    ending = _U1 + fmt.user_suffix
    if before.endswith(fmt.user_prefix) and after.endswith(ending) and rendered.count(_S1) == 1:
        fmt.system_style = "fold"
        fmt.head_with_system = before[: -len(fmt.user_prefix)] if fmt.user_prefix else before
        fmt.fold_separator = after[: -len(ending)]
        return
    raise TemplateNotDerivable("the chat template places the system message in a way medtui cannot express in Go")


# ---------------------------------------------------------------------------------------------
# Rendering: the Python mirror of the Go template (what Ollama will send to the model)


def render_chat_format(fmt: ChatFormat, messages: list[Message], system: str = "") -> str:
    """The prompt Ollama builds from `fmt`'s TEMPLATE for `messages` (Modelfile SYSTEM = `system`)."""
    msgs = _ollama_messages(messages, system)
    if not msgs:
        return ""
    first_is_system = msgs[0]["role"] == "system"
    out = [fmt.head_with_system if first_is_system and fmt.system_style != "none" else fmt.head_without_system]
    for i, m in enumerate(msgs):
        last = i == len(msgs) - 1
        role, content = m["role"], m["content"]
        if role == "system":
            if fmt.system_style == "block":
                if i == 0:
                    out.append(content + fmt.system_suffix)
                elif fmt.system_prefix_later is not None:
                    out.append(fmt.system_prefix_later + content + fmt.system_suffix)
        elif role == "user":
            folded = ""
            if fmt.system_style == "fold" and i == 1 and first_is_system:
                folded = msgs[0]["content"] + fmt.fold_separator
            out.append(fmt.user_prefix + folded + content + fmt.user_suffix)
        elif role == "assistant":
            out.append(fmt.assistant_prefix + content + ("" if last else fmt.assistant_suffix))
        if last and role != "assistant":
            out.append(fmt.generation_prompt)
    return "".join(out)


def _ollama_messages(messages: list[Message], system: str) -> list[Message]:
    """What Ollama passes as .Messages: SYSTEM prepended when the conversation has none, then
    consecutive messages of one role joined with a blank line (its `collate`)."""
    msgs = [dict(m) for m in messages]
    if msgs and msgs[0]["role"] != "system" and system:
        msgs.insert(0, {"role": "system", "content": system})
    collated: list[Message] = []
    for m in msgs:
        if collated and collated[-1]["role"] == m["role"] and m["role"] != "tool":
            collated[-1]["content"] += "\n\n" + m["content"]
        else:
            collated.append(m)
    return collated


# ---------------------------------------------------------------------------------------------
# Writing the Go template


def _lit(text: str) -> str:
    """Literal text for a Go template: everything is literal except the action delimiter."""
    return text.replace("{{", '{{ "{{" }}')


def go_template(fmt: ChatFormat) -> str:
    """The Go text/template for Ollama's TEMPLATE. Literal text is written as it is, so a reader
    sees the model's real format; `{{-` only ever trims the line breaks between two actions."""
    parts: list[str] = []
    first_is_system = 'and .Messages (eq (index .Messages 0).Role "system")'
    if fmt.system_style != "none" and fmt.head_with_system != fmt.head_without_system:
        parts.append(f"{{{{- if {first_is_system} }}}}{_lit(fmt.head_with_system)}"
                     f"{{{{ else }}}}{_lit(fmt.head_without_system)}{{{{ end }}}}")
    elif fmt.head_without_system:
        parts.append(_lit(fmt.head_without_system))
    if not parts:
        parts.append("{{- range $i, $_ := .Messages }}")
    elif parts[-1].endswith("}}"):
        parts.append("\n{{- range $i, $_ := .Messages }}")
    else:
        parts.append("{{ range $i, $_ := .Messages }}")
    parts.append("\n{{- $last := eq (len (slice $.Messages $i)) 1 }}")
    branches: list[str] = []
    if fmt.system_style == "block":
        if fmt.system_prefix_later is not None:
            body = (f"{{{{ if $i }}}}{_lit(fmt.system_prefix_later)}{{{{ end }}}}"
                    f"{{{{ .Content }}}}{_lit(fmt.system_suffix)}")
        else:
            body = f"{{{{ if not $i }}}}{{{{ .Content }}}}{_lit(fmt.system_suffix)}{{{{ end }}}}"
        branches.append(('eq .Role "system"', body))
    fold = ""
    if fmt.system_style == "fold":
        fold = (f'{{{{ if and (eq $i 1) (eq (index $.Messages 0).Role "system") }}}}'
                f"{{{{ (index $.Messages 0).Content }}}}{_lit(fmt.fold_separator)}{{{{ end }}}}")
    branches.append(('eq .Role "user"', f"{_lit(fmt.user_prefix)}{fold}{{{{ .Content }}}}{_lit(fmt.user_suffix)}"))
    branches.append(('eq .Role "assistant"',
                     f"{_lit(fmt.assistant_prefix)}{{{{ .Content }}}}"
                     f"{{{{ if not $last }}}}{_lit(fmt.assistant_suffix)}{{{{ end }}}}"))
    for n, (condition, body) in enumerate(branches):
        keyword = "if" if n == 0 else "else if"
        opener = f"{{{{ {keyword} {condition} }}}}"
        # A branch may start on a new line (trimmed) only when what precedes it is an action.
        if n == 0 or branches[n - 1][1].endswith("}}"):
            opener = "\n" + opener.replace("{{ ", "{{- ", 1)
        parts.append(opener + body)
    parts.append("\n{{- end }}" if branches[-1][1].endswith("}}") else "{{ end }}")
    parts.append(f'\n{{{{- if and $last (ne .Role "assistant") }}}}{_lit(fmt.generation_prompt)}{{{{ end }}}}')
    parts.append("\n{{- end }}")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Checking


# Conversations the derived format must reproduce byte for byte: with and without a system
# prompt, one and several turns, contents with line breaks, quotes, braces and non-ASCII text.
CHECK_SYSTEM = 'You are a careful medical assistant.\nSay "see a doctor" when in doubt; never {{ guess }}.'
CHECK_CONVERSATIONS: list[tuple[str, list[Message]]] = [
    ("one user turn, no system prompt", [_msg("user", "What is hypertension?")]),
    ("one user turn with a system prompt",
     [_msg("system", CHECK_SYSTEM), _msg("user", "What are the symptoms of type 2 diabetes?")]),
    ("several turns, no system prompt", [
        _msg("user", "I have a headache."),
        _msg("assistant", "How long have you had it?\nIs it \"throbbing\" or dull?"),
        _msg("user", "Two days — dull, 3/10."),
    ]),
    ("several turns with a system prompt", [
        _msg("system", CHECK_SYSTEM),
        _msg("user", "Is ibuprofen safe with {{ .System }} lisinopril?"),
        _msg("assistant", "NSAIDs can raise blood pressure and affect the kidneys."),
        _msg("user", "What should I ask my pharmacist?"),
        _msg("assistant", "Ask about dose, duration and alternatives such as paracetamol."),
        _msg("user", "Thanks. Anything else? 🙂"),
    ]),
]


def expected_prompt(render: Renderer, fmt: ChatFormat, messages: list[Message]) -> str:
    """What the model's own template renders (with the generation prompt), BOS handled as in fmt."""
    text = render(messages, True)
    if fmt.bos_dropped and text.startswith(fmt.bos_dropped):
        text = text[len(fmt.bos_dropped):]
    return text


def check_chat_format(render: Renderer, fmt: ChatFormat) -> None:
    """Raise TemplateNotDerivable naming the first check conversation the format renders wrongly."""
    for label, messages in CHECK_CONVERSATIONS:
        if fmt.system_style == "none" and any(m["role"] == "system" for m in messages):
            continue
        try:
            want = expected_prompt(render, fmt, messages)
        except Exception as exc:
            if any(m["role"] == "system" for m in messages):
                continue
            raise TemplateNotDerivable(f"the chat template fails on {label}: {exc}") from None
        got = render_chat_format(fmt, messages)
        if got != want:
            at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            raise TemplateNotDerivable(
                f"the derived format differs from the chat template on {label} at character {at}: "
                f"{want[max(0, at - 20):at + 20]!r} expected, {got[max(0, at - 20):at + 20]!r} derived"
            )


@dataclass
class OllamaTemplate:
    """The TEMPLATE text with the format it came from (None when the model's template could not be
    expressed; `problem` then says why and Ollama falls back to the GGUF's own template)."""

    text: str | None
    fmt: ChatFormat | None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "derived": self.text is not None,
            "problem": self.problem,
            "system_style": self.fmt.system_style if self.fmt else None,
            "notes": list(self.fmt.notes) if self.fmt else [],
        }


def ollama_template_for(tokenizer) -> OllamaTemplate:
    """Derive and check the Go TEMPLATE for a transformers tokenizer with a chat template."""
    if not getattr(tokenizer, "chat_template", None):
        return OllamaTemplate(None, None, "the tokenizer has no chat template")
    render = jinja_renderer(tokenizer)
    bos = getattr(tokenizer, "bos_token", None)
    adds_bos = False
    if bos and getattr(tokenizer, "bos_token_id", None) is not None:
        ids = tokenizer("medtui").input_ids
        adds_bos = bool(ids) and ids[0] == tokenizer.bos_token_id
    try:
        fmt = derive_chat_format(render, bos, adds_bos)
        check_chat_format(render, fmt)
    except TemplateNotDerivable as exc:
        return OllamaTemplate(None, None, str(exc))
    return OllamaTemplate(go_template(fmt), fmt)
