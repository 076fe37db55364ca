"""Importing prospects or contacts from a CSV or XLSX file: a job, row by row, in batches.

Each row goes through the API's request schema, then is matched against what
exists: by ``id``, then SIRET, then ERP key (prospects); by ``id``, then e-mail within
the account (contacts, whose account is found by id, SIRET, ERP key or name). A match
is a ``duplicate`` (nothing written, its values not checked further), or ``updated``
when the caller asked for it and may edit the record (validated as an update); a row
matching nothing is checked exactly as the API checks a create (the same field library
validation, the same access policy). A dry run writes no record, only the report.

Rows are committed ``BATCH`` at a time, each batch with its report rows and the job's
progress: a crash loses at most the batch being written, and the job says where it
stopped. History entries say ``imported``; the search index follows through the outbox.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
from collections.abc import Callable, Generator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from records_svc.db import Database, UnitOfWork
from records_svc.domain import access, bulk, fields, history, tracked_jobs
from records_svc.domain import import_mapping as mapping_
from records_svc.domain import import_report as report
from records_svc.domain.errors import FieldValidationError, NotFoundError
from records_svc.domain.import_files import Sheet, UnreadableFileError, read_sheet
from records_svc.domain.import_models import Import, ImportRow
from records_svc.domain.import_rows import ImportRun, Prepared, prepare, process
from records_svc.domain.models import Account, Contact, Job, User, utcnow
from records_svc.files import FileStore
from records_svc.job_queue import JobQueue
from records_svc.processes import daemonic

log = logging.getLogger(__name__)

IMPORT_TASK = "carnet.imports.run"
JOB_KIND = "import"
IMPORTS_AREA = "imports"
BATCH = 500
#: an import (not a dry run) of at least this many rows on PostgreSQL is checked in a
#: forked process (checking and writing then use both cores; a thread would share this
#: one's GIL)
CHECK_PROCESS_FROM = 5000
#: an import that committed no batch for this long has lost its process (``fail_stalled``)
STALLED_AFTER = timedelta(minutes=5)
INTERRUPTED = (
    "son traitement a été interrompu. Importez à nouveau le fichier : les lignes déjà "
    "importées seront signalées comme doublons."
)
Progress = Callable[[int, int], object]
#: (row number, cells) of the rows of one batch
Batch = list[tuple[int, list[Any]]]


@dataclass(frozen=True)
class ImportRequest:
    entity: str
    file_name: str
    content: bytes
    mapping: Mapping[str, Any] | None = None
    dry_run: bool = False
    update_existing: bool = False


def open_sheet(content: bytes, file_name: str) -> Sheet:
    try:
        return read_sheet(content, file_name)
    except UnreadableFileError as exc:
        raise FieldValidationError(
            [{"field": "file", "code": "invalid_file", "message": str(exc)}]
        ) from None


def start_import(
    uow: UnitOfWork, queue: JobQueue, request: ImportRequest, *, user_id: int | None
) -> Job:
    """Check the file and its mapping (guessed when none is given), store the file and
    queue the job; the task is sent once the job is committed."""
    if request.entity not in mapping_.ENTITIES:
        raise FieldValidationError(
            [{"field": "entity", "code": "not_one_of", "message": "prospects or contacts"}]
        )
    sheet = open_sheet(request.content, request.file_name)
    known = mapping_.targets(uow.session, request.entity)
    given = request.mapping
    if given is None:
        given = mapping_.guess(sheet.columns, request.entity, known)
    chosen = mapping_.check(given, sheet.columns, request.entity, known)
    total = sheet.count()
    store = _store(uow.files)
    stored = store.write_bytes(request.content, area=IMPORTS_AREA)
    uow.on_rollback(lambda: store.remove([stored.key]))
    job = tracked_jobs.create_job(uow.session, JOB_KIND, created_by=user_id)
    job.result = {
        "entity": request.entity,
        "dry_run": request.dry_run,
        "progress": {"done": 0, "total": total},
        "counts": dict.fromkeys(report.OUTCOMES, 0),
    }
    uow.session.add(
        Import(
            job_id=job.id,
            entity=request.entity,
            dry_run=request.dry_run,
            update_existing=request.update_existing,
            file_name=request.file_name[:255],
            file_key=stored.key,
            columns=sheet.columns,
            mapping=chosen,
        )
    )
    uow.session.flush()
    job_id = job.id
    uow.after_commit(lambda: queue.enqueue(IMPORT_TASK, job_id=job_id))
    return job


def _store(files: FileStore | None) -> FileStore:
    if files is None:
        raise RuntimeError("this database was assembled without a file store")
    return files


def run_import(db: Database, job_id: str, *, on_progress: Progress | None = None) -> str:
    """Run the import job ``job_id`` (a task, or the command line); return its state."""
    with db.unit_of_work() as uow:
        job = tracked_jobs.get_job(uow.session, job_id)
        if job.state != tracked_jobs.QUEUED:
            # delivered twice: handled, or being handled (a batch committed is never
            # run again: the rows already imported would come back as duplicates)
            return job.state
        spec = uow.session.get(Import, job_id)
        if spec is None:
            tracked_jobs.mark_failed(uow.session, job_id, "L'import n'a plus de fichier.")
            return tracked_jobs.FAILED
        run = _prepare(uow.session, job, spec)
        if run is None:
            tracked_jobs.mark_failed(
                uow.session, job_id, "L'utilisateur de l'import est désactivé."
            )
            return tracked_jobs.FAILED
        key = spec.file_key
        tracked_jobs.mark_running(uow.session, job_id)
    store = _store(db.files)
    try:
        content = store.path(key).read_bytes() if key else b""
        sheet = read_sheet(content, spec.file_name)
        _run_batches(db, run, sheet, on_progress)
    except Exception as exc:
        log.exception("import %s stopped", job_id)
        return _fail(db, run, stopped_after(run.done, str(exc)))
    finally:
        if key:
            store.remove([key])
    with db.unit_of_work() as uow:
        spec = uow.session.get(Import, job_id)
        if spec is not None:
            spec.file_key = None
        tracked_jobs.mark_done(uow.session, job_id, _result(run))
    return tracked_jobs.DONE


def fail_stalled(db: Database, *, quiet_for: timedelta | None = None) -> list[str]:
    """Fail the imports left running by a process that stopped (killed, its machine
    lost): no batch committed for ``quiet_for``. What they committed stays, with its
    report, history and outbox; the job says where it stopped, as after an error, and
    its file is removed. (A running import commits a batch every second or so, and
    holds its job's row meanwhile: ``SKIP LOCKED`` leaves it alone.)"""
    with db.unit_of_work() as uow:
        stalled = uow.session.scalars(
            select(Job)
            .where(
                Job.kind == JOB_KIND,
                Job.state == tracked_jobs.RUNNING,
                Job.updated_at < utcnow() - (STALLED_AFTER if quiet_for is None else quiet_for),
            )
            .with_for_update(skip_locked=True)
        ).all()
        keys = []
        for job in stalled:
            done = int((job.result or {}).get("progress", {}).get("done", 0))
            tracked_jobs.mark_failed(uow.session, job.id, stopped_after(done, INTERRUPTED))
            spec = uow.session.get(Import, job.id)
            if spec is not None and spec.file_key:
                keys.append(spec.file_key)
                spec.file_key = None
        if keys and db.files is not None:
            store = db.files
            uow.after_commit(lambda: store.remove(keys))
        if stalled:
            log.warning("imports %s: stalled, failed", ", ".join(j.id for j in stalled))
        return [job.id for job in stalled]


def _prepare(session: Session, job: Job, spec: Import) -> ImportRun | None:
    user = session.get(User, job.created_by) if job.created_by is not None else None
    if user is not None and user.disabled:
        return None
    policy = access.AccessPolicy.for_rights(user.right_names) if user else access.SYSTEM
    result = job.result or {}
    run = ImportRun(
        job_id=job.id,
        entity=spec.entity,
        dry_run=spec.dry_run,
        update_existing=spec.update_existing,
        columns=list(spec.columns),
        mapping=dict(spec.mapping),
        user_id=job.created_by,
        policy=policy,
        counts=dict.fromkeys(report.OUTCOMES, 0),
        total=int(result.get("progress", {}).get("total", 0)),
    )
    run.known = mapping_.targets(session, spec.entity)
    for kind in ("prospect", "client", "contact"):
        run.definitions[kind] = fields.rules(fields.list_definitions(session, kind))
    return run


def _result(run: ImportRun) -> dict[str, Any]:
    return {
        "entity": run.entity,
        "dry_run": run.dry_run,
        "progress": {"done": run.done, "total": max(run.total, run.done)},
        "counts": dict(run.counts),
        "possible_duplicates": run.flagged,
    }


def stopped_after(done: int, why: str) -> str:
    """A failed import's error: where it stopped (the rows before stay imported), and why."""
    return f"L'import s'est arrêté après la ligne {done} : {why}"


def _fail(db: Database, run: ImportRun, message: str) -> str:
    with db.unit_of_work() as uow:
        job = tracked_jobs.mark_failed(uow.session, run.job_id, message)
        job.result = _result(run)
    return tracked_jobs.FAILED


def _run_batches(db: Database, run: ImportRun, sheet: Sheet, on_progress: Progress | None) -> None:
    """Batch after batch, each read and checked (``prepare``) ahead while the one before
    is written: in a forked process for a large import on PostgreSQL (its own core, no
    shared GIL; not a dry run, which writes little; not in a daemonic process, such as
    a Celery prefork worker's child, which may not fork), in a thread otherwise. The checking
    reads no record the writing changes and keeps the file's order, so the outcomes are
    those of checking and writing each batch in turn, wherever it runs."""
    statistics = _Statistics(db, run)
    # a dry run writes little: checking is most of it, in a process or not (measured)
    # …nor a process that may not have children (a Celery prefork worker's)
    forked = not run.dry_run and run.total >= CHECK_PROCESS_FROM and not daemonic()
    if forked and db.engine.dialect.name == "postgresql":
        checked = _checked_in_process(db, run, sheet)
    else:
        checked = _checked_in_thread(db, run, sheet)
    with closing(checked):  # a batch that fails to commit stops the checking at once
        for batch, prepared in checked:
            _commit_batch(db, run, batch, prepared, on_progress)
            statistics.after_batch()


def _checked_in_thread(
    db: Database, run: ImportRun, sheet: Sheet
) -> Generator[tuple[Batch, list[Prepared]], None, None]:
    batches = _batches(sheet)
    checking = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-check")
    with checking as checker, db.read() as reader:
        access.bind(reader, run.policy)  # reads as the importer may, as the writing does
        ahead = checker.submit(_next_prepared, batches, reader, run)
        while (found := ahead.result()) is not None:
            ahead = checker.submit(_next_prepared, batches, reader, run)
            yield found


def _next_prepared(
    batches: Iterator[Batch], reader: Session, run: ImportRun
) -> tuple[Batch, list[Prepared]] | None:
    batch = next(batches, None)
    return None if batch is None else (batch, prepare(reader, run, batch))


#: what the checking process sends after its last batch, or instead of one when it failed
_END = "end"
_FAILED = "failed"


def _checked_in_process(
    db: Database, run: ImportRun, sheet: Sheet
) -> Generator[tuple[Batch, list[Prepared]], None, None]:
    """The batches checked by a forked process (as the index rebuild forks its workers),
    which reads the file and sends each batch with its checks (pickled: the refusals
    and the prospects built, not yet added to any session). Two batches wait at most."""
    context = multiprocessing.get_context("fork")
    sent: multiprocessing.Queue[Any] = context.Queue(maxsize=2)
    checker = context.Process(
        target=_check_batches,
        args=(db, run, sheet, sent, os.getpid()),
        name="import-check",
        daemon=True,
    )
    checker.start()
    log.info("import %s: checked in process %s", run.job_id, checker.pid)
    try:
        while True:
            try:
                item = sent.get(timeout=1)
            except queue.Empty:
                if not checker.is_alive():
                    raise RuntimeError(
                        f"la vérification des lignes s'est arrêtée ({checker.exitcode})"
                    ) from None
                continue
            if item == _END:
                return
            if isinstance(item, tuple) and item[0] == _FAILED:
                raise RuntimeError(item[1])
            yield item
    finally:
        if checker.is_alive():
            checker.terminate()
        checker.join()
        sent.close()


def _check_batches(
    db: Database, run: ImportRun, sheet: Sheet, sent: multiprocessing.Queue[Any], parent: int
) -> None:
    """In the forked process: a database of its own (the connections inherited are the
    parent's: left alone), each batch checked and sent; stops when the parent is gone."""
    db.engine.dispose(close=False)
    own = Database(db.url, current_policy=db.current_policy, current_actor=db.current_actor)

    def send(item: object) -> bool:
        while True:
            try:
                sent.put(item, timeout=1)
                return True
            except queue.Full:
                if os.getppid() != parent:
                    return False

    try:
        with own.read() as reader:
            access.bind(reader, run.policy)
            for batch in _batches(sheet):
                if not send((batch, prepare(reader, run, batch))):
                    return
        send(_END)
    except Exception as exc:
        send((_FAILED, str(exc)))
    finally:
        own.dispose()


def _batches(sheet: Sheet) -> Iterator[Batch]:
    batch: Batch = []
    for row in sheet.rows():
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class _Statistics:
    """PostgreSQL plans each batch's matching queries (``siret IN (…)``) from the table's
    statistics. A table that an import fills from (almost) nothing has none until
    autovacuum gets to it, and PostgreSQL then reads it whole for every batch: 2 ms
    became 25 ms per batch at 20,000 rows, growing with the table. So the records
    table is analysed each time the import has doubled it (never, on a large one)."""

    MINIMUM = 1000

    def __init__(self, db: Database, run: ImportRun) -> None:
        self.db, self.run = db, run
        model = Account if run.entity == mapping_.PROSPECTS else Contact
        self.table = model.__tablename__
        self.active = db.engine.dialect.name == "postgresql" and not run.dry_run
        #: the table's rows when the import began, and the rows created at the last ANALYZE
        self.size = self._count() if self.active else 0
        self.analysed = 0

    def _count(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {self.table}")).scalar_one())

    def after_batch(self) -> None:
        if not self.active:
            return
        created = self.run.counts[report.CREATED]
        if created - self.analysed >= max(self.MINIMUM, self.size + self.analysed):
            with self.db.engine.begin() as conn:
                conn.execute(text(f"ANALYZE {self.table}"))
            self.analysed = created


def _commit_batch(
    db: Database,
    run: ImportRun,
    batch: list[tuple[int, list[Any]]],
    prepared: list[Prepared],
    on_progress: Progress | None,
) -> None:
    with db.unit_of_work() as uow:
        access.bind(uow.session, run.policy)
        history.bind_actor(uow.session, run.user_id)
        history.tag(uow.session, history.IMPORTED)
        rows = process(uow, run, batch, prepared)
        uow.session.flush()  # the records created get their ids
        values = [
            {
                "job_id": run.job_id,
                "row": number,
                "outcome": outcome.outcome,
                "message": outcome.message,
                "fields": outcome.fields,
                "record_id": outcome.record.id if outcome.record is not None else None,
                "cells": cells if outcome.outcome == report.ERROR else None,
                "possible_duplicates": outcome.possible or None,
            }
            for (number, cells), outcome in zip(batch, rows, strict=True)
        ]
        bulk.insert_rows(uow.session, ImportRow, values)
        for outcome in rows:
            run.counts[outcome.outcome] += 1
        run.done += len(batch)
        job = uow.session.get(Job, run.job_id)
        assert job is not None
        job.result = _result(run)
    if on_progress is not None:
        on_progress(run.done, run.total)


# --- reading the report ---------------------------------------------------------------------


def get_import(session: Session, job_id: str, *, user_id: int | None) -> tuple[Job, Import]:
    job = tracked_jobs.get_job(session, job_id, user_id=user_id)
    spec = session.get(Import, job_id)
    if job.kind != JOB_KIND or spec is None:
        raise NotFoundError(f"Job {job_id} is not an import.")
    return job, spec


def report_page(
    session: Session,
    job_id: str,
    *,
    outcome: str | None,
    after: int | None,
    limit: int,
    possible_duplicates: bool | None = None,
) -> tuple[list[ImportRow], int | None]:
    """A page of the report in row order; ``possible_duplicates``: the rows created that
    name likely duplicates (or, False, those that name none)."""
    stmt = select(ImportRow).where(ImportRow.job_id == job_id)
    if outcome is not None:
        stmt = stmt.where(ImportRow.outcome == outcome)
    if possible_duplicates is not None:
        named = ImportRow.possible_duplicates.is_not(None)
        stmt = stmt.where(named if possible_duplicates else ~named)
    if after is not None:
        stmt = stmt.where(ImportRow.row > after)
    rows = list(session.scalars(stmt.order_by(ImportRow.row).limit(limit + 1)))
    next_row = rows[limit - 1].row if len(rows) > limit else None
    return rows[:limit], next_row


def error_count(session: Session, job_id: str) -> int:
    stmt = select(func.count()).where(ImportRow.job_id == job_id, ImportRow.outcome == report.ERROR)
    return int(session.scalar(stmt) or 0)
