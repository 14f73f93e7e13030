"""``python -m chatbot users|keys|audit|backup|restore|migrate-state``: the admin's commands for accounts, API
keys, the audit log, backups, and moving the state to a database server.

    users add NAME --group G [--group G2] [--password-stdin]
    users list [--json]
    users remove NAME
    users passwd NAME [--password-stdin]
    keys create USER [--name NAME]   prints the new key once (it acts as USER: USER's groups limit it)
    keys list [--user USER] [--json]
    keys revoke ID
    audit [--user NAME] [--since YYYY-MM-DD] [--json]
    backup DIR       store, users file, audit log, saved chats and API keys into a new folder (the server may keep
                     running); with RAG_DATABASE_URL, the store and the database (pg_dump)
    restore DIR      put a backup back (stop the server first)
    migrate-state --to postgresql://...
                     copy the users, keys, saved chats, feedback and audit log into an empty database
                     (then set RAG_DATABASE_URL); counts compared and printed; sign-in sessions not moved

Without --password-stdin the password is asked for on the terminal, twice.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date, datetime
from pathlib import Path

from settings import Settings
from storage import (
    ApiKeys,
    AuditLog,
    DirectoryAccount,
    MoveRefused,
    StateUnavailable,
    StoreError,
    UsersError,
    UsersFile,
    UsersTable,
    backup,
    describe,
    move_state,
    open_users,
    restore,
    seen_accounts,
)

COMMANDS = ("users", "keys", "audit", "backup", "restore", "migrate-state")


def add_commands(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("users", help="add, list, remove users and set their passwords")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="a new user in one or more groups")
    add.add_argument("name")
    add.add_argument("--group", dest="groups", action="append", default=[], metavar="G",
                     help="a group the user is in; repeatable (everyone is in 'everyone')")
    listing = actions.add_parser("list", help="every user and their groups")
    listing.add_argument("--json", action="store_true")
    remove = actions.add_parser("remove", help="delete a user (their sessions end)")
    remove.add_argument("name")
    passwd = actions.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    for command in (add, passwd):
        command.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    keys = commands.add_parser("keys", help="API keys for scripts and other tools: create, list, revoke")
    key_actions = keys.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser("create", help="a new key acting as USER (printed once)")
    create.add_argument("user")
    create.add_argument("--name", default="", help="what the key is for, e.g. 'wiki plug-in'")
    listed = key_actions.add_parser("list", help="id, user, name, created, last used, revoked")
    listed.add_argument("--user", help="only this user's keys")
    listed.add_argument("--json", action="store_true")
    key_actions.add_parser("revoke", help="refuse this key from now on").add_argument("id")

    audit = commands.add_parser("audit", help="the questions asked: who, when, what was cited")
    audit.add_argument("--user", help="only this user's questions")
    audit.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD", help="from this day on")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    for name, text in (("backup", "copy the store, users file, audit log, saved chats and API keys into a new folder"),
                       ("restore", "put a backup back in place (stop the server first)")):
        commands.add_parser(name, help=text).add_argument("folder", type=Path)
    move = commands.add_parser("migrate-state", help="copy this installation's users, keys, chats, feedback "
                                                     "and audit log into an empty PostgreSQL database")
    move.add_argument("--to", required=True, metavar="postgresql://...",
                      help="the database (RAG_DATABASE_URL)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Exit code 0, or 2 with the reason on stderr."""
    try:
        if args.command == "audit":
            _audit(args, settings)
        elif args.command == "keys":
            keys = ApiKeys(settings.keys_path, settings.database_url)
            _keys(args, keys, open_users(settings), _directory_users(settings))
        elif args.command == "migrate-state":
            return _migrate_state(args.to, settings)
        elif args.command in ("backup", "restore"):
            done = (backup if args.command == "backup" else restore)(settings, args.folder)
            print(f"{args.command}: {', '.join(k for k in done if k != 'created')} ({args.folder})")
        else:
            _users(args, open_users(settings), settings.admin_group, _directory_users(settings))
    except (UsersError, StoreError, StateUnavailable, MoveRefused) as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 2
    return 0


