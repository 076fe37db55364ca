"""Look-ups as jobs on the ``sirene`` queue: started by the API, run by a worker.

The API creates the job and enqueues ``carnet.sirene.lookup`` by name (records never
imports workers), then waits a few seconds for the reply; past that it answers 202
and the caller follows ``/jobs/{id}``. The worker runs ``run_lookup_job``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from records_svc.db import Database
from records_svc.domain import accounts, tracked_jobs
from records_svc.domain import sirene as sirene_domain
from records_svc.domain.errors import DomainError
from records_svc.job_queue import JobQueue
from records_svc.sirene.errors import (
    LookupFailedError,
    ProviderUnavailableError,
    SireneError,
    error_from_dict,
)
from records_svc.sirene.service import SireneService, not_configured, parse_number

log = logging.getLogger(__name__)

LOOKUP_TASK = "carnet.sirene.lookup"
LOOKUP_JOB, APPLY_JOB = "sirene.lookup", "sirene.apply"


@dataclass(frozen=True)
class LookupReply:
    """Either the worker's reply (``done``) or the job to follow (``job_id``)."""

    job_id: str
    done: dict[str, Any] | None


def request_lookup(
    db: Database,
    queue: JobQueue,
    *,
    user_id: int,
    number: str,
    wait_seconds: float,
    configured: bool,
    account_id: int | None = None,
    expected_version: int | None = None,
) -> LookupReply:
    """Check the number (and the prospect), start the job, wait for it a little."""
    if not configured:
        raise not_configured()
    company_number = parse_number(number)
    with db.unit_of_work() as uow:
        if account_id is not None:
            account = accounts.get_account(uow.session, account_id, accounts.PROSPECT)
            accounts.check_version(account.version, expected_version, "prospect")
        job = tracked_jobs.create_job(
            uow.session,
            APPLY_JOB if account_id is not None else LOOKUP_JOB,
            created_by=user_id,
            target_kind=accounts.PROSPECT if account_id is not None else None,
            target_id=account_id,
        )
        job_id = job.id
    task_id = queue.enqueue(
        LOOKUP_TASK,
        job_id=job_id,
        number=company_number.value,
        account_id=account_id,
        expected_version=expected_version,
    )
    if task_id is None:
        error = ProviderUnavailableError("The job queue is unavailable; try again in a moment.")
        _fail(db, job_id, error.to_dict())
        raise error
    try:
        reply = queue.wait(task_id, wait_seconds)
    except TimeoutError:
        return LookupReply(job_id, None)
    if not reply.get("ok"):
        raise error_from_dict(reply["problem"])
    return LookupReply(job_id, reply)


def _fail(db: Database, job_id: str, problem: dict[str, Any]) -> None:
    with db.unit_of_work() as uow:
        job = tracked_jobs.mark_failed(uow.session, job_id, problem["detail"])
        job.result = {"problem": problem}


def run_lookup_job(
    db: Database,
    service: Callable[[], SireneService],
    *,
    job_id: str,
    number: str,
    account_id: int | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Look up ``number`` (and apply it to the prospect); the job holds the outcome.

    A failed look-up changes no record: the write and the job's completion share
    one transaction.
    """
    with db.unit_of_work() as uow:
        job = tracked_jobs.get_job(uow.session, job_id)
        if job.state in (tracked_jobs.DONE, tracked_jobs.FAILED):
            # Delivered again (late acks after a worker was lost): the outcome stands.
            outcome = dict(job.result or {})
            if job.state == tracked_jobs.DONE:
                return {"ok": True, **outcome}
            return {"ok": False, "problem": outcome.get("problem") or {"detail": job.error}}
        tracked_jobs.mark_running(uow.session, job_id)
    try:
        lookup = service().lookup(number).to_dict()
        result: dict[str, Any] = {"lookup": lookup}
        with db.unit_of_work() as uow:
            if account_id is not None:
                account, warnings = sirene_domain.apply_lookup(
                    uow, account_id, lookup["fields"], expected_version=expected_version
                )
                lookup["warnings"] = [*lookup["warnings"], *warnings]
                result["account"] = {
                    "id": account.id,
                    "version": account.version,
                    "link": f"/api/v1/prospects/{account.id}",
                }
            tracked_jobs.mark_done(uow.session, job_id, result)
        return {"ok": True, **result}
    except SireneError as exc:
        problem = exc.to_dict()
    except DomainError as exc:
        problem = LookupFailedError(exc.detail, status=exc.status, errors=exc.errors).to_dict()
    except Exception:
        log.exception("SIRENE look-up job %s failed", job_id)
        problem = LookupFailedError(
            "The look-up failed unexpectedly; it has been logged.", status=500
        ).to_dict()
    _fail(db, job_id, problem)
    return {"ok": False, "problem": problem}
