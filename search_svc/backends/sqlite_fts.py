"""The embedded search backend: one SQLite file with an FTS5 index.

Speed at a million entries comes from one choice: an entry's rowid (``pos``)
is its place in name order. The FTS5 index hands back matches in rowid order,
so "the first 10 matches by name" reads about 10 doclist entries and stops;
nothing is ranked. Positions are sparse (gaps of 2**32 after a rebuild) so an
insert takes the middle of its neighbours' gap; a gap that runs out makes the
few entries around it spread out again. The PHRASE tier (the name starts
with the query) is a range read on the unique ``order_key`` index; the other
tiers are FTS5 MATCH expressions (sqlite_match): a long query word expands
to its complete words (table ``words``), the name's first word is indexed as
``_word`` and each primary word as ``~word``, and typos come from a deletion
neighbourhood (tables ``typo_words``, ``typo_keys``), so no query reads a
whole doclist or scans the vocabulary. See docs/search.md.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from search_svc import typos
from search_svc.backends import sqlite_match
from search_svc.backends.base import (
    HEALTHY,
    INDEX_FORMAT,
    TOTAL_CAP,
    IndexHealth,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
    SearchUnavailableError,
    Tier,
    ranked,
)

SPACE = 2**62
STEP = 2**32

SCHEMA = """
CREATE TABLE IF NOT EXISTS {entries} (
    pos INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    order_key TEXT NOT NULL UNIQUE,
    closed INTEGER NOT NULL,
    label TEXT NOT NULL,
    sublabel TEXT,
    badges TEXT NOT NULL,
    link TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(
    terms, prefix='1 2 3', detail=none, columnsize=0,
    tokenize="unicode61 remove_diacritics 0 tokenchars '_~='"
);
CREATE TABLE IF NOT EXISTS tombstones (doc_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS words (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS typo_keys (
    key TEXT NOT NULL, prefix TEXT NOT NULL, PRIMARY KEY (key, prefix)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS typo_words (term TEXT PRIMARY KEY) WITHOUT ROWID;
"""
#: what the count reads per match instead of the entry's row (kind and closed flag): a
#: covering index, so counting 1,000 matches seeks a small B-tree, not the wide rows.
#: An index of the entries' own columns: an earlier file gets it when opened.
VISIBLE_INDEX = "CREATE INDEX IF NOT EXISTS entries_visible ON entries (pos, closed, kind)"
#: page cache of a rebuild's connection (KiB): the staging index and the sort stay in memory
REBUILD_CACHE_KIB = 256 * 1024
COLUMNS = "pos, doc_id, kind, entity_id, version, order_key, closed, label, sublabel, badges, link"


def _create(conn: sqlite3.Connection, entries: str, fts: str) -> None:
    for statement in SCHEMA.format(entries=entries, fts=fts).split(";"):
        if statement.strip():
            conn.execute(statement)


def _fts_config(conn: sqlite3.Connection, fts: str, **settings: int) -> None:
    """Set FTS5 configuration options (stored with the index, kept by a rename)."""
    for name, value in settings.items():
        conn.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES (?, ?)", (name, value))


def _row(document: SearchDocument) -> tuple[Any, ...]:
    return (
        document.doc_id,
        document.kind,
        document.entity_id,
        document.version,
        document.order_key,
        int(document.closed),
        document.label,
        document.sublabel,
        json.dumps(document.badges),
        document.link,
    )


def _badges(badges: tuple[str, ...]) -> str:
    return json.dumps(badges) if badges else "[]"


def _words(document: SearchDocument) -> list[str]:
    """The indexed words: the searchable ones, ``_`` + the name's first word (head tiers),
    ``~`` + each primary word (the "in the name" tiers) and ``=`` + the name's words
    sorted and joined (the EXACT tier)."""
    return [
        *document.terms,
        sqlite_match.HEAD + document.head,
        *(sqlite_match.PRIMARY + w for w in document.primary),
        sqlite_match.EXACT + document.exact_key,
    ]


def _add_typo_words(conn: sqlite3.Connection, new: Sequence[str]) -> None:
    """New words a typo may stand for (letters only), and their deletion neighbourhood."""
    typed = [w for w in new if typos.typo_target(w)]
    conn.executemany("INSERT OR IGNORE INTO typo_words VALUES (?)", ((w,) for w in typed))
    conn.executemany(
        "INSERT OR IGNORE INTO typo_keys VALUES (?, ?)", sorted(typos.neighbourhood(typed))
    )


def _fts_text(document: SearchDocument) -> tuple[str]:
    return (" ".join(_words(document)),)


def _unreadable(exc: sqlite3.Error) -> IndexHealth:
    return IndexHealth("unreachable", f"the search index file cannot be read: {exc}")


class SqliteFtsBackend:
    """The SQLite FTS5 index in the file ``path`` (settings.resolved_search_sqlite_path)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._write() as conn:
            # A new file is made in this release's format (``PRAGMA user_version``); a file
            # of an earlier release keeps its own, and is ``outdated`` until rebuilt.
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'entries'").fetchall():
                conn.execute(f"PRAGMA user_version = {INDEX_FORMAT}")
            _create(conn, "entries", "entries_fts")
            conn.execute(VISIBLE_INDEX)

    # connections: one per thread, WAL so readers never wait for the writer

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    class _Txn:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def __enter__(self) -> sqlite3.Connection:
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn

        def __exit__(self, exc_type: object, *_: object) -> None:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")

    def _write(self) -> SqliteFtsBackend._Txn:
        self._local.typo_version = None  # this connection's writes do not change data_version
        return self._Txn(self._conn())

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            self._local.typo_version = None  # a new connection starts its caches afresh

    def _typo_cache(self) -> sqlite_match.TypoCache:
        """This thread's typo alternatives, kept while no other connection wrote the file
        (a type-ahead asks the same words again on every key stroke, and for ``total``)."""
        version = self._conn().execute("PRAGMA data_version").fetchone()[0]
        local = self._local
        if getattr(local, "typo_version", None) != version or len(local.typo_cache) > 4096:
            local.typo_cache, local.typo_version = {}, version
            local.count_cache = {}
        cache: sqlite_match.TypoCache = local.typo_cache
        return cache

    def ping(self) -> bool:
        return self.health().ok

    def health(self) -> IndexHealth:
        try:
            conn = self._conn()
            conn.execute("SELECT 1 FROM entries LIMIT 1").fetchall()
            stored = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            return _unreadable(exc)
        if stored != INDEX_FORMAT:
            return IndexHealth(
                "outdated",
                f"index format {stored} where this release uses {INDEX_FORMAT}: "
                "rebuild from the database",
            )
        return HEALTHY

    def repair(self) -> bool:
        """True when a rebuild from the database must follow (an ``outdated`` index).
        The tables are created with the backend; an unreadable file needs an operator."""
        return self.health().state == "outdated"

    # reading

    def search(self, query: SearchQuery) -> list[SearchHit]:
        return self.page(query).hits

    def page(self, query: SearchQuery) -> SearchPage:
        try:
            return ranked(query, self._fetch)
        except sqlite3.Error as exc:  # a missing table, a locked or damaged file
            raise SearchUnavailableError(_unreadable(exc)) from exc

    def count(self, query: SearchQuery, cap: int = TOTAL_CAP) -> int:
        if not query.tokens:
            return 0
        try:
            widest = query.widest if self._has_typos(query) else Tier.ANY  # checks the version
            # Counts are kept with the typo alternatives, while no other connection wrote:
            # the next page asks for the same total, and so do the same first letters typed.
            counts: dict[tuple[Any, ...], int] = self._local.count_cache
            key = (query.tokens, query.kinds, query.show_closed, cap)
            if key in counts:
                return counts[key]
            if len(counts) > 4096:
                counts.clear()
            sql, params = self._select(
                query, widest, "1", entries="entries e INDEXED BY entries_visible"
            )
            counted = f"SELECT count(*) FROM ({sql})"
            total = counts[key] = int(self._conn().execute(counted, [*params, cap]).fetchone()[0])
            return total
        except sqlite3.Error as exc:
            raise SearchUnavailableError(_unreadable(exc)) from exc

    def _fetch(self, query: SearchQuery, tier: Tier, count: int) -> list[SearchDocument]:
        if tier in (Tier.TYPO, Tier.TYPO_NAME) and not self._has_typos(query):
            return []  # no indexed word is a typo away: the tier is ANY's again
        sql, params = self._select(query, tier, "e." + COLUMNS.replace(", ", ", e."))
        return [self._document(row) for row in self._conn().execute(sql, [*params, count])]

    def _has_typos(self, query: SearchQuery) -> bool:
        """Whether any query word stands for other indexed words with its typos."""
        cache, conn, count = self._typo_cache(), self._conn(), len(query.tokens)
        return any(
            sqlite_match.cached_alternatives(conn, cache, token, index, count)
            for index, token in enumerate(query.tokens)
            if typos.allowed_typos(token)
        )

    def _select(
        self, query: SearchQuery, tier: Tier, columns: str, *, entries: str = "entries e"
    ) -> tuple[str, list[Any]]:
        """The tier's entries in name order (the caller adds the LIMIT's parameter);
        ``entries`` is how an FTS tier joins the entries (the count: their covering index)."""
        kinds = sorted(query.kinds)
        marks = ", ".join("?" for _ in kinds)
        visible = f"e.kind IN ({marks}) AND (? OR e.closed = 0)"
        params: list[Any]
        if tier == Tier.PHRASE:
            sql = (
                f"SELECT {columns} FROM entries e WHERE e.order_key >= ? AND e.order_key < ? "
                f"AND {visible} ORDER BY e.order_key LIMIT ?"
            )
            params = [query.phrase, query.phrase + sqlite_match.TOP]
        else:
            # CROSS JOIN keeps the FTS index outermost: rows come in rowid (= name) order.
            cache = self._typo_cache() if tier in (Tier.TYPO, Tier.TYPO_NAME) else {}
            match, tests, values = sqlite_match.match(self._conn(), query, tier, cache)
            also = "".join(f" AND {test}" for test in tests)
            sql = (
                f"SELECT {columns} FROM entries_fts f "
                f"CROSS JOIN {entries} ON e.pos = f.rowid "
                f"WHERE entries_fts MATCH ?{also} AND {visible} ORDER BY f.rowid LIMIT ?"
            )
            params = [match, *values]
        return sql, [*params, *kinds, int(query.show_closed)]

    @staticmethod
    def _document(row: Sequence[Any]) -> SearchDocument:
        _pos, doc_id, kind, entity_id, version, order_key, closed, label, sublabel, badges, link = (
            row
        )
        return SearchDocument(
            doc_id=doc_id,
            kind=kind,
            entity_id=entity_id,
            version=version,
            label=label,
            sublabel=sublabel,
            badges=tuple(json.loads(badges)),
            link=link,
            closed=bool(closed),
            terms=(),
            sort_key=order_key.split("\x01", 1)[0],
        )

    def versions(self) -> Iterator[tuple[str, int]]:
        yield from self._conn().execute("SELECT doc_id, version FROM entries ORDER BY doc_id")

    # writing

    def write(self, documents: Sequence[SearchDocument]) -> None:
        with self._write() as conn:
            for document in documents:
                self._upsert(conn, document)

    def delete(self, doc_ids: Sequence[str]) -> None:
        with self._write() as conn:
            for doc_id in doc_ids:
                conn.execute("INSERT OR IGNORE INTO tombstones VALUES (?)", (doc_id,))
                self._remove(conn, doc_id)

    def _remove(self, conn: sqlite3.Connection, doc_id: str) -> None:
        row = conn.execute("SELECT pos FROM entries WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is not None:
            conn.execute("DELETE FROM entries WHERE pos = ?", row)
            conn.execute("DELETE FROM entries_fts WHERE rowid = ?", row)

    def _upsert(self, conn: sqlite3.Connection, document: SearchDocument) -> None:
        if conn.execute("SELECT 1 FROM tombstones WHERE doc_id = ?", (document.doc_id,)).fetchone():
            return
        row = conn.execute(
            "SELECT version FROM entries WHERE doc_id = ?", (document.doc_id,)
        ).fetchone()
        if row is not None and row[0] >= document.version:
            return  # the index holds this version or a newer one
        self._remove(conn, document.doc_id)
        pos = self._position(conn, document.order_key)
        conn.execute(
            f"INSERT INTO entries ({COLUMNS}) VALUES (?{', ?' * 10})", (pos, *_row(document))
        )
        conn.execute(
            "INSERT INTO entries_fts (rowid, terms) VALUES (?, ?)", (pos, *_fts_text(document))
        )
        words = _words(document)
        marks = ", ".join("?" for _ in words)
        known = {
            r[0] for r in conn.execute(f"SELECT term FROM words WHERE term IN ({marks})", words)
        }
        new = [w for w in words if w not in known]
        conn.executemany("INSERT OR IGNORE INTO words VALUES (?)", [(w,) for w in new])
        _add_typo_words(conn, new)

    def _position(self, conn: sqlite3.Connection, order_key: str) -> int:
        """A free rowid between the neighbours of ``order_key`` in name order."""
        while True:
            lo, hi = self._neighbours(conn, order_key)
            if hi - lo >= 2:
                if hi == SPACE and hi - lo > 2 * STEP:
                    return lo + STEP  # appending in name order keeps room for the next
                if lo == 0 and hi - lo > 2 * STEP:
                    return hi - STEP
                return (lo + hi) // 2
            self._respace(conn, order_key)

    @staticmethod
    def _neighbours(conn: sqlite3.Connection, order_key: str) -> tuple[int, int]:
        before = conn.execute(
            "SELECT pos FROM entries WHERE order_key < ? ORDER BY order_key DESC LIMIT 1",
            (order_key,),
        ).fetchone()
        after = conn.execute(
            "SELECT pos FROM entries WHERE order_key > ? ORDER BY order_key LIMIT 1", (order_key,)
        ).fetchone()
        return (before[0] if before else 0), (after[0] if after else SPACE)

    def _respace(self, conn: sqlite3.Connection, order_key: str) -> None:
        """Spread the entries around ``order_key`` evenly over a gap wide enough for them."""
        width = 32
        while True:
            window = [
                r[0]
                for r in conn.execute(
                    "SELECT pos FROM (SELECT pos, order_key FROM entries WHERE order_key < ? "
                    "ORDER BY order_key DESC LIMIT ?) UNION ALL "
                    "SELECT pos FROM (SELECT pos FROM entries WHERE order_key > ? "
                    "ORDER BY order_key LIMIT ?)",
                    (order_key, width, order_key, width),
                )
            ]
            window.sort()
            lo = self._outside(conn, window[0], before=True)
            hi = self._outside(conn, window[-1], before=False)
            if (hi - lo) // (len(window) + 2) >= 1024 or width > 2**20:
                break
            width *= 4
        rows = [
            conn.execute(f"SELECT {COLUMNS} FROM entries WHERE pos = ?", (pos,)).fetchone()
            for pos in window
        ]
        texts = [
            conn.execute("SELECT terms FROM entries_fts WHERE rowid = ?", (pos,)).fetchone()
            for pos in window
        ]
        gap = (hi - lo) // (len(window) + 2)
        for pos in window:
            conn.execute("DELETE FROM entries WHERE pos = ?", (pos,))
            conn.execute("DELETE FROM entries_fts WHERE rowid = ?", (pos,))
        for index, (row, text) in enumerate(zip(rows, texts, strict=True)):
            # Leave a gap at the key's own place (index counted past it) for the insert.
            new_pos = lo + gap * (index + 1 + (row[5] > order_key))
            conn.execute(
                f"INSERT INTO entries ({COLUMNS}) VALUES (?{', ?' * 10})", (new_pos, *row[1:])
            )
            conn.execute("INSERT INTO entries_fts (rowid, terms) VALUES (?, ?)", (new_pos, *text))

    @staticmethod
    def _outside(conn: sqlite3.Connection, pos: int, *, before: bool) -> int:
        sql = (
            "SELECT max(pos) FROM entries WHERE pos < ?"
            if before
            else "SELECT min(pos) FROM entries WHERE pos > ?"
        )
        value = conn.execute(sql, (pos,)).fetchone()[0]
        return int(value) if value is not None else (0 if before else SPACE)

    # bulk rebuild

    def rebuild(self) -> SqliteRebuild:
        return SqliteRebuild(self)


class SqliteRebuild:
    """Fills side tables, then renames them over the live ones in one transaction.

    Built for a million entries in well under a minute: documents are appended to a
    TEMP staging table (no write-ahead log, no index but the one that keeps the last
    write of each document); the commit sorts them once into name order, fills the new
    tables in rowid order (FTS5's fastest path) and takes the new words from the new
    FTS index's vocabulary instead of one insert per word per document.
    """

    def __init__(self, backend: SqliteFtsBackend) -> None:
        self.backend = backend
        # Written from the thread that feeds the rebuild, committed from the caller's.
        self.conn = sqlite3.connect(
            backend.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        # The new tables are invisible until the swap; losing them to a power cut loses
        # nothing (WAL keeps the file consistent), so they need no fsync of their own.
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute(f"PRAGMA cache_size=-{REBUILD_CACHE_KIB}")
        self.conn.executescript(
            "DROP TABLE IF EXISTS temp.rebuild_staging;"
            "CREATE TEMP TABLE rebuild_staging (order_key TEXT, doc_id TEXT UNIQUE, kind TEXT, "
            "entity_id INTEGER, version INTEGER, closed INTEGER, label TEXT, sublabel TEXT, "
            "badges TEXT, link TEXT, terms TEXT);"
        )
        # The TEMP tables (staging, sorted copy) have a page cache of their own.
        self.conn.execute(f"PRAGMA temp.cache_size=-{REBUILD_CACHE_KIB}")

    @staticmethod
    def prepare(documents: Sequence[SearchDocument]) -> list[tuple[Any, ...]]:
        """The staging rows of ``documents``: plain tuples, made where the documents are
        built (``maintenance.reindex`` builds them in other processes)."""
        return [
            (
                d.order_key,
                d.doc_id,
                d.kind,
                d.entity_id,
                d.version,
                int(d.closed),
                d.label,
                d.sublabel,
                _badges(d.badges),
                d.link,
                *_fts_text(d),
            )
            for d in documents
        ]

    def write(self, documents: Sequence[SearchDocument]) -> None:
        self.write_prepared(self.prepare(documents))

    def write_prepared(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany(
            "INSERT OR REPLACE INTO rebuild_staging (order_key, doc_id, kind, entity_id, version, "
            "closed, label, sublabel, badges, link, terms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.conn.execute("COMMIT")

    def commit(self) -> None:
        conn = self.conn
        count = conn.execute("SELECT count(*) FROM rebuild_staging").fetchone()[0]
        step = max(SPACE // (count + 1), 1)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DROP TABLE IF EXISTS entries_new")
            conn.execute("DROP TABLE IF EXISTS entries_fts_new")
            _create(conn, "entries_new", "entries_fts_new")
            if conn.execute("PRAGMA user_version").fetchone()[0] != INDEX_FORMAT:
                # An earlier release's words had no typo neighbourhood: all are made again.
                for table in ("words", "typo_words", "typo_keys"):
                    conn.execute(f"DELETE FROM {table}")
                conn.execute(f"PRAGMA user_version = {INDEX_FORMAT}")
            # Bulk load: no merging while the rows go in (each merge rewrites what the
            # next one rewrites again), then one merge of everything into one segment.
            _fts_config(conn, "entries_fts_new", automerge=0, crisismerge=2000)
            # One sort into name order: the copy's rowids count in it (1, 2, …), so the
            # positions, evenly spaced, are rowid × step (no window function: a second sort).
            conn.execute(
                "CREATE TEMP TABLE rebuild_sorted AS SELECT * FROM rebuild_staging "
                "ORDER BY order_key"
            )
            conn.execute(
                f"INSERT INTO entries_new ({COLUMNS}) SELECT rowid * ?, doc_id, kind, entity_id, "
                "version, order_key, closed, label, sublabel, badges, link "
                "FROM rebuild_sorted ORDER BY rowid",
                (step,),
            )
            conn.execute(
                "INSERT INTO entries_fts_new (rowid, terms) "
                "SELECT rowid * ?, terms FROM rebuild_sorted ORDER BY rowid",
                (step,),
            )
            conn.execute("INSERT INTO entries_fts_new (entries_fts_new) VALUES ('optimize')")
            # Live updates merge as usual again (the settings are stored with the index).
            _fts_config(conn, "entries_fts_new", automerge=4, crisismerge=16)
            conn.execute(
                "CREATE VIRTUAL TABLE temp.rebuild_vocab "
                "USING fts5vocab(main, entries_fts_new, row)"
            )
            # Words of the old index stay: harmless, they complete nothing that is gone.
            # The new ones go in within SQLite (a million words, most of them numbers); only
            # those a typo may stand for (letters only, MIN_KEY_PREFIX and more) reach Python.
            conn.execute(
                "CREATE TEMP TABLE rebuild_new_words AS SELECT term FROM temp.rebuild_vocab "
                "WHERE term NOT IN (SELECT term FROM words)"
            )
            conn.execute("INSERT INTO words SELECT term FROM temp.rebuild_new_words")
            new = [
                row[0]
                for row in conn.execute(
                    "SELECT term FROM temp.rebuild_new_words "
                    "WHERE length(term) >= ? AND term NOT GLOB '*[0-9_~=]*'",
                    (typos.MIN_KEY_PREFIX,),
                )
            ]
            _add_typo_words(conn, new)
            conn.execute("DROP TABLE temp.rebuild_vocab")
            conn.execute("DROP TABLE entries")
            conn.execute("DROP TABLE entries_fts")
            conn.execute("ALTER TABLE entries_new RENAME TO entries")
            conn.execute("ALTER TABLE entries_fts_new RENAME TO entries_fts")
            conn.execute(VISIBLE_INDEX)
            # The database is the truth: a record it still holds is no longer "deleted".
            conn.execute(
                "DELETE FROM tombstones WHERE doc_id IN (SELECT doc_id FROM rebuild_staging)"
            )
            # The TEMP tables are not dropped: closing the connection discards them whole,
            # where a DROP frees their pages one by one (seconds at a million entries).
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def abort(self) -> None:
        self.conn.execute("DROP TABLE IF EXISTS temp.rebuild_staging")
        self.conn.close()
