"""Maintenance: the outbox sweep (Celery beat), bulk reindex and drift checks."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from typing import Any

from celery import Celery, signals

from records_svc.composition import Components
from records_svc.db import Database
from records_svc.domain import imports, outbox, snapshots
from records_svc.job_queue import INDEX_EVENTS_TASK
from records_svc.processes import daemonic
from search_svc.backends.base import Rebuild, SearchBackend, SearchDocument
from workers import indexing
from workers.indexing import HEAL_INDEX_TASK

log = logging.getLogger(__name__)

SWEEP_TASK = "carnet.maintenance.sweep_outbox"
#: events per re-enqueued job
CHUNK = 200
#: a reindex re-applies what was processed from this long before it began
REAPPLY_MARGIN_SECONDS = 60


def sweep(
    db: Database,
    enqueue: Callable[[list[int]], object],
    *,
    older_than_seconds: float,
    keep_processed_seconds: float,
    lease_seconds: float = 30,
    limit: int = 10_000,
) -> int:
    """Re-enqueue events left unprocessed (lost job, broker outage); prune processed ones.

    What it sends is leased for ``lease_seconds``: the next sweeps leave it alone
    while its job waits in the queue.
    """
    with db.unit_of_work() as uow:
        ids = outbox.due(uow.session, older_than=outbox.ago(older_than_seconds), limit=limit)
        outbox.lease(uow.session, ids, until=outbox.ahead(lease_seconds))
    for start in range(0, len(ids), CHUNK):
        enqueue(ids[start : start + CHUNK])
    with db.unit_of_work() as uow:
        outbox.prune(uow.session, processed_before=outbox.ago(keep_processed_seconds))
    imports.fail_stalled(db)  # an import whose process died says so, and where it stopped
    return len(ids)


def heal_index(db: Database, backend: SearchBackend, *, batch_size: int = 1000) -> bool:
    """Repair a lost index without an operator: an empty index with the mapping behind
    the alias (writes land again at once), then a rebuild from the database fills it;
    an ``outdated`` index (an earlier release's format) answers until the rebuild's swap.
    True when it rebuilt; a no-op while the index is healthy or another repair runs."""
    health = backend.health()
    if not backend.repair():
        return False
    log.warning(
        "the search index is %s (%s): rebuilding it from the database", health.state, health.detail
    )
    total = reindex(db, backend, batch_size=batch_size)
    log.warning("the search index is rebuilt (%d documents)", total)
    return True


def expected_documents(db: Database, batch_size: int = 1000) -> Iterator[list[SearchDocument]]:
    with db.read() as session:
        for accounts, contacts in snapshots.batches(session, batch_size):
            yield indexing.documents_of(accounts, contacts)


def reindex(
    db: Database,
    backend: SearchBackend,
    *,
    batch_size: int = 1000,
    progress: Callable[[int], object] = lambda n: None,
    processes: int | None = None,
) -> int:
    """Rebuild the index from the database into a new one, swapped in atomically.

    Writes made meanwhile reach the old index; after the swap, every event
    processed since the rebuild began (minus a margin for the clocks of other
    hosts) or still pending is applied again to the new one, whatever its id:
    a transaction that took its outbox id before the rebuild and committed
    during it is not lost.

    The documents are built in ``processes`` worker processes (default: one per
    core, for a database of more than :data:`PARALLEL_FROM` entries; 1 builds them
    here), while this process reads the database and writes the index.
    """
    started = outbox.ago(REAPPLY_MARGIN_SECONDS)
    if processes is None:
        processes = _default_processes(db)
    rebuild = backend.rebuild()
    try:
        with db.read() as session:
            batches = snapshots.batches(session, batch_size)
            if processes > 1:
                total = _fill_parallel(rebuild, batches, progress, processes)
            else:
                built = (indexing.documents_of(a, c) for a, c in batches)
                total = _fill(rebuild, built, progress)
    except BaseException:
        rebuild.abort()
        raise
    rebuild.commit()
    with db.read() as session:
        since = outbox.touched_since(session, started)
    for start in range(0, len(since), CHUNK):
        indexing.process_events(db, backend, since[start : start + CHUNK])
    return total


#: a rebuild of more entries than this builds its documents in several processes
PARALLEL_FROM = 20_000


def _default_processes(db: Database) -> int:
    """One process per core for a large rebuild; none where a process may not have children
    (a daemonic one, such as a Celery prefork worker) or for a small database."""
    if daemonic():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not cores or cores < 2:
        return 1
    with db.read() as session:
        return cores if snapshots.counts(session) > PARALLEL_FROM else 1


def _fill(
    rebuild: Rebuild,
    batches: Iterable[list[SearchDocument]],
    progress: Callable[[int], object],
) -> int:
    """Write each batch while the next one is read and built: the index writes (SQLite
    or the network, outside the GIL) overlap the Python work, on a second core."""
    total = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="carnet-reindex") as writer:
        pending: Future[None] | None = None
        for docs in batches:
            if pending is not None:
                pending.result()
            pending = writer.submit(rebuild.write, docs)
            total += len(docs)
            progress(len(docs))
        if pending is not None:
            pending.result()
    return total


Prepare = Callable[[Sequence[SearchDocument]], Any]


def _build(
    accounts: list[snapshots.Values],
    contacts: list[tuple[snapshots.Values, snapshots.Values]],
    prepare: Prepare | None,
) -> tuple[int, Any]:
    """In a worker process: a batch of rows → its documents, prepared for the index."""
    docs = indexing.documents_of(accounts, contacts)
    return len(docs), (prepare(docs) if prepare is not None else docs)


def _fill_parallel(
    rebuild: Rebuild,
    batches: Iterable[
        tuple[list[snapshots.Values], list[tuple[snapshots.Values, snapshots.Values]]]
    ],
    progress: Callable[[int], object],
    processes: int,
) -> int:
    """The documents built in ``processes`` forked processes (rows in, plain tuples out:
    cheap to pickle), in order; this process reads the next rows meanwhile and a thread
    writes the index. At most two batches per process wait, so memory stays bounded."""
    prepare: Prepare | None = getattr(rebuild, "prepare", None)
    write: Callable[[Any], None] = (
        getattr(rebuild, "write_prepared") if prepare is not None else rebuild.write  # noqa: B009
    )
    total = 0
    queued: deque[AsyncResult[tuple[int, Any]]] = deque()
    context = multiprocessing.get_context("fork")
    with (
        context.Pool(processes) as pool,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="carnet-reindex") as writer,
    ):
        written: Future[None] | None = None

        def flush_one() -> None:
            nonlocal total, written
            count, prepared = queued.popleft().get()
            if written is not None:
                written.result()
            written = writer.submit(write, prepared)
            total += count
            progress(count)

        for accounts, contacts in batches:
            queued.append(pool.apply_async(_build, (accounts, contacts, prepare)))
            if len(queued) > 2 * processes:
                flush_one()
        while queued:
            flush_one()
        if written is not None:
            written.result()
    return total


@dataclass
class Drift:
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[tuple[str, int, int]] = field(default_factory=list)  # doc, index, database

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.stale)


def verify(db: Database, backend: SearchBackend) -> Drift:
    """Compare the database with the index: missing, extra and stale documents."""
    expected = {d.doc_id: d.version for docs in expected_documents(db) for d in docs}
    drift = Drift()
    for doc_id, version in backend.versions():
        wanted = expected.pop(doc_id, None)
        if wanted is None:
            drift.extra.append(doc_id)
        elif wanted != version:
            drift.stale.append((doc_id, version, wanted))
    drift.missing = sorted(expected)
    drift.extra.sort()
    return drift


def _heal_at_start(sender: Any = None, **_: Any) -> None:
    """A fresh deployment has no index yet: the worker of the indexing queue asks for it."""
    app = getattr(sender, "app", None)
    ctx = getattr(app, "carnet_components", None)
    queues = {q.name for q in getattr(getattr(sender, "task_consumer", None), "queues", ())}
    if app is not None and ctx is not None and "indexing" in queues:
        if ctx.search.health().repairable:
            app.tasks[HEAL_INDEX_TASK].apply_async()


def sweep_outbox(app: Celery, ctx: Components, *, older_than_seconds: float | None = None) -> int:
    """The sweep of the beat task and of the embedded runtime: pending events sent again."""
    settings = ctx.settings
    if ctx.search.health().repairable:  # a lost index: repaired, then rebuilt
        app.tasks[HEAL_INDEX_TASK].apply_async()
    process = app.tasks[INDEX_EVENTS_TASK]
    age = settings.outbox_sweep_age_seconds if older_than_seconds is None else older_than_seconds
    return sweep(
        ctx.db,
        lambda ids: process.apply_async(kwargs={"event_ids": ids}),
        older_than_seconds=age,
        keep_processed_seconds=settings.outbox_keep_processed_seconds,
        lease_seconds=settings.outbox_lease_seconds,
    )


class BackgroundSweep:
    """The sweep of a process without beat (the embedded runtime), on a thread of its own.

    ``start`` replays every pending event first (what a crash left behind), then
    the thread sweeps every ``period`` seconds until ``stop``.
    """

    def __init__(self, app: Celery, period: float) -> None:
        self.app = app
        self.period = period
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="carnet-sweep", daemon=True)

    def start(self) -> int:
        replayed = self._sweep(older_than_seconds=0)
        self._thread.start()
        return replayed

    def stop(self, timeout: float = 10) -> None:
        """Stop the thread, then flush: every event still pending is sent once more."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._sweep(older_than_seconds=0)

    def _run(self) -> None:
        while not self._stopped.wait(self.period):
            self._sweep()

    def _sweep(self, older_than_seconds: float | None = None) -> int:
        try:
            return sweep_outbox(
                self.app, self.app.carnet_components, older_than_seconds=older_than_seconds
            )
        except Exception:
            log.warning("outbox sweep failed; next try in %s s", self.period, exc_info=True)
            return 0


def register(app: Celery, ctx: Components) -> None:
    settings = ctx.settings

    @app.task(name=SWEEP_TASK, shared=False, max_retries=0)
    def sweep_outbox_task() -> int:
        return sweep_outbox(app, ctx)

    # Idempotent, and a rebuild in progress is not started again: safe to run twice.
    @app.task(name=HEAL_INDEX_TASK, shared=False, acks_late=True, max_retries=0)
    def heal_index_task() -> bool:
        return heal_index(ctx.db, ctx.search, batch_size=settings.reindex_batch_size)

    signals.worker_ready.connect(_heal_at_start, weak=False, dispatch_uid="carnet-heal-index")

    app.conf.beat_schedule = {
        **(app.conf.beat_schedule or {}),
        "carnet-outbox-sweep": {
            "task": SWEEP_TASK,
            "schedule": settings.outbox_sweep_seconds,
            # Sweeps queued while the maintenance worker was away expire: never back to back.
            "options": {"expires": settings.outbox_sweep_seconds},
        },
    }
