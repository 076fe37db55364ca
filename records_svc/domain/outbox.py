"""The outbox of index events: what the indexing jobs and the sweep read and mark."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from records_svc.domain.models import IndexEvent, utcnow


def targets(session: Session, event_ids: Sequence[int]) -> set[tuple[str, int]]:
    """The (entity, id) pairs the events name; processed events count too (repeats are harmless)."""
    rows = session.execute(
        select(IndexEvent.entity, IndexEvent.entity_id).where(IndexEvent.id.in_(event_ids))
    )
    return {(entity, int(entity_id)) for entity, entity_id in rows}


def mark_processed(session: Session, event_ids: Sequence[int]) -> None:
    session.execute(
        update(IndexEvent)
        .where(IndexEvent.id.in_(event_ids))
        .values(processed_at=utcnow(), attempts=IndexEvent.attempts + 1)
    )


def due(session: Session, *, older_than: datetime, limit: int) -> list[int]:
    """Unprocessed events written before ``older_than`` (their job was lost or failed)."""
    stmt = (
        select(IndexEvent.id)
        .where(IndexEvent.processed_at.is_(None), IndexEvent.created_at < older_than)
        .order_by(IndexEvent.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def prune(session: Session, *, processed_before: datetime) -> int:
    result = session.execute(delete(IndexEvent).where(IndexEvent.processed_at < processed_before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def last_id(session: Session) -> int:
    return int(session.scalar(select(func.max(IndexEvent.id))) or 0)


def ids_after(session: Session, after_id: int) -> list[int]:
    return list(session.scalars(select(IndexEvent.id).where(IndexEvent.id > after_id)))


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(IndexEvent.processed_at.is_(None))) or 0)


def ago(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)
