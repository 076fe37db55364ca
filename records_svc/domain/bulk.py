"""Writing many rows in one go: ``COPY`` on PostgreSQL, one multi-row ``INSERT`` otherwise.

An import's batch writes hundreds of new records, as many history entries, outbox
events and report rows. Through the ORM's flush and multi-row ``INSERT … VALUES``
statements the writing process spent much of its time building statement text
(psycopg parses a statement of hundreds of placeholders again each time: it caches
only short ones) and PostgreSQL parsing it back; ``COPY`` sends the rows as data
(docs/performance.md: the writer's CPU per imported row more than halved). A few rows (what the API writes)
still go by ``INSERT``: one round trip, where ``COPY`` costs two.

``insert_rows`` writes plain rows of a table (the columns' Python defaults filled in as
an ``INSERT`` would); ``copy_new_records`` writes new accounts or contacts the way a
flush would — the mapper's ``before_insert`` hooks (list keys, duplicate keys), the
columns' defaults, the version — and leaves them in the session as a flush does
(``UnitOfWork.add_new`` uses it, and notes them for the history and the outbox).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Table,
    any_,
    func,
    insert,
    inspect,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import (
    MANYTOONE,
    Mapper,
    RelationshipProperty,
    Session,
    make_transient_to_detached,
)
from sqlalchemy.sql.schema import Column

from records_svc.domain.models import Account, Contact

#: from this many rows on PostgreSQL, ``COPY`` (below: one ``INSERT``, one round trip)
COPY_FROM = 50


def among(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """``column`` is one of ``values``: one array parameter on PostgreSQL (hundreds of
    placeholders cost the client and the parser more than the look-ups: psycopg caches
    only short statements), ``IN`` elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(values)


_NO_VALUE = object()


