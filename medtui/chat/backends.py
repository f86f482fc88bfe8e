"""The models chat talks to: a run's LoRA adapter or the base model through transformers, and a
quantized export through llama-cpp-python. All stream text pieces, stop at the model's end of turn,
honour the [chat] sampling keys and stop early when their cancel event is set.

Nothing heavy is imported at module level (the TUI imports this module): torch, transformers, peft
and llama_cpp load inside `load()`.
"""

from __future__ import annotations
from medtui.errors import MedtuiError

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

Progress = Callable[[str], None]
Messages = list[dict[str, str]]


class ChatError(MedtuiError):
    """A chat failure the user can act on; the message names the file or key involved."""


@dataclass(frozen=True)
class GenerationSettings:
    """The [chat] keys that shape one answer."""

    temperature: float = 0.7
    top_p: float = 0.9
    max_new_tokens: int = 256
    repetition_penalty: float = 1.1
    context_length: int = 2048

    @classmethod
    def from_config(cls, cfg) -> "GenerationSettings":
        chat = cfg.chat
        return cls(chat.temperature, chat.top_p, chat.max_new_tokens, chat.repetition_penalty, chat.context_length)


@dataclass
class Generation:
    """What one streamed answer cost and why it ended."""

    text: str = ""
    tokens: int = 0
    prompt_tokens: int = 0
    finish: str = ""  # stop (end of turn) | length (max_new_tokens) | cancelled
    first_token_s: float | None = None
    seconds: float = 0.0

    @property
    def tokens_per_s(self) -> float | None:
        """Decoding speed after the first token (the first one also pays for the prompt)."""
        if self.tokens < 2 or self.first_token_s is None or self.seconds <= self.first_token_s:
            return None
        return (self.tokens - 1) / (self.seconds - self.first_token_s)


class Stream:
    """Iterate for the answer's text pieces; `result` holds the counts once iteration ends."""

    def __init__(self, pieces: Iterator[str], result: Generation):
        self._pieces = pieces
        self.result = result

    def __iter__(self) -> Iterator[str]:
        start = time.perf_counter()
        try:
            for piece in self._pieces:
                if not piece:
                    continue
                if self.result.first_token_s is None:
                    self.result.first_token_s = time.perf_counter() - start
                self.result.text += piece
                yield piece
        finally:
            # A reader that stops early must not leave the generator (and the model's lock) suspended.
            close = getattr(self._pieces, "close", None)
            if close is not None:
                close()
            self.result.seconds = time.perf_counter() - start


class Backend:
    """One model to chat with. `kind` is base, adapter or gguf; `model` says which model."""

    def __init__(self, kind: str, model: str):
        self.kind = kind
        self.model = model
        self.loaded = False
        self.device_used = ""  # where the loaded model runs, in words

    @property
    def name(self) -> str:
        return f"{self.kind}: {self.model}"

    @property
    def context_limit(self) -> int | None:
        """The most tokens the loaded model can attend to, when it says (None: no limit known)."""
        return None

    def load(self, progress: Progress | None = None) -> None:
        raise NotImplementedError

    def unload(self) -> None:
        self.loaded = False

    def count_tokens(self, messages: Messages) -> int:
        """Tokens of the prompt these messages make, generation prompt included."""
        raise NotImplementedError

    def stream(self, messages: Messages, settings: GenerationSettings, cancel: threading.Event | None = None,
               max_new_tokens: int | None = None) -> Stream:
        """Stream the assistant's reply to `messages` (which start with the system prompt)."""
        if not self.loaded:
            raise ChatError(f"{self.name} is not loaded")
        result = Generation()
        cancel = cancel or threading.Event()
        limit = max_new_tokens or settings.max_new_tokens
        return Stream(self._generate(messages, settings, cancel, limit, result), result)

    def _generate(self, messages: Messages, settings: GenerationSettings, cancel: threading.Event,
                  max_new_tokens: int, result: Generation) -> Iterator[str]:
        raise NotImplementedError


def _threads(count: int) -> str:
    return f"{count} thread" + ("" if count == 1 else "s")


def _has_tokenizer(folder: Path) -> bool:
    return (folder / "tokenizer_config.json").exists() and (
        (folder / "tokenizer.json").exists() or (folder / "tokenizer.model").exists()
    )


