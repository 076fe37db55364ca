"""Many rows at once by ``COPY`` (PostgreSQL): the rows a flush or an ``INSERT`` writes.

An import's batch writes its new records, their history entries, outbox events and
report rows by ``COPY`` (``records_svc/domain/bulk.py``). Each is compared here with
what the ordinary path writes for the same values, column by column as PostgreSQL
stores them (JSON as text: ``null`` is not NULL), ids and times aside.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text

from records_svc.db import Database, UnitOfWork
from records_svc.domain import accounts, bulk, contacts, history
from records_svc.domain.history_models import HistoryEntry
from records_svc.domain.import_rows import Prepared
from records_svc.domain.models import Account, Contact, IndexEvent
from tests.imports.helpers import calls_of

#: what differs between two writes of the same values
NOT_COMPARED = {"id", "created_at", "updated_at", "at", "account_id", "entity_id", "record_id"}


def stored(
    database: Database, table: str, ids: list[int], key: str = "id"
) -> list[tuple[Any, ...]]:
    """The rows as PostgreSQL holds them (every column as text), in ``ids``' order."""
    with database.engine.connect() as conn:
        columns = [
            name
            for (name,) in conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = :t ORDER BY ordinal_position"
                ),
                {"t": table},
            )
            if name not in NOT_COMPARED
        ]
        listed = ", ".join(f'"{c}"::text' for c in columns)
        rows = conn.execute(
            text(f'SELECT "{key}", {listed} FROM {table} WHERE "{key}" = ANY(:ids)'), {"ids": ids}
        )
        found = {row[0]: (*zip(columns, row[1:], strict=True),) for row in rows}
    return [found[i] for i in ids]


def write_both_ways(
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    build: Callable[[UnitOfWork], list[Any]],
) -> tuple[list[int], list[int]]:
    """The records ``build`` makes, created by a flush, then again by ``COPY``: their ids."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    written = []
    copied = calls_of(monkeypatch, bulk, "copy_new_records")
    for copy_from in (10**9, 1):
        monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
        with database.unit_of_work() as uow:
            history.tag(uow.session, history.IMPORTED)
            records = build(uow)
            uow.add_new(records)
            uow.session.flush()
            written.append([r.id for r in records])
        assert len(copied) == (copy_from == 1)  # a flush first, then COPY
    flushed, copied = written
    return flushed, copied


def prospect_values(n: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"Boulangerie Zoé {n} & Fils",
        "legal_name": f"BOULANGERIE ZOÉ {n} SARL" if n % 2 else None,
        "address": {"line1": "12 rue de l'Église", "postal_code": "69003", "city": "Lyon"},
        "phone": "04 72 00 00 0" + str(n % 10),
        "email": f"contact@boulangerie-zoe{n}.fr",
        "website": f"www.boulangerie-zoe{n}.fr",
    }
    if n % 3 == 0:
        values["address"] = {}
        values["website"] = None
    return values


def test_copy_writes_the_accounts_history_and_outbox_a_flush_writes(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def build(uow: UnitOfWork) -> list[Any]:
        return [accounts.new_prospect(uow.session, None, prospect_values(n)) for n in range(6)]

    flushed, copied = write_both_ways(database, monkeypatch, build)
    assert stored(database, "accounts", copied) == stored(database, "accounts", flushed)
    assert stored(database, "history_entries", copied, "entity_id") == stored(
        database, "history_entries", flushed, "entity_id"
    )
    with database.read() as session:
        events = list(session.scalars(select(IndexEvent.entity_id).order_by(IndexEvent.id)))
        words = session.execute(
            text("SELECT account_id, count(*) FROM account_words GROUP BY account_id")
        ).all()
        department = session.get(Account, copied[1])
        assert department is not None and department.department == "69"
    assert events == flushed + copied  # one event per record, in the order written
    counted = dict(words)
    assert [counted[i] for i in copied] == [counted[i] for i in flushed]  # word triggers


def test_copy_writes_the_contacts_a_flush_writes(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.unit_of_work() as uow:
        account = accounts.new_prospect(uow.session, None, {"name": "Garage Dupont"})
        uow.session.add(account)
    people = [
        {"first_name": "Zoé", "last_name": f"Lefèvre {n}", "email": f"Zoe{n}@Dupont.fr",
         "mobile": "06 12 34 56 7" + str(n), "job_title": None if n % 2 else "Gérante"}
        for n in range(5)
    ]  # fmt: skip

    def build(uow: UnitOfWork) -> list[Any]:
        owner = uow.session.get(Account, account.id)
        assert owner is not None
        return [contacts.new_contact(uow.session, owner, p) for p in people]

    flushed, copied = write_both_ways(database, monkeypatch, build)
    assert stored(database, "contacts", copied) == stored(database, "contacts", flushed)
    with database.read() as session:
        contact = session.get(Contact, copied[0])
        assert contact is not None and contact.account_id == account.id and contact.version == 1
        entries = session.scalars(
            select(HistoryEntry.action).where(HistoryEntry.entity == "contact")
        )
        assert list(entries) == ["imported"] * 10


def test_values_left_out_or_none_take_the_defaults_a_flush_gives(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing set but the name and the kind: every default, JSON ``custom`` included;
    ``custom`` set to None: JSON ``null`` (what the ORM writes for None there)."""

    def build(uow: UnitOfWork) -> list[Any]:
        bare = [Account(kind="prospect", name=f"Nu {n}") for n in range(3)]
        bare[2].custom = None  # type: ignore[assignment]
        return bare

    flushed, copied = write_both_ways(database, monkeypatch, build)
    assert stored(database, "accounts", copied) == stored(database, "accounts", flushed)


