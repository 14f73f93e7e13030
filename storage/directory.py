"""Accounts in the company directory (LDAP, Active Directory) with ldap3: search-then-bind, and the user's
groups mapped to the product's group names — the directory's side of what users.py does for local accounts.

The service account (RAG_LDAP_BIND_DN, its password in a file) finds the
user by RAG_LDAP_USER_ATTRIBUTE under RAG_LDAP_USER_BASE, the typed name
escaped in the filter; then the user's own password is bound on a second
connection. An empty password is refused before the directory is asked (a
simple bind with no password is an anonymous bind, which would succeed).
TLS is always on and verified: ldaps://, or StartTLS on ldap://.

Groups: the user entry's memberOf, and with RAG_LDAP_GROUP_BASE the
groupOfNames (member = the user's DN) and posixGroup (memberUid = the name)
entries that list the user; then the groups that hold those groups, to any
depth. Active Directory (its root DSE says so) answers that in one search with
the matching-rule-in-chain filter; elsewhere the groups are walked level by
level (each group's memberOf, and the groupOfNames under the group base that
list it). A group is named by RAG_LDAP_GROUP_MAP[its DN], else by its CN.
"""

from __future__ import annotations

import logging
import math
import ssl
from dataclasses import dataclass

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from settings import Settings

log = logging.getLogger(__name__)

# Active Directory marks a disabled account in userAccountControl (ACCOUNTDISABLE); OpenLDAP's password
# policy locks one with pwdAccountLockedTime.
_AD_DISABLED = 0x2
# The root DSE capability Active Directory (and Samba's AD) announces, and its transitive-membership rule.
_AD_CAPABILITY = "1.2.840.113556.1.4.800"
_IN_CHAIN = "1.2.840.113556.1.4.1941"


