"""Events counted once for every front-end on the database server: a limit reached through one is reached
through the other, takes never overshoot under concurrency, and windows pass."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage import SharedWindow

pytestmark = pytest.mark.server


def test_front_ends_share_one_count_per_key_and_limit(postgres) -> None:
    url = postgres.new_database()
    a, b = SharedWindow(url, "login", 3, 60), SharedWindow(url, "login", 3, 60)
    a.record(["user:kim", "address:10.0.0.7"])
    b.record(["user:kim"])
    assert a.wait(["user:kim"]) == 0 and b.wait(["address:10.0.0.7"]) == 0
    a.record(["user:kim"])
    assert 58 <= b.wait(["user:kim", "address:10.0.0.7"]) <= 60  # the third, on either front-end
    assert SharedWindow(url, "rate", 3, 60).wait(["user:kim"]) == 0  # another limit's count is its own
    b.clear("user:kim")
    assert a.wait(["user:kim"]) == 0


def test_takes_from_many_threads_and_hosts_stop_at_the_limit_and_the_window_passes(postgres) -> None:
    url = postgres.new_database()
    windows = [SharedWindow(url, "rate", 5, 1.0) for _ in range(2)]  # five a second
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda i: windows[i % 2].take("key:abc"), range(16)))
    assert waits.count(0) == 5 and all(w >= 1 for w in waits if w)
    time.sleep(1.1)
    assert windows[0].take("key:abc") == 0
