"""The one place where deleting records removes their files: after the transaction commits."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records_svc.db import UnitOfWork
from records_svc.domain.models import Contact, Document, Job
from records_svc.files import DOCUMENTS, EDITIONS, FileStore


def remove_files_after_commit(uow: UnitOfWork, keys: list[str]) -> None:
    if keys and uow.files is not None:
        store = uow.files
        uow.after_commit(lambda: store.remove(keys))


def forget_record_files(
    uow: UnitOfWork, *, account_id: int | None = None, contact_id: int | None = None
) -> None:
    """Before a definitive delete: the record's files (and its contacts') go after commit.

    The document rows go with the record (foreign keys cascade); the printed
    editions of the record lose their file (their jobs stay, without a download).
    """
    conditions, printed = [], []
    if account_id is not None:
        contacts = select(Contact.id).where(Contact.account_id == account_id)
        conditions += [Document.account_id == account_id, Document.contact_id.in_(contacts)]
        printed += [
            Job.target_kind.in_(("prospect", "client")) & (Job.target_id == account_id),
            (Job.target_kind == "contact") & Job.target_id.in_(contacts),
        ]
    if contact_id is not None:
        conditions.append(Document.contact_id == contact_id)
        printed.append((Job.target_kind == "contact") & (Job.target_id == contact_id))
    if not conditions:
        return
    keys = list(uow.session.scalars(select(Document.storage_key).where(or_(*conditions))))
    for job in uow.session.scalars(select(Job).where(or_(*printed), Job.file_path.is_not(None))):
        keys.append(str(job.file_path))
        job.file_path = None
    remove_files_after_commit(uow, keys)


@dataclass(frozen=True)
class GcReport:
    orphans: list[str]  # files no row refers to (removed unless dry run)
    missing: list[tuple[int, str]]  # (document id, name) whose file is gone
    kept_recent: int  # unreferenced files younger than the grace period (uploads in flight)


def collect_garbage(
    session: Session, store: FileStore, *, grace_seconds: float = 3600, dry_run: bool = False
) -> GcReport:
    """Find files no document or job refers to (remove them) and documents without a file.

    Files younger than ``grace_seconds`` are left alone: an upload writes its file
    before its row commits.
    """
    referenced = set(session.scalars(select(Document.storage_key)))
    referenced |= {k for k in session.scalars(select(Job.file_path)) if k}
    now = time.time()
    orphans, recent = [], 0
    for area in (DOCUMENTS, EDITIONS):
        for key, mtime in store.keys(area):
            if key in referenced:
                continue
            if now - mtime < grace_seconds:
                recent += 1
            else:
                orphans.append(key)
    if not dry_run:
        store.remove(orphans)
    missing = [
        (doc_id, name)
        for doc_id, name, key in session.execute(
            select(Document.id, Document.name, Document.storage_key).order_by(Document.id)
        )
        if not store.exists(key)
    ]
    return GcReport(orphans=orphans, missing=missing, kept_recent=recent)
