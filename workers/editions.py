"""The editions queue: render a record through a template (CPU-heavy, its own queue)."""

from __future__ import annotations

from celery import Celery
from sqlalchemy.exc import OperationalError

from records_svc.composition import Components
from records_svc.editions import printing
from records_svc.editions.limits import EditionLimits

#: the render stops itself at edition_render_seconds; Celery's limits are the backstop
#: (soft: interrupts code the render's own limit could not; hard: kills the process)
SOFT_GRACE_SECONDS, HARD_GRACE_SECONDS = 5, 30


def register(app: Celery, ctx: Components) -> None:
    limits = EditionLimits.from_settings(ctx.settings)

    # Not acks_late: printing twice would attach the file twice; a lost job is retried by
    # the user, who sees it failed or stuck in the portal.
    @app.task(
        name=printing.RENDER_TASK,
        shared=False,
        acks_late=False,
        autoretry_for=(OperationalError,),
        max_retries=3,
        retry_backoff=True,
        retry_backoff_max=60,
        soft_time_limit=limits.seconds + SOFT_GRACE_SECONDS,
        time_limit=limits.seconds + HARD_GRACE_SECONDS,
    )
    def render(
        *,
        job_id: str,
        template_id: int,
        kind: str,
        record_id: int,
        user_id: int | None = None,
        attach: bool = False,
    ) -> str:
        return printing.run_edition(
            ctx.db,
            job_id=job_id,
            template_id=template_id,
            kind=kind,
            record_id=record_id,
            user_id=user_id,
            attach=attach,
            limits=limits,
        )
