"""Reading the history: a record's entries (newest first) and the deleted-records log.

Both go through the access policy: the history of a closed client (or of one of
its contacts) and its tombstones do not exist for a user without *show closed
accounts*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records_svc.domain import access
from records_svc.domain.accounts import get_account
from records_svc.domain.contacts import get_contact
from records_svc.domain.history_models import DeletedRecord, HistoryEntry
from records_svc.domain.models import Contact, Document
from records_svc.domain.opportunity_models import Action
from records_svc.domain.paging import decode_cursor, encode_cursor

Page = tuple[list[Any], str | None]


def _newest_first(session: Session, stmt: Any, column: Any, cursor: str | None, limit: int) -> Page:
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(column < after)
    rows = list(session.scalars(stmt.order_by(column.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def entries_of(session: Session, entity: str, entity_id: int) -> Any:
    """All the entries of one record (a select, newest first once paged)."""
    return select(HistoryEntry).where(
        HistoryEntry.entity == entity, HistoryEntry.entity_id == entity_id
    )


def list_history(
    session: Session, kind: str, record_id: int, *, cursor: str | None, limit: int
) -> Page:
    """The history of a prospect, a client or a contact (404 when it is hidden)."""
    if kind == "contact":
        get_contact(session, record_id)
        entity = "contact"
    else:
        get_account(session, record_id, kind)
        entity = "account"
    stmt = entries_of(session, entity, record_id)
    return _newest_first(session, stmt, HistoryEntry.id, cursor, limit)


def list_deleted(
    session: Session, *, kind: str | None, account_id: int | None, cursor: str | None, limit: int
) -> Page:
    """Tombstones, newest first; those of closed clients only for who may see them."""
    stmt = select(DeletedRecord)
    if not access.of(session).show_closed:
        stmt = stmt.where(DeletedRecord.closed.is_(False))
    if kind is not None:
        stmt = stmt.where(DeletedRecord.kind == kind)
    if account_id is not None:
        stmt = stmt.where(DeletedRecord.account_id == account_id)
    return _newest_first(session, stmt, DeletedRecord.id, cursor, limit)


@dataclass(frozen=True)
class PersonData:
    """Everything Carnet holds on one person (an access request under the GDPR)."""

    contact: Contact
    actions: list[Action]
    documents: list[Document]
    history: list[HistoryEntry]


def person_data(session: Session, contact_id: int) -> PersonData:
    contact = get_contact(session, contact_id)
    actions = session.scalars(
        select(Action)
        .where(Action.contact_id == contact_id)
        .order_by(Action.due_at.desc(), Action.id.desc())
    )
    documents = session.scalars(
        select(Document).where(Document.contact_id == contact_id).order_by(Document.id)
    )
    entries = session.scalars(
        entries_of(session, "contact", contact_id).order_by(HistoryEntry.id.desc())
    )
    return PersonData(contact, list(actions), list(documents), list(entries))
