"""The local LLM: llama.cpp on a GGUF file, one generation at a time, streamed to many callers.

A llama.cpp context is not thread-safe, so one worker thread owns it and
takes requests from a FIFO queue. Each request streams into its own queue:
a caller who reads slowly (or goes away) never holds up the model or the
other callers.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

_END = object()


class LLMUnavailable(RuntimeError):
    """The model cannot answer now (its server is down or failed); the message says why and what to set."""


@dataclass(eq=False)  # compared by identity: a request is itself, whatever its counts
class Generation:
    """One request's reply. Iterate for text pieces; counts are final when iteration ends."""

    prompt_tokens: int
    completion_tokens: int = 0
    finish_reason: str | None = None  # "stop" or "length" (hit the max-token limit)
    # Prompt tokens the model evaluated for this request, by llama.cpp's own count: fewer than prompt_tokens
    # when the start of the prompt (the system prompt, the examples) was still in its KV cache. None when a
    # server answered.
    prompt_tokens_evaluated: int | None = None
    _pieces: queue.Queue = field(default_factory=queue.Queue, repr=False)
    _cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    _begun: threading.Event = field(default_factory=threading.Event, repr=False)
    # Requests before this one in the model's line (set by a model that keeps one; a server queues its own).
    _ahead: Callable[[], int] = field(default=lambda: 0, repr=False)

    def __iter__(self) -> Iterator[str]:
        while (item := self._pieces.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def cancel(self) -> None:
        """Stop generating (the caller went away); harmless after the end."""
        self._cancelled.set()

    def ahead(self) -> int:
        """How many requests the model serves before it starts this one (0: this one is next or running)."""
        return self._ahead()

    def begun(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the first piece (or the end); True once it is there."""
        return self._begun.wait(timeout)

    # the producer's side
    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def put(self, piece: str) -> None:
        self.completion_tokens += 1
        self._pieces.put(piece)
        self._begun.set()

    def fail(self, error: BaseException) -> None:
        """Raised to the reader when it reaches this point."""
        self._pieces.put(error)
        self._begun.set()

    def end(self) -> None:
        self._pieces.put(_END)
        self._begun.set()


class TokenCounter:
    """The model's own tokenizer without its weights (llama.cpp vocab_only): prompt budgets
    for callers that never generate, such as a retrieval-only eval."""

    def __init__(self, model_path: Path) -> None:
        from llama_cpp import Llama

        if not Path(model_path).is_file():
            raise FileNotFoundError(f"LLM file not found: {model_path} (RAG_LLM_MODEL)")
        self._llm = Llama(model_path=str(model_path), vocab_only=True, verbose=False)

    def count_tokens(self, text: str) -> int:
        return count_tokens(self._llm, text)


def count_tokens(llm, text: str) -> int:
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


class LocalLLM:
    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int = 2, lora_path: Path | None = None) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        if not Path(model_path).is_file():
            raise FileNotFoundError(f"LLM file not found: {model_path} (RAG_LLM_MODEL)")
        if lora_path is not None and not Path(lora_path).is_file():
            raise FileNotFoundError(f"LoRA adapter not found: {lora_path} (RAG_LLM_LORA, or `adapt --rollback`)")
        self._llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, n_batch=512, verbose=False,
                          lora_path=str(lora_path) if lora_path else None)
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{model_path} has no chat template in its GGUF metadata")
        eos = self._llm.token_eos()
        # The model's own chat template, as its GGUF metadata gives it.
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._llm.detokenize([eos], special=True).decode("utf-8", "ignore"),
            bos_token=self._llm.detokenize([self._llm.token_bos()], special=True).decode("utf-8", "ignore"),
            stop_token_ids=[eos],
        )
        self.name = Path(model_path).stem
        self.adapter = Path(lora_path) if lora_path else None
        self._jobs: queue.Queue = queue.Queue()
        self._line: list[Generation] = []  # the requests taken and not finished, the one running first
        self._lock = threading.Lock()
        threading.Thread(target=self._work, name="llm-worker", daemon=True).start()

    def count_tokens(self, text: str) -> int:
        return count_tokens(self._llm, text)

    def prompt(self, messages: list[dict[str, str]]) -> tuple[list[int], list[str]]:
        """The tokens the model reads for these messages (its chat template applied), and the template's stops."""
        rendered = self._formatter(messages=messages)
        tokens = self._llm.tokenize(rendered.prompt.encode("utf-8"), add_bos=True, special=True)
        template_stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
        return tokens, template_stop

    def generate(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str] | None = None) -> Generation:
        tokens, template_stop = self.prompt(messages)
        generation = Generation(prompt_tokens=len(tokens))
        generation._ahead = lambda: self._place(generation)
        stop = [*template_stop, *(stop or [])]
        with self._lock:
            self._line.append(generation)
        self._jobs.put((generation, tokens, stop, max_tokens))
        return generation

    def _place(self, generation: Generation) -> int:
        with self._lock:
            return self._line.index(generation) if generation in self._line else 0

    def _work(self) -> None:
        while True:
            generation, tokens, stop, max_tokens = self._jobs.get()
            try:
                if not generation.cancelled:
                    self._run(generation, tokens, stop, max_tokens)
            except Exception as error:  # reported to that caller; the worker serves the next one
                generation.fail(error)
            finally:
                generation.end()
                with self._lock:
                    self._line.remove(generation)

    def _run(self, generation: Generation, tokens: list[int], stop: list[str], max_tokens: int) -> None:
        # llama-cpp-python keeps the last prompt's KV cache and evaluates only what follows the prefix this
        # prompt shares with it; llama.cpp's counters, reset per request, say how much that was.
        from llama_cpp import llama_perf_context, llama_perf_context_reset

        llama_perf_context_reset(self._llm.ctx)
        stream = self._llm.create_completion(
            tokens, max_tokens=max_tokens, stop=stop, stream=True, temperature=0.0, repeat_penalty=1.1
        )
        try:
            for chunk in stream:
                choice = chunk["choices"][0]
                if choice["text"]:
                    generation.put(choice["text"])
                generation.finish_reason = choice.get("finish_reason") or generation.finish_reason
                if generation.cancelled:
                    stream.close()
                    return
        finally:
            generation.prompt_tokens_evaluated = llama_perf_context(self._llm.ctx).n_p_eval