class DirectoryUnavailable(Exception):
    """The directory did not answer, refused the service account, or its certificate is not trusted; ``fix``
    says what the administrator can do."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


@dataclass(frozen=True)
class DirectoryUser:
    name: str
    dn: str
    groups: tuple[str, ...]  # the product's group names


class Directory:
    def __init__(self, settings: Settings) -> None:
        if not settings.ldap_url:
            raise ValueError("RAG_LDAP_URL is not set")
        self._settings = settings
        tls = ldap3.Tls(ca_certs_file=str(settings.ldap_ca_file) if settings.ldap_ca_file else None,
                        validate=ssl.CERT_REQUIRED)
        self._server = ldap3.Server(settings.ldap_url, tls=tls, connect_timeout=settings.ldap_timeout,
                                    get_info=ldap3.NONE)
        self._start_tls = not settings.ldap_url.lower().startswith("ldaps://")
        self._chain_base: str | None = None  # where in-chain searches run, once the root DSE is read
        self._root_read = False

    def authenticate(self, name: str, password: str) -> DirectoryUser | None:
        """The user, when the directory knows the name, the account is enabled and the password binds;
        None otherwise. Raises DirectoryUnavailable when the directory cannot be asked."""
        if not name or not password:
            return None
        user = self.lookup(name)
        if user is None:
            return None
        try:
            connection = self._connection(user.dn, password)
        except _BindRefused:
            return None
        connection.unbind()
        return user

    def lookup(self, name: str) -> DirectoryUser | None:
        """The user and their groups as the directory has them now (service account); None when the name
        is unknown or the account disabled."""
        settings = self._settings
        connection = self._service()
        try:
            attribute = settings.ldap_user_attribute
            connection.search(settings.ldap_user_base, f"({attribute}={escape_filter_chars(name)})",
                              attributes=["memberOf", "userAccountControl", "pwdAccountLockedTime", attribute])
            entries = [e for e in connection.response if e.get("type") == "searchResEntry"]
            if len(entries) != 1:  # unknown, or a name two entries share: nobody
                return None
            entry = entries[0]
            if _disabled(entry["attributes"]):
                return None
            direct = [*_values(entry["attributes"].get("memberOf")), *self._searched_groups(connection, entry["dn"],
                                                                                              name)]
            groups = self._with_enclosing(connection, entry["dn"], direct)
            return DirectoryUser(name, entry["dn"], tuple(sorted({self._group_name(dn) for dn in groups})))
        except LDAPException as error:
            raise DirectoryUnavailable(f"the directory could not be searched: {error}") from None
        finally:
            connection.unbind()

    def probe(self) -> str:
        """What the doctor reports when all is well: reachable over verified TLS, the service account binds,
        the user (and group) base readable. Raises DirectoryUnavailable with the fix otherwise."""
        settings = self._settings
        connection = self._service()
        try:
            for variable, base in (("RAG_LDAP_USER_BASE", settings.ldap_user_base),
                                   ("RAG_LDAP_GROUP_BASE", settings.ldap_group_base)):
                if base and not connection.search(base, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[]):
                    raise DirectoryUnavailable(
                        f"{variable} {base!r} cannot be read: {connection.result.get('description')}",
                        f"set {variable} to an entry that exists, readable by {settings.ldap_bind_dn!r}")
        finally:
            connection.unbind()
        groups = f", groups under {settings.ldap_group_base}" if settings.ldap_group_base else ", groups from memberOf"
        return (f"{settings.ldap_url}: TLS verified, {settings.ldap_bind_dn} binds, users under "
                f"{settings.ldap_user_base}{groups}")

    def _searched_groups(self, connection: ldap3.Connection, dn: str, name: str) -> list[str]:
        base = self._settings.ldap_group_base
        if not base:
            return []
        query = (f"(|(&(objectClass=groupOfNames)(member={escape_filter_chars(dn)}))"
                 f"(&(objectClass=posixGroup)(memberUid={escape_filter_chars(name)})))")
        connection.search(base, query, attributes=[])
        return _dns(connection)

    def _with_enclosing(self, connection: ldap3.Connection, user_dn: str, direct: list[str]) -> list[str]:
        """The direct groups and every group that holds one of them, however deep."""
        chain_base = self._in_chain_base(connection)
        if chain_base:
            connection.search(chain_base, f"(member:{_IN_CHAIN}:={escape_filter_chars(user_dn)})", attributes=[])
            return [*direct, *_dns(connection)]
        found = {dn.casefold(): dn for dn in direct}
        level = list(found.values())
        while level:  # each round one level up; a group seen before is not asked again, so cycles end
            enclosing = [parent for group in level for parent in self._enclosing(connection, group)]
            level = [found.setdefault(dn.casefold(), dn) for dn in enclosing if dn.casefold() not in found]
        return list(found.values())

    def _enclosing(self, connection: ldap3.Connection, group: str) -> list[str]:
        """The groups that list this group as a member: its memberOf, and the groupOfNames under the base."""
        parents = []
        if connection.search(group, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["memberOf"]):
            parents += _values(connection.response[0]["attributes"].get("memberOf"))
        base = self._settings.ldap_group_base
        if base:
            connection.search(base, f"(&(objectClass=groupOfNames)(member={escape_filter_chars(group)}))",
                              attributes=[])
            parents += _dns(connection)
        return parents

    def _in_chain_base(self, connection: ldap3.Connection) -> str | None:
        """Where to search with the in-chain rule when the directory is Active Directory (the group base, else
        its default naming context); None for a directory without the rule."""
        if not self._root_read:
            connection.search("", "(objectClass=*)", search_scope=ldap3.BASE,
                              attributes=["supportedCapabilities", "defaultNamingContext"])
            root = connection.response[0]["attributes"] if connection.response else {}
            if _AD_CAPABILITY in _values(root.get("supportedCapabilities")):
                naming = _values(root.get("defaultNamingContext"))
                self._chain_base = self._settings.ldap_group_base or (naming[0] if naming else None)
            self._root_read = True
        return self._chain_base

    def _group_name(self, dn: str) -> str:
        mapped = {key.casefold(): value for key, value in self._settings.ldap_group_map.items()}
        if dn.casefold() in mapped:
            return mapped[dn.casefold()]
        first = parse_dn(dn)[0] if dn else ("", "", "")
        return first[1] if first[0].casefold() == "cn" else dn

    def _service(self) -> ldap3.Connection:
        settings = self._settings
        password_file = settings.ldap_bind_password_file
        fix = "put the service account's password alone in a file readable by this service's account, named by " \
              "RAG_LDAP_BIND_PASSWORD_FILE"
        try:
            password = password_file.read_text(encoding="utf-8").strip() if password_file else ""
        except OSError as error:
            raise DirectoryUnavailable(f"RAG_LDAP_BIND_PASSWORD_FILE {password_file}: {error.strerror}", fix) \
                from None
        if not settings.ldap_bind_dn or not password:  # an empty simple bind is an anonymous one
            raise DirectoryUnavailable("no service account: RAG_LDAP_BIND_DN or its password file is empty", fix)
        try:
            return self._connection(settings.ldap_bind_dn, password)
        except _BindRefused:
            raise DirectoryUnavailable(f"the directory refused the service account {settings.ldap_bind_dn!r}",
                                       "check RAG_LDAP_BIND_DN and the password in RAG_LDAP_BIND_PASSWORD_FILE") \
                from None

    def _connection(self, dn: str, password: str) -> ldap3.Connection:
        """A bound connection; _BindRefused for wrong credentials, DirectoryUnavailable for anything else."""
        # ldap3 packs the receive timeout into a socket option as whole seconds (a float fails in struct.pack).
        timeout = max(1, math.ceil(self._settings.ldap_timeout))
        connection = ldap3.Connection(self._server, dn, password, receive_timeout=timeout, raise_exceptions=False)
        try:
            connection.open()
            if self._start_tls:
                connection.start_tls()
            bound = connection.bind()
        except LDAPException as error:
            raise DirectoryUnavailable(
                f"the directory at {self._settings.ldap_url} is not reachable: {error}",
                "check that RAG_LDAP_URL names the directory and that it listens there; a certificate error: set "
                "RAG_LDAP_CA_FILE to the CA that signed the directory's certificate") from None
        if not bound:
            connection.unbind()
            if connection.result and connection.result.get("result") == 49:  # invalidCredentials
                raise _BindRefused
            raise DirectoryUnavailable(f"the directory refused the bind: {connection.result.get('description')}",
                                       "see the directory's log for why it refused")
        return connection


class _BindRefused(Exception):
    pass


def _dns(connection: ldap3.Connection) -> list[str]:
    """The DNs of the entries the last search found (not its referrals)."""
    return [e["dn"] for e in connection.response or [] if e.get("type") == "searchResEntry"]


def _values(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _disabled(attributes: dict) -> bool:
    control = attributes.get("userAccountControl")
    if isinstance(control, list):
        control = control[0] if control else None
    if control not in (None, "") and int(control) & _AD_DISABLED:
        return True
    return bool(attributes.get("pwdAccountLockedTime"))
