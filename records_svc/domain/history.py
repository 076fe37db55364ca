"""Who changed what: history entries and tombstones, written with the change itself.

Like ``search_changes``, this listens to every flush of a writer session
(``before_flush``), whatever the write path — the API, the ERP sync, the SIRENE
fill, an edition's worker, the command line — and notes what changed on
accounts, contacts and documents. The unit of work turns the notes into rows
just before it commits (``write_pending``), in the same transaction: a change
rolled back leaves no history, and no change goes unrecorded.

One entry per record per transaction: ``created``, ``changed``, ``validated``,
``converted`` (prospect → client), ``closed``/``reopened``, ``sirene_filled``,
``document_added``/``document_removed``, ``edition_attached``, ``imported`` (a
record created or changed by an import); each carries its
field changes (``{field, old, new}`` in API field names), the user and the
request id. A deleted record's history goes with it and a tombstone
(``DeletedRecord``: kind, id, an account's name, who, when) is left instead: a
contact's name, e-mail and phones are never kept once the contact is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import InstanceState, Session

from config.logs import current_request_id
from records_svc.domain import bulk
from records_svc.domain.history_models import DeletedRecord, HistoryEntry
from records_svc.domain.models import Account, Contact, Document

CREATED, CHANGED, VALIDATED, CONVERTED = "created", "changed", "validated", "converted"
CLOSED, REOPENED = "closed", "reopened"
SIRENE_FILLED, EDITION_ATTACHED = "sirene_filled", "edition_attached"
DOCUMENT_ADDED, DOCUMENT_REMOVED = "document_added", "document_removed"
#: a record created or changed by an import (``tag``)
IMPORTED = "imported"
#: a deletion by the retention purge (the tombstone's reason)
GDPR_PURGE = "gdpr_purge"
#: a record merged into another: the target's entry and the source's tombstone reason
MERGED = "merged"

_KEY = "carnet.history"
_ACTOR = "carnet.actor"
_TAG = "carnet.history.tag"
_WRITING = "carnet.history.writing"
_PAUSED = "carnet.history.paused"
_HIDDEN = {"id", "version", "search_version", "created_at", "updated_at"}
_CONTACT_NAMES = {
    "consent_status": "consent.status",
    "consent_at": "consent.at",
    "consent_source": "consent.source",
}


@cache
def _account_names() -> dict[str, str]:
    from records_svc.domain.accounts import COLUMNS  # the API's names of account columns

    return {column: key for key, column in COLUMNS.items()}


def field_name(entity: str, column: str) -> str:
    """The API's name of a column (``address.city``, ``consent.status``…)."""
    names = _account_names() if entity == "account" else _CONTACT_NAMES
    return names.get(column, column)


def bind_actor(session: Session, user_id: int | None) -> None:
    """Who makes this unit of work's changes (None: the system, e.g. a scheduled purge)."""
    session.info[_ACTOR] = user_id


def actor_of(session: Session) -> int | None:
    user_id: int | None = session.info.get(_ACTOR)
    return user_id


def pause(session: Session) -> None:
    """Record no history in this unit of work (only to measure what history costs)."""
    session.info[_PAUSED] = True


def tag(session: Session, what: str) -> None:
    """Say what this unit of work is (a SIRENE fill, an edition attached), not a plain edit."""
    session.info[_TAG] = what


@dataclass
class _Record:
    obj: Account | Contact
    entity: str
    created: bool = False
    #: field → [old, new] over the whole unit of work
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class _DocumentEvent:
    action: str
    owner: tuple[str, int]
    document: Document


