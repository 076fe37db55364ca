"""Imports of prospects and contacts: long file work, on the editions queue's workers."""

from __future__ import annotations

from celery import Celery
from sqlalchemy.exc import OperationalError

from records_svc.composition import Components
from records_svc.domain import imports

#: a file of a million rows at 1,000 rows/s: 17 minutes
IMPORT_SOFT_TIME_LIMIT_SECONDS = 3600


def register(app: Celery, ctx: Components) -> None:
    # Not acks_late: a batch committed is not undone; a job delivered again after a crash
    # finds itself running and is left as it is, until the sweep fails it (the job says
    # where it stopped: imports.fail_stalled). Its time limits are an hour's, not the
    # default task's few minutes: a large file takes longer.
    @app.task(
        name=imports.IMPORT_TASK,
        shared=False,
        acks_late=False,
        soft_time_limit=IMPORT_SOFT_TIME_LIMIT_SECONDS,
        time_limit=IMPORT_SOFT_TIME_LIMIT_SECONDS + 60,
        autoretry_for=(OperationalError,),
        max_retries=3,
        retry_backoff=True,
        retry_backoff_max=60,
    )
    def run(*, job_id: str) -> str:
        return imports.run_import(ctx.db, job_id)
