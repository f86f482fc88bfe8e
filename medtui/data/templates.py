"""The model's chat template as training sees it: which tokens carry loss, token counts, previews.

Assistant-only loss follows TRL's approach: a chat template with `{% generation %}` markers and
`return_assistant_tokens_mask`. TRL ships marked-up templates for the families it knows; for a
plain ChatML template (SmolLM2, the embedded default, is one) medtui builds the marked-up twin and
uses it only after checking that it renders byte-for-byte what the model's own template renders.

Heavy imports (transformers, trl) happen inside functions: the TUI imports this module.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

from medtui.data.records import DataError

Progress = Callable[[str, int, int], None]
TOKEN_BATCH = 1024

_GENERATION_MARKER = re.compile(r"\{%-?\s*generation\s*-?%\}")

# ChatML with the assistant's answer and its <|im_end|> inside the generation markers; the newline
# after <|im_end|> stays outside so the learned span ends exactly on the end-of-turn token.
_CHATML_TRAINING = (
    "{%- for message in messages %}"
    "{%- if loop.first and messages[0]['role'] != 'system' and default_system is not none %}"
    "{{- '<|im_start|>system\\n' + default_system + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- generation %}{{- message['content'] + '<|im_end|>' }}{%- endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

_PROBES = [
    [{"role": "user", "content": "What is a fever?"}, {"role": "assistant", "content": "A raised temperature."}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi\nthere"},
     {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"},
     {"role": "assistant", "content": "Take care.\n"}],
    [{"role": "user", "content": "Only a question"}],
]


@dataclass
class LossTemplate:
    """The chat template to train with so that only the assistant's answers carry loss.

    `template` is None when no template with generation markers could be found (`source` "none");
    `warning` says what that, or a template that leaves the end-of-turn token unlearned, means.
    """

    template: str | None
    source: str            # own | trl | chatml | none
    warning: str | None = None


def has_generation_markers(template: str | None) -> bool:
    return bool(template) and _GENERATION_MARKER.search(template) is not None


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
    insists on alternating user/assistant turns, or has no system role) or is itself broken."""

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


def _render(tokenizer, conversation, template: str, generation_prompt: bool = False) -> str:
    return apply_template(tokenizer, conversation, tokenize=False, chat_template=template,
                          add_generation_prompt=generation_prompt)


def _chatml_twin(tokenizer, template: str) -> str | None:
    """A marked-up ChatML template rendering exactly like `template`, or None if it does not."""
    if "<|im_start|>" not in template or "<|im_end|>" not in template:
        return None
    try:
        plain = _render(tokenizer, [{"role": "user", "content": "x"}], template)
    except Exception:
        return None
    default_system = None
    prefix = "<|im_start|>system\n"
    if plain.startswith(prefix):
        default_system = plain[len(prefix):plain.index("<|im_end|>")]
    candidate = "{%- set default_system = " + (json.dumps(default_system, ensure_ascii=False) if default_system is not None else "none") + " %}" + _CHATML_TRAINING
    try:
        for probe in _PROBES:
            for generation_prompt in (False, True):
                if _render(tokenizer, probe, template, generation_prompt) != _render(tokenizer, probe, candidate, generation_prompt):
                    return None
    except Exception:
        return None
    return candidate


def loss_template(tokenizer) -> LossTemplate:
    """The template giving assistant-only loss for this tokenizer (see module doc)."""
    template = own_template(tokenizer)
    if has_generation_markers(template):
        found = LossTemplate(template, "own")
    else:
        twin = _chatml_twin(tokenizer, template)
        trl_template = None
        try:
            from trl.chat_template_utils import get_training_chat_template

            trl_template = get_training_chat_template(tokenizer)
        except ValueError:
            pass
        except ImportError:  # pragma: no cover - trl is part of the stack
            pass
        if trl_template:
            found = LossTemplate(trl_template, "trl")
        elif twin:
            found = LossTemplate(twin, "chatml")
        else:
            return LossTemplate(None, "none", (
                "this model's chat template marks no assistant turns and TRL has no training template for it, so "
                "assistant-only loss is not possible; set [train] assistant_only_loss = false to train on whole "
                "conversations, or use a chat template with {% generation %} markers"))
    if not end_of_turn_learned(tokenizer, found.template):
        found.warning = ("the end-of-turn token falls outside the assistant's loss mask with this chat template: "
                         "the model would not learn to stop; set [train] assistant_only_loss = false or fix the template")
    return found


def _end_tokens(tokenizer) -> set[int]:
    from medtui.models import end_of_turn_tokens

    ids = set()
    for token in end_of_turn_tokens(tokenizer):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int):
            ids.add(token_id)
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids


def end_of_turn_learned(tokenizer, template: str) -> bool:
    """Does every assistant turn's masked span end on an end-of-turn token (a probe conversation)?"""
    probe = [{"role": "user", "content": "dummy"}, {"role": "assistant", "content": "dummy"},
             {"role": "user", "content": "dummy"}, {"role": "assistant", "content": "dummy"}]
    rendered = _masked(tokenizer, probe, template)
    spans = _spans(rendered[1])
    return bool(spans) and all(_span_ends_on(tokenizer, rendered[0], s, _end_tokens(tokenizer)) for s in spans)


