"""``carnet bench lists``: list pages (filters, sorts, keyset cursors) on a generated directory.

Each shape (a mix of filters and a sort) is paged through in process, through the
domain functions the API calls, on PostgreSQL and on SQLite; beside it, the same
pages fetched the way a CRM often does it, ``ORDER BY … OFFSET n LIMIT 50``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from carnet.bench.data import load_directory, scratch_database
from carnet.bench.measure import summary
from carnet.fakedata import directory
from records_svc import migrate
from records_svc.db import Database
from records_svc.domain import access, accounts, contacts, listing
from records_svc.domain.models import Account, Contact, User, account_list_keys, contact_list_keys

OWNERS = 20
PAGE = 50
SELLER = access.AccessPolicy(show_closed=False, erp_sync=False)
#: (label, entity, filters and sort); owner 1 plays "me"
SHAPES: tuple[tuple[str, str, listing.ListQuery], ...] = (
    ("all by name", "accounts", listing.ListQuery(sort="name")),
    ("mine by name", "accounts", listing.ListQuery(owner_id=1, sort="name")),
    ("department 33 by name", "accounts", listing.ListQuery(postal_code="33", sort="name")),
    ("prospects, latest first", "accounts", listing.ListQuery(kind="prospect", sort="-updated_at")),
    ("a city by name", "accounts", listing.ListQuery(city="Lyon", sort="name")),
    ("by city, descending", "accounts", listing.ListQuery(sort="-city")),
    ("q=boulangerie by name", "accounts", listing.ListQuery(q="boulangerie", sort="name")),
    ("my contacts by name", "contacts", listing.ListQuery(owner_id=1, sort="name")),
    ("contacts q=mar by name", "contacts", listing.ListQuery(q="mar", sort="name")),
)


@dataclass
class Options:
    entries: int
    seed: int
    pages: int
    admin_url: str
    workdir: Path


def run(options: Options, say: Callable[[str], None]) -> dict[str, Any]:
    result: dict[str, Any] = {"entries": options.entries, "page_size": PAGE, "databases": {}}
    with scratch_database(options.admin_url, "lists") as url:
        db = Database(url)
        try:
            say(f"PostgreSQL: loading {options.entries} entries…")
            totals = load_directory(db.engine, options.entries, options.seed)
            fill_list_columns(db.engine)
            result["directory"] = totals
            result["databases"]["postgresql"] = measure(db, options.pages, say)
        finally:
            db.dispose()
    path = options.workdir / "bench-lists.db"
    path.unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    try:
        say(f"SQLite: loading {options.entries} entries…")
        load_sqlite(db.engine, options.entries, options.seed)
        fill_list_columns(db.engine)
        result["databases"]["sqlite"] = measure(db, options.pages, say)
    finally:
        db.dispose()
        path.unlink(missing_ok=True)
    worst = max(
        shape["keyset"]["p99_ms"]
        for database in result["databases"].values()
        for shape in database.values()
    )
    result["targets"] = {
        "list page p99 (ms)": {"measured": worst, "target": 20.0, "met": worst <= 20.0}
    }
    return result


# --- data ---------------------------------------------------------------------------------


def load_sqlite(engine: Engine, entries: int, seed: int) -> None:
    """The directory of the PostgreSQL run, inserted in batches (SQLite has no COPY)."""
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    stamps = {"version": 1, "created_at": now, "updated_at": now, "custom": {}}
    batch: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for a, found in directory(entries, seed):
            batch.append(
                {
                    **{k: getattr(a, k) for k in ("id", "kind", "name", "legal_name", "siren")},
                    **{k: getattr(a, k) for k in ("siret", "postal_code", "city", "status")},
                    **{"closed": a.closed, "external_ref": a.external_ref, **stamps},
                }
            )
            people += [
                {"id": c.id, "account_id": c.account_id, "first_name": c.first_name}
                | {"last_name": c.last_name, "email": c.email, **stamps}
                for c in found
            ]
            if len(batch) >= 5000:
                conn.execute(insert(Account), batch)
                batch = []
        if batch:
            conn.execute(insert(Account), batch)
        for start in range(0, len(people), 5000):
            conn.execute(insert(Contact), people[start : start + 5000])


def _spread(row_id: int, now: datetime) -> datetime:
    """Distinct, shuffled modification instants over about four months."""
    return now - timedelta(seconds=(row_id * 7919) % 10_000_000)


def fill_list_columns(engine: Engine) -> None:
    """What the models write on every insert, for rows loaded in bulk: the folded keys;
    and owners (``OWNERS`` users) and modification instants spread over the accounts.
    The database's triggers derive the rest, as on any write: the words ``q`` looks up
    and the contacts' owner."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {"id": n, "username": f"bench{n}", "password_hash": "-"}
                for n in range(1, OWNERS + 1)
            ],
        )
        rows = conn.execute(select(Account.__table__)).all()
        changes = [
            dict(
                zip(
                    ("b_sort_name", "b_sort_city", "b_search_text"),
                    account_list_keys(cast(Any, row)),
                    strict=True,
                ),
                b_id=row.id,
                b_owner=row.id % OWNERS + 1,
                b_updated=_spread(row.id, now),
            )
            for row in rows
        ]
        table = cast(Table, Account.__table__)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                sort_name=bindparam("b_sort_name"),
                sort_city=bindparam("b_sort_city"),
                search_text=bindparam("b_search_text"),
                owner_id=bindparam("b_owner"),
                updated_at=bindparam("b_updated"),
            )
        )
        for batch in _chunks(changes):
            conn.execute(stmt, batch)
        contact_rows = conn.execute(select(Contact.__table__)).all()
        table = cast(Table, Contact.__table__)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(sort_name=bindparam("b_sort_name"), search_text=bindparam("b_search_text"))
        )
        contact_changes = [
            dict(
                zip(
                    ("b_sort_name", "b_search_text"), contact_list_keys(cast(Any, row)), strict=True
                ),
                b_id=row.id,
            )
            for row in contact_rows
        ]
        for batch in _chunks(contact_changes):
            conn.execute(stmt, batch)
    if engine.dialect.name == "postgresql":
        # what autovacuum does to a live database: statistics, and the visibility map
        # that lets index-only scans skip the table
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _chunks(rows: list[dict[str, Any]], size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# --- measuring ------------------------------------------------------------------------------


def _keyset_pages(
    session: Session,
    entity: str,
    query: listing.ListQuery,
    pages: int,
    cpu: list[float] | None = None,
) -> list[float]:
    """Wall-clock ms per page; ``cpu`` gets this thread's CPU ms per page (on SQLite the
    query's own work, on PostgreSQL only the client's: the server is another process)."""
    timings: list[float] = []
    cursor = None
    for _ in range(pages):
        started = time.perf_counter()
        started_cpu = time.thread_time()
        if entity == "contacts":
            _contacts, cursor = contacts.list_all_contacts(
                session, query, cursor=cursor, limit=PAGE
            )
        else:
            _accounts, cursor = accounts.list_accounts(
                session, kind=None, cursor=cursor, limit=PAGE, query=query
            )
        timings.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.thread_time() - started_cpu) * 1000)
        if cursor is None:
            break
    return timings


