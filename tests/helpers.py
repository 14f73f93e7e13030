"""What the store really holds, read back for assertions."""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from settings import REPO_ROOT, Settings
from storage import Store, open_users


def stored_chunks(settings: Settings) -> list[dict]:
    """Every chunk in the store: id, text and metadata, sorted by source and position."""
    store = Store(settings)
    try:
        result = store.collection.get(include=["documents", "metadatas"])
    finally:
        store.close()
    chunks = [
        {"id": i, "text": text, **{k: v for k, v in meta.items() if not k.startswith("_")}}
        for i, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
    ]
    return sorted(chunks, key=lambda c: (c["source"], c["chunk_index"]))


def manifest_paths(settings: Settings) -> set[str]:
    store = Store(settings)
    try:
        return set(store.files())
    finally:
        store.close()


def pin(package: str) -> str:
    """The version constraints.txt pins for a package."""
    for line in (REPO_ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower().replace("-", "_") == package.lower().replace("-", "_"):
            return version.strip()
    raise KeyError(f"{package} is not pinned in constraints.txt")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float, log: Path | None = None) -> None:
    """Poll `url` until it answers; kill the server and fail if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                tail = log.read_text()[-3000:] if log else ""
                raise AssertionError(f"server at {url} did not start\n{tail}")
            time.sleep(0.3)


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Until something listens on the loopback port; fail with the log's end if the process dies first or
    takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text(errors="replace")[-2000:])
            time.sleep(0.2)


CHROMIUM = shutil.which("chromium")  # Debian's, which .ci/run installs; no browser download
# Chromium's own background traffic (updates, sync) is switched off; what remains is the page's.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps"]



def is_loopback(url: str) -> bool:
    return url.startswith(("data:", "blob:")) or urlparse(url).hostname in ("127.0.0.1", "localhost")


def loopback_only(requested: list[str]) -> Callable:
    """A Playwright route handler that records every URL the page requests and blocks all but loopback."""
    def handle(route) -> None:
        requested.append(route.request.url)
        if is_loopback(route.request.url):
            route.continue_()
        else:
            route.abort()

    return handle


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a 303 is an answer to look at, not to follow
        return None


class Client:
    """HTTP to a test server as one browser or script would: it keeps its cookies and follows no redirect."""

    def __init__(self, base: str, cookies: http.cookiejar.CookieJar | None = None) -> None:
        self.base = base
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def at(self, base: str) -> "Client":
        """The same browser sent to another server (another front-end behind the proxy): same cookies."""
        return Client(base, self.cookies)

    def open(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
             timeout: float = 300, form: dict | None = None):
        """The response as a stream (an HTTPError for 4xx/5xx, which reads the same); ``body`` is sent as
        JSON, ``form`` as a browser's form."""
        if form is not None:
            data, kind = urllib.parse.urlencode(form).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        elif body is not None:
            data, kind = json.dumps(body).encode(), {"Content-Type": "application/json"}
        else:
            data, kind = None, {}
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={**kind, **(headers or {})})
        try:
            return self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            return error

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
                form: dict | None = None) -> Reply:
        with self.open(method, path, body, headers, form=form) as response:
            return Reply(response.status, response.headers, response.read())

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> Reply:
        return self.request("POST", path, body, headers)

    def sign_in(self, user: str, password: str) -> Reply:
        return self.post("/login", {"user": user, "password": password})

    def signed_in(self, user: str, password: str) -> "Client":
        reply = self.sign_in(user, password)
        assert reply.status == 200, reply.text
        return self

    def ask(self, question: str, history: list[str] | None = None, **fields) -> list[dict]:
        """The /api/ask stream's events."""
        with self.open("POST", "/api/ask", {"question": question, "history": history or [], **fields}) as response:
            assert response.status == 200, response.read()
            assert response.headers["Content-Type"].startswith("application/x-ndjson")
            return [json.loads(line) for line in response]


def add_users(settings: Settings, users: dict[str, list[str]]) -> None:
    """Each with the password password(name)."""
    accounts = open_users(settings)
    for name, groups in users.items():
        accounts.add(name, groups, password(name))


def password(user: str) -> str:
    return f"{user}-secret-pw"


def start_chroma(folder: Path, log: Path) -> tuple[int, subprocess.Popen]:
    """The `chroma` server that the chromadb package installs, on a free loopback port; up when it returns."""
    binary = Path(sys.executable).parent / "chroma"
    assert binary.exists(), "chromadb's server command is missing"
    port = free_port()
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(binary), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"}, stdout=output, stderr=subprocess.STDOUT,
        )
    wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, timeout=60, log=log)
    return port, process


def start_llm_server(model: Path, log: Path, port: int | None = None) -> tuple[str, subprocess.Popen]:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port (or this one); its /v1 address
    when up."""
    port = port or free_port()
    with open(log, "a") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
            stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    wait_until_up(f"{url}/models", process, timeout=120, log=log)
    return url, process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def start_server(settings: Settings, log: Path, extra_env: dict[str, str] | None = None,
                 command_prefix: list[str] | None = None, port: int | None = None) -> tuple[str, subprocess.Popen]:
    """python -m ui on a free port (or this one) over these settings' store and data, signed-in only unless
    RAG_AUTH=0 is in extra_env; up when it returns."""
    port = port or free_port()
    env = {**os.environ, "RAG_STORE_DIR": str(settings.store_path), "RAG_DATA_DIR": str(settings.data_dir),
           "RAG_DOCS_DIR": str(settings.docs_dir), "RAG_PORT": str(port), "RAG_HOST": "127.0.0.1",
           "RAG_MODELS_DIR": str(settings.models_path), "RAG_AUTH": "1", **(extra_env or {})}
    with open(log, "a") as output:  # a restarted server's log follows the first one's
        process = subprocess.Popen([*(command_prefix or []), sys.executable, "-m", "ui"], cwd=REPO_ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base}/login", process, timeout=180, log=log)
    return base, process
