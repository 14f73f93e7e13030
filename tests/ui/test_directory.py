"""Sign-in with the company directory: a real OpenLDAP server (Debian's slapd, TLS from a test CA via
StartTLS), the server started with RAG_LDAP_* settings over the two-group access corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import ingest
from chatbot import Directory, DirectoryUnavailable
from settings import EVERYONE, REPO_ROOT, Settings
from tests import directory_server
from tests.helpers import CHROMIUM, Client, add_users, password, start_server
from tests.ui.browsing import ask_in_page, wait_loaded
from tests.ui.access_corpus import ENG, HR, write_corpus

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(not directory_server.available(), reason="slapd, ldap-utils or openssl missing "
                                 "(.ci/run installs them)")]

REFRESH_MINUTES = 0.05  # 3 s: a change in the directory reaches live sessions within it
SECRETS = {"mina": "mina directory pw", "jun": "jun directory pw", "dora": "dora directory pw",
           "sora": "sora directory pw"}


@dataclass
class DirectorySite:
    base: str
    settings: Settings  # the server's, directory settings included
    directory: directory_server.DirectoryServer
    mina: str  # DNs
    sora: str
    hr_group: str
    log: Path

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "RAG_DATA_DIR": str(self.settings.data_dir), "RAG_STORE_DIR": str(self.settings.store_path),
               "RAG_MODELS_DIR": str(self.settings.models_path), **(env or {})}
        return subprocess.run([sys.executable, "-m", "chatbot", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                              text=True, timeout=120)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, embedder, models: Path):
    """Its own server: it signs in against its own directory (mina in groupOfNames hr, read through memberOf;
    hr in staff, staff in company, company in staff again — nested groups, with a cycle; jun in posixGroup
    eng, found by a group search) beside a local break-glass admin."""
    root = tmp_path_factory.mktemp("directory")
    directory = directory_server.make(root / "ldap")
    mina = directory.add_user("mina", SECRETS["mina"])
    jun = directory.add_user("jun", SECRETS["jun"])
    colleague = directory.add_user("yuna", "yuna directory pw")  # groupOfNames needs a member left when mina goes
    dora = directory.add_user("dora", SECRETS["dora"])  # to be disabled
    sora = directory.add_user("sora", SECRETS["sora"])  # in the page
    hr_group = directory.add_group("hr", [mina, colleague, dora, sora])
    staff = directory.add_group("staff", [hr_group])
    company = directory.add_group("company", [staff])
    directory.add_member(staff, company)
    directory.add_posix_group("eng", ["jun"])
    directory.add_group("Platform-Staff", [jun])  # mapped explicitly to a name no CN has
    secret = root / "bind-password"
    secret.write_text(directory_server.SERVICE_PASSWORD + "\n")
    ldap = {"ldap_url": directory.url, "ldap_bind_dn": directory_server.SERVICE_DN, "ldap_bind_password_file": secret,
            "ldap_user_base": directory_server.PEOPLE, "ldap_group_base": directory_server.GROUPS,
            "ldap_ca_file": directory.ca_file,
            "ldap_group_map": {f"cn=Platform-Staff,{directory_server.GROUPS}": "플랫폼팀"},
            "ldap_refresh_minutes": REFRESH_MINUTES}
    settings = Settings(data_dir=root / "data", docs_dir=root / "docs", store_dir=root / "store", models_dir=models,
                        **ldap)
    write_corpus(settings.docs_dir)
    add_users(settings, {"root": ["admin"]})
    assert ingest.run(settings, embedder=embedder).failed == []
    environment = {f"RAG_{key.upper()}": json.dumps(value, ensure_ascii=False) if isinstance(value, dict)
                   else str(value) for key, value in ldap.items()}
    base, process = start_server(settings, root / "server.log", {
        **environment, "RAG_LOGIN_ATTEMPTS": "50", "RAG_MAX_ANSWER_TOKENS": '{"en": 32, "ko": 48}',
        "RAG_RATE_LIMIT_PER_MINUTE": "1000",  # every fact searched, several times over, within the minute
    })
    yield DirectorySite(base, settings, directory, mina, sora, hr_group, root / "server.log")
    process.terminate()
    process.wait(timeout=20)
    directory.stop()


def found_markers(client: Client, questions: list) -> set[str]:
    """The markers of these facts in what /api/search returns for their questions."""
    found = set()
    for fact in questions:
        reply = client.post("/api/search", {"query": fact.question, "k": 5})
        assert reply.status == 200, reply.text
        found |= {f.marker for f in HR + ENG if f.marker in reply.text}
    return found


def test_directory_users_sign_in_and_read_only_what_their_directory_groups_may(site: DirectorySite) -> None:
    mina = Client(site.base).signed_in("mina", SECRETS["mina"])  # POST /login, JSON
    hr_markers, eng_markers = {f.marker for f in HR}, {f.marker for f in ENG}
    seen = found_markers(mina, HR + ENG)
    assert seen & hr_markers and not seen & eng_markers  # hr from memberOf; nothing of eng ever
    for fact in ENG:  # nor in an answer: the stream's text, evidence and sources
        assert not any(m in json.dumps(mina.ask(fact.question), ensure_ascii=False) for m in eng_markers), fact
    # The sign-in form, as a browser posts it: to the page, with the session cookie.
    jun = Client(site.base)
    form = jun.request("POST", "/login", form={"user": "jun", "password": SECRETS["jun"], "next": "/"})
    assert form.status == 303 and form.headers["Location"] == "/"
    seen = found_markers(jun, HR + ENG)
    assert seen & eng_markers and not seen & hr_markers  # eng from a posixGroup found by the group search
    health = json.loads(jun.get("/api/health").body)
    assert health["user"] == "jun" and {"eng", "플랫폼팀"} <= set(health["groups"]), health


def test_wrong_unknown_empty_and_injected_names_are_refused_alike(site: DirectorySite) -> None:
    attempts = [("mina", "not her password"), ("nobody", "whatever pw"), ("*)(uid=*", SECRETS["mina"]),
                ("*", SECRETS["jun"]), ("mina)(|(uid=*", SECRETS["mina"])]
    replies = [Client(site.base).sign_in(user, secret) for user, secret in attempts]
    assert {r.status for r in replies} == {401}
    assert len({json.loads(r.body)["error"]["message"] for r in replies}) == 1  # says nothing of who exists
    # An empty password is never sent to the directory (it would bind anonymously): asked for, as locally.
    assert Client(site.base).sign_in("mina", "").status == 400
    assert Client(site.base).sign_in("mina", " ").status == 401
    log = site.log.read_text()
    assert "sign-in failed for 'mina' from 127.0.0.1" in log  # as a local failure is
    assert SECRETS["mina"] not in log and SECRETS["jun"] not in log and directory_server.SERVICE_PASSWORD not in log


def test_a_user_removed_from_a_group_in_the_directory_loses_its_documents_after_the_refresh(
        site: DirectorySite) -> None:
    mina = Client(site.base).signed_in("mina", SECRETS["mina"])
    nested = {"hr", "staff", "company"}  # hr's groups, and theirs, found at sign-in
    assert set(json.loads(mina.get("/api/health").body)["groups"]) == nested | {EVERYONE}
    listed = json.loads(site.cli("users", "list", "--json").stdout)
    assert {"name": "mina", "groups": sorted(nested), "source": "directory"}.items() <= next(
        u for u in listed if u["name"] == "mina").items()
    assert {"name": "root", "groups": ["admin"], "source": "local"} in listed
    made = site.cli("keys", "create", "mina", "--name", "report script")  # a directory user's API key
    assert made.returncode == 0, made.stderr
    script = Client(site.base)
    key = {"Authorization": f"Bearer {made.stdout.strip()}"}
    hr_markers = {f.marker for f in HR}
    assert found_markers(mina, HR[:3]) & hr_markers
    assert any(m in script.post("/api/search", {"query": HR[0].question}, headers=key).text for m in hr_markers)
    site.directory.remove_member(site.hr_group, site.mina)  # while the server runs, nobody touches the product
    time.sleep(REFRESH_MINUTES * 60 + 1)
    assert not found_markers(mina, HR) & hr_markers  # the same session, refreshed from the directory
    assert json.loads(mina.get("/api/health").body)["groups"] == [EVERYONE]  # nor those that held hr
    for fact in HR:  # and the API key, which acts as mina
        reply = script.post("/api/search", {"query": fact.question, "k": 5}, headers=key)
        assert reply.status == 200 and not any(m in reply.text for m in hr_markers), fact.question
    site.directory.add_member(site.hr_group, site.mina)


@pytest.mark.skipif(CHROMIUM is None, reason="NOT RUN: Debian's chromium is not installed (.ci/run installs it)")
def test_the_page_shows_a_removed_groups_documents_no_more_after_the_refresh(site: DirectorySite, browser) -> None:
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(site.base, wait_until="load")
        page.fill("#user", "sora")
        page.fill("#password", SECRETS["sora"])
        page.click("button[type=submit]")
        wait_loaded(page)
        fact = HR[0]

        def shown() -> str:  # the conversation and every source, folded or not
            return page.text_content("#conversation") + page.text_content("#sources")

        ask_in_page(page, fact.question, 1)
        assert fact.marker in shown()
        site.directory.remove_member(site.hr_group, site.sora)
        time.sleep(REFRESH_MINUTES * 60 + 1)
        ask_in_page(page, fact.question, 2)  # the same page, the same session
        assert fact.marker not in page.text_content("#sources")
        assert fact.marker not in page.locator("#conversation .message").last.text_content()
    finally:
        context.close()
        site.directory.add_member(site.hr_group, site.sora)


def test_with_the_directory_down_sign_in_says_so_and_the_local_admin_still_signs_in(site: DirectorySite) -> None:
    site.directory.stop()
    try:
        refused = Client(site.base).sign_in("mina", SECRETS["mina"])
        assert refused.status == 503
        assert "directory is not reachable" in json.loads(refused.body)["error"]["message"]
        form = Client(site.base).request("POST", "/login", form={"user": "mina", "password": SECRETS["mina"]})
        assert form.status == 503 and "directory is not reachable" in form.text
        assert Client(site.base).sign_in("root", password("root")).status == 200  # break-glass local admin
        assert "not reachable" in site.log.read_text()
    finally:
        site.directory.start()


def test_the_doctor_checks_the_directory_and_names_the_fix_for_each_failure(site: DirectorySite,
                                                                            tmp_path: Path) -> None:
    settings = site.settings
    assert "TLS verified" in Directory(settings).probe()
    other = directory_server.make(tmp_path / "other")  # its CA did not sign the server's certificate
    other.stop()
    wrong_secret = tmp_path / "wrong-password"
    wrong_secret.write_text("not the service password\n")
    failures = {
        "certificate": {"ldap_ca_file": other.ca_file},
        "service account": {"ldap_bind_password_file": wrong_secret},
        "password file": {"ldap_bind_password_file": tmp_path / "missing"},
        "user base": {"ldap_user_base": "ou=nobody,dc=corp,dc=example"},
        "group base": {"ldap_group_base": "ou=nogroups,dc=corp,dc=example"},
    }
    for case, change in failures.items():
        with pytest.raises(DirectoryUnavailable) as failed:
            Directory(settings.model_copy(update=change)).probe()
        assert failed.value.fix, case
        named = {"certificate": "RAG_LDAP_CA_FILE", "service account": "RAG_LDAP_BIND_DN",
                 "password file": "RAG_LDAP_BIND_PASSWORD_FILE", "user base": "RAG_LDAP_USER_BASE",
                 "group base": "RAG_LDAP_GROUP_BASE"}[case]
        assert named in failed.value.fix, (case, failed.value.fix)
    # The doctor's own line, as an admin runs it: passes, then fails once the directory stops.
    environment = {"RAG_LDAP_URL": settings.ldap_url, "RAG_LDAP_BIND_DN": settings.ldap_bind_dn,
                   "RAG_LDAP_BIND_PASSWORD_FILE": str(settings.ldap_bind_password_file),
                   "RAG_LDAP_USER_BASE": settings.ldap_user_base, "RAG_LDAP_CA_FILE": str(settings.ldap_ca_file)}

    def directory_line() -> dict:
        report = json.loads(site.cli("doctor", "--json", env=environment).stdout)
        return next(check for check in report if check["name"] == "directory")

    assert directory_line()["ok"]
    site.directory.stop()
    try:
        line = directory_line()
        assert not line["ok"] and "not reachable" in line["found"] and "RAG_LDAP_URL" in line["fix"]
    finally:
        site.directory.start()


def test_the_admin_page_shows_each_groups_source_and_members(site: DirectorySite) -> None:
    for user in ("mina", "jun"):
        Client(site.base).signed_in(user, SECRETS[user])
    admin = Client(site.base).signed_in("root", password("root"))
    groups = {row["group"]: row for row in json.loads(admin.get("/admin/summary").body)["groups"]}
    assert groups["admin"] == {"group": "admin", "source": "local", "members": 1}
    assert groups["eng"] == {"group": "eng", "source": "directory", "members": 1}
    assert groups["플랫폼팀"]["source"] == "directory" and groups["hr"]["members"] >= 1
    page = admin.get("/admin", headers={"Accept": "text/html"}).text
    assert "플랫폼팀" in page and "directory" in page


def test_a_disabled_account_cannot_sign_in_and_its_session_ends_at_the_refresh(site: DirectorySite) -> None:
    dora = Client(site.base).signed_in("dora", SECRETS["dora"])
    assert dora.get("/api/health").status == 200
    site.directory.lock(f"uid=dora,{directory_server.PEOPLE}")  # the password policy's lock, as an admin sets it
    refused = Client(site.base).sign_in("dora", SECRETS["dora"])
    assert refused.status == 401 and refused.body == Client(site.base).sign_in("nobody", "some pw").body
    time.sleep(REFRESH_MINUTES * 60 + 1)
    assert dora.get("/api/health").status == 401  # the live session ended without anyone touching the product
