"""The model's chat template as training sees it: which tokens carry loss, token counts, previews.

Assistant-only loss works for any chat template, read off the template itself: medtui renders the
conversation with the model's own template, renders it again with each answer replaced by a marker,
and so learns where every answer sits in the text the model is trained on. Each answer's span runs
from its first character to the end-of-turn token that the template writes after it (that token is
learned: it is how the model learns to stop). Templates with `{% generation %}` markers or that TRL
knows need nothing special, and templates TRL does not know (Llama 2, Phi, Llama 3, Gemma,
Mistral ...) work the same way. A template that rewrites answers as it renders them (so that they
cannot be found) is reported, with the key to change.

Two rules make training see exactly what inference will:
- The tokenizer's own BOS is added only when the rendered text does not already start with it (a
  template that writes `<s>` itself and a tokenizer that adds it again would double it).
- A system prompt for a template with no system role (Mistral v0.3, Gemma) is folded into the
  first user message (`fold_system`), the same way the Modelfile does it.

Heavy imports (transformers) happen inside functions: the TUI imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from medtui.data.records import DataError

Progress = Callable[[str, int, int], None]
TOKEN_BATCH = 1024

# Between a folded system prompt and the first user message (training, preview and the Modelfile).
FOLD_SEPARATOR = "\n\n"
FOLD_NOTE = ("this model's chat template has no system role: the system prompt is folded into the first user "
             "message (as the exported Modelfile does)")

# Marker answers: plain words that no template trims, escapes or rewrites.
_ANSWER_MARK = "MEDTUIANSWERMARK{}X"


class TemplateMaskError(DataError):
    """The chat template renders a conversation so that its answers cannot be found in the text."""


def own_template(tokenizer) -> str:
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("default")
    if not template:
        name = getattr(tokenizer, "name_or_path", "the model")
        raise DataError(f"{name}: the tokenizer has no chat template; use an instruct/chat model or add a template",
                        exit_code=2)
    return template


class ChatTemplateError(DataError):
    """The model's chat template refused a conversation: the template raised (a model whose template
    insists on alternating user/assistant turns) or is itself broken."""

    def __init__(self, tokenizer, reason: str):
        name = getattr(tokenizer, "name_or_path", "") or "the model"
        super().__init__(
            f"the chat template of {name} refuses this conversation: {reason}",
            hint="data validate lists every such record as template_refused; fix those records, turn off "
                 "[data] add_system_prompt if the template has no system role, or use a model whose template accepts them")
        self.reason = reason


def apply_template(tokenizer, conversation, **kwargs):
    """`tokenizer.apply_chat_template` with a template's refusal as ChatTemplateError (never jinja2's
    TemplateError with its class name as the only explanation)."""
    from jinja2 import TemplateError

    try:
        return tokenizer.apply_chat_template(conversation, **kwargs)
    except TemplateError as exc:
        raise ChatTemplateError(tokenizer, (exc.message or "the template raised an error").strip()) from None


def _render(tokenizer, conversation, generation_prompt: bool = False) -> str:
    return apply_template(tokenizer, conversation, tokenize=False, add_generation_prompt=generation_prompt)


def takes_system_role(tokenizer) -> bool:
    """Does the model's chat template render a system message (rather than refuse or drop it)?
    One answer for training, the preview and the Modelfile (medtui.export.template.has_system_role
    on the tokenizer's template); templates without one get the system prompt folded into the
    first user message (`fold_system`)."""
    from medtui.export.template import has_system_role, jinja_renderer

    return has_system_role(jinja_renderer(tokenizer))


def fold_system(conversation: list[dict[str, str]]) -> list[dict[str, str]]:
    """The conversation with its leading system message put in front of the first user message."""
    if not conversation or conversation[0]["role"] != "system":
        return conversation
    system, rest = conversation[0]["content"], [dict(m) for m in conversation[1:]]
    for message in rest:
        if message["role"] == "user":
            message["content"] = system + FOLD_SEPARATOR + message["content"]
            return rest
    return [{"role": "user", "content": system}, *rest]


def _end_tokens(tokenizer) -> list[str]:
    """The texts that end an assistant turn: the model's end-of-turn tokens and its EOS."""
    from medtui.models import end_of_turn_tokens

    found = list(end_of_turn_tokens(tokenizer))
    if tokenizer.eos_token and tokenizer.eos_token not in found:
        found.append(tokenizer.eos_token)
    return found


@dataclass
class Encoded:
    """A conversation as the model trains on it: the rendered text, its token ids, and which
    tokens carry loss (1) with the character spans of the answers they come from."""

    text: str
    ids: list[int]
    offsets: list[tuple[int, int]]
    mask: list[int]
    spans: list[tuple[int, int]]
    unlearned_end: int = 0  # answers whose span has no end-of-turn token after it


def tokenizer_adds_bos(tokenizer) -> bool:
    """Whether tokenizing text puts the BOS token in front by itself. Training then puts one in
    front of each rendered conversation, and llama.cpp and Ollama do the same at inference."""
    bos_id = getattr(tokenizer, "bos_token_id", None)
    if not getattr(tokenizer, "bos_token", None) or bos_id is None:
        return False
    ids = tokenizer("medtui").input_ids
    return bool(ids) and ids[0] == bos_id


def with_one_bos(ids: list[int], bos_id: int | None, adds_bos: bool) -> list[int]:
    """Token ids of a rendered conversation as training, llama.cpp and Ollama see them: one BOS in
    front when the tokenizer adds one (a BOS the template writes itself is not doubled), none added
    when it does not."""
    ids = list(ids)
    if not adds_bos or bos_id is None or bos_id < 0:
        return ids
    while len(ids) >= 2 and ids[0] == bos_id and ids[1] == bos_id:
        ids.pop(0)
    if not ids or ids[0] != bos_id:
        ids.insert(0, bos_id)
    return ids


@dataclass
class TrainingFormat:
    """How a tokenizer's chat template is used for training (see the module doc)."""

    tokenizer: object
    system_role: bool
    adds_bos: bool
    end_tokens: list[str]
    warning: str | None = None   # assistant-only loss is impossible or the model would not learn to stop
    notes: list[str] = field(default_factory=list)  # said once: what medtui adapts for this template

    @property
    def source(self) -> str:
        return "the model's own"

    def conversation(self, conversation: list[dict[str, str]]) -> list[dict[str, str]]:
        """The conversation as this template can render it (system prompt folded where needed)."""
        return conversation if self.system_role else fold_system(conversation)

    def render(self, conversation: list[dict[str, str]]) -> str:
        return _render(self.tokenizer, self.conversation(conversation))

    def tokenize(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids of rendered text, with one BOS: the tokenizer's own only when the template
        did not write it."""
        tok = self.tokenizer
        encoded = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = list(encoded["input_ids"]), [tuple(o) for o in encoded["offset_mapping"]]
        bos_ids = with_one_bos(ids, tok.bos_token_id, self.adds_bos)
        shift = len(bos_ids) - len(ids)  # 1: a BOS put in front; negative: a doubled BOS dropped
        return bos_ids, ([(0, 0)] * shift + offsets) if shift >= 0 else offsets[-shift:]

    def answer_spans(self, conversation: list[dict[str, str]]) -> tuple[str, list[tuple[int, int]], int]:
        """(rendered text, the character span of each answer plus its end-of-turn text, how many
        answers have no end-of-turn token after them). TemplateMaskError when answers cannot be found."""
        conversation = self.conversation(conversation)
        text = _render(self.tokenizer, conversation)
        marked = [dict(m) for m in conversation]
        answers: list[str] = []
        for message in marked:
            if message["role"] == "assistant":
                message["content"] = _ANSWER_MARK.format(len(answers))
                answers.append(message["content"])
        if not answers:
            return text, [], 0
        skeleton = _render(self.tokenizer, marked)
        pieces = _split_on_markers(skeleton, answers)
        contents = [m["content"] for m in conversation if m["role"] == "assistant"]
        others = [m["content"] for m in conversation if m["role"] != "assistant" and m["content"].strip()]
        spans, unlearned, pos = [], 0, 0
        for i, content in enumerate(contents):
            before, after = pieces[i], pieces[i + 1]
            if not text.startswith(before, pos):
                raise TemplateMaskError("the chat template renders the text around an answer differently when the "
                                        "answer changes, so medtui cannot tell which tokens are the answer")
            pos += len(before)
            rendered = _rendered_content(text, pos, content, after)
            if rendered is None:
                raise TemplateMaskError("the chat template rewrites answers as it renders them, so medtui cannot "
                                        "tell which tokens are the answer")
            start, pos = pos, pos + len(rendered)
            end = _end_of_turn(after, self.end_tokens, others)
            if end is None:
                unlearned += 1
                spans.append((start, pos))
            else:
                spans.append((start, pos + end))
        if not text.startswith(pieces[-1], pos) or pos + len(pieces[-1]) != len(text):
            raise TemplateMaskError("the chat template renders the text after the last answer differently when the "
                                    "answer changes, so medtui cannot tell which tokens are the answer")
        return text, spans, unlearned

    def encode(self, conversation: list[dict[str, str]], assistant_only_loss: bool = True) -> Encoded:
        """The conversation's ids and loss mask (every token when assistant_only_loss is off)."""
        if not assistant_only_loss:
            text = self.render(conversation)
            ids, offsets = self.tokenize(text)
            return Encoded(text, ids, offsets, [1] * len(ids), [(0, len(text))])
        text, spans, unlearned = self.answer_spans(conversation)
        ids, offsets = self.tokenize(text)
        mask = [1 if end > start and any(start < e and end > s for s, e in spans) else 0 for start, end in offsets]
        return Encoded(text, ids, offsets, mask, spans, unlearned)


def _split_on_markers(skeleton: str, markers: list[str]) -> list[str]:
    pieces, rest = [], skeleton
    for marker in markers:
        if rest.count(marker) != 1:
            raise TemplateMaskError("the chat template does not render each answer exactly once where it stands, "
                                    "so medtui cannot tell which tokens are the answer")
        before, rest = rest.split(marker)
        pieces.append(before)
    pieces.append(rest)
    return pieces


def _rendered_content(text: str, pos: int, content: str, after: str) -> str | None:
    """The answer as the template wrote it at `pos` (templates may strip or trim it)."""
    for candidate in dict.fromkeys((content, content.strip(), content.rstrip(), content.lstrip())):
        if text.startswith(candidate, pos) and text.startswith(after[:64], pos + len(candidate)):
            return candidate
    return None


def _end_of_turn(after: str, end_tokens: list[str], others: list[str]) -> int | None:
    """Where the end-of-turn text after an answer ends (an offset into `after`): the first end
    token the template writes before any later message's content; None when there is none."""
    limit = len(after)
    for content in others:
        at = after.find(content)
        if at >= 0:
            limit = min(limit, at)
    found = [(after.find(t), t) for t in end_tokens if 0 <= after.find(t) < limit]
    if not found:
        return None
    at, token = min(found)
    return at + len(token)


_PROBE = [{"role": "user", "content": "What is a fever?"},
          {"role": "assistant", "content": "A raised body temperature."},
          {"role": "user", "content": "And a high one?"},
          {"role": "assistant", "content": "Above about 39 C."}]


def training_format(tokenizer) -> TrainingFormat:
    """How to train on this tokenizer's chat template; `.warning` says when assistant-only loss is
    impossible (unfindable answers) or the model would not learn to stop (no end-of-turn token)."""
    own_template(tokenizer)
    fmt = TrainingFormat(tokenizer, takes_system_role(tokenizer), tokenizer_adds_bos(tokenizer), _end_tokens(tokenizer))
    if not fmt.system_role:
        fmt.notes.append(FOLD_NOTE)
    try:
        _text, spans, unlearned = fmt.answer_spans(_PROBE)
    except TemplateMaskError as exc:
        fmt.warning = (f"{exc}; assistant-only loss is not possible with this template: set [train] "
                       "assistant_only_loss = false to train on whole conversations")
        return fmt
    except Exception as exc:  # the template refuses an ordinary conversation
        fmt.warning = f"the chat template fails on a plain user/assistant conversation: {exc}"
        return fmt
    if unlearned or not spans:
        fmt.warning = ("the chat template writes no end-of-turn token after the assistant's answers: the model would "
                       "not learn to stop; set [train] assistant_only_loss = false or use a template that ends turns")
    return fmt


def count_tokens(tokenizer, conversations: list[list[dict[str, str]]], progress: Progress | None = None,
                 batch_size: int = TOKEN_BATCH, fmt: TrainingFormat | None = None,
                 refused: dict[int, str] | None = None) -> list[int | None]:
    """Each conversation's length in model tokens as training sees it (chat template, one BOS,
    system prompt folded where the template needs it); tokenized in batches.

    A conversation the template refuses has length None, and `refused` (when given) gets its index
    and the template's reason; the others are still counted.
    """
    fmt = fmt or training_format(tokenizer)
    bos = tokenizer.bos_token_id
    lengths: list[int | None] = []
    total = len(conversations)
    for start in range(0, total, batch_size):
        if progress:
            progress("counting tokens", start, total)
        texts: list[str | None] = []
        for offset, conversation in enumerate(conversations[start:start + batch_size]):
            try:
                texts.append(fmt.render(conversation))
            except ChatTemplateError as exc:
                texts.append(None)
                if refused is not None:
                    refused[start + offset] = exc.reason
        kept = [t for t in texts if t is not None]
        encoded = iter(tokenizer(kept, add_special_tokens=False, return_attention_mask=False)["input_ids"]
                       if kept else [])
        for text in texts:
            if text is None:
                lengths.append(None)
                continue
            ids = next(encoded)
            lengths.append(len(with_one_bos(ids, bos, fmt.adds_bos)))
    if progress:
        progress("counting tokens", total, total)
    return lengths


@dataclass
class Preview:
    """A record rendered for training: text segments, each marked whether its tokens carry loss."""

    segments: list[tuple[str, bool]]
    tokens: int
    loss_tokens: int
    template_source: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)

    def as_dict(self) -> dict:
        return {"tokens": self.tokens, "loss_tokens": self.loss_tokens, "template": self.template_source,
                "segments": [{"text": t, "loss": loss} for t, loss in self.segments], "warnings": self.warnings,
                "notes": self.notes}


def render_preview(tokenizer, conversation: list[dict[str, str]], fmt: TrainingFormat | None = None,
                   assistant_only_loss: bool = True, max_length: int | None = None) -> Preview:
    """Render one conversation exactly as training will and mark the text whose tokens carry loss."""
    fmt = fmt or training_format(tokenizer)
    warnings: list[str] = []
    notes = [n for n in fmt.notes if n != FOLD_NOTE or conversation[:1] and conversation[0]["role"] == "system"]
    if assistant_only_loss and fmt.warning:
        warnings.append(fmt.warning)
    try:
        encoded = fmt.encode(conversation, assistant_only_loss)
    except TemplateMaskError as exc:
        text = fmt.render(conversation)
        ids, offsets = fmt.tokenize(text)
        encoded = Encoded(text, ids, offsets, [0] * len(ids), [])
        warnings.append(f"{exc}; set [train] assistant_only_loss = false to train on whole conversations")
    if assistant_only_loss and not encoded.spans and not warnings:
        warnings.append("no token carries loss: the conversation has no assistant answer")
    elif assistant_only_loss and encoded.unlearned_end and not fmt.warning:
        warnings.append("the end-of-turn token would not be learned after an answer: the model may not learn to stop")
    if max_length is not None and len(encoded.ids) > max_length:
        warnings.append(f"{len(encoded.ids)} tokens, over [model] max_length {max_length}: training would exclude "
                        "this record")
    text, offsets, mask = encoded.text, encoded.offsets, encoded.mask
    segments: list[tuple[str, bool]] = []
    real = [i for i, (a, b) in enumerate(offsets) if b > a or a > 0]  # an added BOS has no text
    for n, i in enumerate(real):
        start = offsets[i][0] if n else 0
        stop = offsets[real[n + 1]][0] if n + 1 < len(real) else len(text)
        piece, loss = text[start:stop], bool(mask[i])
        if segments and segments[-1][1] == loss:
            segments[-1] = (segments[-1][0] + piece, loss)
        else:
            segments.append((piece, loss))
    if len(real) < len(offsets):  # the tokenizer's own BOS, which the text does not show
        bos = fmt.tokenizer.bos_token or ""
        segments.insert(0, (bos, False))
    return Preview(segments, len(encoded.ids), sum(mask), fmt.source, warnings, notes)


def tokenizer_for(cfg, progress: Callable[[str, float], None] | None = None):
    """The configured model's tokenizer (the embedded default is materialized on first use).
    Raises medtui.models.ModelNotAvailable when the model cannot be had here."""
    from medtui.models import load_tokenizer, resolve_model

    path = resolve_model(cfg.model.name, cfg.model.cache_dir, progress)
    return load_tokenizer(path, cfg.model.trust_remote_code)
