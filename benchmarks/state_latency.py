"""What keeping the state on a PostgreSQL server costs, against the embedded files and SQLite: sign-in,
`/api/health` and one question's bookkeeping (its audit line, the chat's turn, the answer kept for feedback),
each timed many times; then 8 users asking at once over two front-ends, errors counted.

    .venv/bin/python -m benchmarks.state_latency [--database-url postgresql://...] [--json]

Without --database-url a throwaway PostgreSQL cluster is made from Debian's
`postgresql` (as the tests make theirs: tests/postgres_server.py) and removed
afterwards. Each mode gets the repository's sample documents ingested into a
store of its own and two `python -m ui` front-ends on loopback: sharing one
data folder (embedded), or each with its own (the database mode). Sign-in and
health are timed through HTTP on front-end A; the bookkeeping through the
storage classes the server uses, in this process. The 8 users sign in and ask
one question each through /api/ask, half on each front-end, all at once: an
error is anything but a 200 with a complete, saved answer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import ingest
from settings import REPO_ROOT, Settings, get_settings
from storage import AnswerRecord, AuditEntry, AuditLog, Conversations, FeedbackStore, Turn, open_users
from tests.helpers import Client, start_chroma, start_server, stop

USERS = 8
TIMES = 40  # each timed operation


def timed(operation: Callable[[int], object], times: int = TIMES) -> dict:
    """Median and 95th percentile, in milliseconds, after one untimed call."""
    operation(-1)
    took = []
    for number in range(times):
        started = time.perf_counter()
        operation(number)
        took.append(1000 * (time.perf_counter() - started))
    took.sort()
    return {"p50_ms": round(statistics.median(took), 2), "p95_ms": round(took[int(0.95 * len(took)) - 1], 2),
            "n": times}


def bookkeeping(settings: Settings) -> Callable[[int], None]:
    """One answer's writes, as the server makes them."""
    audit = AuditLog.for_settings(settings)
    chats = Conversations(settings.conversations_path, settings.conversation_days, settings.database_url)
    kept = FeedbackStore(settings.feedback_path, settings.database_url)
    chat = chats.start("user:bench", "bench")

    def write(number: int) -> None:
        question = f"How many days of annual leave? ({number})"
        audit.record(AuditEntry("bench", question, "15 days [1]", True, [{"source": "hr.md", "page": None}]))
        chats.add_turn("user:bench", chat, Turn(question, "15 days [1]", {"found": True}))
        kept.record(AnswerRecord(uuid.uuid4().hex, "bench", "en", question, question, [], [], "15 days",
                                 "15 days [1]", "reply"))
    return write


def crowd(front_ends: list[str]) -> dict:
    """8 users at once, alternating front-ends: sign in, ask, read the whole answer."""
    def one(number: int) -> bool:
        try:
            client = Client(front_ends[number % len(front_ends)]).signed_in(f"user{number}", f"user{number}-pw")
            done = client.ask("How many days of annual leave do I get?")[-1]
            return done["type"] == "done" and bool(done["answer"]) and done["saved"] is True
        except (OSError, AssertionError, ValueError, KeyError):
            return False
    started = time.perf_counter()
    with ThreadPoolExecutor(USERS) as pool:
        results = list(pool.map(one, range(USERS)))
    return {"users": USERS, "errors": results.count(False), "wall_s": round(time.perf_counter() - started, 1)}


@contextmanager
def installation(root: Path, database_url: str | None) -> Iterator[tuple[Settings, list[str]]]:
    """The sample documents ingested, 8 users and a bench user, two front-ends: on one data folder and
    store (embedded), or with the database, each with its own and the vectors on a Chroma server."""
    base = get_settings()
    shared = {"docs_dir": REPO_ROOT / "documents", "models_dir": base.models_path, "database_url": database_url}
    env = {"RAG_RATE_LIMIT_PER_MINUTE": "1000"}
    chroma = None
    if database_url:
        port, chroma = start_chroma(root / "chroma", root / "chroma.log")
        shared |= {"chroma_host": "127.0.0.1", "chroma_port": port}
        env |= {"RAG_DATABASE_URL": database_url, "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(port)}
    hosts = [Settings(data_dir=root / name, **shared) for name in (("a", "a") if database_url is None else ("a", "b"))]
    ingest.run(hosts[0])
    users = open_users(hosts[0])
    for number in range(USERS):
        users.add(f"user{number}", ["hr"], f"user{number}-pw")
    users.add("bench", ["hr"], "bench-pw")
    started = [start_server(host, root / f"ui-{n}.log", env) for n, host in enumerate(hosts)]
    try:
        yield hosts[0], [base_url for base_url, _ in started]
    finally:
        for _, process in started:
            stop(process)
        if chroma is not None:
            stop(chroma)


def measure(database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="rag-state-bench-") as folder, \
            installation(Path(folder), database_url) as (settings, front_ends):
        signing_in = Client(front_ends[0])
        signed = Client(front_ends[0]).signed_in("bench", "bench-pw")
        return {
            "sign_in": timed(lambda _: signing_in.sign_in("bench", "bench-pw")),
            "health": timed(lambda _: signed.get("/api/health")),
            "bookkeeping": timed(bookkeeping(settings)),
            "eight_users": crowd(front_ends),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an empty database (default: a throwaway local cluster)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    server = None
    url = args.database_url
    if url is None:
        from tests import postgres_server

        server = postgres_server.make()
        url = server.new_database()
    try:
        results = {"embedded": measure(None), "postgresql": measure(url)}
    finally:
        if server is not None:
            server.remove()
    if args.json:
        print(json.dumps(results))
        return
    for mode, figures in results.items():
        for name, value in figures.items():
            print(f"{mode:10} {name:12} {value}")


if __name__ == "__main__":
    main()
