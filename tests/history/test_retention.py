"""Retention: exactly the prospects untouched for the period go, with tombstones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select, update

from records_svc.db import Database
from records_svc.domain import retention
from records_svc.domain.history_models import DeletedRecord, HistoryEntry
from records_svc.domain.models import Account, Contact
from records_svc.domain.opportunity_models import Action, Opportunity
from tests.conftest import Api

API = "/api/v1"


def test_months_before_is_calendar_months() -> None:
    moment = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert retention.months_before(moment, 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert retention.months_before(moment, 36) == datetime(2023, 3, 31, 12, tzinfo=UTC)
    assert retention.months_before(moment, 15) == datetime(2024, 12, 31, 12, tzinfo=UTC)


def _prospect(seller: Api, name: str, *contacts: str) -> tuple[int, list[int]]:
    reply = seller.post(f"{API}/prospects", json={"name": name})
    assert reply.status_code == 201, reply.json
    pid = reply.json["id"]
    ids = []
    for last_name in contacts:
        contact = seller.post(f"{API}/accounts/{pid}/contacts", json={"last_name": last_name})
        ids.append(contact.json["id"])
    return pid, ids


def test_purge_deletes_exactly_the_inactive_prospects(
    seller: Api, erp: Api, database: Database
) -> None:
    # The clock: the purge runs 37 months from now; "recent" is a month before that.
    now = datetime.now(UTC) + timedelta(days=37 * 31)
    recent = now - timedelta(days=30)
    idle, _ = _prospect(seller, "Dormante")
    idle_with_contacts, idle_contacts = _prospect(seller, "Dormante 2", "Martin", "Durand")
    by_action, _ = _prospect(seller, "Relancée")
    by_opportunity, _ = _prospect(seller, "Affaire")
    by_contact, (contact_id,) = _prospect(seller, "Contact", "Petit")
    by_document, _ = _prospect(seller, "Document")
    client = erp.put(f"{API}/sync/clients/C1", json={"name": "Cliente"}).json["id"]
    reply = seller.post(
        f"{API}/prospects/{by_action}/actions",
        json={"type": "call", "subject": "Rappel", "due_at": recent.isoformat()},
    )
    assert reply.status_code == 201, reply.json
    with database.unit_of_work() as uow:
        uow.session.add(
            Opportunity(
                account_id=by_opportunity,
                title="Licences",
                amount=Decimal("1000"),
                stage="qualification",
                probability=10,
                expected_signing_date=now.date(),
            )
        )
    with database.unit_of_work() as uow:
        session = uow.session
        session.execute(
            update(Opportunity)
            .values(updated_at=recent)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Contact)
            .where(Contact.id == contact_id)
            .values(updated_at=recent)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(HistoryEntry)
            .where(HistoryEntry.entity == "account", HistoryEntry.entity_id == by_document)
            .values(at=recent)
            .execution_options(synchronize_session=False)
        )

    dry = retention.purge_inactive(database, months=36, now=now, dry_run=True)
    assert dry.prospect_ids == [idle, idle_with_contacts]
    assert dry.contact_ids == idle_contacts
    with database.read() as session:
        assert session.scalar(select(Account.id).where(Account.id == idle)) == idle

    report = retention.purge_inactive(database, months=36, now=now, dry_run=False)
    assert report.as_dict()["prospects"] == 2 and report.as_dict()["contacts"] == 2
    with database.read() as session:
        left = set(session.scalars(select(Account.id)))
        tombstones = list(session.scalars(select(DeletedRecord)))
    assert left == {by_action, by_opportunity, by_contact, by_document, client}
    assert {(t.kind, t.record_id) for t in tombstones} == {
        ("prospect", idle),
        ("prospect", idle_with_contacts),
        *(("contact", c) for c in idle_contacts),
    }
    assert {t.reason for t in tombstones} == {"gdpr_purge"}
    assert {t.user_id for t in tombstones} == {None}  # the system, not a user
    # nothing inactive is left: a second run deletes nothing
    assert retention.purge_inactive(database, months=36, now=now, dry_run=False).prospect_ids == []


def test_carnet_gdpr_purge_on_a_generated_data_set_leaves_search_verify_at_zero(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from carnet.cli import main
    from config import load_settings

    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "load", "--count", "30"]).exit_code == 0
    db = Database(load_settings().resolved_database_url)
    old = datetime.now(UTC) - timedelta(days=4 * 365)
    try:
        with db.read() as session:
            prospects = list(
                session.scalars(
                    select(Account.id).where(Account.kind == "prospect").order_by(Account.id)
                )
            )
            busy = set(session.scalars(select(Action.account_id))) | set(
                session.scalars(select(Opportunity.account_id))
            )
        quiet = [p for p in prospects if p not in busy]
        assert len(quiet) >= 2, "the demo data set has prospects without actions"
        stale = quiet[: len(quiet) // 2 + 1]
        with db.unit_of_work() as uow:
            for table, column in ((Account, Account.id), (Contact, Contact.account_id)):
                uow.session.execute(
                    update(table)
                    .where(column.in_(stale))
                    .values(updated_at=old, created_at=old)
                    .execution_options(synchronize_session=False)
                )
            uow.session.execute(
                update(HistoryEntry).values(at=old).execution_options(synchronize_session=False)
            )
    finally:
        db.dispose()

    dry = runner.invoke(main, ["gdpr", "purge", "--inactive-months", "36", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["prospect_ids"] == stale
    result = runner.invoke(main, ["gdpr", "purge", "--inactive-months", "36"])
    assert result.exit_code == 0, result.output
    assert f"Deleted {len(stale)} prospect(s)" in result.output
    again = runner.invoke(main, ["gdpr", "purge", "--inactive-months", "36", "--json"])
    assert json.loads(again.output)["prospects"] == 0
    verify = runner.invoke(main, ["search", "verify"])
    assert verify.exit_code == 0, verify.output
    bad = runner.invoke(main, ["gdpr", "purge", "--inactive-months", "0"])
    assert bad.exit_code == 2


def test_the_monthly_purge_is_a_beat_task_off_by_default(settings: Any) -> None:
    from workers.celery_app import components, create_celery
    from workers.retention import PURGE_TASK

    monthly = settings.model_copy(update={"gdpr_purge_months": 36})
    off, on = create_celery(settings), create_celery(monthly)
    try:
        assert "carnet-gdpr-purge" not in (off.conf.beat_schedule or {})
        skipped = off.tasks[PURGE_TASK].apply().result
        assert skipped == {"skipped": "off (CARNET_GDPR_PURGE_MONTHS=0)"}
        entry = on.conf.beat_schedule["carnet-gdpr-purge"]
        assert entry["task"] == PURGE_TASK
        assert entry["schedule"].day_of_month == {1}
        assert on.tasks[PURGE_TASK].apply().result["prospects"] == 0
    finally:
        for app in (off, on):
            components(app).db.dispose()
