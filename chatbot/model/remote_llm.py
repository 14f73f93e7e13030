"""The LLM on a server of its own (RAG_LLM_URL): any OpenAI-compatible chat completions endpoint.

llama-cpp-python's own server (``python -m llama_cpp.server``), llama.cpp's
``llama-server``, vLLM and Ollama all speak it. The server applies the
model's chat template and queues requests itself, so each request streams
on a thread of its own into a Generation, the same object the local model
gives: the engine cannot tell the two apart.

Token budgets are counted in the served model's own tokens, as with a local
model: by the server's tokenize endpoint (llama-cpp-python's
``/extras/tokenize``; llama.cpp's and vLLM's ``/tokenize``), or, for a
server without one (Ollama), by the vocabulary of a local copy of the same
GGUF named in RAG_LLM_MODEL.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import httpx

from .llm import Generation, LLMUnavailable, TokenCounter


class RemoteLLM:
    def __init__(self, url: str, model: str | None = None, api_key: str | None = None, timeout: float = 120.0,
                 vocabulary: Path | None = None) -> None:
        from openai import OpenAI

        self.url = url.rstrip("/")
        # No retries: a failed request is reported to its user at once, not repeated behind their back.
        self._client = OpenAI(base_url=self.url, api_key=api_key or "unused", timeout=timeout, max_retries=0)
        try:
            served = [entry.id for entry in self._client.models.list().data]
        except Exception as error:
            raise LLMUnavailable(f"the LLM server at {self.url} (RAG_LLM_URL) does not answer GET /models: "
                                 f"{error}") from None
        if model is None and not served:
            raise LLMUnavailable(f"the LLM server at {self.url} serves no model")
        self.model = model or served[0]
        self.name = Path(self.model).stem if "/" in self.model else self.model
        self._count = _tokenizer(self.url.removesuffix("/v1"), self.model, api_key, vocabulary)

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def generate(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str] | None = None) -> Generation:
        generation = Generation(prompt_tokens=sum(self._count(m["content"]) for m in messages))
        threading.Thread(target=self._stream, args=(generation, messages, max_tokens, stop or []),
                         name="llm-request", daemon=True).start()
        return generation

    def _stream(self, generation: Generation, messages: list[dict[str, str]], max_tokens: int,
                stop: list[str]) -> None:
        try:
            # The sampling the local model uses: greedy, the same repeat penalty (llama.cpp's name;
            # servers that do not know it ignore it). The OpenAI API takes at most four stops.
            stream = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, stop=stop[:4] or None,
                temperature=0.0, stream=True, extra_body={"repeat_penalty": 1.1},
            )
            with stream:
                for chunk in stream:
                    if chunk.usage is not None:
                        generation.prompt_tokens = chunk.usage.prompt_tokens
                    for choice in chunk.choices:
                        if choice.delta.content:
                            generation.put(choice.delta.content)
                        generation.finish_reason = choice.finish_reason or generation.finish_reason
                    if generation.cancelled:
                        return
        except Exception as error:  # reported to that caller, as the local model's errors are
            generation.fail(LLMUnavailable(f"the LLM server at {self.url} failed: {error}"))
        finally:
            generation.end()


def _tokenizer(root: str, model: str, api_key: str | None, vocabulary: Path | None):
    """A token counter in the served model's tokens (without a beginning-of-text token)."""
    if vocabulary is not None:
        return TokenCounter(vocabulary).count_tokens
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    client = httpx.Client(base_url=root, headers=headers, timeout=30.0)
    # Each server names its endpoint and field its own way; all answer {"tokens": [...]}.
    endpoints = {
        "/extras/tokenize": lambda text: {"input": text},  # llama-cpp-python
        "/tokenize": lambda text: {"content": text, "prompt": text, "model": model},  # llama.cpp, vLLM
    }
    for path, body in endpoints.items():
        try:
            reply = client.post(path, json=body(""))
            if reply.status_code == 200 and isinstance(reply.json().get("tokens"), list):
                return _counter(client, path, body, baseline=len(reply.json()["tokens"]))
        except (httpx.HTTPError, ValueError):
            continue
    raise LLMUnavailable(
        f"the LLM server at {root} has no tokenize endpoint, so prompt budgets cannot be counted in its tokens: "
        "set RAG_LLM_MODEL to a local copy of the same model's GGUF file (only its vocabulary is read)"
    )


def _counter(client: httpx.Client, path: str, body, baseline: int):
    """Counts by the endpoint; ``baseline`` is what it returns for no text (a beginning-of-text token)."""
    @lru_cache(maxsize=4096)  # prompt building counts the same blocks more than once
    def count(text: str) -> int:
        try:
            reply = client.post(path, json=body(text))
            reply.raise_for_status()
            return len(reply.json()["tokens"]) - baseline
        except (httpx.HTTPError, ValueError, KeyError) as error:  # the server went away after start-up
            raise LLMUnavailable(f"the LLM server at {client.base_url} cannot count tokens ({path}): {error}") \
                from None
    return count
