"""Time to first token and generation speed of the configured LLM, on English and Korean prompts.

    .venv/bin/python -m benchmarks.llm_speed

Each prompt is a sample document cut to growing lengths; the reply is
limited to 64 tokens, and generation speed counts the tokens after the first.
"""

from __future__ import annotations

import statistics
import time

from chatbot.model.llm import LocalLLM
from settings import REPO_ROOT, Settings

PASSAGES = {
    "en": (REPO_ROOT / "documents" / "hr" / "hr-policy.md").read_text(encoding="utf-8"),
    "ko": (REPO_ROOT / "documents" / "onboarding" / "신입사원_안내.md").read_text(encoding="utf-8"),
}
QUESTIONS = {"en": "How many days of annual leave do employees get?", "ko": "수습 기간은 얼마나 되나요?"}
REPEATS = 3


def main() -> None:
    settings = Settings()
    llm = LocalLLM(settings.llm_model_path, settings.llm_context, settings.llm_threads)
    print(f"model: {llm.name}, n_ctx {settings.llm_context}, {settings.llm_threads} threads\n")
    print("| language | prompt tokens | time to first token (s, median of 3) | prompt tokens/s | generation tokens/s |")
    print("|---|---|---|---|---|")
    for language, text in PASSAGES.items():
        for share in (0.25, 0.5, 1.0):
            context = text[: int(len(text) * share)]
            ttfts, speeds, prompt_tokens = [], [], 0
            for run in range(REPEATS):
                # A different first line each run: llama.cpp reuses a cached prompt prefix,
                # which would hide the cost of reading the prompt.
                messages = [{"role": "system", "content": f"Run {run}. Answer the question using only the context."},
                            {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {QUESTIONS[language]}"}]
                started = time.perf_counter()
                generation = llm.generate(messages, max_tokens=64)
                first = None
                for _piece in generation:
                    first = first or time.perf_counter()
                ended = time.perf_counter()
                prompt_tokens = generation.prompt_tokens
                ttfts.append(first - started)
                if generation.completion_tokens > 1:
                    speeds.append((generation.completion_tokens - 1) / (ended - first))
            ttft = statistics.median(ttfts)
            print(f"| {language} | {prompt_tokens} | {ttft:.2f} | {prompt_tokens / ttft:.0f} "
                  f"| {statistics.median(speeds):.0f} |")


if __name__ == "__main__":
    main()
