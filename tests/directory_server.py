"""A real OpenLDAP server (Debian's slapd) for the directory sign-in tests: its own folder, a free loopback
port, TLS from a test CA made here with openssl, the memberOf overlay, and entries changed while it runs."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import free_port, stop, wait_for_port

SLAPD = "/usr/sbin/slapd"
SUFFIX = "dc=corp,dc=example"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "directory admin secret"
SERVICE_DN = f"cn=rag-service,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service account secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload ppolicy
pidfile {folder}/slapd.pid
TLSCACertificateFile {folder}/ca.pem
TLSCertificateFile {folder}/server.pem
TLSCertificateKeyFile {folder}/server.key
database mdb
suffix "{suffix}"
rootdn "{admin}"
rootpw "{admin_password}"
directory {folder}/db
overlay memberof
overlay ppolicy
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by users read by * none
"""


def available() -> bool:
    return Path(SLAPD).exists() and shutil.which("ldapadd") is not None and shutil.which("openssl") is not None


@dataclass
class DirectoryServer:
    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    def start(self) -> None:
        self.process = subprocess.Popen([SLAPD, "-d", "0", "-h", self.url + "/", "-f", str(self.folder / "slapd.conf")],
                                        stdout=subprocess.DEVNULL, stderr=(self.folder / "slapd.log").open("ab"))
        wait_for_port(self.port, self.process, self.folder / "slapd.log", timeout=20)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def ldif(self, text: str, modify: bool = False) -> None:
        """Add entries (or, with modify, apply changes) as the directory's administrator."""
        command = ["ldapmodify" if modify else "ldapadd", "-x", "-H", self.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD]
        subprocess.run(command, input=text.encode(), check=True, capture_output=True, timeout=20)

    def add_user(self, uid: str, password: str, **attributes: str) -> str:
        dn = f"uid={uid},{PEOPLE}"
        extra = "".join(f"{key}: {value}\n" for key, value in attributes.items())
        self.ldif(f"dn: {dn}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: {uid}\ncn: {uid}\n"
                  f"sn: {uid}\nuidNumber: 1000\ngidNumber: 1000\nhomeDirectory: /home/{uid}\n"
                  f"userPassword: {password}\n{extra}")
        return dn

    def add_group(self, cn: str, members: list[str]) -> str:
        dn = f"cn={cn},{GROUPS}"
        self.ldif(f"dn: {dn}\nobjectClass: groupOfNames\ncn: {cn}\n" + "".join(f"member: {m}\n" for m in members))
        return dn

    def add_posix_group(self, cn: str, uids: list[str]) -> str:
        dn = f"cn={cn},{GROUPS}"
        self.ldif(f"dn: {dn}\nobjectClass: posixGroup\ncn: {cn}\ngidNumber: 2000\n"
                  + "".join(f"memberUid: {uid}\n" for uid in uids))
        return dn

    def lock(self, dn: str) -> None:
        """Disable the account, as an administrator does with the password policy (a permanent lock)."""
        self.ldif(f"dn: {dn}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n",
                  modify=True)

    def add_member(self, group_dn: str, member_dn: str) -> None:
        self.ldif(f"dn: {group_dn}\nchangetype: modify\nadd: member\nmember: {member_dn}\n", modify=True)

    def remove_member(self, group_dn: str, member_dn: str) -> None:
        self.ldif(f"dn: {group_dn}\nchangetype: modify\ndelete: member\nmember: {member_dn}\n", modify=True)


def make(folder: Path) -> DirectoryServer:
    """A stopped server in ``folder`` with its base entries and the service account, its CA in ca.pem."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "db").mkdir()
    certificates(folder)
    (folder / "slapd.conf").write_text(CONFIG.format(folder=folder, suffix=SUFFIX, admin=ADMIN_DN,
                                                     admin_password=ADMIN_PASSWORD))
    server = DirectoryServer(folder, free_port())
    server.start()
    server.ldif(f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: Corp\n\n"
                f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n"
                f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n"
                f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n\n"
                f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
                f"cn: rag-service\nuserPassword: {SERVICE_PASSWORD}\n")
    return server


def certificates(folder: Path) -> None:
    """A test CA and a certificate for 127.0.0.1 signed by it."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Test directory CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    (folder / "server.key").chmod(0o644)  # slapd may run as another user than the test
