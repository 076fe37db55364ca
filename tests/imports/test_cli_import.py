"""``carnet import``: the same import from the command line, with a summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from carnet.cli import main as carnet
from records_svc.db import Database
from records_svc.domain.history_models import HistoryEntry
from records_svc.domain.models import Account
from tests.imports.helpers import csv_bytes, siret


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CARNET_DATABASE_URL", database_url)
    return CliRunner()


def names(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        with db.read() as session:
            return list(session.scalars(select(Account.name).order_by(Account.name)))
    finally:
        db.dispose()


def history_count(database_url: str) -> int:
    db = Database(database_url)
    try:
        with db.read() as session:
            return session.scalar(select(func.count()).select_from(HistoryEntry)) or 0
    finally:
        db.dispose()


def test_import_a_file_with_a_summary(runner: CliRunner, tmp_path: Path, database_url: str) -> None:
    leads = tmp_path / "salon.csv"
    leads.write_bytes(
        csv_bytes(
            [
                ["Nom", "Code postal", "SIRET"],
                ["Boulangerie Martin", "33000", siret(1)],
                ["Mauvais SIRET", "75001", "123"],
                ["Boulangerie Martin bis", "33000", siret(1)],
            ],
            encoding="cp1252",
        )
    )
    dry = runner.invoke(carnet, ["import", str(leads), "--entity", "prospects", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Nom → name" in dry.output
    assert "3 rows: 1 would be created, 0 would be updated, 1 duplicate, 1 rejected" in dry.output
    assert "row 3: SIRET : SIRET invalide." in dry.output
    assert names(database_url) == [] and history_count(database_url) == 0
    errors = tmp_path / "rejets.csv"
    done = runner.invoke(
        carnet, ["import", str(leads), "--entity", "prospects", "--errors", str(errors)]
    )
    assert done.exit_code == 0, done.output
    assert "3 rows: 1 was created, 0 were updated, 1 duplicate, 1 rejected" in done.output
    assert names(database_url) == ["Boulangerie Martin"]
    rows = list(csv.reader(errors.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows == [["Nom", "Code postal", "SIRET", "erreur"], ["Mauvais SIRET", "75001", "123", "SIRET : SIRET invalide."]]  # fmt: skip
    assert "like a record" not in done.output
    # the same bakery again, without its SIRET: created, and said to look like the first
    again = tmp_path / "salon2.csv"
    again.write_bytes(csv_bytes([["Nom", "Code postal"], ["BOULANGERIE MARTIN", "33000"]]))
    twice = runner.invoke(carnet, ["import", str(again), "--entity", "prospects"])
    assert twice.exit_code == 0, twice.output
    assert "1 row created looks like a record already there" in twice.output


def test_a_mapping_file_and_contacts(runner: CliRunner, tmp_path: Path, database_url: str) -> None:
    (tmp_path / "p.csv").write_bytes(csv_bytes([["Nom", "SIRET"], ["Martin", siret(1)]]))
    assert runner.invoke(carnet, ["import", str(tmp_path / "p.csv"), "--entity", "prospects"]).exit_code == 0  # fmt: skip
    people = tmp_path / "people.csv"
    people.write_bytes(csv_bytes([["Qui", "Établissement"], ["Zoé Martin", siret(1)]]))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Qui": "last_name", "Établissement": "account.siret"}))
    reply = runner.invoke(
        carnet, ["import", str(people), "--entity", "contacts", "--mapping", str(mapping)]
    )
    assert reply.exit_code == 0, reply.output
    assert "1 row: 1 was created, 0 were updated, 0 duplicates, 0 rejected" in reply.output


def test_a_file_that_cannot_be_read_fails(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(carnet, ["import", str(tmp_path / "nope.csv"), "--entity", "prospects"])
    assert missing.exit_code != 0 and "cannot be read" in missing.output
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    reply = runner.invoke(carnet, ["import", str(broken), "--entity", "prospects"])
    assert reply.exit_code != 0
    assert "file: not a readable XLSX workbook" in reply.output
    bad_mapping = tmp_path / "m.json"
    bad_mapping.write_text("[1]")
    (tmp_path / "ok.csv").write_bytes(b"Nom\r\nMartin\r\n")
    reply = runner.invoke(
        carnet,
        [
            "import",
            str(tmp_path / "ok.csv"),
            "--entity",
            "prospects",
            "--mapping",
            str(bad_mapping),
        ],
    )
    assert reply.exit_code != 0 and "not a JSON object" in reply.output


@pytest.mark.parametrize("checking", ["thread", "process", "daemonic", "process+copy"])
def test_batches_checked_ahead_give_each_row_its_outcome_history_and_search_document(
    runner: CliRunner,
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    checking: str,
) -> None:
    """Batches of 3: each is checked while the one before is written, in a thread or (a
    large import on PostgreSQL, not a dry run, by a process that may fork) in a forked
    process, with the same outcomes. A row repeating a row of an earlier batch is found in the database (that
    batch is committed), errors keep their messages, and every record created has its
    history entry, its outbox event and its search document (``search verify`` finds
    nothing to repair)."""
    from records_svc.domain import bulk, imports
    from records_svc.domain.import_models import ImportRow
    from records_svc.domain.models import IndexEvent

    if checking != "thread" and not database_url.startswith("postgresql"):
        pytest.skip("the checking process is PostgreSQL's")
    monkeypatch.setattr(imports, "BATCH", 3)
    monkeypatch.setattr(imports, "CHECK_PROCESS_FROM", 1 if checking != "thread" else 10**9)
    if checking == "process+copy":  # each batch's rows by COPY (from 50 rows otherwise)
        monkeypatch.setattr(bulk, "COPY_FROM", 1)
    if checking == "daemonic":  # a Celery prefork worker's child may not fork: a thread
        import multiprocessing

        monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
    caplog.set_level("INFO", logger=imports.__name__)
    leads = tmp_path / "salon.csv"
    rows = [["Nom", "SIRET", "E-mail"]]
    rows += [[f"Prospect {n}", siret(n), ""] for n in range(1, 8)]
    rows[3][2] = "pas-un-email"  # row 4, in the first batch
    rows.append(["Prospect 2 encore", siret(2), ""])  # row 9 repeats row 3 (first batch)
    rows.append(["Prospect 8", siret(8), "non"])  # row 10, the last batch
    leads.write_bytes(csv_bytes(rows))

    def forked() -> int:
        return sum("checked in process" in r.getMessage() for r in caplog.records)

    dry = runner.invoke(carnet, ["import", str(leads), "--entity", "prospects", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "9 rows: 6 would be created, 0 would be updated, 1 duplicate, 2 rejected" in dry.output
    assert forked() == 0  # a dry run, which writes little, keeps the thread
    done = runner.invoke(carnet, ["import", str(leads), "--entity", "prospects"])
    assert done.exit_code == 0, done.output
    assert forked() == (1 if checking.startswith("process") else 0)
    db = Database(database_url)
    try:
        with db.read() as session:
            report = {r.row: r for r in session.scalars(select(ImportRow))}
            entries = list(session.execute(select(HistoryEntry.entity_id, HistoryEntry.action)))
            events = list(session.scalars(select(IndexEvent.entity_id)))
    finally:
        db.dispose()
    assert {n: r.outcome for n, r in report.items()} == {
        **{n: "created" for n in (2, 3, 5, 6, 7, 8)},
        4: "error",
        9: "duplicate",
        10: "error",
    }
    assert report[4].message == report[10].message == "E-mail : adresse e-mail invalide."
    assert report[9].message == (
        f"Doublon : même SIRET que « Prospect 2 » (n° {report[3].record_id}) ; rien n'a été écrit."
    )
    created = {r.record_id for r in report.values() if r.outcome == "created"}
    assert len(created) == 6
    assert sorted(entries) == sorted((i, "imported") for i in created)
    assert sorted(events) == sorted(created)
    verify = runner.invoke(carnet, ["search", "verify"])
    assert verify.exit_code == 0, verify.output


def test_the_name_taken_from_the_legal_name_is_said(
    runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    leads = tmp_path / "salon.csv"
    leads.write_bytes(csv_bytes([["Raison sociale", "SIRET"], ["DUPONT SARL", siret(1)]]))
    done = runner.invoke(carnet, ["import", str(leads), "--entity", "prospects"])
    assert done.exit_code == 0, done.output
    assert "Raison sociale → legal_name" in done.output
    assert "(no column) → name: each row's legal_name" in done.output
    assert names(database_url) == ["DUPONT SARL"]


def test_the_summary_is_grammatical() -> None:
    from carnet.cli_import import summary

    counts = {"created": 2, "updated": 1, "duplicate": 1, "error": 0}
    assert summary(4, counts, dry_run=False) == (
        "4 rows: 2 were created, 1 was updated, 1 duplicate, 0 rejected"
    )
    assert summary(1, {"created": 1}, dry_run=True) == (
        "1 row: 1 would be created, 0 would be updated, 0 duplicates, 0 rejected"
    )


def progress_lines(output: str) -> list[str]:
    """The progress lines of ``carnet import`` off a terminal ("500/1200 rows")."""
    return [line for line in output.splitlines() if line.endswith(" rows") and "/" in line]


def test_off_a_terminal_a_line_at_each_batch_written(
    runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    """As docs/imports.md says: a line as each batch (500 rows) is written, at most one a
    tenth of the file."""
    small = tmp_path / "small.csv"
    small.write_bytes(csv_bytes([["Nom"]] + [[f"P{i}"] for i in range(30)]))
    done = runner.invoke(carnet, ["import", str(small), "--entity", "prospects", "--dry-run"])
    assert done.exit_code == 0, done.output
    assert progress_lines(done.output) == ["30/30 rows"]
    large = tmp_path / "large.csv"
    large.write_bytes(csv_bytes([["Nom"]] + [[f"P{i}"] for i in range(1200)]))
    done = runner.invoke(carnet, ["import", str(large), "--entity", "prospects", "--dry-run"])
    assert done.exit_code == 0, done.output
    assert progress_lines(done.output) == ["500/1200 rows", "1000/1200 rows", "1200/1200 rows"]
