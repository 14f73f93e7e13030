"""Who may read each file: .access files, written onto every chunk, changed in place without embedding."""

from __future__ import annotations

from pathlib import Path

import ingest
from settings import Settings
from storage import Store
from storage.access import groups_of
from tests.helpers import add_users, stored_chunks

LEAVE = "# Leave\n\nEmployees get 15 days of annual leave.\n"
PAY = "# Pay\n\nSalaries are paid on the 25th of each month.\n"
BUILD = "# Build\n\nThe release branch is cut every second Tuesday.\n"
OPEN = "# Canteen\n\nThe canteen opens at 11:30.\n"


def write(docs: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text)


def groups_by_source(settings: Settings) -> dict[str, set[tuple[str, ...]]]:
    found: dict[str, set[tuple[str, ...]]] = {}
    for chunk in stored_chunks(settings):
        found.setdefault(chunk["source"], set()).add(groups_of(chunk))
    return found


def test_the_nearest_access_file_decides_and_every_chunk_carries_it(settings: Settings, docs: Path,
                                                                    embedder) -> None:
    add_users(settings, {"hana": ["hr"], "paula": ["payroll"], "ethan": ["eng"]})
    write(docs, {"canteen.md": OPEN, "hr/leave.md": LEAVE, "hr/pay/pay.md": PAY, "eng/build.md": BUILD,
                 "hr/.access": "hr\n", "hr/pay/.access": "# payroll only, not hr\npayroll\n",
                 "eng/.access": "eng\n\nbad name\nghosts   # a typo\n"})
    report = ingest.run(settings, embedder=embedder)

    assert report.failed == [] and report.added == 4
    assert groups_by_source(settings) == {
        "canteen.md": {("everyone",)}, "hr/leave.md": {("hr",)}, "hr/pay/pay.md": {("payroll",)},
        "eng/build.md": {("eng", "ghosts")},  # a group no one is in yet is still a group: a warning
    }
    assert [(w.path, w.error) for w in report.warnings] == [
        ("eng/.access", "line 3: invalid group name 'bad name' (ignored)"),
        ("eng/.access", "line 4: no user is in group 'ghosts'"),
    ]
    assert "eng/.access: line 4: no user is in group 'ghosts'" in report.summary()


def test_default_groups_apply_where_no_access_file_is(tmp_path: Path, docs: Path, embedder) -> None:
    settings = Settings(data_dir=tmp_path / "data", docs_dir=docs, store_dir=tmp_path / "store",
                        default_groups="staff, contractors")
    write(docs, {"canteen.md": OPEN})
    ingest.run(settings, embedder=embedder)
    assert groups_by_source(settings) == {"canteen.md": {("contractors", "staff")}}


def test_an_access_change_takes_effect_without_embedding(settings: Settings, docs: Path, embedder) -> None:
    write(docs, {"hr/leave.md": LEAVE, "hr/pay/pay.md": PAY, "eng/build.md": BUILD, "hr/.access": "hr\n",
                 "hr/pay/.access": "payroll\n"})
    ingest.run(settings, embedder=embedder)
    before = {c["id"]: c["text"] for c in stored_chunks(settings)}

    (docs / "hr" / ".access").write_text("hr\neng\n")
    report = ingest.run(settings, embedder=embedder)

    assert (report.unchanged, report.permissions_updated, report.chunks_embedded, report.chunks_written) == (3, 1, 0, 0)
    assert groups_by_source(settings)["hr/leave.md"] == {("eng", "hr")}
    assert groups_by_source(settings)["hr/pay/pay.md"] == {("payroll",)}  # its own .access still decides
    assert {c["id"]: c["text"] for c in stored_chunks(settings)} == before  # same chunks, nothing re-embedded
    store = Store(settings)
    try:
        assert store.files()["hr/leave.md"].groups == ("eng", "hr")
    finally:
        store.close()

    (docs / "hr" / ".access").unlink()  # no .access above it any more: the default groups
    again = ingest.run(settings, embedder=embedder)
    assert (again.permissions_updated, again.chunks_embedded) == (1, 0)
    assert groups_by_source(settings)["hr/leave.md"] == {("everyone",)}


def test_an_unreadable_access_file_keeps_its_files_out(settings: Settings, docs: Path, embedder) -> None:
    write(docs, {"canteen.md": OPEN, "hr/leave.md": LEAVE})
    (docs / "hr" / ".access").write_bytes(b"\xff\xfehr\x00")
    report = ingest.run(settings, embedder=embedder)
    assert [f.path for f in report.failed] == ["hr/leave.md"]
    assert "cannot read hr/.access (not UTF-8 text)" in report.failed[0].error
    assert set(groups_by_source(settings)) == {"canteen.md"}
