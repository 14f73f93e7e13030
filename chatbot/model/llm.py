"""The local LLM: llama.cpp on a GGUF file, a few generations at a time, streamed to many callers.

A llama.cpp context is not thread-safe and runs one sequence, so each of a
few instances of the model (weights mapped once, a KV cache each) is owned by
one worker thread; requests wait in one FIFO line and go to the free instance
whose cache already holds the longest start of their prompt. The CPU threads
are shared: an instance alone uses them all, two at once half each
(docs/BENCHMARKS.md: the same single-user latency as one model, 1.15× the
tokens/s with two users on 2 cores). Each request streams into its own queue:
a caller who reads slowly (or goes away) never holds up the model or the
other callers.
"""

from __future__ import annotations

import queue
import threading
import time
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


@dataclass(eq=False)
class _Instance:
    """One llama.cpp context, the worker thread's inbox, and what the context is set to."""

    llm: object  # llama_cpp.Llama
    inbox: queue.Queue = field(default_factory=queue.Queue)
    threads: int = 0
    last_used: float = 0.0

    def cached_prefix(self, tokens: list[int]) -> int:
        """How many of these tokens start the sequence this instance's KV cache holds."""
        held = self.llm.input_ids[: self.llm.n_tokens]
        return next((i for i, (a, b) in enumerate(zip(held, tokens)) if a != b), min(len(held), len(tokens)))


class LocalLLM:
    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int = 2, lora_path: Path | None = None,
                 instances: int = 1) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        if not Path(model_path).is_file():
            raise FileNotFoundError(f"LLM file not found: {model_path} (RAG_LLM_MODEL)")
        if lora_path is not None and not Path(lora_path).is_file():
            raise FileNotFoundError(f"LoRA adapter not found: {lora_path} (RAG_LLM_LORA, or `adapt --rollback`)")
        self._instances = [
            _Instance(Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                            n_batch=512, verbose=False, lora_path=str(lora_path) if lora_path else None),
                      threads=n_threads)
            for _ in range(instances)
        ]
        self._llm = self._instances[0].llm  # the tokenizer and the template: the same in every instance
        self._threads = n_threads
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
        self._line: list[Generation] = []  # the requests taken and not finished, in the order they came
        self._lock = threading.Lock()
        self._idle = list(self._instances)
        self._freed = threading.Condition(self._lock)
        threading.Thread(target=self._dispatch, name="llm-dispatch", daemon=True).start()
        for number, instance in enumerate(self._instances):
            threading.Thread(target=self._work, args=(instance,), name=f"llm-worker-{number}", daemon=True).start()

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
        # The line is served in order, so the first requests in it (one per instance) are the ones running.
        with self._lock:
            index = self._line.index(generation) if generation in self._line else 0
        return max(0, index - len(self._instances) + 1)

    def _dispatch(self) -> None:
        """Hands each request, in order, to a free instance: the one whose cache holds the most of its prompt
        (a follow-up, the system prompt), else the one used longest ago (its cache the least likely wanted)."""
        while True:
            job = self._jobs.get()
            tokens = job[1]
            with self._freed:
                self._freed.wait_for(lambda: self._idle)
                instance = max(self._idle, key=lambda i: (i.cached_prefix(tokens), -i.last_used))
                self._idle.remove(instance)
            instance.inbox.put(job)

    def _work(self, instance: _Instance) -> None:
        while True:
            generation, tokens, stop, max_tokens = instance.inbox.get()
            try:
                if not generation.cancelled:
                    self._run(instance, generation, tokens, stop, max_tokens)
            except Exception as error:  # reported to that caller; the worker serves the next one
                generation.fail(error)
            finally:
                generation.end()
                with self._freed:
                    self._line.remove(generation)
                    instance.last_used = time.monotonic()
                    self._idle.append(instance)
                    self._freed.notify()

    def _share_threads(self, instance: _Instance) -> None:
        """The CPU threads split between the instances running now: all of them for one alone (its latency
        is that of a single model), half each for two. Set between tokens, so a request that starts beside
        a running one slows that one at its next token, and it speeds up again when the other ends."""
        from llama_cpp import llama_set_n_threads

        with self._lock:
            running = len(self._instances) - len(self._idle)
        threads = max(1, self._threads // max(1, running))
        if threads != instance.threads:
            llama_set_n_threads(instance.llm.ctx, threads, threads)
            instance.threads = threads

    def _run(self, instance: _Instance, generation: Generation, tokens: list[int], stop: list[str],
             max_tokens: int) -> None:
        # llama-cpp-python keeps the last prompt's KV cache and evaluates only what follows the prefix this
        # prompt shares with it; llama.cpp's counters, reset per request, say how much that was.
        from llama_cpp import llama_perf_context, llama_perf_context_reset

        llm = instance.llm
        llama_perf_context_reset(llm.ctx)
        self._share_threads(instance)
        stream = llm.create_completion(
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
                self._share_threads(instance)
        finally:
            generation.prompt_tokens_evaluated = llama_perf_context(llm.ctx).n_p_eval
