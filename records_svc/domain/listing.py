"""Lists with filters and sort: the account filters every list shares, and keyset pages.

A list is ordered by one sort key then by id; the cursor carries the sort, the last
key and the last id, so a page starts exactly after the previous one whatever was
inserted meanwhile (no repeat, no gap). The accounts' filters (kind, status, closed,
city, postal code, owner, ``q``, custom fields) apply to the account a contact or an
opportunity hangs off, so that "my contacts in Gironde" means what a salesperson thinks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    func,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import InstrumentedAttribute, Session

from httpkit.error_codes import field_error
from records_svc.domain import fields as fields_domain
from records_svc.domain.bulk import among
from records_svc.domain.errors import FieldValidationError
from records_svc.domain.models import Account, AccountWord
from records_svc.domain.paging import (
    InvalidCursorError,
    decode_keyset_cursor,
    encode_keyset_cursor,
)
from search_svc.normalize import query_tokens, sort_text

S = TypeVar("S", bound=Select[Any])
UNKNOWN_FILTER = "unknown_filter"
UNKNOWN_SORT = "unknown_sort"
#: the filters every list of accounts, contacts and opportunities takes
ACCOUNT_FILTERS = (
    "owner",
    "owner_id",
    "kind",
    "status",
    "closed",
    "city",
    "postal_code",
    "updated_since",
    "q",
)
#: what an account or contact list takes: the filters and the sort
LIST_FILTERS = (*ACCOUNT_FILTERS, "sort")


def utc(value: datetime) -> datetime:
    """Instants are stored in UTC (SQLite keeps no offset); naive ones are UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class ListQuery:
    """The filters of a list (None: not filtered) and its sort (``-`` first: descending)."""

    owner_id: int | None = None
    kind: str | None = None
    status: str | None = None
    closed: bool | None = None
    city: str | None = None
    postal_code: str | None = None
    updated_since: datetime | None = None
    q: str | None = None
    custom: Mapping[str, str] = field(default_factory=dict)
    sort: str | None = None


@dataclass(frozen=True)
class SortKey:
    """How a list sorts on one key: the column, its value on a row, its text in a cursor."""

    column: Any
    value_of: Callable[[Any], Any]
    parse: Callable[[str], Any] = str
    dump: Callable[[Any], str] = str


def instant_key(column: InstrumentedAttribute[datetime], attr: str) -> SortKey:
    """A sort on an instant (``updated_at``), compared in UTC on both databases."""
    return SortKey(
        column,
        lambda row: utc(getattr(row, attr)),
        parse=lambda text: utc(datetime.fromisoformat(text)),
        dump=lambda value: utc(value).isoformat(),
    )


def unknown_filter(name: str) -> dict[str, str]:
    return field_error(name, UNKNOWN_FILTER, "is not a filter of this list")


def check_filters(names: Collection[str], known: Collection[str], *, custom: bool) -> None:
    """422 naming each filter the list does not know (``custom.<key>`` where it has any)."""
    errors = [
        unknown_filter(name)
        for name in names
        if name not in known and not (custom and name.startswith("custom.") and len(name) > 7)
    ]
    if errors:
        raise FieldValidationError(errors)


def sort_of(sort: str | None, keys: Collection[str], default: str) -> tuple[str, bool]:
    """(key, descending) of ``sort``; 422 ``unknown_sort`` when the list has no such key."""
    value = sort or default
    name = value.removeprefix("-")
    if name not in keys:
        allowed = ", ".join(sorted(k for k in keys if k != "id"))
        raise FieldValidationError(
            [field_error("sort", UNKNOWN_SORT, f"one of {allowed}, - to reverse")]
        )
    return name, value.startswith("-")


