"""Merge two accounts (or two contacts) into one, in one transaction.

The source goes; what hangs off it moves to the target: an account's contacts,
documents, actions, opportunities and printed editions; a contact's actions,
documents, opportunities and editions. The fields the caller chose are copied
from the source. History (one ``merged`` entry on the target, a tombstone for
the source) and search (outbox events for both records, the moved contacts too)
follow through the unit of work's listeners, in the same transaction.

Either record changed since the caller read it (``expected_version`` of the
target, ``source_version``): 409, nothing merged. Merging a client — as the
source or into a client — needs the ERP's right ``erp_sync`` (the ERP owns
clients); merging accounts at all needs ``merge_accounts`` (checked by the API).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from records_svc.db import UnitOfWork
from records_svc.domain import access, accounts, contacts, duplicates, history, search_changes
from records_svc.domain.errors import ConflictError, FieldValidationError, PermissionDeniedError
from records_svc.domain.models import Account, Contact, Document, Job, utcnow
from records_svc.domain.opportunity_models import Action, Opportunity, opportunity_contacts
from records_svc.domain.rights import ERP_SYNC

SOURCE, TARGET = "source", "target"
#: the account fields a merge may take from the source (API names; ``address`` whole)
ACCOUNT_FIELDS = (*(k for k in accounts.COLUMNS if not k.startswith("address.")), "address")
CONTACT_FIELDS = contacts.COLUMNS


def _choices(fields: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, str]:
    """``fields`` checked: known names (``custom.<key>`` too), each ``source`` or ``target``."""
    errors = []
    for name, side in fields.items():
        if name not in allowed and not (name.startswith("custom.") and len(name) > 7):
            errors.append(
                {
                    "field": f"fields.{name}",
                    "code": "unknown_field",
                    "message": "is not a field that can be merged",
                }
            )
        elif side not in (SOURCE, TARGET):
            errors.append(
                {"field": f"fields.{name}", "code": "invalid", "message": "source or target"}
            )
    if errors:
        raise FieldValidationError(errors)
    return {name: side for name, side in fields.items() if side == SOURCE}


def _not_same(target_id: int, source_id: int) -> None:
    if target_id == source_id:
        raise FieldValidationError(
            [{"field": "source_id", "code": "same_record", "message": "is the record merged into"}]
        )


def _unchanged(version: int, expected: int | None, what: str) -> None:
    if expected is not None and expected != version:
        raise ConflictError(
            f"The {what} changed since you read it (version {expected}, now {version}); "
            "reload both records and merge again.",
            errors=[
                {
                    "field": "If-Match" if what == TARGET else "source_version",
                    "code": "stale",
                    "message": f"version {expected} is not the current one ({version})",
                }
            ],
            current_version=version,
        )


def _copied(source: Account | Contact, chosen: Mapping[str, str]) -> dict[str, Any]:
    """The chosen source values in the API's shape (``address`` nested, ``custom`` {})."""
    data: dict[str, Any] = {}
    custom = source.custom or {}
    for name in chosen:
        if name.startswith("custom."):
            data.setdefault("custom", {})[name[7:]] = custom.get(name[7:])
        elif name == "address":
            data["address"] = dict(source.address)  # type: ignore[union-attr]
        elif isinstance(source, Account):
            data[name] = getattr(source, accounts.COLUMNS[name])
        else:
            data[name] = getattr(source, name)
    return data


def merge_accounts(
    uow: UnitOfWork,
    target_id: int,
    source_id: int,
    *,
    fields: Mapping[str, Any],
    expected_version: int | None,
    source_version: int | None = None,
) -> tuple[Account, dict[str, int]]:
    """Merge account ``source_id`` into ``target_id``; returns the target and what moved."""
    _not_same(target_id, source_id)
    chosen = _choices(fields, ACCOUNT_FIELDS)
    session = uow.session
    target = accounts.get_account(session, target_id)
    source = accounts.get_account(session, source_id)
    if accounts.CLIENT in (target.kind, source.kind) and not access.of(session).erp_sync:
        raise PermissionDeniedError(
            "Merging a client needs the ERP's right erp_sync: the ERP owns clients.",
            missing_right=ERP_SYNC,
        )
    _unchanged(target.version, expected_version, TARGET)
    _unchanged(source.version, source_version, SOURCE)
    history.note_merge(session, "account", target.id, source)
    siret = target.siret
    data = _copied(source, chosen)
    if data:
        accounts._apply(
            session, target, data, entity=target.kind, creating=False, enforce_required=False
        )
    if target.siret != siret:  # the source's SIRET goes with it; any other holder refuses
        duplicates.check_siret_free(session, target.siret, target.id, source.id)
    moved = _move_account_dependants(session, source, target)
    target.updated_at = utcnow()  # the target changed (its dependants): a new version
    session.delete(source)
    session.flush()
    search_changes.touch(session, target)
    return target, moved