@dataclass
class _Notes:
    records: dict[int, _Record] = field(default_factory=dict)
    documents: list[_DocumentEvent] = field(default_factory=list)
    #: (entity, id) → tombstone: a contact deleted by the ORM and by the database is one
    tombstones: dict[tuple[str, int], DeletedRecord] = field(default_factory=dict)

    #: (entity, target id) → what was merged into it (``note_merge``)
    merges: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    #: (entity, id) of the records merged away (their tombstone says so)
    merged_away: set[tuple[str, int]] = field(default_factory=set)

    def bury(self, tombstone: DeletedRecord) -> None:
        entity = "contact" if tombstone.kind == "contact" else "account"
        self.tombstones.setdefault((entity, tombstone.record_id), tombstone)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _diff(obj: Account | Contact, entity: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    state: InstanceState[Any] = inspect(obj)
    for attr in state.mapper.column_attrs:
        if attr.key in _HIDDEN:
            continue
        history = state.attrs[attr.key].load_history()
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if attr.key == "custom":
            old, new = old or {}, new or {}
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    found[f"custom.{key}"] = [_plain(old.get(key)), _plain(new.get(key))]
        else:
            found[field_name(entity, attr.key)] = [_plain(old), _plain(new)]
    return found


def _persistent(obj: Any) -> bool:
    state: InstanceState[Any] = inspect(obj)
    return bool(state.persistent)


def _owner(document: Document) -> tuple[str, int] | None:
    if document.contact_id is not None:
        return "contact", document.contact_id
    if document.account_id is not None:
        return "account", document.account_id
    return None


def _tombstone(kind: str, record_id: int, account: Account | None, **values: Any) -> DeletedRecord:
    closed = account is not None and account.kind == "client" and bool(account.closed)
    return DeletedRecord(
        kind=kind,
        record_id=record_id,
        account_id=account.id if account is not None else None,
        closed=closed,
        **values,
    )


def before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Note what this flush changes on accounts, contacts and documents."""
    if session.info.get(_WRITING) or session.info.get(_PAUSED):
        return
    notes: _Notes = session.info.setdefault(_KEY, _Notes())
    for obj in session.new:
        if isinstance(obj, Account | Contact):
            note_created(session, obj)
        elif isinstance(obj, Document) and (owner := _owner(obj)) is not None:
            edition = session.info.get(_TAG) == EDITION_ATTACHED
            action = EDITION_ATTACHED if edition else DOCUMENT_ADDED
            notes.documents.append(_DocumentEvent(action, owner, obj))
    for obj in session.dirty:
        if isinstance(obj, Account | Contact) and session.is_modified(obj):
            entity = "account" if isinstance(obj, Account) else "contact"
            record = notes.records.setdefault(id(obj), _Record(obj, entity))
            for name, (old, new) in _diff(obj, entity).items():
                record.changes.setdefault(name, [old, new])[1] = new
    for obj in session.deleted:
        _note_deleted(session, notes, obj)


def note_created(session: Session, obj: Account | Contact) -> None:
    """``obj`` is created in this unit of work (by a flush, or written by ``bulk.add_new``)."""
    if session.info.get(_WRITING) or session.info.get(_PAUSED):
        return
    notes: _Notes = session.info.setdefault(_KEY, _Notes())
    entity = "account" if isinstance(obj, Account) else "contact"
    notes.records.setdefault(id(obj), _Record(obj, entity, created=True))


def note_merge(session: Session, entity: str, target_id: int, source: Account | Contact) -> None:
    """This unit of work merges ``source`` into the record ``target_id``: the target's
    history gets one ``merged`` entry (naming the source) and the source's tombstone
    says why it went."""
    notes: _Notes = session.info.setdefault(_KEY, _Notes())
    detail: dict[str, Any] = {"source_id": source.id}
    if isinstance(source, Account):
        detail.update(source_kind=source.kind, source_name=source.name)
    notes.merges[(entity, target_id)] = detail
    notes.merged_away.add((entity, source.id))


def _note_deleted(session: Session, notes: _Notes, obj: Any) -> None:
    reason = GDPR_PURGE if session.info.get(_TAG) == GDPR_PURGE else None
    entity = "account" if isinstance(obj, Account) else "contact"
    if (entity, getattr(obj, "id", None)) in notes.merged_away:
        reason = MERGED
    if isinstance(obj, Account):
        notes.bury(_tombstone(obj.kind, obj.id, obj, name=obj.name, reason=reason))
        with session.no_autoflush:
            # The database removes them (ON DELETE CASCADE): the ORM never sees them.
            for (contact_id,) in session.execute(
                select(Contact.id).where(Contact.account_id == obj.id)
            ):
                notes.bury(_tombstone("contact", contact_id, obj, reason=reason))
    elif isinstance(obj, Contact):
        with session.no_autoflush:
            account = session.get(Account, obj.account_id)
        notes.bury(_tombstone("contact", obj.id, account, reason=reason))
    elif isinstance(obj, Document) and (owner := _owner(obj)) is not None:
        notes.documents.append(_DocumentEvent(DOCUMENT_REMOVED, owner, obj))


def _action(session: Session, record: _Record) -> str:
    changes = record.changes
    if "kind" in changes and changes["kind"][1] == "client":
        return CONVERTED
    if "status" in changes and changes["status"][1] == "validated":
        return VALIDATED
    if "closed" in changes:
        return CLOSED if changes["closed"][1] else REOPENED
    if session.info.get(_TAG) in (SIRENE_FILLED, IMPORTED):
        return str(session.info[_TAG])
    return CHANGED


def write_pending(session: Session) -> None:
    """Write the unit of work's entries and tombstones (called once, before its commit)."""
    notes: _Notes | None = session.info.pop(_KEY, None)
    if notes is None:
        return
    actor, request_id = actor_of(session), current_request_id()
    gone = set(notes.tombstones)
    rows: list[dict[str, Any]] = []
    merged_changes: dict[tuple[str, int], list[dict[str, Any]]] = {}

    def entry(entity: str, entity_id: int, action: str, **values: Any) -> None:
        rows.append(
            {
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "changes": values.get("changes") or [],
                "detail": values.get("detail"),
                "user_id": values.get("user_id", actor),
                "request_id": request_id,
            }
        )

    for record in notes.records.values():
        if (record.entity, record.obj.id) in gone or not _persistent(record.obj):
            continue
        changes = [
            {"field": name, "old": old, "new": new}
            for name, (old, new) in sorted(record.changes.items())
            if old != new
        ]
        if (record.entity, record.obj.id) in notes.merges:
            merged_changes[(record.entity, record.obj.id)] = changes
        elif record.created:
            created = IMPORTED if session.info.get(_TAG) == IMPORTED else CREATED
            entry(record.entity, record.obj.id, created)
        elif changes:
            entry(record.entity, record.obj.id, _action(session, record), changes=changes)
    for (entity, entity_id), detail in notes.merges.items():
        if (entity, entity_id) not in gone:
            changes = merged_changes.get((entity, entity_id), [])
            entry(entity, entity_id, MERGED, changes=changes, detail=detail)
    for event in notes.documents:
        if event.owner in gone:
            continue
        document = event.document
        entry(
            event.owner[0],
            event.owner[1],
            event.action,
            detail={"document_id": document.id, "name": document.name},
            # an edition's worker acts for whoever asked for it
            user_id=actor if actor is not None else document.uploaded_by,
        )
    for tombstone in notes.tombstones.values():
        tombstone.user_id, tombstone.request_id = actor, request_id
    session.info[_WRITING] = True
    try:
        # one statement (an import writes hundreds per transaction)
        bulk.insert_rows(session, HistoryEntry, rows)
        session.add_all(notes.tombstones.values())
        for entity, entity_id in gone:
            session.execute(
                delete(HistoryEntry).where(
                    HistoryEntry.entity == entity, HistoryEntry.entity_id == entity_id
                )
            )
        session.flush()
    finally:
        session.info.pop(_WRITING, None)