class TransformersBackend(Backend):
    """A model through transformers: the base model alone, or with a LoRA adapter on top.

    On CUDA the base loads in 4-bit NF4 (as it was trained) with the adapter kept separate; on CPU
    it loads in full precision and the adapter is merged into the weights, which gives the same
    answers faster since no extra LoRA matmuls run per token.
    """

    def __init__(self, kind: str, model: str, base_model: str = "", cache_dir: str = "",
                 adapter_path: Path | None = None, trust_remote_code: bool = False, device: str = "auto"):
        super().__init__(kind, model)
        self.base_model = base_model  # [model] name: "" is the embedded default
        self.cache_dir = cache_dir
        self.base_path: Path | str | None = None
        self.adapter_path = Path(adapter_path) if adapter_path else None
        self.trust_remote_code = trust_remote_code
        self.device = device
        self._model: Any = None
        self._tokenizer: Any = None
        self._stop_ids: list[int] = []
        self._lock = threading.Lock()

    @property
    def context_limit(self) -> int | None:
        limit = getattr(getattr(self._model, "config", None), "max_position_embeddings", None)
        return int(limit) if isinstance(limit, int) and limit > 0 else None

    def load(self, progress: Progress | None = None) -> None:
        if self.loaded:
            return
        report = progress or (lambda message: None)
        from medtui.models import quiet_library_chatter

        quiet_library_chatter()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from medtui.models import ModelNotAvailable, resolve_model

        try:
            self.base_path = resolve_model(self.base_model, self.cache_dir, lambda stage, _: report(stage))
        except ModelNotAvailable as exc:
            raise ChatError(str(exc)) from None
        cuda = torch.cuda.is_available() and self.device != "cpu"
        tokenizer_from = self.adapter_path if self.adapter_path and _has_tokenizer(self.adapter_path) else self.base_path
        report(f"loading tokenizer from {tokenizer_from}")
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_from), trust_remote_code=self.trust_remote_code)
        except (OSError, ValueError) as exc:
            raise ChatError(f"cannot load a tokenizer from {tokenizer_from}: {exc}") from None
        if not getattr(tokenizer, "chat_template", None):
            raise ChatError(f"the tokenizer in {tokenizer_from} has no chat template; chat needs an instruct model")
        kwargs: dict[str, Any] = {"trust_remote_code": self.trust_remote_code}
        if cuda:
            from transformers import BitsAndBytesConfig

            compute = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            kwargs.update(
                quantization_config=BitsAndBytesConfig(
                    load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute,
                    bnb_4bit_use_double_quant=True,
                ),
                dtype=compute,
                device_map={"": 0},
            )
            self.device_used = "cuda (4-bit)"
        else:
            from medtui.export.fidelity import worker_threads

            # Spinning torch threads that outnumber the cores they get slow decoding tenfold on a
            # busy machine (measured on 2 cores: 7 tok/s with one thread, 0.6 with two).
            torch.set_num_threads(worker_threads())
            kwargs["dtype"] = torch.float32
            self.device_used = f"cpu (float32, {_threads(torch.get_num_threads())})"
        from medtui.models import MODEL_BUILD_LOCK

        report(f"loading {self.base_path} on {self.device_used}")
        with MODEL_BUILD_LOCK:  # compare mode loads two models at once
            try:
                model = AutoModelForCausalLM.from_pretrained(str(self.base_path), **kwargs)
            except (OSError, ValueError) as exc:
                raise ChatError(f"cannot load the model {self.base_path}: {exc}") from None
            if self.adapter_path is not None:
                report(f"applying the adapter {self.adapter_path}")
                from peft import PeftModel

                try:
                    model = PeftModel.from_pretrained(model, str(self.adapter_path))
                except (OSError, ValueError, RuntimeError) as exc:
                    raise ChatError(f"cannot apply the adapter {self.adapter_path}: {exc}") from None
                if not cuda:
                    model = model.merge_and_unload()
        model.eval()
        from medtui.models import end_of_turn_tokens

        stop_ids = {tokenizer.convert_tokens_to_ids(t) for t in end_of_turn_tokens(tokenizer)}
        eos = model.generation_config.eos_token_id
        stop_ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        self._stop_ids = sorted(i for i in stop_ids if isinstance(i, int) and i >= 0)
        if not self._stop_ids:
            raise ChatError(f"the tokenizer in {tokenizer_from} names no end-of-turn token; answers would never stop")
        from medtui.data.templates import tokenizer_adds_bos
        from medtui.export.template import jinja_renderer, system_folder

        self._render = jinja_renderer(tokenizer)
        self._fold = system_folder(self._render)  # Mistral, Gemma: the system prompt as training puts it
        self._adds_bos = tokenizer_adds_bos(tokenizer)
        self._model, self._tokenizer = model, tokenizer
        self.loaded = True
        report("ready")

    def unload(self) -> None:
        with self._lock:  # after any generation still finishing
            self._model = self._tokenizer = None
            self.loaded = False

    @property
    def hf_model(self) -> tuple[Any, Any]:
        """(model, tokenizer) of the loaded model, for scoring log-likelihoods (medtui.eval)."""
        if not self.loaded:
            raise ChatError(f"{self.name} is not loaded")
        return self._model, self._tokenizer

    def _encode(self, messages: Messages) -> Any:
        from transformers import BatchEncoding

        from medtui.data.templates import with_one_bos

        text = self._render(self._fold(messages), True)
        ids = self._tokenizer(text, add_special_tokens=False).input_ids
        ids = with_one_bos(ids, self._tokenizer.bos_token_id, self._adds_bos)
        return BatchEncoding({"input_ids": [ids], "attention_mask": [[1] * len(ids)]}, tensor_type="pt")

    def count_tokens(self, messages: Messages) -> int:
        return int(self._encode(messages)["input_ids"].shape[1])

    def _generate(self, messages, settings, cancel, max_new_tokens, result) -> Iterator[str]:
        import torch
        from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        inputs = self._encode(messages).to(self._model.device)
        prompt_len = int(inputs["input_ids"].shape[1])
        result.prompt_tokens = prompt_len
        stop_ids = self._stop_ids
        abandoned = threading.Event()  # the reader went away: stop generating for nobody

        class _Watch(StoppingCriteria):
            """Counts tokens as they come and stops on cancel (checked once per token)."""

            def __call__(self, input_ids, scores, **kwargs):
                result.tokens = int(input_ids.shape[1]) - prompt_len
                done = cancel.is_set() or abandoned.is_set()
                return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

        sample = settings.temperature > 0
        config = GenerationConfig(
            max_new_tokens=max_new_tokens,
            do_sample=sample,
            temperature=settings.temperature if sample else None,
            top_p=settings.top_p if sample else None,
            top_k=None,
            repetition_penalty=settings.repetition_penalty,
            eos_token_id=stop_ids,
            pad_token_id=self._tokenizer.pad_token_id if self._tokenizer.pad_token_id is not None else stop_ids[0],
        )
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []
        last_token: list[int] = []

        def run() -> None:
            try:
                with self._lock:
                    output = self._model.generate(
                        **inputs, generation_config=config, streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([_Watch()]),
                    )
                generated = output[0, prompt_len:]
                result.tokens = int(generated.shape[0])
                if result.tokens:
                    last_token.append(int(generated[-1]))
            except BaseException as exc:  # re-raised in the reader's thread
                failure.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, name=f"medtui-generate-{self.kind}", daemon=True)
        worker.start()
        try:
            yield from streamer
        finally:
            abandoned.set()
            worker.join()
        if failure:
            raise ChatError(f"generation failed on {self.name}: {type(failure[0]).__name__}: {failure[0]}")
        if cancel.is_set():
            result.finish = "cancelled"
        elif last_token and last_token[0] in stop_ids:
            result.finish = "stop"
        else:
            result.finish = "length"


