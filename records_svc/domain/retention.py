"""Retention of prospects (GDPR): those untouched for too long are deleted, with a report.

The CNIL's guidance for B2B prospects is three years after the last contact. A
prospect is *active* while anything happened on it within the period: a change
to it or to one of its contacts (its history included: a document added), an
action on it or them (logged, changed or due), an opportunity changed. The
others go, their contacts with them, through the same delete as a user's (the
search index follows; tombstones say ``gdpr_purge``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from records_svc.db import Database
from records_svc.domain import accounts, history
from records_svc.domain.history_models import HistoryEntry
from records_svc.domain.models import Account, Contact
from records_svc.domain.opportunity_models import Action, Opportunity

#: prospects deleted per transaction
BATCH = 100


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's end)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    prospect_ids: list[int] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "prospects": len(self.prospect_ids),
            "contacts": len(self.contact_ids),
            "prospect_ids": self.prospect_ids,
            "contact_ids": self.contact_ids,
        }


def inactive_prospects(db: Database, cutoff: datetime) -> list[int]:
    """Ids of the prospects with nothing happened on them since ``cutoff``."""
    account = Account.id
    contact_ids = select(Contact.id).where(Contact.account_id == account)
    recent = or_(
        Account.updated_at >= cutoff,
        Account.created_at >= cutoff,
        exists().where(Contact.account_id == account, Contact.updated_at >= cutoff),
        exists().where(
            Action.account_id == account,
            or_(Action.updated_at >= cutoff, Action.due_at >= cutoff),
        ),
        exists().where(Opportunity.account_id == account, Opportunity.updated_at >= cutoff),
        exists().where(
            HistoryEntry.at >= cutoff,
            or_(
                (HistoryEntry.entity == "account") & (HistoryEntry.entity_id == account),
                (HistoryEntry.entity == "contact") & HistoryEntry.entity_id.in_(contact_ids),
            ),
        ),
    )
    stmt = select(Account.id).where(Account.kind == accounts.PROSPECT, ~recent)
    with db.read() as session:
        return list(session.scalars(stmt.order_by(Account.id)))


def _contacts_of(session: Session, account_ids: list[int]) -> list[int]:
    stmt = select(Contact.id).where(Contact.account_id.in_(account_ids)).order_by(Contact.id)
    return list(session.scalars(stmt))


def purge_inactive(db: Database, *, months: int, now: datetime, dry_run: bool) -> PurgeReport:
    """Delete (or, with ``dry_run``, list) the prospects inactive for ``months``."""
    report = PurgeReport(cutoff=months_before(now, months), dry_run=dry_run)
    ids = inactive_prospects(db, report.cutoff)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        if dry_run:
            with db.read() as session:
                report.contact_ids += _contacts_of(session, batch)
        else:
            with db.unit_of_work() as uow:
                history.tag(uow.session, history.GDPR_PURGE)
                report.contact_ids += _contacts_of(uow.session, batch)
                for account_id in batch:
                    accounts.delete_account(uow, account_id, expected_version=None)
        report.prospect_ids += batch
    return report
