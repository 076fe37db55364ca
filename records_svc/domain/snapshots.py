"""The current values of the rows search shows, as plain dicts (the indexing jobs' input)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from records_svc.domain import field_declarations
from records_svc.domain.models import Account, Contact

ACCOUNT_COLUMNS = (
    Account.id,
    Account.kind,
    Account.name,
    # the fields search matches (their declaration's ``search`` flag)…
    *(getattr(Account, f.column) for f in field_declarations.ACCOUNTS.fields() if f.search),
    # …and what places and badges the document
    Account.postal_code,
    Account.status,
    Account.closed,
    # A document's version is the row's search version (raised only when it changes).
    Account.search_version.label("version"),
)
CONTACT_COLUMNS = (
    Contact.id,
    Contact.account_id,
    # the label and the e-mail's words…
    Contact.first_name,
    Contact.last_name,
    Contact.email,
    # …and the other fields search matches (their declaration's ``search`` flag)
    *(
        getattr(Contact, f.column)
        for f in field_declarations.CONTACTS.fields()
        if f.search and f.column not in ("first_name", "last_name", "email")
    ),
    Contact.search_version.label("version"),
)

Values = dict[str, Any]


def _values(rows: Iterable[Any]) -> Iterator[Values]:
    for row in rows:
        yield dict(row._mapping)


def accounts(session: Session, ids: Sequence[int]) -> dict[int, Values]:
    rows = session.execute(select(*ACCOUNT_COLUMNS).where(Account.id.in_(ids)))
    return {v["id"]: v for v in _values(rows)}


def contacts(session: Session, ids: Sequence[int]) -> dict[int, tuple[Values, Values]]:
    """Each contact with its account's values."""
    rows = list(_values(session.execute(select(*CONTACT_COLUMNS).where(Contact.id.in_(ids)))))
    owners = accounts(session, sorted({r["account_id"] for r in rows}))
    return {r["id"]: (r, owners[r["account_id"]]) for r in rows if r["account_id"] in owners}


def batches(
    session: Session, size: int
) -> Iterator[tuple[list[Values], list[tuple[Values, Values]]]]:
    """Every account, then every contact with its account, ``size`` rows at a time (by id).

    Keyset pages of one plain query each (contacts joined to their account): a bulk
    reindex reads a million rows, so no ``IN`` lists and no per-row mapping objects.
    """
    if session.get_bind().dialect.name == "postgresql":
        # A page is a few milliseconds of index reads: PostgreSQL's parallel workers would
        # take about three times the CPU to start and merge (on the cores the rebuild uses).
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    account_keys = [c.key for c in ACCOUNT_COLUMNS]
    after = 0
    while True:
        stmt = select(*ACCOUNT_COLUMNS).where(Account.id > after).order_by(Account.id).limit(size)
        rows: list[Values] = [
            dict(zip(account_keys, row, strict=True)) for row in session.execute(stmt)
        ]
        if not rows:
            break
        after = rows[-1]["id"]
        yield rows, []
    contact_keys = [c.key for c in CONTACT_COLUMNS]
    width = len(contact_keys)
    after = 0
    while True:
        joined = (
            select(*CONTACT_COLUMNS, *ACCOUNT_COLUMNS)
            .join(Account, Account.id == Contact.account_id)
            .where(Contact.id > after)
            .order_by(Contact.id)
            .limit(size)
        )
        # One dict per account of the page, shared by its contacts: built once here, and
        # pickled once when the pairs go to another process (pickle keeps shared objects).
        owners: dict[Any, Values] = {}
        pairs: list[tuple[Values, Values]] = []
        for row in session.execute(joined):
            owner = owners.get(row[width])
            if owner is None:
                owner = owners[row[width]] = dict(zip(account_keys, row[width:], strict=True))
            pairs.append((dict(zip(contact_keys, row[:width], strict=True)), owner))
        if not pairs:
            break
        after = pairs[-1][0]["id"]
        yield [], pairs


def counts(session: Session) -> int:
    from sqlalchemy import func

    accounts_count = session.scalar(select(func.count()).select_from(Account)) or 0
    contacts_count = session.scalar(select(func.count()).select_from(Contact)) or 0
    return int(accounts_count) + int(contacts_count)
