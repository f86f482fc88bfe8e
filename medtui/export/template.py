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
from medtui.data.templates import tokenizer_adds_bos
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
    system_style: str  # "block": a turn of its own; "fold": put in front of the first user message; "none"
    head_with_system: str = ""  # block: everything before the first system message's content
    system_suffix: str = ""  # block
    system_prefix_later: str | None = None  # block: a system message after the first; None: the template has none
    fold_prefix: str = ""  # fold: between the first user prefix and the system text (Llama 2's "<<SYS>>\n")
    fold_separator: str = ""  # fold: between the system text and the first user message
    folded_by_medtui: bool = False  # fold: the template has no system role; medtui folds as training does
    first_user_prefix: str | None = None  # the prefix of a user message that opens the prompt, when it differs
    closing: str = ""  # what the template adds after the last message when no generation prompt is asked
    bos_dropped: str = ""  # a BOS token left out because llama.cpp and Ollama add it themselves
    trims_content: bool = False  # the Jinja template strips whitespace around contents; Go cannot
    notes: list[str] = field(default_factory=list)

    def user_prefix_for(self, index: int, first_is_system: bool) -> str:
        """The prefix of the user message at `index` of the (collated) conversation."""
        if self.first_user_prefix is not None and self._opens_prompt(index, first_is_system):
            return self.first_user_prefix
        return self.user_prefix

    def _opens_prompt(self, index: int, first_is_system: bool) -> bool:
        if index == 0 and not first_is_system:
            return self.head_without_system == ""
        return index == 1 and first_is_system and self.system_style == "fold" and self.head_with_system == ""


def jinja_renderer(tokenizer) -> Renderer:
    """The tokenizer's own chat template, as a function of (messages, add_generation_prompt)."""

    def render(messages: list[Message], generation: bool) -> str:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)

    return render


def has_system_role(render: Renderer) -> bool:
    """Whether the chat template renders a system message (rather than refusing or dropping it)."""
    rendered = _try(render, [_msg("system", _S1), _msg("user", _U1)])
    return rendered is not None and _S1 in rendered


def system_folder(render: Renderer) -> Callable[[list[Message]], list[Message]]:
    """What a conversation goes through before `render`: the system prompt folded into the first
    user turn when the template has no system role (medtui.data.templates.fold_system, as training
    does it), else nothing."""
    from medtui.data.templates import fold_system

    return (lambda messages: messages) if has_system_role(render) else fold_system


def folding_renderer(render: Renderer, fold: Callable[[list[Message]], list[Message]]) -> Renderer:
    """`render` on conversations whose system prompt `fold` has put into the first user turn."""

    def folded(messages: list[Message], generation: bool) -> str:
        return render(fold(messages), generation)

    return folded


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


def _closing(only_user: str, with_generation: str, eos_token: str | None) -> str:
    """What the template writes after the conversation only when no generation prompt is asked.

    Phi-3/3.5 and Phi-4-mini end a finished conversation with their end-of-sequence token and put
    the generation prompt there instead. The prompt Ollama builds always asks for a generation, so
    the closing is never part of it; it is recorded for training, where a conversation ends with it.
    """
    if with_generation.startswith(only_user):
        return ""
    if eos_token and only_user.endswith(eos_token) and with_generation.startswith(only_user[: -len(eos_token)]):
        return eos_token
    raise TemplateNotDerivable(
        "the chat template renders earlier turns differently once the generation prompt follows "
        "(and not by leaving out its end-of-sequence token)")


def _opened(render: Renderer, closing: str) -> Renderer:
    """`render` with the closing taken off conversations rendered without a generation prompt."""
    if not closing:
        return render

    def opened(messages: list[Message], generation: bool) -> str:
        text = render(messages, generation)
        if generation:
            return text
        if not text.endswith(closing):
            raise TemplateNotDerivable(f"the chat template ends some conversations without {closing!r}")
        return text[: -len(closing)]

    return opened