def _masked(tokenizer, conversation, template: str) -> tuple[list[int], list[int]]:
    out = apply_template(tokenizer, conversation, tokenize=True, return_dict=True,
                         return_assistant_tokens_mask=True, chat_template=template)
    return list(out["input_ids"]), list(out["assistant_masks"])


def _spans(mask: list[int]) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        elif not m and start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(mask)))
    return spans


def _span_ends_on(tokenizer, ids: list[int], span: tuple[int, int], end_ids: set[int]) -> bool:
    start, stop = span
    for i in range(stop - 1, start - 1, -1):
        if tokenizer.decode([ids[i]]).strip():  # trailing whitespace does not count
            return ids[i] in end_ids
    return False


def count_tokens(tokenizer, conversations: list[list[dict[str, str]]], chat_template: str | None = None,
                 progress: Progress | None = None, batch_size: int = TOKEN_BATCH,
                 refused: dict[int, str] | None = None) -> list[int | None]:
    """Each conversation's length in model tokens, rendered through the chat template; batched.

    A conversation the template refuses has length None, and `refused` (when given) gets its index
    and the template's reason; the others are still counted.
    """
    template = chat_template or own_template(tokenizer)
    lengths: list[int | None] = []
    total = len(conversations)
    for start in range(0, total, batch_size):
        if progress:
            progress("counting tokens", start, total)
        batch = conversations[start:start + batch_size]
        try:
            texts: list[str | None] = apply_template(tokenizer, batch, tokenize=False, chat_template=template)
        except ChatTemplateError:  # find the ones it refuses, one at a time
            texts = []
            for offset, conversation in enumerate(batch):
                try:
                    texts.append(apply_template(tokenizer, conversation, tokenize=False, chat_template=template))
                except ChatTemplateError as exc:
                    texts.append(None)
                    if refused is not None:
                        refused[start + offset] = exc.reason
        kept = [t for t in texts if t is not None]
        encoded = iter(tokenizer(kept, add_special_tokens=False, return_attention_mask=False)["input_ids"]
                       if kept else [])
        lengths.extend(None if t is None else len(next(encoded)) for t in texts)
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

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)

    def as_dict(self) -> dict:
        return {"tokens": self.tokens, "loss_tokens": self.loss_tokens, "template": self.template_source,
                "segments": [{"text": t, "loss": loss} for t, loss in self.segments], "warnings": self.warnings}


def render_preview(tokenizer, conversation: list[dict[str, str]], template: LossTemplate | None = None,
                   assistant_only_loss: bool = True, max_length: int | None = None) -> Preview:
    """Render one conversation through the chat template and mark the tokens that carry loss."""
    template = template or loss_template(tokenizer)
    warnings: list[str] = []
    chat_template = template.template or own_template(tokenizer)
    text = _render(tokenizer, conversation, chat_template)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])
    offsets = list(encoded["offset_mapping"])
    if not assistant_only_loss:
        mask = [1] * len(ids)
    elif template.template is None:
        mask = [0] * len(ids)
        warnings.append(template.warning or "assistant-only loss is not available for this template")
    else:
        masked_ids, mask = _masked(tokenizer, conversation, chat_template)
        if masked_ids != ids:  # cannot happen for a tokenizer that tokenizes rendered text; be safe
            mask = [0] * len(ids)
            warnings.append("the loss mask could not be aligned with the rendered text")
        else:
            end_ids = _end_tokens(tokenizer)
            spans = _spans(mask)
            assistant_turns = sum(1 for m in conversation if m["role"] == "assistant")
            if not spans:
                warnings.append("no token carries loss: the conversation has no assistant answer the template marks")
            elif not all(_span_ends_on(tokenizer, ids, s, end_ids) for s in spans) or len(spans) < assistant_turns:
                eos = tokenizer.convert_ids_to_tokens(sorted(end_ids))[:1]
                warnings.append(f"the end-of-turn token {eos[0] if eos else ''} would not be learned: the model may "
                                "not learn to stop (assistant-only loss with this template)")
    if template.warning and template.warning not in warnings and assistant_only_loss:
        warnings.append(template.warning)
    if max_length is not None and len(ids) > max_length:
        warnings.append(f"{len(ids)} tokens, over [model] max_length {max_length}: training would exclude this record")
    segments: list[tuple[str, bool]] = []
    for i, (start, _end) in enumerate(offsets):
        stop = offsets[i + 1][0] if i + 1 < len(offsets) else len(text)
        piece = text[start if i else 0:stop]
        loss = bool(mask[i])
        if segments and segments[-1][1] == loss:
            segments[-1] = (segments[-1][0] + piece, loss)
        else:
            segments.append((piece, loss))
    return Preview(segments, len(ids), sum(mask), template.source, warnings)


def tokenizer_for(cfg, progress: Callable[[str, float], None] | None = None):
    """The configured model's tokenizer (the embedded default is materialized on first use).
    Raises medtui.models.ModelNotAvailable when the model cannot be had here."""
    from medtui.models import load_tokenizer, resolve_model

    path = resolve_model(cfg.model.name, cfg.model.cache_dir, progress)
    return load_tokenizer(path, cfg.model.trust_remote_code)
