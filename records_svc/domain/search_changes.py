"""The one place that decides "this change touches a search document".

Every write goes through a unit of work, and its session reports each flush
here (``before_flush``), whatever the write path: the API, the ERP sync (a
conversion included), the SIRENE fill, imports, merges, the command line.
An account or a contact whose *shown* values changed gets its
``search_version`` raised by one and an outbox event; an account whose name or
closed flag changed takes its contacts along (their sub-label and visibility
come from it). Nothing else raises a search version, so the version the index
holds equals the database's exactly when the document is current, and
``carnet search verify`` means something.

What a document shows is ``snapshots.ACCOUNT_COLUMNS``/``CONTACT_COLUMNS`` (the
values the indexing job reads); of an account, a contact shows ``name`` and
``closed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import InstanceState, Session

from records_svc.domain.models import Account, Contact
from records_svc.domain.snapshots import ACCOUNT_COLUMNS, CONTACT_COLUMNS

_HIDDEN = {"id", "version", "search_version"}
ACCOUNT_SHOWN = tuple(c.key for c in ACCOUNT_COLUMNS if c.key not in _HIDDEN)
CONTACT_SHOWN = tuple(c.key for c in CONTACT_COLUMNS if c.key not in _HIDDEN)
#: what a contact's document shows of its account (sub-label, visibility, badge)
SHOWN_ON_CONTACTS = ("name", "closed", "city", "postal_code")

_KEY = "carnet.search_changes"
Target = tuple[str, int]


@dataclass
class SearchChanges:
    """What the flushes of one unit of work changed in search documents."""

    upserted: list[Account | Contact] = field(default_factory=list)
    #: in the order they were deleted (a dict keeps it)
    deleted: dict[Target, None] = field(default_factory=dict)
    #: accounts whose contacts' documents follow them
    cascade: set[int] = field(default_factory=set)


def _changed(obj: Any, attributes: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Note (and version) every shown change about to be flushed."""
    changes: SearchChanges = session.info.setdefault(_KEY, SearchChanges())
    for obj in session.new:
        if isinstance(obj, Account | Contact):
            touch(session, obj)
    for obj in session.dirty:
        if isinstance(obj, Account):
            if _changed(obj, ACCOUNT_SHOWN):
                obj.search_version = Account.search_version + 1
                changes.upserted.append(obj)
            if _changed(obj, SHOWN_ON_CONTACTS):
                changes.cascade.add(obj.id)
        elif isinstance(obj, Contact) and _changed(obj, CONTACT_SHOWN):
            obj.search_version = Contact.search_version + 1
            changes.upserted.append(obj)
    for obj in session.deleted:
        if isinstance(obj, Account):
            changes.deleted[("account", obj.id)] = None
            with session.no_autoflush:
                # The database removes them (ON DELETE CASCADE): the ORM never sees them.
                rows = session.scalars(select(Contact.id).where(Contact.account_id == obj.id))
                changes.deleted.update(dict.fromkeys(("contact", i) for i in rows))
        elif isinstance(obj, Contact):
            changes.deleted[("contact", obj.id)] = None


def touch(session: Session, obj: Account | Contact) -> None:
    """Send ``obj``'s document at its current version: a record created (by a flush, or
    written by ``bulk`` for ``UnitOfWork.add_new``), or one whose shown values did not
    change (a merge tells search about both records it touched)."""
    changes: SearchChanges = session.info.setdefault(_KEY, SearchChanges())
    changes.upserted.append(obj)


def pending_targets(session: Session) -> list[Target]:
    """(entity, id) of every document the unit of work changed, written or deleted (the
    indexing job reads the current rows to tell which).

    Called once, after the unit of work's last flush and before its commit: it
    raises the search version of the contacts of a renamed, closed or reopened
    account, which happens in the database (an account may have many contacts).
    """
    changes: SearchChanges | None = session.info.pop(_KEY, None)
    if changes is None:
        return []
    deleted = changes.deleted
    upserts: dict[Target, None] = {}
    for obj in changes.upserted:
        entity = "account" if isinstance(obj, Account) else "contact"
        state: InstanceState[Any] = inspect(obj)
        if state.persistent and (entity, obj.id) not in deleted:
            upserts[(entity, obj.id)] = None
    cascade = sorted(i for i in changes.cascade if ("account", i) not in deleted)
    if cascade:
        session.execute(
            update(Contact)
            .where(Contact.account_id.in_(cascade))
            .values(search_version=Contact.search_version + 1)
            .execution_options(synchronize_session=False)
        )
        for (contact_id,) in session.execute(
            select(Contact.id).where(Contact.account_id.in_(cascade))
        ):
            upserts[("contact", contact_id)] = None
    return [*_existing(session, list(upserts)), *deleted]


def _existing(session: Session, targets: list[Target]) -> list[Target]:
    """The targets whose row is still there, accounts then contacts, by id."""
    found: list[Target] = []
    for entity, model in (("account", Account), ("contact", Contact)):
        ids = sorted(i for e, i in targets if e == entity)
        if ids:
            rows = session.scalars(select(model.id).where(model.id.in_(ids)).order_by(model.id))
            found.extend((entity, i) for i in rows)
    return found
