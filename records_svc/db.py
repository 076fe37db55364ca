"""Engine, sessions and the unit of work of the records service."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from config.private_files import create_private_file, private_dir
from records_svc.domain import access, bulk, history, search_changes
from records_svc.domain.errors import StaleVersionError
from records_svc.domain.models import Account, Contact, IndexEvent
from records_svc.files import FileStore

AfterCommit = Callable[[], object]
OnIndexEvents = Callable[[list[int]], object]


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            # Created 0600 (its directory 0700 if missing) before SQLite opens it; SQLite
            # gives its WAL and journal files the database's mode.
            create_private_file(private_dir(Path(path).parent) / Path(path).name)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy manage transactions (BEGIN is emitted explicitly below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A writer takes the lock up front (no deadlock between two writers);
            # readers begin deferred and never wait for a writer (WAL).
            mode = "IMMEDIATE" if conn.get_execution_options().get("carnet_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class UnitOfWork:
    """One transaction; what must happen after it commits is registered with it."""

    def __init__(
        self,
        session: Session,
        on_index_events: OnIndexEvents | None,
        files: FileStore | None = None,
    ):
        self.session = session
        #: where document files live; None when this database was built without one
        self.files = files
        self._after_commit: list[AfterCommit] = []
        self._on_rollback: list[AfterCommit] = []
        self._index_event_ids: list[int] = []
        self._on_index_events = on_index_events

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    def on_rollback(self, callback: AfterCommit) -> None:
        """Undo a side effect (e.g. a file written) if the transaction does not commit."""
        self._on_rollback.append(callback)

    def rolled_back(self) -> None:
        callbacks, self._on_rollback = self._on_rollback, []
        for callback in callbacks:
            callback()

    def record_index_event(self, entity: str, entity_id: int) -> None:
        """Write an outbox row in this transaction; it is dispatched after commit.

        Account and contact changes need no call: ``search_changes`` records them.
        """
        self._record_index_events([(entity, entity_id)])

    def add_new(self, records: Sequence[Account | Contact]) -> None:
        """Create ``records`` (new, of one kind) as adding them and flushing would — the
        same rows, history entries and outbox events —, by ``COPY`` when there are many
        on PostgreSQL (``domain/bulk.py``: an import's batch)."""
        if not bulk.uses_copy(self.session, len(records)):
            self.session.add_all(records)
            return
        bulk.copy_new_records(self.session, records)
        for record in records:
            history.note_created(self.session, record)
            search_changes.touch(self.session, record)

    def _record_index_events(self, targets: list[tuple[str, int]]) -> None:
        if not targets:
            return
        rows = [{"entity": e, "entity_id": i} for e, i in targets]
        # one statement with its ids back (an import's batch: hundreds of rows)
        self.session.flush()
        ids = bulk.insert_rows(self.session, IndexEvent, rows, returning_ids=True)
        self._index_event_ids.extend(ids)

    def commit(self) -> None:
        self.session.flush()
        history.write_pending(self.session)
        self._record_index_events(search_changes.pending_targets(self.session))
        self.session.commit()
        self._on_rollback = []
        ids, self._index_event_ids = self._index_event_ids, []
        callbacks, self._after_commit = self._after_commit, []
        on_index_events = self._on_index_events
        if ids and on_index_events is not None:
            callbacks.insert(0, lambda: on_index_events(ids))
        for callback in callbacks:
            callback()


def _system() -> access.AccessPolicy:
    return access.SYSTEM


def _nobody() -> int | None:
    return None


class Database:
    """The records database: an engine, a session factory and units of work."""

    def __init__(
        self,
        url: str,
        on_index_events: OnIndexEvents | None = None,
        *,
        files: FileStore | None = None,
        current_policy: Callable[[], access.AccessPolicy] | None = None,
        current_actor: Callable[[], int | None] | None = None,
    ):
        """``on_index_events`` receives the ids of the outbox rows a unit of work wrote,
        once it committed (None: they wait for the sweep); ``files`` is the document
        store; ``current_policy`` and ``current_actor`` say whose access policy a new
        session carries and whom the history names (by default: the system's, nobody).
        A process's database is built with them (records_svc/composition.py)."""
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer_sessions = sessionmaker(
            self.engine.execution_options(carnet_write=True), expire_on_commit=False
        )
        # Every flush of a writer reports its account and contact changes (search versions).
        event.listen(self._writer_sessions, "before_flush", search_changes.before_flush)
        # …and what it changed, for the history written in the same transaction.
        event.listen(self._writer_sessions, "before_flush", history.before_flush)
        self._history = True
        self.on_index_events = on_index_events
        self.files = files
        #: the access policy of whoever opens a session now (the records app: the caller's)
        self.current_policy: Callable[[], access.AccessPolicy] = current_policy or _system
        #: the user who makes the changes now (the records app: the caller; None: the system)
        self.current_actor: Callable[[], int | None] = current_actor or _nobody

    def record_history(self, enabled: bool) -> None:
        """History on (always, in Carnet); off only to measure what it costs (carnet bench).

        The listener stays registered: a flag on each unit of work's session turns it off.
        (SQLAlchemy's ``event.contains`` keys listeners by ``id()`` of their target, and a
        new session factory can reuse a collected one's id: asking it lost the listener.)
        """
        self._history = enabled

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """Commit at the end of the block if it raised nothing; roll back otherwise."""
        with self._writer_sessions() as session:
            access.bind(session, self.current_policy())
            history.bind_actor(session, self.current_actor())
            if not self._history:
                history.pause(session)
            uow = UnitOfWork(session, self.on_index_events, self.files)
            try:
                yield uow
                uow.commit()
            except StaleDataError:
                # UPDATE … WHERE version = <version read> matched nothing: someone else won.
                session.rollback()
                uow.rolled_back()
                raise StaleVersionError(
                    "The record was changed by someone else meanwhile; reload it and apply "
                    "your change again."
                ) from None
            except BaseException:
                session.rollback()
                uow.rolled_back()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            access.bind(session, self.current_policy())
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
