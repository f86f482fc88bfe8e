"""One conversation with one backend: the system prompt, the safety screen, the history that fits.

`ChatSession.send(text)` returns a `Reply` to iterate for text pieces. A refused request yields the
refusal at once and never reaches (or loads) the model; an answered one streams the model's text and
then, when the safety layer is on, the educational disclaimer (unless the model already wrote it).
The history sent to the model is trimmed to the context length, oldest turns first, never the
system prompt and never the new message.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterator

from medtui.chat.backends import Backend, ChatError, Generation, GenerationSettings, Messages
from medtui.safety import SafetySettings, Verdict, classify, refusal_for, with_disclaimer

# How each way an answer ends reads on screen.
FINISH_LABELS = {"stop": "complete", "length": "hit max_new_tokens", "cancelled": "stopped", "refused": "refused"}

# A history that leaves the answer fewer tokens than this is not worth sending.
MIN_ANSWER_TOKENS = 16


@dataclass
class Turn:
    user: str
    answer: str  # what the model wrote (no disclaimer); empty when refused or stopped before a token
    refused: bool = False


@dataclass
class Fitted:
    """The messages that go to the model and what was left out to make them fit."""

    messages: Messages
    prompt_tokens: int
    dropped_turns: int
    max_new_tokens: int


def fit_history(system_prompt: str, turns: list[Turn], user: str, count_tokens, context_length: int,
                max_new_tokens: int) -> Fitted:
    """Drop the oldest turns until the prompt leaves room for an answer within `context_length`.

    The answer is promised min(max_new_tokens, half the context); what the prompt leaves beyond that
    is also given to the answer, up to max_new_tokens.
    """
    reserve = min(max_new_tokens, max(MIN_ANSWER_TOKENS, context_length // 2))
    head = [{"role": "system", "content": system_prompt}] if system_prompt else []
    usable = [t for t in turns if not t.refused and t.answer]
    for start in range(len(usable) + 1):
        messages = list(head)
        for turn in usable[start:]:
            messages += [{"role": "user", "content": turn.user}, {"role": "assistant", "content": turn.answer}]
        messages.append({"role": "user", "content": user})
        tokens = count_tokens(messages)
        if tokens + reserve <= context_length:
            return Fitted(messages, tokens, start, min(max_new_tokens, context_length - tokens))
    raise ChatError(
        f"the message and system prompt take {tokens} tokens, which leaves no room for an answer within "
        f"[chat] context_length = {context_length} (answers need {reserve}); shorten the message or raise "
        "context_length"
    )


@dataclass
class Reply:
    """One answer being produced. Iterate it once for the text pieces as they arrive."""

    prompt: str
    backend: str
    model: str
    verdict: Verdict
    text: str = ""  # everything shown: the answer and the disclaimer, or the refusal
    answer: str = ""  # the model's own words
    generation: Generation = field(default_factory=Generation)
    dropped_turns: int = 0
    seconds: float = 0.0
    _pieces: Iterator[str] | None = None

    @property
    def refused(self) -> bool:
        return self.verdict.refused

    @property
    def finish(self) -> str:
        return "refused" if self.refused else self.generation.finish

    def __iter__(self) -> Iterator[str]:
        if self._pieces is None:
            raise RuntimeError("a reply can be read once")
        pieces, self._pieces = self._pieces, None
        start = time.perf_counter()
        try:
            for piece in pieces:
                self.text += piece
                yield piece
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
            self.seconds = time.perf_counter() - start

    def consume(self) -> "Reply":
        for _ in self:
            pass
        return self

    def to_dict(self) -> dict:
        g = self.generation
        return {
            "answer": self.text,
            "backend": self.backend,
            "model": self.model,
            "tokens": g.tokens,
            "seconds": round(self.seconds, 3),
            "refused": self.refused,
            "category": self.verdict.category,
            "score": self.verdict.score,  # the safety screen's P(harmful); None with chat.safety = false
            "finish": self.finish,
            "first_token_s": None if g.first_token_s is None else round(g.first_token_s, 3),
            "prompt_tokens": g.prompt_tokens,
            "dropped_turns": self.dropped_turns,
        }


class ChatSession:
    """A conversation with one backend under the safety settings."""

    def __init__(self, backend: Backend, settings: GenerationSettings, safety: SafetySettings):
        self.backend = backend
        self.settings = settings
        self.safety = safety
        self.turns: list[Turn] = []

    @classmethod
    def from_config(cls, backend: Backend, cfg) -> "ChatSession":
        return cls(backend, GenerationSettings.from_config(cfg), SafetySettings.from_config(cfg))

    def clear(self) -> None:
        self.turns.clear()

    def screen(self, text: str) -> Verdict:
        return classify(text) if self.safety.enabled else Verdict(False)

    def send(self, text: str, cancel: threading.Event | None = None) -> Reply:
        text = text.strip()
        if not text:
            raise ChatError("the message is empty")
        verdict = self.screen(text)
        reply = Reply(text, self.backend.kind, self.backend.model, verdict)
        reply._pieces = self._refuse(reply) if verdict.refused else self._answer(reply, cancel)
        return reply

    def _refuse(self, reply: Reply) -> Iterator[str]:
        self.turns.append(Turn(reply.prompt, "", refused=True))
        yield refusal_for(reply.verdict, self.safety)

    def _answer(self, reply: Reply, cancel: threading.Event | None) -> Iterator[str]:
        if not self.backend.loaded:
            self.backend.load()
        limit = self.backend.context_limit
        context = min(self.settings.context_length, limit) if limit else self.settings.context_length
        fitted = fit_history(self.safety.system_prompt, self.turns, reply.prompt, self.backend.count_tokens,
                             context, self.settings.max_new_tokens)
        reply.dropped_turns = fitted.dropped_turns
        stream = self.backend.stream(fitted.messages, self.settings, cancel, max_new_tokens=fitted.max_new_tokens)
        stream.result.prompt_tokens = fitted.prompt_tokens  # counted already, while fitting
        reply.generation = stream.result
        turn = Turn(reply.prompt, "")
        self.turns.append(turn)
        try:
            for piece in stream:
                turn.answer += piece
                yield piece
        finally:
            # A reader that stops early (a cancelled answer) still leaves a consistent history.
            turn.answer = turn.answer.strip()
            reply.answer = turn.answer
        if self.safety.enabled:
            _, suffix = with_disclaimer(reply.text, self.safety.disclaimer)
            if suffix:
                yield suffix
