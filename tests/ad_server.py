"""A real Active Directory for the directory tests: Samba's AD domain controller (Debian's samba), provisioned
in its own folder, serving LDAP only on the loopback interface with TLS from a test CA. Active Directory
listens on port 389 and Samba cannot move it, so one runs at a time; accounts and groups are changed with
samba-tool while it runs, as a domain administrator would."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.directory_server import certificates
from tests.helpers import stop, wait_for_port

REALM = "corp.example"
SUFFIX = "DC=corp,DC=example"
USERS = f"CN=Users,{SUFFIX}"
SERVICE = "rag-service"
SERVICE_PASSWORD = "Service-account-2026!"  # AD refuses passwords without three kinds of characters
PORT = 389


def available() -> bool:
    """Samba's AD server and its tool are installed, this is root (Samba's AD refuses to run otherwise) and
    the LDAP port is free."""
    if not (shutil.which("samba") and shutil.which("samba-tool") and os.geteuid() == 0):
        return False
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) != 0


@dataclass
class ActiveDirectory:
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{PORT}"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def service_dn(self) -> str:
        return f"CN={SERVICE},{USERS}"

    def start(self) -> None:
        self.process = subprocess.Popen(["samba", "-i", "-M", "single", "-s", str(self._config)],
                                        stdout=subprocess.DEVNULL, stderr=(self.folder / "samba.log").open("ab"))
        wait_for_port(PORT, self.process, self.folder / "samba.log", timeout=60)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def tool(self, *args: str) -> None:
        """samba-tool on this domain's database, e.g. ("group", "addmembers", "HR-Staff", "mina")."""
        subprocess.run(["samba-tool", *args, "-s", str(self._config)], check=True, capture_output=True, timeout=60)

    def group_dn(self, name: str) -> str:
        return f"CN={name},{USERS}"

    @property
    def _config(self) -> Path:
        return self.folder / "etc" / "smb.conf"


def make(folder: Path) -> ActiveDirectory:
    """A running domain controller for corp.example in ``folder``, with the service account; its CA in
    ca.pem."""
    folder.mkdir(parents=True, exist_ok=True)
    certificates(folder)
    (folder / "server.key").chmod(0o600)  # Samba refuses a key others may read
    options = {"server services": "ldap", "interfaces": "lo", "bind interfaces only": "yes",
               "log file": f"{folder}/log.%m", "pid directory": str(folder), "ncalrpc dir": f"{folder}/ncalrpc",
               "tls enabled": "yes", "tls keyfile": f"{folder}/server.key", "tls certfile": f"{folder}/server.pem",
               "tls cafile": f"{folder}/ca.pem"}
    subprocess.run(["samba-tool", "domain", "provision", f"--targetdir={folder}", f"--realm={REALM.upper()}",
                    "--domain=CORP", "--server-role=dc", "--dns-backend=NONE", "--host-name=dc1",
                    "--adminpass=Domain-admin-2026!", *(f"--option={key}={value}" for key, value in options.items())],
                   check=True, capture_output=True, timeout=300)
    server = ActiveDirectory(folder)
    server.tool("user", "create", SERVICE, SERVICE_PASSWORD)
    server.start()
    return server
