"""The local model's instances: requests run side by side, each streams its own reply, the rest wait in line."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from chatbot.model.llm import Generation, LocalLLM
from settings import Settings

TOPICS = ("the sea", "a mountain village", "the history of bread")
MAX_TOKENS = 120


def _messages(topic: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Write a long story about {topic}."}]


@dataclass
class Read:
    """A reply read to its end on its own thread, with when its first piece and its end came."""

    generation: Generation
    text: str = ""
    first: float | None = None
    ended: float | None = None

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._read)
        thread.start()
        return thread

    def _read(self) -> None:
        for piece in self.generation:
            self.first = self.first or time.monotonic()
            self.text += piece
        self.ended = time.monotonic()


def test_requests_run_side_by_side_each_with_its_own_reply_and_the_rest_wait(llm: LocalLLM) -> None:
    assert Settings().llm_instances == 2  # what this test is about: two instances, as users run them
    alone = []
    for topic in TOPICS:
        generation = llm.generate(_messages(topic), MAX_TOKENS)
        alone.append("".join(generation))
        # long enough that the second request starts while the first is still writing
        assert generation.completion_tokens > 60, alone[-1]

    reads = [Read(llm.generate(_messages(topic), MAX_TOKENS)) for topic in TOPICS]
    # one request per instance runs; the third is told it is next in line
    assert [read.generation.ahead() for read in reads] == [0, 0, 1]
    for thread in [read.start() for read in reads]:
        thread.join(timeout=600)

    first, second, third = reads
    assert second.first < first.ended and first.first < second.ended  # side by side
    assert third.first > min(first.ended, second.ended)  # only once an instance was free
    # each reply is the one its prompt gets alone (greedy decoding, whatever the thread count)
    assert [read.text for read in reads] == alone
    assert all(read.generation.ahead() == 0 for read in reads)