def _move_account_dependants(session: Session, source: Account, target: Account) -> dict[str, int]:
    moving = list(session.scalars(select(Contact).where(Contact.account_id == source.id)))
    for contact in moving:
        # the column itself, not the relationship: history and search see the change
        contact.account_id = target.id
    session.flush()
    for contact in moving:
        session.expire(contact, ["account"])
    moved = {"contacts": len(moving)}
    moved["documents"] = _bulk(
        session,
        update(Document).where(Document.account_id == source.id).values(account_id=target.id),
    )
    for name, model in (("actions", Action), ("opportunities", Opportunity)):
        moved[name] = _bulk(
            session,
            update(model)
            .where(model.account_id == source.id)
            .values(account_id=target.id, version=model.version + 1, updated_at=utcnow()),
        )
    moved["editions"] = _bulk(
        session,
        update(Job)
        .where(Job.target_kind == source.kind, Job.target_id == source.id)
        .values(target_kind=target.kind, target_id=target.id),
    )
    return moved


def _bulk(session: Session, statement: Any) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def merge_contacts(
    uow: UnitOfWork,
    target_id: int,
    source_id: int,
    *,
    fields: Mapping[str, Any],
    expected_version: int | None,
    source_version: int | None = None,
) -> tuple[Contact, dict[str, int]]:
    """Merge contact ``source_id`` into ``target_id`` (both seen by the caller).

    Without a choice, a field the target lacks takes the source's value: nothing
    known of the person is lost.
    """
    _not_same(target_id, source_id)
    chosen = _choices(fields, CONTACT_FIELDS)
    session = uow.session
    target = contacts.get_contact(session, target_id)
    source = contacts.get_contact(session, source_id)
    _unchanged(target.version, expected_version, TARGET)
    _unchanged(source.version, source_version, SOURCE)
    for name in CONTACT_FIELDS:
        if name not in fields and not getattr(target, name) and getattr(source, name):
            chosen[name] = SOURCE
    history.note_merge(session, "contact", target.id, source)
    data = _copied(source, chosen)
    if data:
        contacts._apply(session, target, data, creating=False)
    moved = _move_contact_dependants(session, source, target)
    target.updated_at = utcnow()
    session.delete(source)
    session.flush()
    search_changes.touch(session, target)
    return target, moved


def _move_contact_dependants(session: Session, source: Contact, target: Contact) -> dict[str, int]:
    moved = {
        "actions": _bulk(
            session,
            update(Action)
            .where(Action.contact_id == source.id)
            .values(
                contact_id=target.id,
                account_id=target.account_id,
                version=Action.version + 1,
                updated_at=utcnow(),
            ),
        ),
        "documents": _bulk(
            session,
            update(Document).where(Document.contact_id == source.id).values(contact_id=target.id),
        ),
        "editions": _bulk(
            session,
            update(Job)
            .where(Job.target_kind == "contact", Job.target_id == source.id)
            .values(target_id=target.id),
        ),
    }
    link = opportunity_contacts.c
    theirs = set(session.scalars(select(link.opportunity_id).where(link.contact_id == source.id)))
    ours = set(session.scalars(select(link.opportunity_id).where(link.contact_id == target.id)))
    new = sorted(theirs - ours)
    if new:
        session.execute(
            insert(opportunity_contacts),
            [{"opportunity_id": o, "contact_id": target.id} for o in new],
        )
    session.execute(delete(opportunity_contacts).where(link.contact_id == source.id))
    moved["opportunities"] = len(theirs)
    return moved
