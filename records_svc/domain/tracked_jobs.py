"""Jobs the portal follows: created queued, moved to running, done or failed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from records_svc.domain import access
from records_svc.domain.errors import NotFoundError
from records_svc.domain.models import Account, Contact, Job

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def create_job(
    session: Session,
    kind: str,
    *,
    created_by: int | None,
    target_kind: str | None = None,
    target_id: int | None = None,
) -> Job:
    job = Job(
        id=str(uuid.uuid4()),
        kind=kind,
        state=QUEUED,
        created_by=created_by,
        target_kind=target_kind,
        target_id=target_id,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: str, *, user_id: int | None = None) -> Job:
    """A job; with ``user_id``, only one that user started (others' jobs are 404)."""
    job = session.get(Job, job_id)
    if job is None or (user_id is not None and job.created_by != user_id):
        raise NotFoundError(f"No job {job_id}.")
    access.of(session).require_visible(_target_account(session, job), f"job {job_id}")
    return job


def _target_account(session: Session, job: Job) -> Account | None:
    """The account the job is about (a contact's account), if it is about one still there."""
    if job.target_id is None or job.target_kind is None:
        return None
    if job.target_kind == "contact":
        contact = session.get(Contact, job.target_id)
        return contact.account if contact is not None else None
    return session.get(Account, job.target_id)


def mark_running(session: Session, job_id: str) -> Job:
    job = get_job(session, job_id)
    job.state = RUNNING
    session.flush()
    return job


def mark_done(
    session: Session, job_id: str, result: dict[str, Any] | None = None, **file: Any
) -> Job:
    """Done, with a result and optionally a file (file_path, file_name, media_type)."""
    job = get_job(session, job_id)
    job.state, job.error, job.result = DONE, None, result
    for key in ("file_path", "file_name", "media_type"):
        if key in file:
            setattr(job, key, file[key])
    session.flush()
    return job


def mark_failed(session: Session, job_id: str, error: str) -> Job:
    job = get_job(session, job_id)
    job.state, job.error = FAILED, error
    session.flush()
    return job