def _pieces_from_followed(only_user: str, generation: str, followed: str | None) -> tuple[str, str, str, str]:
    """Assistant and user pieces read off [user, assistant, user] alone, for a template that writes
    the last answer differently from one a user message follows (Qwen3 gives the last answer an
    empty <think> block). The answer is taken to open with the generation prompt, and the user
    prefix to be the longest text in front of both user messages."""
    rest = _after_prefix(followed, only_user, "a second user message")
    if not generation or not rest.startswith(generation):
        raise TemplateNotDerivable("the chat template writes an answer differently once a user message follows it, "
                                   "and its answers do not open with the generation prompt")
    after_answer = _split_once(rest[len(generation):], _A1, "assistant message")[1]
    before_u2, user_suffix = _split_once(after_answer, _U2, "second user message")
    if not only_user.endswith(_U1 + user_suffix):
        raise TemplateNotDerivable("the chat template wraps the first user message differently from later ones")
    before_u1 = only_user[: -len(_U1 + user_suffix)]
    common = 0
    while common < min(len(before_u1), len(before_u2)) and before_u1[-1 - common] == before_u2[-1 - common]:
        common += 1
    user_prefix = before_u2[len(before_u2) - common:]
    return generation, before_u2[: len(before_u2) - common], user_prefix, user_suffix


def derive_chat_format(render: Renderer, bos_token: str | None = None, adds_bos: bool = False,
                       eos_token: str | None = None,
                       fold: Callable[[list[Message]], list[Message]] | None = None) -> ChatFormat:
    """Read the pieces of the chat format off the template's output on probe conversations.

    `adds_bos`: the tokenizer puts its BOS token in front by itself, so llama.cpp and Ollama do
    too, and a BOS the template writes as text would be doubled; it is left out of the pieces.
    `eos_token`: what a template may close a finished conversation with (Phi-3, Phi-4-mini).
    `fold`: how medtui puts a system prompt into the first user turn for a template without a
    system role (the same function training uses); without it such a template gets no system.
    """
    u1, a1, u2 = _msg("user", _U1), _msg("assistant", _A1), _msg("user", _U2)
    only_user = _try(render, [u1])
    with_generation = _try(render, [u1], True)
    if only_user is None or with_generation is None:
        raise TemplateNotDerivable("the chat template refuses a conversation of one user message")
    closing = _closing(only_user, with_generation, eos_token)
    render = _opened(render, closing)
    only_user = only_user[: len(only_user) - len(closing)]
    generation = _after_prefix(with_generation, only_user, "the generation prompt")
    answered = _try(render, [u1, a1])
    followed = _try(render, [u1, a1, u2])
    last_answer_differs = answered is not None and followed is not None and not followed.startswith(answered)
    if last_answer_differs:
        assistant_prefix, assistant_suffix, user_prefix, user_suffix = _pieces_from_followed(
            only_user, generation, followed)
    else:
        assistant_prefix, assistant_suffix = _split_once(
            _after_prefix(answered, only_user, "an assistant answer"), _A1, "assistant message")
        user_prefix, user_suffix = _split_once(
            _after_prefix(followed, answered, "a second user message"), _U2, "second user message")
    first_user = user_prefix + _U1 + user_suffix
    if not only_user.endswith(first_user):
        raise TemplateNotDerivable("the chat template wraps the first user message differently from later ones")
    head = only_user[: -len(first_user)]
    if _U1 in head:
        raise TemplateNotDerivable("the chat template repeats the user message")

    fmt = ChatFormat(user_prefix, user_suffix, assistant_prefix, assistant_suffix, generation, head, "block",
                     closing=closing)
    if last_answer_differs:
        fmt.notes.append("the model's template writes the last answer of a finished conversation differently from "
                         "earlier ones; a prompt for an answer never ends with an answer, so the TEMPLATE follows "
                         "the earlier ones")
    if closing:
        fmt.notes.append(f"the model's template ends a finished conversation with {closing}; a prompt for an "
                         "answer never has it")
    _derive_system(render, fmt, first_user)
    if fmt.system_style == "none" and fold is not None:
        _derive_system(folding_renderer(render, fold), fmt, first_user)
        fmt.folded_by_medtui = fmt.system_style == "fold"
    if fmt.folded_by_medtui:
        fmt.notes.append("the model's chat template has no system role: the system prompt is put in front of "
                         "the first user message, as in training")
    elif fmt.system_style == "none":
        fmt.notes.append("the model's chat template has no system turn; the SYSTEM prompt is not part of the prompt")
    if adds_bos and bos_token:
        _drop_bos(fmt, bos_token)

    padded = _try(render, [_msg("user", f"  {_U1}  ")])
    if padded is not None and f"  {_U1}  " not in padded:
        fmt.trims_content = True
        fmt.notes.append("the model's template strips spaces around each message; Ollama's TEMPLATE keeps them")
    return fmt


