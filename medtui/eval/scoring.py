"""Log-likelihoods and greedy answers from a loaded chat backend: the two things every suite needs.

Generation goes through the chat backends themselves (medtui.chat.backends), greedy, so an eval
answer is what Chat shows at temperature 0. Scoring reads logits for every position: through the
transformers model the backend loaded, or through a second llama.cpp context opened on the same
GGUF with logits for all positions (the chat context keeps only the last one). The negative
log-likelihood arithmetic is the export fidelity stage's (medtui.export.fidelity).
"""

from __future__ import annotations

import threading
from typing import Any

from medtui.chat.backends import Backend, Generation, GenerationSettings, GGUFBackend, TransformersBackend


def greedy_settings(cfg, max_new_tokens: int) -> GenerationSettings:
    """Temperature 0 with the [chat] repetition penalty: the same answer every time."""
    return GenerationSettings(temperature=0.0, top_p=1.0, max_new_tokens=max_new_tokens,
                              repetition_penalty=cfg.chat.repetition_penalty,
                              context_length=cfg.chat.context_length)


def answer(backend: Backend, messages: list[dict], settings: GenerationSettings,
           cancel: threading.Event | None = None) -> Generation:
    """The whole greedy answer to `messages` (its text, token count and why it ended)."""
    stream = backend.stream(messages, settings, cancel)
    for _ in stream:
        pass
    return stream.result


class Scorer:
    """Per-token negative log-likelihoods of token sequences under one loaded model."""

    def __init__(self, backend: Backend, context: int = 2048):
        self.backend = backend
        self.context = context
        self._llm: Any = None  # GGUF: the scoring context, opened on first use

    # -- tokens ---------------------------------------------------------------------------------

    def chat_ids(self, messages: list[dict], max_length: int) -> list[int]:
        """A whole conversation (answer included) through the model's chat template."""
        if isinstance(self.backend, TransformersBackend):
            from medtui.export.fidelity import token_sequences

            _, tokenizer = self.backend.hf_model
            found = token_sequences(tokenizer, [messages], max_length)
            return found[0] if found else []
        prompt = self.backend.render(messages, add_generation_prompt=False)
        ids = self._gguf().tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        return list(ids[:max_length])

    def text_ids(self, text: str) -> list[int]:
        """Plain text as the model tokenizes it, with the start token when the model wants one."""
        if isinstance(self.backend, TransformersBackend):
            _, tokenizer = self.backend.hf_model
            return list(tokenizer(text)["input_ids"])
        return list(self._gguf().tokenize(text.encode("utf-8"), add_bos=True, special=False))

    # -- scores ---------------------------------------------------------------------------------

    def nll(self, ids: list[int]):
        """(negative log-likelihood, most likely token) for positions 1..n of `ids`."""
        import numpy as np

        from medtui.export.fidelity import _nll_and_top1

        targets = np.array(ids[1:])
        if isinstance(self.backend, TransformersBackend):
            import torch

            model, _ = self.backend.hf_model
            with torch.inference_mode():
                tensor = torch.tensor([ids], device=model.device)
                logits = model(input_ids=tensor).logits[0, :-1].float().cpu().numpy()
            return _nll_and_top1(logits, targets)
        llm = self._gguf()
        llm.reset()
        llm.eval(ids)
        logits = np.array(llm.scores[: len(ids) - 1], copy=True)
        return _nll_and_top1(logits, targets)

    def _gguf(self):
        if self._llm is None:
            assert isinstance(self.backend, GGUFBackend)
            from medtui.export.fidelity import worker_threads
            from medtui.export.gguf import open_gguf

            threads = self.backend.threads or worker_threads()
            self._llm = open_gguf(self.backend.path, n_ctx=self.context, n_batch=512, logits_all=True,
                                  n_threads=threads, n_threads_batch=threads, n_gpu_layers=-1)
        return self._llm

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None