GGUF_MAGIC = b"GGUF"


def check_gguf(path: Path) -> Path:
    """The path when it names a readable GGUF file, else ChatError saying what is wrong."""
    from medtui.files import NO_SUCH_FILE, file_problem

    path = Path(path).expanduser()
    problem = file_problem(path)
    if problem == NO_SUCH_FILE:
        raise ChatError(f"{path}: no such GGUF file")
    if problem == "is a folder":
        raise ChatError(f"{path}: is a folder; pass the .gguf file inside it")
    if problem is not None:  # a FIFO would block the read below for ever
        raise ChatError(f"{path}: {problem}; pass a .gguf file")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ChatError(f"{path}: cannot be read ({exc.strerror})") from None
    if magic != GGUF_MAGIC:
        raise ChatError(f"{path}: not a GGUF file (it does not start with the GGUF magic bytes)")
    return path


class GGUFBackend(Backend):
    """A GGUF file through llama-cpp-python, prompted with the chat template stored in the GGUF."""

    def __init__(self, path: Path, model: str | None = None, context_length: int = 2048, threads: int | None = None):
        super().__init__("gguf", model or Path(path).name)
        self.path = Path(path)
        self.n_ctx = context_length
        self.threads = threads
        self._llm: Any = None
        self._formatter: Any = None
        self._lock = threading.Lock()

    @property
    def context_limit(self) -> int | None:
        return self.n_ctx if self._llm is not None else None

    def load(self, progress: Progress | None = None) -> None:
        if self.loaded:
            return
        report = progress or (lambda message: None)
        check_gguf(self.path)
        report(f"loading {self.path}")
        from llama_cpp import llama_supports_gpu_offload
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        from medtui.export.fidelity import worker_threads  # the same reasoning as for torch above
        from medtui.export.gguf import open_gguf  # quantized GGUFs crash llama.cpp's AMX path; see there

        threads = self.threads or worker_threads()

        gpu = bool(llama_supports_gpu_offload())  # a CUDA build of llama.cpp: every layer on the GPU
        try:
            llm = open_gguf(self.path, n_ctx=self.n_ctx, n_threads=threads, n_threads_batch=threads,
                            n_gpu_layers=-1 if gpu else 0, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ChatError(f"llama.cpp cannot load {self.path}: {exc}") from None
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ChatError(f"{self.path} carries no chat template (tokenizer.chat_template); re-export it with medtui")
        # The GGUF's own template, not a built-in format llama-cpp-python might guess from it.
        llm.chat_format = "chat_template.default"
        eos = llm.token_eos()
        bos = llm.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
        )
        from medtui.export.template import system_folder

        # Mistral, Gemma: no system role in the template; the system prompt goes where training put it.
        self._fold = system_folder(lambda messages, generation: self._formatter(messages=messages).prompt)
        self._bos, self._adds_bos = bos, bool(llm._model.add_bos_token())
        self._stop = [text for text in self._formatter(messages=[{"role": "user", "content": "x"}]).stop if text]
        self._llm = llm
        self.device_used = "llama.cpp on gpu" if gpu else f"llama.cpp on cpu, {_threads(threads)}"
        self.loaded = True
        report("ready")

    def unload(self) -> None:
        with self._lock:  # closing under a running decode would crash llama.cpp
            if self._llm is not None:
                self._llm.close()
            self._llm = None
            self.loaded = False

    def render(self, messages: Messages, add_generation_prompt: bool = True) -> str:
        """The prompt text these messages make through the GGUF's own chat template (system prompt
        folded where the template has no system role, as for answers)."""
        if not self.loaded:
            raise ChatError(f"{self.name} is not loaded")
        if add_generation_prompt:
            return self._formatter(messages=self._fold(messages)).prompt
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        formatter = self._formatter
        whole = Jinja2ChatFormatter(template=formatter.template, eos_token=formatter.eos_token,
                                    bos_token=formatter.bos_token, add_generation_prompt=False)
        return whole(messages=self._fold(messages)).prompt

    def _prompt_ids(self, messages: Messages) -> list[int]:
        """The prompt as llama.cpp's server and Ollama build it: the GGUF's chat template, the special
        tokens parsed, one BOS in front when the GGUF says the model wants one (never two)."""
        from medtui.data.templates import with_one_bos

        prompt = self._formatter(messages=self._fold(messages)).prompt
        return with_one_bos(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True),
                            self._bos, self._adds_bos)

    def count_tokens(self, messages: Messages) -> int:
        return len(self._prompt_ids(messages))

    def _generate(self, messages, settings, cancel, max_new_tokens, result) -> Iterator[str]:
        with self._lock:
            prompt = self._prompt_ids(messages)
            chunks = self._llm.create_completion(
                prompt=prompt,
                stop=self._stop,
                temperature=settings.temperature,
                top_p=settings.top_p,
                top_k=0,  # off, as in the transformers backend: [chat] has top_p only
                min_p=0.0,
                max_tokens=max_new_tokens,
                repeat_penalty=settings.repetition_penalty,
                stream=True,
            )
            finish = None
            try:
                for chunk in chunks:
                    if cancel.is_set():
                        break
                    choice = chunk["choices"][0]
                    piece = choice.get("text")
                    if piece:
                        yield piece
                    finish = choice.get("finish_reason") or finish
            finally:
                chunks.close()
            # Tokens, not chunks or re-tokenized text (an answer of special tokens has no text): the
            # context holds the prompt and every generated token but the last sampled one (the
            # end-of-turn token when one ended the answer, which counts as in the transformers backend).
            sampled = self._llm.n_tokens - len(prompt) + 1 if finish is not None or result.text else 0
        if cancel.is_set():
            result.finish = "cancelled"
        else:
            result.finish = "length" if finish == "length" else "stop"
        result.tokens = max(sampled, 0)