def _drop_bos(fmt: ChatFormat, bos: str) -> None:
    """Leave out a BOS the template writes at the very start of the prompt (llama.cpp adds its own).

    The start is the head when there is one, else the prefix of the user message that opens the
    prompt (Llama 2 writes `<s>[INST]` for every user turn: only the first one loses its `<s>`)."""
    dropped = False
    for attr in ("head_without_system", "head_with_system"):
        if attr == "head_with_system" and fmt.system_style not in ("block", "fold"):
            continue
        head = getattr(fmt, attr)
        if head.startswith(bos):
            setattr(fmt, attr, head[len(bos):])
            dropped = True
        elif head == "" and fmt.user_prefix.startswith(bos) and (
                attr == "head_without_system" or fmt.system_style == "fold"):
            fmt.first_user_prefix = fmt.user_prefix[len(bos):]
            dropped = True
    if dropped:
        fmt.bos_dropped = bos
        fmt.notes.append(f"{bos} is left out of the start of the TEMPLATE: llama.cpp adds it when it tokenizes")


def _derive_system(render: Renderer, fmt: ChatFormat, first_user: str) -> None:
    s1, u1 = _msg("system", _S1), _msg("user", _U1)
    rendered = _try(render, [s1, u1])
    if rendered is None or _S1 not in rendered:
        fmt.system_style = "none"
        return
    head = fmt.head_without_system
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
    # Gemma- and Llama 2-style: no system turn, the system text goes in front of the first user
    # message, after the user prefix (and after a fold prefix such as Llama 2's "<<SYS>>\n").
    if rendered.count(_S1) == 1:
        marker_at = rendered.find(_S1)
        before, after = rendered[:marker_at], rendered[marker_at + len(_S1):]
        ending = _U1 + fmt.user_suffix
        if after.endswith(ending) and _U1 not in after[: -len(ending)]:
            separator = after[: -len(ending)]
            if before.startswith(head + fmt.user_prefix):
                head_with_system, fold_prefix = head, before[len(head + fmt.user_prefix):]
            elif before.endswith(fmt.user_prefix):
                head_with_system, fold_prefix = before[: len(before) - len(fmt.user_prefix)], ""
            else:
                head_with_system = None
            if head_with_system is not None:
                fmt.system_style, fmt.head_with_system = "fold", head_with_system
                fmt.fold_prefix, fmt.fold_separator = fold_prefix, separator
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
                folded = fmt.fold_prefix + msgs[0]["content"] + fmt.fold_separator
            out.append(fmt.user_prefix_for(i, first_is_system) + folded + content + fmt.user_suffix)
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
        otherwise = f"{{{{ else }}}}{_lit(fmt.head_without_system)}" if fmt.head_without_system else ""
        parts.append(f"{{{{- if {first_is_system} }}}}{_lit(fmt.head_with_system)}{otherwise}{{{{ end }}}}")
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
    after_system = 'and (eq $i 1) (eq (index $.Messages 0).Role "system")'
    fold = ""
    if fmt.system_style == "fold":
        fold = (f"{{{{ if {after_system} }}}}{_lit(fmt.fold_prefix)}"
                f"{{{{ (index $.Messages 0).Content }}}}{_lit(fmt.fold_separator)}{{{{ end }}}}")
    prefix = _lit(fmt.user_prefix)
    if fmt.first_user_prefix is not None:
        opens = [c for c, holds in (("eq $i 0", fmt.user_prefix_for(0, False) != fmt.user_prefix),
                                    (after_system, fmt.user_prefix_for(1, True) != fmt.user_prefix)) if holds]
        condition = opens[0] if len(opens) == 1 else f"or ({opens[0]}) ({opens[1]})"
        prefix = (f"{{{{ if {condition} }}}}{_lit(fmt.first_user_prefix)}"
                  f"{{{{ else }}}}{_lit(fmt.user_prefix)}{{{{ end }}}}")
    branches.append(('eq .Role "user"', f"{prefix}{fold}{{{{ .Content }}}}{_lit(fmt.user_suffix)}"))
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
    if fmt.generation_prompt:
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


