"""The speed figures in one run, each beside what it is measured against: one table, and JSON.

    .venv/bin/python -m benchmarks.speed [PACK] [--json FILE] [--files 1000] [--users 8] [--rounds 2]
                                          [--questions 8] [--pieces 400]

PACK (default ../shared/eval/dev, when present) gives a real corpus and real
questions; without it only the synthetic re-ingest runs. In order:

- embedding: the same chunk-sized pieces of PACK through PyTorch and through
  OpenVINO (pieces/s; the cosine between their vectors);
- ingest: PACK/corpus into a fresh store: chunks/s, and the wall time over the
  time spent in the embedder (what the rest of the pipeline adds);
- re-ingest: a synthetic folder of --files files (benchmarks.synthetic_corpus)
  ingested from the command line, then again with nothing changed: the whole
  command, start-up and imports included;
- chat: --questions questions per language from PACK, one at a time: the time
  to first token against the search and prompt-making plus llama.cpp
  evaluating the very same prompt alone (its cache cleared);
- users: the server on that store, --users users at once over HTTP, each
  asking --rounds questions: errors, p50/p95 time to first token, answers and
  tokens per second;
- instances: the chat's prompts through the model with one instance and
  with RAG_LLM_INSTANCES sharing the threads (llama-cpp-python runs one
  sequence per model, so instances are how several run at once here): one
  at a time, and all at once.

The JSON (default DATA_DIR/bench/speed.json) holds every figure and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import ingest
from benchmarks.embedding_backends import compare, pieces
from benchmarks.ingest_throughput import TimedEmbedder
from benchmarks.synthetic_corpus import write_corpus
from chatbot import ChatEngine
from chatbot.model.llm import LocalLLM
from settings import REPO_ROOT, Settings
from tests.helpers import free_port, wait_until_up

DEV_PACK = REPO_ROOT.parent / "shared" / "eval" / "dev"
MAX_TOKENS = 48  # per reply in the instances comparison


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    ram_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "ram_gb": round(ram_kb / 2**20, 1),
            "python": platform.python_version(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def embedding(pack: Path, count: int, settings: Settings) -> dict:
    return compare(pieces([pack / "corpus"], count), settings)


def ingest_pack(pack: Path, settings: Settings) -> dict:
    embedder = TimedEmbedder(settings.embed_model_path, settings.embed_batch_size, settings.embed_backend,
                             settings.models_path)
    report = ingest.run(settings.model_copy(update={"docs_dir": pack / "corpus"}), embedder=embedder)
    return {"files": report.added, "failed": len(report.failed), "chunks": report.chunks_written,
            "seconds": report.seconds, "embedding_s": embedder.seconds,
            "chunks_per_s": report.chunks_written / report.seconds,
            "embedding_chunks_per_s": report.chunks_embedded / embedder.seconds,
            "wall_over_embedding": report.seconds / embedder.seconds, "peak_memory_mb": report.peak_memory_mb}


def reingest(files: int, folder: Path, settings: Settings) -> dict:
    docs = folder / "docs"
    write_corpus(docs, files)
    env = {**os.environ, "RAG_STORE_DIR": str(folder / "store"), "RAG_MODELS_DIR": str(settings.models_path),
           "RAG_EMBED_BACKEND": settings.embed_backend}
    first, first_s = _ingest_command(docs, env)
    again, again_s = _ingest_command(docs, env)
    if again["unchanged"] != files or first["added"] != files:
        raise SystemExit(f"re-ingest: expected {files} files added then unchanged, got {first} then {again}")
    return {"files": files, "chunks": first["chunks_written"], "first_s": first_s, "unchanged_s": again_s,
            "unchanged_in_run_s": again["seconds"]}


def _ingest_command(docs: Path, env: dict) -> tuple[dict, float]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "ingest", str(docs), "--json"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout), time.perf_counter() - started


def questions(pack: Path, per_language: int) -> list[str]:
    rows = [json.loads(line) for line in (pack / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    return [row["question"] for language in ("en", "ko")
            for row in [r for r in rows if r.get("lang") == language][:per_language]]


def chat(engine: ChatEngine, asked: list[str], raw: RawModel) -> tuple[dict, list[list[dict[str, str]]]]:
    """The figures, and the prompts the model was given."""
    rows, prompts = [], []
    for question in asked:
        answer = engine.ask(question)
        if answer.ttft_s is None:  # not found: the model was not asked
            continue
        # The same search and prompt-making again, alone, and the very same prompt through llama.cpp alone.
        started = time.perf_counter()
        engine.prompt_for(answer.standalone, answer.language)
        preparing = time.perf_counter() - started
        tokens, _ = engine.llm.prompt(answer.prompt)
        prompts.append(answer.prompt)
        rows.append({"ttft_s": answer.ttft_s, "prepare_s": preparing, "raw_eval_s": raw.first_token_s(tokens),
                     "prompt_tokens": answer.prompt_tokens, "cached_tokens": answer.cached_tokens or 0})
    return {
        "answered": len(rows), "asked": len(asked),
        **{f"{key}_p50": statistics.median(r[key] for r in rows)
           for key in ("ttft_s", "prepare_s", "raw_eval_s", "prompt_tokens", "cached_tokens")},
        "ttft_over_prepare_and_raw_p50": statistics.median(
            r["ttft_s"] / (r["prepare_s"] + r["raw_eval_s"]) for r in rows),
    }, prompts


class RawModel:
    """llama.cpp itself on the configured model, with the chat's context and threads, its cache cleared before
    each prompt: what evaluating a prompt costs with nothing of ours around it."""

    def __init__(self, settings: Settings) -> None:
        from llama_cpp import Llama

        self._llm = Llama(model_path=str(settings.llm_model_path), n_ctx=settings.llm_context,
                          n_threads=settings.llm_threads, n_threads_batch=settings.llm_threads, n_batch=512,
                          verbose=False)

    def first_token_s(self, tokens: list[int]) -> float:
        self._llm.reset()
        started = time.perf_counter()
        stream = self._llm.create_completion(tokens, max_tokens=1, stream=True, temperature=0.0)
        next(stream)
        elapsed = time.perf_counter() - started
        stream.close()
        return elapsed


def instances(settings: Settings, prompts: list[list[dict[str, str]]]) -> dict:
    """The chat's prompts through the chat's model with one instance, then with several sharing the threads:
    one at a time (what a lone user waits) and all at once (what a crowd gets, tokens/s)."""
    figures = {}
    for count in (1, max(2, settings.llm_instances)):
        llm = LocalLLM(settings.llm_model_path, settings.llm_context, settings.llm_threads, instances=count)
        alone = [_read_all(llm, [messages]) for messages in prompts]
        started = time.perf_counter()
        crowd = _read_all(llm, prompts)
        elapsed = time.perf_counter() - started
        figures[f"instances_{count}"] = {
            "instances": count, "threads": settings.llm_threads, "prompts": len(prompts),
            "alone_ttft_p50_s": statistics.median(first for timings in alone for first, _ in timings),
            "at_once_s": elapsed, "at_once_tokens_per_s": sum(tokens for _, tokens in crowd) / elapsed}
        del llm
    return figures


def _read_all(llm: LocalLLM, prompts: list[list[dict[str, str]]]) -> list[tuple[float, int]]:
    """These prompts sent at once, each read on its own thread: (time to first piece, reply tokens) each."""
    started = time.perf_counter()
    generations = [llm.generate(messages, MAX_TOKENS) for messages in prompts]
    results: list[tuple[float, int]] = [(0.0, 0)] * len(generations)

    def read(index: int) -> None:
        first = None
        for _ in generations[index]:
            first = first or time.perf_counter() - started
        results[index] = (first or time.perf_counter() - started, generations[index].completion_tokens)

    readers = [threading.Thread(target=read, args=(index,)) for index in range(len(generations))]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return results


def users(settings: Settings, docs: Path, asked: list[str], count: int, rounds: int, log: Path) -> dict:
    """``count`` users at once over HTTP against a real server, each asking ``rounds`` questions in turn."""
    port = free_port()
    env = {**os.environ, "RAG_STORE_DIR": str(settings.store_path), "RAG_DATA_DIR": str(settings.data_dir),
           "RAG_DOCS_DIR": str(docs), "RAG_MODELS_DIR": str(settings.models_path), "RAG_PORT": str(port),
           "RAG_HOST": "127.0.0.1", "RAG_AUTH": "0", "RAG_RATE_LIMIT_PER_MINUTE": "100000"}
    with open(log, "w") as output:
        server = subprocess.Popen([sys.executable, "-m", "ui"], cwd=REPO_ROOT, env=env, stdout=output,
                                  stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/api/health", server, timeout=300, log=log)
        results: list[dict] = []
        plan = [[asked[(user * rounds + turn) % len(asked)] for turn in range(rounds)]
                for user in range(count)]
        started = time.perf_counter()
        threads = [threading.Thread(target=lambda mine=mine: results.extend(_ask(base, q) for q in mine))
                   for mine in plan]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    ttfts = sorted(r["ttft_s"] for r in results if r["ttft_s"] is not None)
    return {"users": count, "questions_each": rounds, "answers": sum(r["ok"] for r in results),
            "errors": sum(not r["ok"] for r in results), "seconds": elapsed,
            "ttft_p50_s": statistics.median(ttfts) if ttfts else None,
            "ttft_p95_s": ttfts[min(len(ttfts) - 1, round(0.95 * (len(ttfts) - 1)))] if ttfts else None,
            "answers_per_s": len(results) / elapsed,
            "completion_tokens_per_s": sum(r["completion_tokens"] for r in results) / elapsed}


def _ask(base: str, question: str) -> dict:
    """One question over /api/ask: whether a whole answer to this question came back, and its timings."""
    request = urllib.request.Request(f"{base}/api/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    started, first, done = time.perf_counter(), None, None
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            for line in response:
                event = json.loads(line)
                if event["type"] == "token" and first is None:
                    first = time.perf_counter() - started
                elif event["type"] == "done":
                    done = event
    except OSError as error:
        print(f"users: {question!r}: {error}", file=sys.stderr)
    ok = bool(done and done["answer"].strip() and done["standalone"] == question)
    return {"ok": ok, "ttft_s": first, "completion_tokens": done["usage"]["completion_tokens"] if done else 0}


def table(figures: dict) -> str:
    """One Markdown table: each figure beside what it is measured against."""
    rows = []
    if embed := figures.get("embedding"):
        ov, pt = embed["openvino"]["pieces_per_s"], embed["torch"]["pieces_per_s"]
        rows.append(("embedding", f"OpenVINO, {embed['pieces']} pieces", f"{ov:.1f} pieces/s",
                     f"PyTorch {pt:.1f} pieces/s", f"{ov / pt:.2f}×"))
        rows.append(("embedding", "vectors agree", f"cosine min {embed['cosine_min']:.5f}", "", ""))
    if pack := figures.get("ingest"):
        rows.append(("ingest", f"dev corpus, {pack['files']} files, {pack['chunks']} chunks",
                     f"{pack['chunks_per_s']:.1f} chunks/s, {pack['seconds']:.1f} s",
                     f"embedding alone {pack['embedding_chunks_per_s']:.1f} chunks/s, "
                     f"{pack['embedding_s']:.1f} s",
                     f"{pack['wall_over_embedding']:.2f}×"))
        rows.append(("ingest", "peak memory", f"{pack['peak_memory_mb']:.0f} MB", "", ""))
    again = figures["reingest"]
    rows.append(("re-ingest", f"{again['files']} files, nothing changed (command)",
                 f"{again['unchanged_s']:.2f} s",
                 f"first ingest {again['first_s']:.1f} s ({again['chunks']} chunks)",
                 f"{again['unchanged_s'] / again['first_s']:.3f}×"))
    if answer := figures.get("chat"):
        rows.append(("chat", f"time to first token, p50 of {answer['answered']}",
                     f"{answer['ttft_s_p50']:.2f} s",
                     f"search + prompt {answer['prepare_s_p50']:.2f} s + llama.cpp alone "
                     f"{answer['raw_eval_s_p50']:.2f} s",
                     f"{answer['ttft_over_prepare_and_raw_p50']:.2f}×"))
        rows.append(("chat", "prompt tokens from the KV cache, p50",
                     f"{answer['cached_tokens_p50']:.0f} of {answer['prompt_tokens_p50']:.0f}", "", ""))
    if crowd := figures.get("users"):
        rows.append(("users", f"{crowd['users']} at once × {crowd['questions_each']} questions (HTTP)",
                     f"TTFT p50 {crowd['ttft_p50_s']:.2f} s, p95 {crowd['ttft_p95_s']:.2f} s",
                     f"{crowd['errors']} errors, {crowd['answers']} whole answers",
                     f"{crowd['answers_per_s']:.2f} answers/s, "
                     f"{crowd['completion_tokens_per_s']:.1f} tokens/s"))
    if models := figures.get("instances"):
        one, many = models.values()
        rows.append(("llama.cpp", f"{many['instances']} instances sharing {many['threads']} threads, "
                     f"{many['prompts']} prompts at once", f"{many['at_once_tokens_per_s']:.1f} tokens/s",
                     f"1 instance {one['at_once_tokens_per_s']:.1f} tokens/s",
                     f"{many['at_once_tokens_per_s'] / one['at_once_tokens_per_s']:.2f}×"))
        rows.append(("llama.cpp", "the same prompts one at a time, TTFT p50", f"{many['alone_ttft_p50_s']:.2f} s",
                     f"1 instance {one['alone_ttft_p50_s']:.2f} s",
                     f"{many['alone_ttft_p50_s'] / one['alone_ttft_p50_s']:.2f}×"))
    box = figures["machine"]
    lines = [f"Machine: {box['cpu']}, {box['cores']} cores, {box['ram_gb']} GB RAM; Python {box['python']}; "
             f"{box['date']}", "", "| part | figure | value | against | ratio |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pack", nargs="?", type=Path, default=DEV_PACK)
    parser.add_argument("--json", type=Path, help="where the figures go (default DATA_DIR/bench/speed.json)")
    parser.add_argument("--files", type=int, default=1000, help="files in the synthetic re-ingest folder")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="questions each user asks")
    parser.add_argument("--questions", type=int, default=8, help="chat questions per language")
    parser.add_argument("--pieces", type=int, default=400, help="pieces in the embedding comparison")
    args = parser.parse_args()
    settings = Settings()
    figures: dict = {"machine": machine()}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        figures["reingest"] = reingest(args.files, work / "synthetic", settings)
        if (args.pack / "corpus").is_dir():
            figures["embedding"] = embedding(args.pack, args.pieces, settings)
            store = settings.model_copy(update={"store_dir": work / "store", "data_dir": work / "data",
                                                "models_dir": settings.models_path})
            figures["ingest"] = ingest_pack(args.pack, store)
            asked = questions(args.pack, args.questions)
            llm = LocalLLM(settings.llm_model_path, settings.llm_context, settings.llm_threads,
                           instances=settings.llm_instances)
            engine = ChatEngine(store, llm=llm)
            engine.warm_up()
            figures["chat"], prompts = chat(engine, asked, RawModel(settings))
            del engine, llm  # idle from here: the instances and the server below load their own
            figures["instances"] = instances(settings, prompts)
            figures["users"] = users(store, args.pack / "corpus", asked, args.users, args.rounds,
                                     work / "server.log")
    print(table(figures))
    save(figures, args.json or settings.data_dir / "bench" / "speed.json")


def save(figures: dict, output: Path) -> None:
    """A benchmark's figures as JSON, and where they went."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"\nfigures: {output}")


if __name__ == "__main__":
    main()