def _offset_pages(
    session: Session, entity: str, query: listing.ListQuery, pages: int
) -> list[float]:
    """The same pages by ``OFFSET``: what a list without cursors costs deep down."""
    sorts = contacts.CONTACT_SORTS if entity == "contacts" else accounts.ACCOUNT_SORTS
    name, descending = listing.sort_of(query.sort, sorts, "id")
    column = sorts[name].column
    if entity == "contacts":
        base = select(Contact).join(Contact.account)
        id_column: Any = Contact.id
    else:
        base, id_column = select(Account), Account.id
    # q as the text test a CRM would do (LIKE on the folded text), on the listed rows
    stmt = listing.filter_accounts(
        session, SELLER.visible_accounts(base), replace(query, q=None), ()
    )
    if query.q:
        text_column = Contact.search_text if entity == "contacts" else Account.search_text
        stmt = stmt.where(*listing.words_match(text_column, query.q))
    order = (column.desc(), id_column.desc()) if descending else (column, id_column)
    stmt = stmt.order_by(*order)
    timings: list[float] = []
    for page in range(pages):
        started = time.perf_counter()
        rows = list(session.scalars(stmt.offset(page * PAGE).limit(PAGE)))
        timings.append((time.perf_counter() - started) * 1000)
        if len(rows) < PAGE:
            break
    return timings


def measure(db: Database, pages: int, say: Callable[[str], None]) -> dict[str, Any]:
    # Loading the directory left this process with millions of objects a service does
    # not hold (the generator's caches, the rows read back): a full collection, which
    # walks them all, cost 80-100 ms of CPU in the page it fell in. Frozen, they are
    # left out of the collections; the pages' own objects are collected as ever.
    gc.collect()
    gc.freeze()
    try:
        return _measure(db, pages, say)
    finally:
        gc.unfreeze()


def _measure(db: Database, pages: int, say: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, entity, query in SHAPES:
        with db.read() as session:
            access.bind(session, SELLER)
            _keyset_pages(session, entity, query, 2)  # warm the caches alike
            cpu: list[float] = []
            keyset = _keyset_pages(session, entity, query, pages, cpu)
            offset = _offset_pages(session, entity, query, len(keyset))
        out[label] = {
            "pages": len(keyset),
            "keyset": summary(keyset),
            "keyset_cpu": summary(cpu),
            "offset": summary(offset),
            "offset_last_page_ms": offset[-1] if offset else None,
            "keyset_last_page_ms": keyset[-1] if keyset else None,
        }
        report = out[label]
        say(
            f"  {label:28} {report['pages']:4d} pages  keyset p50 "
            f"{report['keyset']['p50_ms']:7.2f} p99 {report['keyset']['p99_ms']:7.2f} ms "
            f"(CPU p99 {report['keyset_cpu']['p99_ms']:6.2f})   "
            f"offset p50 {report['offset']['p50_ms']:7.2f} p99 {report['offset']['p99_ms']:7.2f} ms"
        )
    return out