# A past answer with a reasoning section: a template that rewrites earlier turns (Qwen3 drops
# `<think>…</think>` from past answers) renders it differently from what was given. Go's template
# cannot rewrite contents, so such a template gets a TEMPLATE that is exact for everything else.
REWRITE_CHECK: tuple[str, list[Message]] = ("a past answer with a <think> section", [
    _msg("user", "I feel dizzy when I stand up."),
    _msg("assistant", "<think>\nOrthostatic hypotension is likely.\n</think>\n\nSit down first and drink water."),
    _msg("user", "And if it keeps happening?"),
])


def _difference(fmt: ChatFormat, render: Renderer, label: str, messages: list[Message]) -> str | None:
    """None when the format renders `messages` exactly as the template does, else what differs."""
    want = expected_prompt(render, fmt, messages)
    got = render_chat_format(fmt, messages)
    if got == want:
        return None
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return (f"the derived format differs from the chat template on {label} at character {at}: "
            f"{want[max(0, at - 20):at + 20]!r} expected, {got[max(0, at - 20):at + 20]!r} derived")


def check_chat_format(render: Renderer, fmt: ChatFormat) -> None:
    """Raise TemplateNotDerivable naming the first check conversation the format renders wrongly."""
    for label, messages in CHECK_CONVERSATIONS:
        if fmt.system_style == "none" and any(m["role"] == "system" for m in messages):
            continue
        try:
            problem = _difference(fmt, render, label, messages)
        except TemplateNotDerivable:
            raise
        except Exception as exc:
            if any(m["role"] == "system" for m in messages):
                continue
            raise TemplateNotDerivable(f"the chat template fails on {label}: {exc}") from None
        if problem:
            raise TemplateNotDerivable(problem)


def rewrite_limitation(render: Renderer, fmt: ChatFormat) -> str | None:
    """What Ollama's TEMPLATE cannot do that the model's template does to earlier turns, if anything."""
    label, messages = REWRITE_CHECK
    try:
        problem = _difference(fmt, render, label, messages)
    except Exception:
        return None
    if problem is None:
        return None
    return ("the model's chat template rewrites earlier answers (it changes or drops their <think> section); "
            "Go's template cannot, so Ollama sends past answers as they were given: " + problem)


@dataclass
class OllamaTemplate:
    """The TEMPLATE text with the format it came from (None when the model's template could not be
    expressed; `problem` then says why and Ollama falls back to the GGUF's own template).
    `limitation`: the TEMPLATE is exact on the check conversations but not on everything the model's
    template does (it rewrites earlier turns); said plainly in the export output and the model card."""

    text: str | None
    fmt: ChatFormat | None
    problem: str | None = None
    limitation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "derived": self.text is not None,
            "exact": self.text is not None and self.limitation is None,
            "problem": self.problem,
            "limitation": self.limitation,
            "system_style": self.fmt.system_style if self.fmt else None,
            "system_folded_by_medtui": bool(self.fmt and self.fmt.folded_by_medtui),
            "notes": list(self.fmt.notes) if self.fmt else [],
        }


def reference_renderer(tokenizer, fmt: ChatFormat) -> Renderer:
    """What the derived format must reproduce: the model's template, on conversations folded as
    training folds them when the template has no system role."""
    from medtui.data.templates import fold_system

    render = jinja_renderer(tokenizer)
    return folding_renderer(render, fold_system) if fmt.folded_by_medtui else render


def chat_format_for(tokenizer) -> ChatFormat:
    """The probe-derived chat format of a tokenizer's template (TemplateNotDerivable if none)."""
    from medtui.data.templates import fold_system

    if not getattr(tokenizer, "chat_template", None):
        raise TemplateNotDerivable("the tokenizer has no chat template")
    return derive_chat_format(jinja_renderer(tokenizer), getattr(tokenizer, "bos_token", None),
                              tokenizer_adds_bos(tokenizer), getattr(tokenizer, "eos_token", None),
                              fold=fold_system)


def ollama_template_for(tokenizer) -> OllamaTemplate:
    """Derive and check the Go TEMPLATE for a transformers tokenizer with a chat template."""
    try:
        fmt = chat_format_for(tokenizer)
        render = reference_renderer(tokenizer, fmt)
        check_chat_format(render, fmt)
    except TemplateNotDerivable as exc:
        return OllamaTemplate(None, None, str(exc))
    limitation = rewrite_limitation(render, fmt)
    return OllamaTemplate(go_template(fmt), fmt, limitation=limitation)
