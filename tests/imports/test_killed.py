"""An import whose process is killed (SIGKILL) between two batches.

What it committed stays whole — report rows, records with their history entries and
outbox events, search documents once the events are processed (``verify`` finds
nothing) —; the job, left running by the dead process, is failed by the sweep with
where it stopped, its stored file removed; importing the file again brings the rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import Settings
from records_svc.db import Database
from records_svc.domain import imports, tracked_jobs
from records_svc.domain.history_models import HistoryEntry
from records_svc.domain.import_models import Import, ImportRow
from records_svc.domain.models import Account, IndexEvent
from records_svc.job_queue import NullJobQueue
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.conftest import Api
from tests.imports.helpers import csv_bytes, outcomes, run_import, siret
from tests.search.test_pipeline import drain
from workers import maintenance

ROWS, BATCH = 150, 60

#: the import, in a process of its own, which stops for good after its first batch
CHILD = """
import sys, time
from pathlib import Path
from config import load_settings
from records_svc.composition import records_database
from records_svc.domain import bulk, imports
from records_svc.job_queue import NullJobQueue
from search_svc.backends.sqlite_fts import SqliteFtsBackend

data_dir, url, job_id, batch = sys.argv[1:5]
settings = load_settings(data_dir=Path(data_dir), database_url=url, secret_key="k" * 64)
db = records_database(settings, NullJobQueue())
imports.BATCH = int(batch)
imports.CHECK_PROCESS_FROM = 10**9
real = imports._commit_batch

def commit_then_hang(*args, **kwargs):
    real(*args, **kwargs)
    print("committed", flush=True)
    time.sleep(600)  # killed here

imports._commit_batch = commit_then_hang
imports.run_import(db, job_id)
"""


def test_a_killed_import_keeps_its_batches_and_the_sweep_says_where_it_stopped(
    seller: Api,
    database: Database,
    settings: Settings,
    database_url: str,
    index: SqliteFtsBackend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [["Nom", "SIRET"], *[[f"Prospect {n:03d}", siret(n)] for n in range(ROWS)]]
    content = csv_bytes(rows)
    request = imports.ImportRequest("prospects", "salon.csv", content)
    with database.unit_of_work() as uow:
        job_id = imports.start_import(uow, NullJobQueue(), request, user_id=seller.user_id).id
    with database.read() as session:
        spec = session.get(Import, job_id)
        assert spec is not None and spec.file_key
        stored = database.files.path(spec.file_key)  # type: ignore[union-attr]
    assert stored.exists()
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(settings.data_dir), database_url,
         job_id, str(BATCH)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
    ) as child:  # fmt: skip
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "committed"  # the first batch is in
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(30)
    assert child.returncode == -signal.SIGKILL

    with database.read() as session:
        job = tracked_jobs.get_job(session, job_id)
        assert job.state == tracked_jobs.RUNNING  # the dead process left it so
    assert imports.fail_stalled(database) == []  # still recent: maybe alive, left alone
    monkeypatch.setattr(imports, "STALLED_AFTER", timedelta(seconds=-1))  # stalled now
    maintenance.sweep(database, lambda ids: None, older_than_seconds=3600, keep_processed_seconds=3600)  # fmt: skip
    with database.read() as session:
        job = tracked_jobs.get_job(session, job_id)
        report = {r.row: r for r in session.scalars(select(ImportRow).where(ImportRow.job_id == job_id))}  # fmt: skip
        created = sorted(r.record_id for r in report.values() if r.outcome == "created")
        entries = sorted(session.scalars(select(HistoryEntry.entity_id).where(HistoryEntry.entity == "account")))  # fmt: skip
        events = sorted(session.scalars(select(IndexEvent.entity_id)))
        accounts = session.scalar(select(func.count()).select_from(Account))
    assert job.state == tracked_jobs.FAILED
    assert job.error == f"L'import s'est arrêté après la ligne {BATCH} : {imports.INTERRUPTED}"
    assert job.result is not None and job.result["progress"] == {"done": BATCH, "total": ROWS}
    assert sorted(report) == list(range(2, BATCH + 2))  # the first batch, whole
    assert len(created) == BATCH == accounts
    assert entries == created and events == created  # each with its history and event
    assert not stored.exists()  # its file went with it

    drain(database, index)
    assert not maintenance.verify(database, index)

    again = run_import(seller, content)  # the whole file again: the rest comes in
    found = outcomes(again)
    assert [found[n] for n in range(2, BATCH + 2)] == ["duplicate"] * BATCH
    assert [found[n] for n in range(BATCH + 2, ROWS + 2)] == ["created"] * (ROWS - BATCH)
