"""Zero egress, proven on the real processes: ingest, the signed-in server answering over HTTP and in a
headless browser, and the CLI run under strace, which records every connect() and sendto() of every process
and thread (native code included); the browser's requests are recorded by the browser itself. Any attempt to
reach an address outside this machine, or a DNS server, fails the test; a deliberate attempt under the same
guard shows that it fires."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from settings import REPO_ROOT, Settings
from tests.helpers import (
    CHROMIUM,
    Client,
    add_users,
    is_loopback,
    loopback_only,
    password,
    start_server,
)

STRACE = shutil.which("strace")

pytestmark = [pytest.mark.server, pytest.mark.browser, pytest.mark.skipif(
    STRACE is None, reason="NOT RUN: strace is not installed (apt-get install strace; .ci/run installs it)",
)]

# Every socket address a process hands the kernel to connect or send to (AF_UNIX and netlink are local).
_INET = re.compile(r"sa_family=AF_INET6?, sin6?_port=htons\((\d+)\).*?"
                   r"(?:inet_addr\(\"([^\"]+)\"\)|inet_pton\(AF_INET6, \"([^\"]+)\")")


def attempts_outside(log: Path) -> list[str]:
    """Each non-loopback address (and each DNS query) the traced processes tried to reach."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        for port, ipv4, ipv6 in _INET.findall(line):
            address = ipaddress.ip_address(ipv4 or ipv6)
            mapped = getattr(address, "ipv4_mapped", None)
            local = (mapped or address).is_loopback or (mapped or address).is_unspecified
            if not local or port == "53":
                found.append(f"{address} port {port}: {line.strip()[:200]}")
    return found


def traced(log: Path) -> list[str]:
    # Only these calls stop the process (seccomp-bpf): the trace costs next to nothing. execve shows the
    # trace attached to the process it started; accept4 records the server's incoming loopback connections:
    # proof that the trace watched the process that answered.
    return [STRACE, "-f", "-qq", "--seccomp-bpf", "-e", "trace=execve,connect,sendto,sendmsg,accept4",
            "-e", "signal=none",
            "-o", str(log), "--"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Its own data and models folders: every process here starts cold (the embedder exported) under strace."""
    root = tmp_path_factory.mktemp("egress")
    settings = Settings(data_dir=root / "data", docs_dir=root / "docs", store_dir=root / "store")
    (settings.docs_dir / "hr").mkdir(parents=True)
    (settings.docs_dir / "hr" / "leave.md").write_text(
        "# Leave\n\nEmployees get 15 days of annual leave.\n\n## 연차\n\n연차 휴가는 15일이다.\n", encoding="utf-8")
    add_users(settings, {"egress": ["staff"]})
    return settings


def env_for(settings: Settings) -> dict[str, str]:
    return {**os.environ, "RAG_STORE_DIR": str(settings.store_path), "RAG_DATA_DIR": str(settings.data_dir),
            "RAG_MODELS_DIR": str(settings.models_path),
            "RAG_DOCS_DIR": str(settings.docs_dir)}


def test_the_guard_sees_a_deliberate_outbound_attempt(tmp_path: Path) -> None:
    log = tmp_path / "deliberate.strace"
    probe = ("import socket\nfor family, address in ((socket.AF_INET, ('192.0.2.10', 443)),"
             " (socket.AF_INET6, ('2001:db8::10', 443))):\n"
             "    s = socket.socket(family); s.settimeout(0.5); s.connect_ex(address); s.close()\n")
    subprocess.run([*traced(log), sys.executable, "-c", probe], check=True, timeout=60)
    found = attempts_outside(log)
    assert any(a.startswith("192.0.2.10 port 443") for a in found)
    assert any(a.startswith("2001:db8::10 port 443") for a in found)


def test_ingest_server_browser_and_cli_reach_nothing_outside(corpus: Settings, tmp_path: Path, request) -> None:
    logs = {name: tmp_path / f"{name}.strace" for name in ("ingest", "server", "cli")}
    ingest = subprocess.run([*traced(logs["ingest"]), sys.executable, "-m", "ingest", "--json"], cwd=REPO_ROOT,
                            env=env_for(corpus), capture_output=True, text=True, timeout=600)
    assert ingest.returncode == 0, ingest.stderr

    base, server = start_server(corpus, tmp_path / "server.log", command_prefix=traced(logs["server"]))
    try:
        client = Client(base).signed_in("egress", password("egress"))
        for question in ("How many days of annual leave do employees get?", "연차 휴가는 며칠인가요?"):
            done = client.ask(question)[-1]
            assert done["found"] and done["sources"][0]["source"] == "hr/leave.md"
        page_requests = browse(request.getfixturevalue("browser"), base) if CHROMIUM else None
    finally:
        stop_traced(server)

    cli = subprocess.run([*traced(logs["cli"]), sys.executable, "-m", "chatbot", "ask", "연차 휴가는 며칠인가요?",
                          "--json"], cwd=REPO_ROOT, env=env_for(corpus), capture_output=True, text=True, timeout=600)
    assert cli.returncode == 0, cli.stderr

    for name, log in logs.items():
        assert f'execve("{sys.executable}"' in log.read_text(), f"strace did not watch {name}"
        assert attempts_outside(log) == [], f"{name} tried to reach outside this machine"
    # The server's trace holds the connections it accepted from this test: it watched the right process.
    assert re.search(r"accept4\(.*\) = \d+", logs["server"].read_text())
    if page_requests is None:
        print("NOT RUN (browser part): Debian's chromium is not installed")
    else:
        outside = [url for url in page_requests if not is_loopback(url)]
        assert page_requests and outside == [], f"the page tried to reach outside this machine: {outside}"


def stop_traced(tracer: subprocess.Popen) -> None:
    """Stop the traced server (strace itself, signalled, would detach and leave it running); strace then ends."""
    children = Path(f"/proc/{tracer.pid}/task/{tracer.pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGTERM)
    tracer.wait(timeout=60)


def browse(browser, base: str) -> list[str]:
    """Sign in, ask in Korean, wait for the answer; every URL the page requested (outside ones blocked)."""
    requested: list[str] = []
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    page.route("**/*", loopback_only(requested))
    page.goto(base, wait_until="load")
    page.fill("#user", "egress")
    page.fill("#password", password("egress"))
    page.click("button[type=submit]")
    page.fill("#question textarea", "연차 휴가는 며칠인가요?")
    page.click("#send")
    page.wait_for_selector("#sources details", timeout=120_000)
    context.close()
    return requested