def keyset_page(
    session: Session,
    stmt: Select[Any],
    *,
    keys: Mapping[str, SortKey],
    id_column: Any,
    sort: str | None,
    default: str,
    cursor: str | None,
    limit: int,
    gather: bool | None = None,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` in the order ``sort`` (ties by id), after ``cursor``.

    ``gather`` (by default: what ``stmt``'s ``GATHER`` option says): the filters keep
    few rows (see :func:`filter_words`); the database gathers them through the
    filters' indexes and sorts them, instead of walking the sort's index and testing
    every row until a page is full (what a planner assumes best under ``LIMIT``, and
    what costs thousands of rows when the few are far down the order).
    """
    name, descending = sort_of(sort, keys, default)
    key = keys[name]
    label = f"{'-' if descending else ''}{name}"
    decoded = decode_keyset_cursor(cursor)
    after: tuple[Any, int] | None = None
    if decoded is not None:
        cursor_text, last_id = decoded
        cursor_sort, _, value_text = cursor_text.partition(":")
        try:
            if cursor_sort != label:
                raise ValueError(cursor_sort)
            after = (key.parse(value_text), last_id)
        except (ArithmeticError, ValueError):
            raise InvalidCursorError() from None
        # a row-value comparison: both databases turn it into one index range scan
        after_last = tuple_(key.column, id_column)
        bound = tuple_(literal(after[0], key.column.type), literal(last_id, id_column.type))
        stmt = stmt.where(after_last < bound if descending else after_last > bound)
    options = stmt.get_execution_options()
    if gather is None:
        gather = bool(options.get(GATHER))
    ranges: WordRanges | None = options.get(WORD_RANGES)
    rows: list[Any] | None = None
    if ranges is not None and ranges.sort_column is key.column:
        rows = ranges.page(session, stmt, id_column, after, descending, limit + 1)
    if rows is None:
        column = func.coalesce(key.column, key.column) if gather else key.column  # no index
        order = (column.desc(), id_column.desc()) if descending else (column, id_column)
        rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_keyset_cursor(f"{label}:{key.dump(key.value_of(last))}", last.id)
    return rows[:limit], next_cursor


# --- the account filters --------------------------------------------------------------


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def words_match(column: Any, q: str) -> list[ColumnElement[bool]]:
    """Each word of ``q`` (folded as search folds it) begins a word of ``column``."""
    return [
        (" " + column).like("% " + _like_prefix(token), escape="\\") for token in query_tokens(q)
    ]


def _word_prefix(session: Session, word: Any, token: str) -> ColumnElement[bool]:
    """``word`` begins with ``token``, written so that each database walks its index:
    LIKE on PostgreSQL (``varchar_pattern_ops``), GLOB on SQLite (LIKE ignores case
    there, so no index serves it)."""
    if session.get_bind().dialect.name == "sqlite":
        escaped = "".join(f"[{c}]" if c in "*?[" else c for c in token)
        return word.op("GLOB")(escaped + "*")
    return word.like(_like_prefix(token), escape="\\")


#: a ``q`` word found in at most this many rows: the list gathers them by id
FEW_MATCHES = 4000
#: the execution option that tells :func:`keyset_page` to gather (see its ``gather``)
GATHER = "carnet_gather"


def filter_words(
    session: Session,
    stmt: S,
    words: Any,
    key: Any,
    id_column: Any,
    text: Any,
    q: str,
    sort_column: Any,
    *,
    by_name: bool = False,
) -> S:
    """``stmt`` narrowed to the rows (``id_column``) whose words begin with each word
    of ``q``: ``words`` is ``AccountWord`` or ``ContactWord`` (``key`` its row id),
    ``text`` the rows' ``search_text``, ``sort_column`` their ``sort_name``.

    Sorted by name (``by_name``), the list reads one query word's rows from the words'
    index in name order (:func:`word_ranges`, the ``WORD_RANGES`` option): a page costs
    its own rows, however many the word has and wherever they are in the order.
    Otherwise each query word is first counted in the words' index (up to
    ``FEW_MATCHES``). One found in few rows gives their ids, and the statement is marked
    to be gathered by id and sorted (``GATHER``): a planner would rather walk the sort's
    index testing every row, thousands of them when the few are far down the order. A
    frequent word is tested in the row (``words_match``): walking the sort's index finds
    a page soon. Every word is tested in the row too: a row renamed between the look-up
    and the page is listed as it is now.
    """
    tokens = query_tokens(q)
    if by_name:
        ranges = word_ranges(session, words, key, sort_column, tokens)
        if ranges is not None:
            stmt = stmt.execution_options(**{WORD_RANGES: ranges})
            return stmt.where(*words_match(text, q))
    few: set[int] | None = None
    for token in tokens:
        ids = session.scalars(
            select(key).where(_word_prefix(session, words.word, token)).limit(FEW_MATCHES + 1)
        ).all()
        if len(ids) <= FEW_MATCHES:
            few = set(ids) if few is None else few & set(ids)
    if few is not None:
        stmt = stmt.where(among(session, id_column, sorted(few)))
        stmt = stmt.execution_options(**{GATHER: True})
    return stmt.where(*words_match(text, q))


#: the execution option carrying the :class:`WordRanges` of a list sorted by name
WORD_RANGES = "carnet_word_ranges"
#: a query word is read through its words when it begins at most this many distinct
#: words (one ordered range each); beyond, through its first ``HEAD`` letters
MAX_WORDS = 32
#: the letters of a word kept in the words' ``head`` column (migration 0017_list_sort_keys)
HEAD = 3
#: the candidates read in a round at most (the first reads one and a half pages' worth,
#: the next as many as the share of candidates the last one kept says, with a margin)
LAST_ROUND = 4000


def vocabulary(session: Session, words: Any, token: str) -> list[str] | None:
    """The distinct words ``token`` begins (None: more than ``MAX_WORDS``), one index
    step each (a loose scan: a recursive query that jumps to the next word)."""
    last = token[-1]
    if ord(last) >= 0x10FFFF:
        return None
    table = words.__table__.name
    if session.get_bind().dialect.name == "postgresql":
        # byte order, the order of the varchar_pattern_ops index
        lt, ge, gt, order = "~<~", "~>=~", "~>~", "USING ~<~"
    else:
        lt, ge, gt, order = "<", ">=", ">", ""
    sql = f"""WITH RECURSIVE found(word) AS (
  SELECT (SELECT word FROM {table} WHERE word {ge} :low AND word {lt} :high
          ORDER BY word {order} LIMIT 1)
  UNION ALL
  SELECT (SELECT w.word FROM {table} AS w WHERE w.word {gt} found.word AND w.word {lt} :high
          ORDER BY w.word {order} LIMIT 1)
  FROM found WHERE found.word IS NOT NULL
) SELECT word FROM found WHERE word IS NOT NULL LIMIT :most"""
    params = {"low": token, "high": token[:-1] + chr(ord(last) + 1), "most": MAX_WORDS + 1}
    found = list(session.scalars(sql_text(sql), params))
    return None if len(found) > MAX_WORDS else found


def word_ranges(
    session: Session, words: Any, key: Any, sort_column: Any, tokens: list[str]
) -> WordRanges | None:
    """How to read the rows of one of ``tokens`` in name order: a longest token of
    ``HEAD`` letters is one range of ``(head, sort_name, id)``; otherwise the first
    token (longest first) that begins at most ``MAX_WORDS`` distinct words, one range
    of ``(word, sort_name, id)`` each; else the first ``HEAD`` letters of the longest,
    one ``head`` range (the row tests the rest of the word); None when every token is
    shorter and begins many words (such a prefix is in so many rows that walking the
    name index finds a page soon)."""
    longest = max(tokens, key=len, default="")
    if len(longest) == HEAD:  # its head range holds exactly its rows
        return WordRanges(words, key, sort_column, (words.head == longest,))
    for token in sorted(tokens, key=len, reverse=True):
        found = vocabulary(session, words, token)
        if found is not None:
            return WordRanges(words, key, sort_column, tuple(words.word == w for w in found))
    if len(longest) > HEAD:
        return WordRanges(words, key, sort_column, (words.head == longest[:HEAD],))
    return None


@dataclass(frozen=True, eq=False)
class WordRanges:
    """Rows of a query word in name order, read from the words' index: the merge of
    ordered ranges (``ranges``: one condition each, on ``word`` or ``head``) of the
    words' ``(…, sort_name, id)``.

    A word frequent in the table may still be rare at the top of the name order
    ("boulangerie": its accounts are all named *Boulangerie …*, 10 % down the list);
    walking the name index from "a" and testing each row reads everything before them,
    and gathering thousands of rows to sort them costs thousands of rows a page. The
    ranges read only the word's own rows, after the cursor, in order: a page costs
    about 1.5 × ``limit`` index entries per range, then those rows gathered by id and
    filtered; when the other filters (or the rest of the word, for a ``head`` range)
    leave too few, the next round reads on from the last candidate, as many as the
    share the last round kept says are needed, with a margin (up to ``LAST_ROUND``).
    """

    words: Any
    key: Any
    sort_column: Any
    ranges: tuple[ColumnElement[bool], ...]

    def candidates(
        self, session: Session, after: tuple[Any, int] | None, descending: bool, count: int
    ) -> list[tuple[Any, int]]:
        """The next ``count`` (sort key, id) of the ranges after ``after``, merged."""
        sort_name, key = self.words.sort_name, self.key
        parts = []
        for condition in self.ranges:
            one = select(sort_name.label("k"), key.label("i")).where(condition)
            if after is not None:
                here = tuple_(sort_name, key)
                bound = tuple_(literal(after[0], sort_name.type), literal(after[1], key.type))
                one = one.where(here < bound if descending else here > bound)
            order = (sort_name.desc(), key.desc()) if descending else (sort_name, key)
            parts.append(select(one.order_by(*order).limit(count).subquery()))
        merged = union_all(*parts).subquery()
        order = (merged.c.k.desc(), merged.c.i.desc()) if descending else (merged.c.k, merged.c.i)
        stmt = select(merged.c.k, merged.c.i).order_by(*order).limit(count)
        return [(k, i) for k, i in session.execute(stmt)]

    def page(
        self,
        session: Session,
        stmt: Select[Any],
        id_column: Any,
        after: tuple[Any, int] | None,
        descending: bool,
        wanted: int,
    ) -> list[Any]:
        """Up to ``wanted`` rows of ``stmt`` (filtered, after the cursor) in order, read
        round by round from the ranges."""
        rows: list[Any] = []
        if not self.ranges:
            return rows
        count = wanted + wanted // 2  # a margin for the rows the other filters leave out
        seen: set[int] = set()
        # sorted after the gather (a planner would walk the sort's index otherwise)
        order = (func.coalesce(self.sort_column, self.sort_column), id_column)
        ordered = [c.desc() for c in order] if descending else list(order)
        while len(rows) < wanted:
            found = self.candidates(session, after, descending, count)
            ids = sorted({i for _k, i in found} - seen)
            seen.update(ids)
            kept: list[Any] = []
            if ids:
                batch = stmt.where(among(session, id_column, ids))
                kept = list(
                    session.scalars(batch.order_by(*ordered).limit(wanted - len(rows))).unique()
                )
                rows += kept
            if len(found) < count:
                break
            after = found[-1]
            # as many as the last round's share of kept rows says, with a margin
            share = max(len(kept) / len(found), 1 / 64)
            count = min(LAST_ROUND, max(8, math.ceil((wanted - len(rows)) / share * 1.5)))
        return rows


def account_words_match(session: Session, q: str) -> list[ColumnElement[bool]]:
    """Each word of ``q`` (folded as search folds it) begins a word of the account's
    ``search_text``: the same rows as ``words_match(Account.search_text, q)``, found
    through the ``account_words`` index."""
    return [
        Account.id.in_(
            select(AccountWord.account_id).where(_word_prefix(session, AccountWord.word, token))
        )
        for token in query_tokens(q)
    ]


def filter_accounts(session: Session, stmt: S, query: ListQuery, entities: Collection[str]) -> S:
    """``stmt`` (which selects or joins ``Account``) narrowed by the account filters."""
    if query.owner_id is not None:
        stmt = stmt.where(Account.owner_id == query.owner_id)
    if query.kind is not None:
        stmt = stmt.where(Account.kind == query.kind)
    if query.status is not None:
        stmt = stmt.where(Account.status == query.status)
    if query.closed is not None:
        stmt = stmt.where(Account.closed.is_(query.closed))
    if query.city is not None:
        # with a sort by name: one range of (sort_city, sort_name, id)
        stmt = stmt.where(Account.sort_city == sort_text(query.city))
    if query.postal_code is not None:
        prefix = query.postal_code
        if len(prefix) >= 2:
            # the department's rows in name order: one range of (department, sort_name, id)
            stmt = stmt.where(Account.department == prefix[:2])
        if len(prefix) != 2:
            stmt = stmt.where(Account.postal_code.like(_like_prefix(prefix), escape="\\"))
    if query.q:
        stmt = filter_words(
            session,
            stmt,
            AccountWord,
            AccountWord.account_id,
            Account.id,
            Account.search_text,
            query.q,
            Account.sort_name,
            by_name=by_name(query.sort),
        )
    if query.custom:
        stmt = stmt.where(*custom_conditions(session, Account.custom, entities, query.custom))
    return stmt


def by_name(sort: str | None) -> bool:
    """``sort`` is by name, either way."""
    return (sort or "").removeprefix("-") == "name"


def filter_updated_since(stmt: S, column: Any, since: datetime | None) -> S:
    return stmt if since is None else stmt.where(column >= utc(since))


def custom_conditions(
    session: Session, column: Any, entities: Collection[str], wanted: Mapping[str, str]
) -> list[ColumnElement[bool]]:
    """``custom.<key>=value`` (equality, typed by the field library); 422 for unknown keys."""
    types: dict[str, str] = {}
    for entity in entities:
        for definition in fields_domain.list_definitions(session, entity):
            if not definition.standard:
                types.setdefault(definition.key, definition.type)
    conditions: list[ColumnElement[bool]] = []
    errors: list[dict[str, str]] = []
    for key, text in wanted.items():
        name = f"custom.{key}"
        kind = types.get(key)
        if kind is None:
            errors.append(unknown_filter(name))
            continue
        try:
            conditions.append(_custom_equals(column[key], kind, text))
        except ValueError:
            errors.append(field_error(name, "invalid", f"not a {kind}"))
    if errors:
        raise FieldValidationError(errors)
    return conditions


def _custom_equals(element: Any, kind: str, text: str) -> ColumnElement[bool]:
    if kind == "number":
        return element.as_float() == float(text)
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return element.as_boolean().is_(text.lower() == "true")
    return element.as_string() == text
