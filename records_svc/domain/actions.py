"""Actions (activities): calls, meetings, e-mails and tasks on a contact, prospect or client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from httpkit.error_codes import field_error
from records_svc.db import UnitOfWork
from records_svc.domain import access, listing, users
from records_svc.domain.accounts import check_version, get_account
from records_svc.domain.contacts import get_contact
from records_svc.domain.errors import FieldValidationError, NotFoundError
from records_svc.domain.listing import utc
from records_svc.domain.opportunities import get_opportunity
from records_svc.domain.opportunity_models import Action
from records_svc.domain.paging import (
    InvalidCursorError,
    decode_keyset_cursor,
    encode_keyset_cursor,
)

TYPES = ("call", "meeting", "email", "task")
TARGET_KINDS = ("contact", "prospect", "client")


def _instant(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        return utc(value)
    except OverflowError:  # e.g. year 1 at +14:00 has no UTC counterpart
        raise FieldValidationError([field_error(key, "out_of_range", "out of range")]) from None


def record_of(session: Session, kind: str, record_id: int) -> tuple[int, int | None]:
    """(account id, contact id or None) of a contact, prospect or client; 404 if unknown."""
    if kind == "contact":
        contact = get_contact(session, record_id)
        return contact.account_id, contact.id
    return get_account(session, record_id, kind).id, None


def get_action(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFoundError(f"No action {action_id}.")
    access.of(session).require_visible(action.account, f"action {action_id}")
    return action


@dataclass(frozen=True)
class ActionQuery:
    """My actions: whose (None: anyone's), open or done, due when; sorted by due date."""

    assignee_id: int | None = None
    done: bool | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool = False
    sort: str | None = None


ACTION_SORTS = {"due_at": listing.instant_key(Action.due_at, "due_at")}
ACTION_FILTERS = ("assignee", "done", "due_before", "due_after", "overdue", "sort")


def list_actions(
    session: Session, query: ActionQuery, *, cursor: str | None, limit: int
) -> tuple[list[Action], str | None]:
    """Actions on the records the caller sees; overdue: open and due before now."""
    stmt = access.of(session).visible_by_account(select(Action), Action.account_id)
    if query.assignee_id is not None:
        stmt = stmt.where(Action.assignee_id == query.assignee_id)
    if query.done is not None:
        stmt = stmt.where(Action.done.is_(query.done))
    if query.due_before is not None:
        stmt = stmt.where(Action.due_at < utc(query.due_before))
    if query.due_after is not None:
        stmt = stmt.where(Action.due_at >= utc(query.due_after))
    if query.overdue:
        stmt = stmt.where(Action.done.is_(False), Action.due_at < datetime.now(UTC))
    return listing.keyset_page(
        session,
        stmt,
        keys=ACTION_SORTS,
        id_column=Action.id,
        sort=query.sort,
        default="due_at",
        cursor=cursor,
        limit=limit,
    )


def _apply(session: Session, action: Action, data: Mapping[str, Any]) -> None:
    for key in ("type", "subject", "notes"):
        if key in data:
            setattr(action, key, data[key])
    if "assignee_id" in data:
        action.assignee_id = users.require_user(session, data["assignee_id"], "assignee_id")
    due_at = _instant(data, "due_at")
    if due_at is not None:
        action.due_at = due_at
    done_at = _instant(data, "done_at")
    done = data.get("done", True if done_at is not None else None)
    if done is True:
        if done_at is not None:
            action.done_at = done_at
        elif not action.done or action.done_at is None:
            action.done_at = datetime.now(UTC)
        action.done = True
    elif done is False:
        action.done, action.done_at = False, None


def _create(
    uow: UnitOfWork,
    author_id: int,
    data: Mapping[str, Any],
    *,
    account_id: int,
    contact_id: int | None,
    opportunity_id: int | None,
) -> Action:
    action = Action(
        author_id=author_id,
        assignee_id=author_id,
        account=get_account(uow.session, account_id),
        account_id=account_id,
        contact_id=contact_id,
        opportunity_id=opportunity_id,
        done=False,
        due_at=datetime.now(UTC),
    )
    _apply(uow.session, action, data)
    uow.session.add(action)
    uow.session.flush()
    return action


def create_on_record(
    uow: UnitOfWork, author_id: int, kind: str, record_id: int, data: Mapping[str, Any]
) -> Action:
    """An action on the record at ``/{kind}s/{record_id}`` (404 if there is none)."""
    account_id, contact_id = record_of(uow.session, kind, record_id)
    return _create(
        uow, author_id, data, account_id=account_id, contact_id=contact_id, opportunity_id=None
    )


def create_from_opportunity(
    uow: UnitOfWork, author_id: int, opportunity_id: int, data: Mapping[str, Any]
) -> Action:
    """Logged from an opportunity: the target is its account (default) or one of its contacts."""
    opportunity = get_opportunity(uow.session, opportunity_id)
    target = data.get("target") or {"kind": opportunity.account.kind, "id": opportunity.account_id}
    try:
        account_id, contact_id = record_of(uow.session, target["kind"], target["id"])
    except NotFoundError:
        raise FieldValidationError(
            [field_error("target", "not_found", f"no {target['kind']} {target['id']}")]
        ) from None
    if account_id != opportunity.account_id:
        raise FieldValidationError(
            [
                field_error(
                    "target",
                    "not_related",
                    "must be the opportunity's account or one of its contacts",
                )
            ]
        )
    payload = {k: v for k, v in data.items() if k != "target"}
    return _create(
        uow,
        author_id,
        payload,
        account_id=account_id,
        contact_id=contact_id,
        opportunity_id=opportunity.id,
    )


def update_action(
    uow: UnitOfWork, action_id: int, data: Mapping[str, Any], *, expected_version: int | None
) -> Action:
    action = get_action(uow.session, action_id)
    check_version(action.version, expected_version, "action")
    _apply(uow.session, action, data)
    uow.session.flush()
    return action


def mark_done(uow: UnitOfWork, action_id: int, *, expected_version: int | None) -> Action:
    return update_action(uow, action_id, {"done": True}, expected_version=expected_version)


def delete_action(uow: UnitOfWork, action_id: int, *, expected_version: int | None) -> None:
    action = get_action(uow.session, action_id)
    check_version(action.version, expected_version, "action")
    uow.session.delete(action)
    uow.session.flush()


def _page(
    session: Session, stmt: Select[Action], *, cursor: str | None, limit: int
) -> tuple[list[Action], str | None]:
    """Newest first: by due date (the date of the activity), then id, both descending."""
    after = decode_keyset_cursor(cursor)
    if after is not None:
        text, last_id = after
        try:
            key = utc(datetime.fromisoformat(text))
        except ValueError:
            raise InvalidCursorError() from None
        stmt = stmt.where(or_(Action.due_at < key, and_(Action.due_at == key, Action.id < last_id)))
    stmt = stmt.order_by(Action.due_at.desc(), Action.id.desc()).limit(limit + 1)
    rows = list(session.scalars(stmt))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_keyset_cursor(utc(last.due_at).isoformat(), last.id)
    return rows[:limit], next_cursor


def record_timeline(
    session: Session,
    kind: str,
    record_id: int,
    *,
    with_contacts: bool = True,
    cursor: str | None,
    limit: int,
) -> tuple[list[Action], str | None]:
    """A record's activities; an account's include its contacts' unless ``with_contacts``."""
    account_id, contact_id = record_of(session, kind, record_id)
    stmt = select(Action)
    if contact_id is not None:
        stmt = stmt.where(Action.contact_id == contact_id)
    else:
        stmt = stmt.where(Action.account_id == account_id)
        if not with_contacts:
            stmt = stmt.where(Action.contact_id.is_(None))
    return _page(session, stmt, cursor=cursor, limit=limit)


def opportunity_actions(
    session: Session, opportunity_id: int, *, cursor: str | None, limit: int
) -> tuple[list[Action], str | None]:
    """The opportunity's Activities tab."""
    get_opportunity(session, opportunity_id)
    stmt = select(Action).where(Action.opportunity_id == opportunity_id)
    return _page(session, stmt, cursor=cursor, limit=limit)