def uses_copy(session: Session, rows: int) -> bool:
    return rows >= COPY_FROM and session.get_bind().dialect.name == "postgresql"


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` new ids from the sequence of ``table``'s ``id`` (PostgreSQL), in order."""
    sequence = func.pg_get_serial_sequence(table.name, "id")
    new_id = func.nextval(sequence)
    stmt = select(new_id).select_from(func.generate_series(1, count)).order_by(new_id)
    return [int(i) for i in session.connection().execute(stmt).scalars()]


def insert_rows(
    session: Session,
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    *,
    returning_ids: bool = False,
) -> list[int]:
    """Insert ``rows`` of ``model``'s table (dicts by column key; missing columns take
    their Python default) in the session's transaction; with ``returning_ids``, give
    their new ids in order."""
    table = model.__table__
    assert isinstance(table, Table)
    if not rows:
        return []
    if not uses_copy(session, len(rows)):
        conn = session.connection()
        if returning_ids:
            return list(conn.execute(insert(table).returning(table.c.id), list(rows)).scalars())
        conn.execute(insert(table), list(rows))
        return []
    ids: list[int] = []
    if returning_ids:
        ids = allocate_ids(session, table, len(rows))
        rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    plan = _plan(table, frozenset(rows[0]))
    # a default is taken once for the statement (a time: the same for its rows, as
    # PostgreSQL's now() is for a transaction; reading the clock is slow on some machines)
    defaults = {c.key: c.default() for c in plan if c.key not in rows[0]}
    values = []
    for row in rows:
        line = []
        for column in plan:
            value = row.get(column.key, _NO_VALUE)
            if value is _NO_VALUE:
                value = defaults[column.key] if column.key in defaults else column.default()
            line.append(value if column.dump is None else column.dump(value))
        values.append(line)
    _copy(session, table, plan, values)
    return ids


def copy_new_records(session: Session, records: Sequence[Account | Contact]) -> None:
    """Write new records of one kind by ``COPY`` (PostgreSQL) as a flush would insert
    them, and put them in ``session``, persistent and clean, as a flush leaves them."""
    mapper = records[0].__mapper__
    assert all(r.__mapper__ is mapper for r in records), "one kind of record per call"
    recipe = _recipe(mapper)
    conn = session.connection()
    ids = allocate_ids(session, recipe.table, len(records))
    rows = []
    for record, new_id in zip(records, ids, strict=True):
        values = record.__dict__  # written as a flush leaves them (see make_transient_to_detached)
        if not values.get(_READY):
            _make_ready(record, recipe, conn)
        values[recipe.key] = new_id
        rows.append(
            [
                values[attribute] if column.dump is None else column.dump(values[attribute])
                for column, attribute in zip(recipe.plan, recipe.attributes, strict=True)
            ]
        )
    _copy(session, recipe.table, recipe.plan, rows)
    for record in records:
        record.__dict__.pop(_READY, None)
        make_transient_to_detached(record)
        session.add(record)


def values_of(record: Any) -> dict[str, Any]:
    """The values of a new record as it will be inserted (the mapper's ``before_insert``
    hooks run, the defaults filled), no related record: to send it to the process that
    writes it, whose ``copy_new_records`` then has nothing left to compute but its id."""
    recipe = _recipe(record.__mapper__)
    if not record.__dict__.get(_READY):
        _make_ready(record, recipe, None)
    columns = recipe.mapper.column_attrs
    return {k: v for k, v in record.__dict__.items() if k in columns or k == _READY}


def new_from_values(model: type[Any], values: dict[str, Any]) -> Any:
    """A new (transient) record holding ``values`` (from ``values_of``), as if each had
    been set: a flush or ``copy_new_records`` inserts them."""
    record = model.__mapper__.class_manager.new_instance()
    record.__dict__.update(values)
    return record


#: in a new record's ``__dict__``: its insert values are computed (``_make_ready``)
_READY = "_carnet_bulk_ready"


@dataclass(frozen=True)
class _Recipe:
    """What writing the new records of one mapper by ``COPY`` needs to know of it."""

    mapper: Mapper[Any]
    table: Table
    #: the primary key's attribute, and the version counter's (None: not versioned)
    key: str
    version_key: str | None
    plan: tuple[_Column, ...]
    #: the attribute of each column of ``plan``
    attributes: tuple[str, ...]
    many_to_one: tuple[RelationshipProperty[Any], ...]


@functools.cache
def _recipe(mapper: Mapper[Any]) -> _Recipe:
    table = mapper.local_table
    assert isinstance(table, Table)
    plan = _plan(table, None)
    version = mapper.version_id_col
    (key,) = (mapper.get_property_by_column(c).key for c in mapper.primary_key)
    return _Recipe(
        mapper=mapper,
        table=table,
        key=key,
        version_key=mapper.get_property_by_column(version).key if version is not None else None,
        plan=plan,
        attributes=tuple(mapper.get_property_by_column(c.column).key for c in plan),
        many_to_one=tuple(r for r in mapper.relationships if r.direction is MANYTOONE),
    )


def _make_ready(record: Any, recipe: _Recipe, conn: Connection | None) -> None:
    """Compute what a flush computes before it inserts ``record``: its first version, the
    foreign keys of the records it is given, the mapper's ``before_insert`` hooks (which
    read no database: Carnet's compute keys from the record's own values), the defaults."""
    values = record.__dict__
    mapper = recipe.mapper
    if recipe.version_key is not None:
        values[recipe.version_key] = mapper.version_id_generator(None)  # type: ignore[misc,operator]
    _sync_foreign_keys(record, recipe.many_to_one)
    mapper.dispatch.before_insert(mapper, conn, inspect(record))
    for column, attribute in zip(recipe.plan, recipe.attributes, strict=True):
        if attribute == recipe.key:
            continue  # given when written
        if attribute not in values or (values[attribute] is None and not column.evaluates_none):
            # as a flush does: a value not given is the column's default, and so is None
            # but where None is a value of its own (JSON's ``null``)
            values[attribute] = column.default()
    values[_READY] = True


def _sync_foreign_keys(record: Any, many_to_one: Iterable[RelationshipProperty[Any]]) -> None:
    """The foreign keys of the related records set (``contact.account = …``), as a flush
    sets them."""
    for relationship in many_to_one:
        related = record.__dict__.get(relationship.key)
        if related is not None:
            for local, remote in relationship.local_remote_pairs:
                record.__dict__[str(local.key)] = getattr(related, str(remote.key))


@dataclass(frozen=True)
class _Column:
    """How one column's values are copied."""

    column: Column[Any]
    key: str
    #: its Python default (None when it has none)
    default: Callable[[], Any]
    #: to the text COPY sends (JSON), or None: as it is
    dump: Callable[[Any], Any] | None
    #: None is written as it is, not replaced by the default (JSON's ``null``)
    evaluates_none: bool


@functools.cache
def _plan(table: Table, given: frozenset[str] | None) -> tuple[_Column, ...]:
    """The columns ``given`` and those with a Python default (``None``: every column but
    those the database fills, as a flush leaves them out: computed, or a server default
    and no Python one, such as a contact's owner, which a trigger writes)."""
    return tuple(
        _Column(c, c.key, functools.partial(_default, c), _dumper(c), c.type.should_evaluate_none)
        for c in table.columns
        if _copied(c, given)
    )


def _copied(column: Column[Any], given: frozenset[str] | None) -> bool:
    if column.computed is not None:
        return False
    if column.default is not None:
        return True
    if given is not None:
        return column.key in given
    return column.server_default is None


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)  # type: ignore[attr-defined]
    return default.arg  # type: ignore[attr-defined]


def _dumper(column: Column[Any]) -> Callable[[Any], Any] | None:
    if not isinstance(column.type, JSON):
        return None
    if column.type.none_as_null:
        return lambda value: None if value is None else _json(value)
    return _json  # as SQLAlchemy writes it (None: JSON ``null``)


def _json(value: Any) -> str:
    # most are empty (no custom values, no changes, no detail): no encoder for them
    if value is None:
        return "null"
    if not value and isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value)


def _copy(
    session: Session, table: Table, plan: Sequence[_Column], rows: Iterable[list[Any]]
) -> None:
    names = ", ".join(f'"{c.column.name}"' for c in plan)
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