def test_insert_rows_by_copy_stores_what_an_insert_stores(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON included: None is JSON ``null`` (as SQLAlchemy writes it), not SQL NULL."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    rows = [
        {"entity": "account", "entity_id": n, "action": "changed", "user_id": None,
         "changes": [{"field": "name", "old": "Zoé", "new": f"Zoé {n}"}] if n else [],
         "detail": None if n % 2 else {"source_id": n, "name": "L'Oréal"}}
        for n in range(4)
    ]  # fmt: skip
    written = {}
    copies = calls_of(monkeypatch, bulk, "_copy")
    for copy_from in (10**9, 1):
        monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
        with database.unit_of_work() as uow:
            bulk.insert_rows(uow.session, HistoryEntry, [{**r, "entity_id": r["entity_id"] + copy_from} for r in rows])  # fmt: skip
        written[copy_from] = stored(database, "history_entries", [n + copy_from for n in range(4)], "entity_id")  # fmt: skip
    assert written[1] == written[10**9]
    assert len(copies) == 1  # an INSERT, then a COPY
    with database.unit_of_work() as uow:
        ids = bulk.insert_rows(uow.session, IndexEvent, [{"entity": "contact", "entity_id": 7}] * 3, returning_ids=True)  # fmt: skip
        assert len(set(ids)) == 3
        assert [e.entity_id for e in map(uow.session.get, [IndexEvent] * 3, ids)] == [7, 7, 7]


def test_a_prospect_checked_in_another_process_arrives_as_built(database: Database) -> None:
    """The checking process sends the prospects it built as their values (cheaper to
    pickle than a mapped object): they come back whole, new, ready to be written."""
    with database.read() as session:
        built = accounts.new_prospect(session, None, prospect_values(1))
    sent = Prepared({"name": "x"}, {}, {"name": "x"}, built)
    back = pickle.loads(pickle.dumps(sent))
    account = back.built()
    assert type(account) is Account and account is not built
    assert bulk.values_of(account) == bulk.values_of(built)
    assert account.owner_id is None and account.custom == {}
    with database.unit_of_work() as uow:
        uow.add_new([account])
    assert (
        account.id is not None
        and account.version == 1
        and account.sort_name.startswith("boulangerie")
    )
