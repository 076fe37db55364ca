"""The monthly retention purge (GDPR): a beat task when ``CARNET_GDPR_PURGE_MONTHS`` > 0."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.schedules import crontab

from records_svc.composition import Components
from records_svc.domain import retention
from records_svc.domain.models import utcnow

log = logging.getLogger(__name__)

PURGE_TASK = "carnet.maintenance.gdpr_purge"


def register(app: Celery, ctx: Components) -> None:
    months = ctx.settings.gdpr_purge_months

    # Running twice deletes nothing more: what was inactive is gone.
    @app.task(name=PURGE_TASK, shared=False, max_retries=0)
    def gdpr_purge_task(inactive_months: int | None = None) -> dict[str, Any]:
        period = inactive_months or months
        if not period:
            return {"skipped": "off (CARNET_GDPR_PURGE_MONTHS=0)"}
        report = retention.purge_inactive(ctx.db, months=period, now=utcnow(), dry_run=False)
        log.info(
            "retention purge: %d prospect(s), %d contact(s) deleted",
            len(report.prospect_ids),
            len(report.contact_ids),
            extra={"report": report.as_dict()},
        )
        return report.as_dict()

    if months:
        app.conf.beat_schedule = {
            **(app.conf.beat_schedule or {}),
            # The first of each month at 03:00 UTC, when no one edits.
            "carnet-gdpr-purge": {"task": PURGE_TASK, "schedule": crontab(0, 3, day_of_month=1)},
        }
