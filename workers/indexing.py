"""Indexing: outbox events → current rows → search documents → the index.

The job reads the current rows (the database is the truth), so a late or
repeated job writes the current document, and the index refuses a version
older than the one it holds: jobs are idempotent, hence ``acks_late``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from celery import Celery

from config.logs import current_request_id
from records_svc.composition import Components
from records_svc.db import Database
from records_svc.domain import field_declarations, outbox, snapshots
from records_svc.job_queue import INDEX_EVENTS_TASK
from search_svc import documents
from search_svc.backends.base import SearchBackend, SearchDocument, SearchUnavailableError

log = logging.getLogger(__name__)

#: the maintenance job that repairs a lost index (workers/maintenance.py)
HEAL_INDEX_TASK = "carnet.maintenance.heal_index"
#: a worker retries a failed batch this often (with backoff) before leaving it to the sweep
MAX_RETRIES = 5


def documents_of(
    accounts: Iterable[snapshots.Values],
    contacts: Iterable[tuple[snapshots.Values, snapshots.Values]],
) -> list[SearchDocument]:
    words, numbers = field_declarations.searchable("words"), field_declarations.searchable("number")
    contact_words = field_declarations.CONTACTS.searchable("words")
    contact_numbers = field_declarations.CONTACTS.searchable("number")
    return [documents.account_document(a, words=words, numbers=numbers) for a in accounts] + [
        documents.contact_document(c, a, words=contact_words, numbers=contact_numbers)
        for c, a in contacts
    ]


def sync(db: Database, backend: SearchBackend, targets: Iterable[tuple[str, int]]) -> int:
    """Bring the documents of ``targets`` ((entity, id) pairs) level with the database."""
    account_ids = sorted({i for entity, i in targets if entity == "account"})
    contact_ids = sorted({i for entity, i in targets if entity == "contact"})
    with db.read() as session:
        accounts = snapshots.accounts(session, account_ids) if account_ids else {}
        contacts = snapshots.contacts(session, contact_ids) if contact_ids else {}
    found = documents_of(accounts.values(), contacts.values())
    gone = [documents.doc_id("account", i) for i in account_ids if i not in accounts]
    gone += [documents.doc_id("contact", i) for i in contact_ids if i not in contacts]
    if found:
        backend.write(found)
    if gone:
        backend.delete(gone)
    return len(found) + len(gone)


def process_batch(
    db: Database,
    backend: SearchBackend,
    event_ids: Sequence[int],
    *,
    more: int,
    lease_seconds: float,
) -> int:
    """A job's work: its events still pending and up to ``more`` other pending ones, in one
    bulk write. The jobs of the events it took find them processed and return at once."""
    with db.unit_of_work() as uow:
        claimed = outbox.claim(uow.session, event_ids, more=more, until=outbox.ahead(lease_seconds))
    return process_events(db, backend, claimed)


def process_events(db: Database, backend: SearchBackend, event_ids: Sequence[int]) -> int:
    """Index what the events name, then mark them processed; returns the documents touched.

    Processed or not, the events' documents are written: a repeat is harmless.
    """
    if not event_ids:
        return 0
    with db.read() as session:
        targets = outbox.targets(session, event_ids)
    touched = sync(db, backend, targets)
    with db.unit_of_work() as uow:
        outbox.mark_processed(uow.session, event_ids)
    return touched


def register(app: Celery, ctx: Components) -> None:
    @app.task(
        bind=True,
        name=INDEX_EVENTS_TASK,
        shared=False,
        acks_late=True,
        max_retries=MAX_RETRIES,
        ignore_result=True,
    )
    def process_events_task(self: Any, *, event_ids: list[int]) -> int:
        try:
            if self.request.is_eager:  # inline (the embedded runtime): its own events only
                return process_events(ctx.db, ctx.search, event_ids)
            return process_batch(
                ctx.db,
                ctx.search,
                event_ids,
                more=ctx.settings.indexing_batch_size,
                lease_seconds=ctx.settings.outbox_lease_seconds,
            )
        except Exception as exc:
            # The events stay pending in the outbox: the sweep sends them again; a lost
            # index is repaired by the maintenance side, asked at most every few seconds.
            if isinstance(exc, SearchUnavailableError) and exc.health.repairable:
                heal.ask()
            log.warning(
                "indexing failed; %d events left pending for the sweep",
                len(event_ids),
                exc_info=True,
                extra={"event_ids": event_ids[:20], "request_id": current_request_id()},
            )
            if self.request.is_eager:
                return 0  # the embedded runtime: the request returns at once, no inline retry
            raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc

    heal = HealRequests(app)


class HealRequests:
    """Sends the index repair job, at most once every ``every`` seconds from a process:
    every failing indexing job notices a lost index, one repair is enough."""

    def __init__(self, app: Celery, every: float = 5.0) -> None:
        self.app = app
        self.every = every
        self._last = -every

    def ask(self) -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        try:
            self.app.tasks[HEAL_INDEX_TASK].apply_async()
        except Exception:  # the broker is down too: the sweep asks again later
            log.warning("could not ask for an index repair", exc_info=True)
