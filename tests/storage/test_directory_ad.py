"""The directory sign-in against a real Active Directory (Samba's AD domain controller): names by
sAMAccountName and userPrincipalName, nested groups through the in-chain rule, disabled accounts, and changes
made by the domain's administrator seen at the next lookup."""

from __future__ import annotations


import pytest

from storage import Directory
from settings import Settings
from tests import ad_server

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(not ad_server.available(), reason="NOT RUN: Samba's AD server (apt-get install samba "
                                 "samba-ad-dc; .ci/run installs it) is missing, this is not root, or port 389 is taken")]

MINA = "Mina-directory-2026!"
HR_MAP = {"CN=HR-Staff,CN=Users,DC=corp,DC=example": "인사팀"}  # as an admin would type it


@pytest.fixture(scope="module")
def ad(tmp_path_factory: pytest.TempPathFactory):
    """mina in HR-Staff, HR-Staff in AllStaff, AllStaff in Company: nested three deep."""
    root = tmp_path_factory.mktemp("ad")
    server = ad_server.make(root / "dc")
    server.tool("user", "create", "mina", MINA)
    for group, member in (("HR-Staff", "mina"), ("AllStaff", "HR-Staff"), ("Company", "AllStaff")):
        server.tool("group", "add", group)
        server.tool("group", "addmembers", group, member)
    secret = root / "bind-password"
    secret.write_text(ad_server.SERVICE_PASSWORD + "\n")
    settings = Settings(data_dir=root / "data", ldap_url=server.url, ldap_bind_dn=server.service_dn,
                        ldap_bind_password_file=secret, ldap_user_base=ad_server.SUFFIX,
                        ldap_user_attribute="sAMAccountName", ldap_ca_file=server.ca_file, ldap_group_map=HR_MAP)
    yield server, settings
    server.stop()


def test_an_ad_user_signs_in_by_either_name_with_nested_groups(ad) -> None:
    server, settings = ad
    assert "TLS verified" in Directory(settings).probe()
    by_account = Directory(settings).authenticate("mina", MINA)
    assert by_account is not None and by_account.groups == ("AllStaff", "Company", "인사팀")
    principal = Directory(settings.model_copy(update={"ldap_user_attribute": "userPrincipalName"}))
    assert principal.authenticate(f"mina@{ad_server.REALM}", MINA).groups == by_account.groups
    # With a group base the in-chain search runs there: Company's CN=Users holds them all.
    based = Directory(settings.model_copy(update={"ldap_group_base": ad_server.USERS}))
    assert based.lookup("mina").groups == by_account.groups
    for name, secret in (("mina", "Not-her-password-1"), ("mina", ""), ("*", MINA), ("*)(sAMAccountName=*", MINA),
                         ("nobody", MINA)):
        assert Directory(settings).authenticate(name, secret) is None, name


def test_what_the_domain_admin_changes_is_seen_at_the_next_lookup(ad) -> None:
    server, settings = ad
    directory = Directory(settings)
    server.tool("group", "removemembers", "AllStaff", "HR-Staff")  # the middle of the chain
    try:
        assert directory.lookup("mina").groups == ("인사팀",)
    finally:
        server.tool("group", "addmembers", "AllStaff", "HR-Staff")
    server.tool("user", "disable", "mina")  # userAccountControl's ACCOUNTDISABLE
    try:
        assert directory.lookup("mina") is None
        assert directory.authenticate("mina", MINA) is None
    finally:
        server.tool("user", "enable", "mina")
    assert directory.authenticate("mina", MINA).groups == ("AllStaff", "Company", "인사팀")
