"""The ``sirene`` queue: one look-up per task, within the provider's shared quota."""

from __future__ import annotations

from typing import Any

from celery import Celery

from records_svc.composition import Components
from records_svc.sirene.lookup_jobs import LOOKUP_TASK, run_lookup_job


def register(app: Celery, ctx: Components) -> None:
    # shared=False: the task belongs to this app only (a closure over its context).
    # HTTP retries (429, 5xx, timeouts, with backoff) happen inside the provider client;
    # the task itself is not retried: its job already holds the outcome.
    @app.task(name=LOOKUP_TASK, max_retries=0, shared=False)
    def lookup(
        *,
        job_id: str,
        number: str,
        account_id: int | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        return run_lookup_job(
            ctx.db,
            lambda: ctx.sirene,
            job_id=job_id,
            number=number,
            account_id=account_id,
            expected_version=expected_version,
        )