def _migrate_state(url: str, settings: Settings) -> int:
    if settings.database_url:
        print("migrate-state: RAG_DATABASE_URL is set: this installation already keeps its state in "
              f"{describe(settings.database_url)}; unset it to move the embedded one", file=sys.stderr)
        return 2
    report = move_state(settings, url)
    for moved in report.moved:
        print(f"{moved.table}: {moved.source} in {settings.data_dir}, {moved.target} in the database"
              + ("" if moved.complete else "  <- DIFFERENT"))
    if report.sessions_dropped:
        print(f"{report.sessions_dropped} sign-in sessions not moved: their users sign in again")
    if not all(moved.complete for moved in report.moved):
        print("migrate-state: some counts differ (above)", file=sys.stderr)
        return 2
    print(f"moved into {describe(url)}: set RAG_DATABASE_URL on every front-end, the ingest host and the CLI")
    return 0


def _directory_users(settings: Settings) -> dict[str, DirectoryAccount]:
    """The directory users who have signed in, their groups as last seen (none without a directory)."""
    return {a.name: a for a in seen_accounts(settings)}


def _users(args: argparse.Namespace, users: UsersFile | UsersTable, admin_group: str,
           directory: dict[str, DirectoryAccount]) -> None:
    if args.action == "add":
        user = users.add(args.name, args.groups, _password(args.password_stdin))
        role = " (admin: sees every document)" if admin_group in user.groups else ""
        print(f"added {user.name}: groups {', '.join(user.groups) or '(none)'}, everyone{role}")
    elif args.action == "passwd":
        users.set_password(args.name, _password(args.password_stdin))
        print(f"password of {args.name} changed")
    elif args.action == "remove":
        users.remove(args.name)
        print(f"removed {args.name}")
    else:
        # Where each name signs in: the users file (local), or the company directory (groups as last seen).
        rows = [{"name": u.name, "groups": list(u.groups), "source": "local"} for u in users.users().values()]
        rows += [{"name": a.name, "groups": list(a.groups), "source": "directory", "checked": _when(a.checked)}
                 for a in directory.values()]
        for row in rows if not args.json else []:
            print(f"{row['name']}\t{row['source']}\t{', '.join(row['groups'])}")
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))


def _keys(args: argparse.Namespace, keys: ApiKeys, users: UsersFile | UsersTable,
          directory: dict[str, DirectoryAccount]) -> None:
    if args.action == "create":
        if users.get(args.user) is None and args.user not in directory:
            raise UsersError(f"no user {args.user!r} (add one first: python -m chatbot users add; a directory user "
                             "signs in once first)")
        record, key = keys.create(args.user, args.name)
        print(key)
        print(f"key {record.id} for {record.user}: shown once, store it now", file=sys.stderr)
    elif args.action == "revoke":
        if not keys.revoke(args.id):
            raise UsersError(f"no live key {args.id!r}")
        print(f"revoked {args.id}")
    else:
        rows = [{"id": k.id, "user": k.user, "name": k.name, "created": _when(k.created),
                 "last_used": _when(k.last_used), "revoked": _when(k.revoked)} for k in keys.list(args.user)]
        for row in rows:
            print(json.dumps(row, ensure_ascii=False) if args.json else
                  "\t".join([row["id"], row["user"], row["name"] or "-", row["created"], row["last_used"] or "never",
                             f"revoked {row['revoked']}" if row["revoked"] else "live"]))


def _when(moment: float | None) -> str | None:
    return datetime.fromtimestamp(moment).astimezone().isoformat(timespec="seconds") if moment else None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise UsersError("the two passwords differ")
    return password


def _audit(args: argparse.Namespace, settings: Settings) -> None:
    log = AuditLog.for_settings(settings)
    for entry in log.read(args.user, args.since):
        if args.json:
            print(json.dumps(entry, ensure_ascii=False))
        else:
            question = entry.get("question", entry.get("question_hmac", ""))
            cited = ", ".join(s["source"] for s in entry.get("sources", []))
            print(f"{entry['time']}  {entry['user']}  {'found' if entry['found'] else 'not found'}  "
                  f"{question}  [{cited}]")
