"""Saved views: a list's filters and sort under a name, the user's own or shared with all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from httpkit.error_codes import field_error
from records_svc.domain import listing
from records_svc.domain.accounts import ACCOUNT_SORTS, check_version
from records_svc.domain.actions import ACTION_FILTERS, ACTION_SORTS
from records_svc.domain.contacts import CONTACT_SORTS
from records_svc.domain.errors import FieldValidationError, NotFoundError, PermissionDeniedError
from records_svc.domain.list_models import SavedView
from records_svc.domain.opportunities import PORTFOLIO_FILTERS, PORTFOLIO_SORTS


class ViewEntity:
    """What a view of one list may hold: its filters, custom ones or not, its sort keys."""

    def __init__(
        self, filters: tuple[str, ...], sorts: Mapping[str, Any], default: str, *, custom: bool
    ) -> None:
        self.filters, self.sorts, self.default, self.custom = filters, sorts, default, custom


ENTITIES = {
    "accounts": ViewEntity(listing.ACCOUNT_FILTERS, ACCOUNT_SORTS, "id", custom=True),
    "contacts": ViewEntity(listing.ACCOUNT_FILTERS, CONTACT_SORTS, "id", custom=True),
    "opportunities": ViewEntity(
        PORTFOLIO_FILTERS, PORTFOLIO_SORTS, "expected_signing_date", custom=False
    ),
    "actions": ViewEntity(ACTION_FILTERS, ACTION_SORTS, "due_at", custom=False),
}
MAX_FILTERS = 30


def _check(entity: str, filters: Mapping[str, Any], sort: str | None) -> None:
    """422 naming an unknown filter or sort, or a value that is not a plain one."""
    spec = ENTITIES[entity]
    names = [f"filters.{name}" for name in filters]
    known = [f"filters.{name}" for name in spec.filters]
    listing.check_filters(
        [n for n in names if not n.startswith("filters.custom.")] if spec.custom else names,
        known,
        custom=False,
    )
    errors = [
        field_error(f"filters.{name}", "invalid", "a text, number or boolean")
        for name, value in filters.items()
        if not _plain(value)
    ]
    if len(filters) > MAX_FILTERS:
        errors.append(field_error("filters", "invalid", "too many filters"))
    if errors:
        raise FieldValidationError(errors)
    if sort is not None:
        listing.sort_of(sort, spec.sorts, spec.default)


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) <= 20 and all(isinstance(v, str) and len(v) <= 200 for v in value)
    if isinstance(value, str):
        return len(value) <= 200
    return value is None or isinstance(value, (bool, int, float))


def list_views(session: Session, user_id: int, entity: str | None) -> list[SavedView]:
    """The user's own views and the shared ones, by name."""
    stmt = select(SavedView).where(or_(SavedView.user_id == user_id, SavedView.shared.is_(True)))
    if entity is not None:
        stmt = stmt.where(SavedView.entity == entity)
    return list(session.scalars(stmt.order_by(SavedView.name, SavedView.id)))


def get_view(session: Session, user_id: int, view_id: int) -> SavedView:
    view = session.get(SavedView, view_id)
    if view is None or not (view.shared or view.user_id == user_id):
        raise NotFoundError(f"No view {view_id}.")
    return view


def _own(session: Session, user_id: int, view_id: int) -> SavedView:
    view = get_view(session, user_id, view_id)
    if view.user_id != user_id:
        raise PermissionDeniedError("Only the user who saved a view changes or deletes it.")
    return view


def create_view(session: Session, user_id: int, data: Mapping[str, Any]) -> SavedView:
    filters = dict(data.get("filters") or {})
    _check(data["entity"], filters, data.get("sort"))
    view = SavedView(
        user_id=user_id,
        name=data["name"],
        entity=data["entity"],
        filters=filters,
        sort=data.get("sort"),
        shared=bool(data.get("shared", False)),
    )
    session.add(view)
    session.flush()
    return view


def update_view(
    session: Session,
    user_id: int,
    view_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
) -> SavedView:
    view = _own(session, user_id, view_id)
    check_version(view.version, expected_version, "view")
    entity = data.get("entity", view.entity)
    filters = dict(data.get("filters", view.filters))
    _check(entity, filters, data.get("sort", view.sort))
    view.entity, view.filters = entity, filters
    for key in ("name", "sort", "shared"):
        if key in data:
            setattr(view, key, data[key])
    session.flush()
    return view


def delete_view(
    session: Session, user_id: int, view_id: int, *, expected_version: int | None
) -> None:
    view = _own(session, user_id, view_id)
    check_version(view.version, expected_version, "view")
    session.delete(view)
    session.flush()
