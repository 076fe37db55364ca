"""The outbox of index events: what the indexing jobs and the sweep read and mark."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

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


def _free(now: datetime) -> ColumnElement[bool]:
    """Held by no sweep or worker (never leased, or the lease ran out)."""
    return or_(IndexEvent.leased_until.is_(None), IndexEvent.leased_until < now)


def due(session: Session, *, older_than: datetime, limit: int) -> list[int]:
    """Unprocessed events written before ``older_than`` (their job was lost or failed)
    that nobody holds: a sweep does not send again what it sent a moment ago."""
    stmt = (
        select(IndexEvent.id)
        .where(
            IndexEvent.processed_at.is_(None),
            IndexEvent.created_at < older_than,
            _free(utcnow()),
        )
        .order_by(IndexEvent.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def lease(session: Session, event_ids: Sequence[int], *, until: datetime) -> None:
    if event_ids:
        session.execute(
            update(IndexEvent).where(IndexEvent.id.in_(event_ids)).values(leased_until=until)
        )


def claim(session: Session, own: Sequence[int], *, more: int, until: datetime) -> list[int]:
    """A worker's batch: its own events still pending, and up to ``more`` other pending
    events nobody holds (oldest first), leased until ``until``.

    Concurrent workers skip each other's rows (``SKIP LOCKED`` on PostgreSQL;
    SQLite has one writer at a time).
    """
    ids: set[int] = set()
    if own:
        ids.update(
            session.scalars(
                select(IndexEvent.id).where(
                    IndexEvent.id.in_(own), IndexEvent.processed_at.is_(None)
                )
            )
        )
    if more > 0:
        others = (
            select(IndexEvent.id)
            .where(
                IndexEvent.processed_at.is_(None),
                _free(utcnow()),
                IndexEvent.id.not_in(own) if own else true(),
            )
            .order_by(IndexEvent.id)
            .limit(more)
            .with_for_update(skip_locked=True)
        )
        ids.update(session.scalars(others))
    claimed = sorted(ids)
    lease(session, claimed, until=until)
    return claimed


def prune(session: Session, *, processed_before: datetime) -> int:
    result = session.execute(delete(IndexEvent).where(IndexEvent.processed_at < processed_before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def last_id(session: Session) -> int:
    return int(session.scalar(select(func.max(IndexEvent.id))) or 0)


def touched_since(session: Session, since: datetime) -> list[int]:
    """Events processed at or after ``since``, or not processed yet, whatever their id."""
    stmt = select(IndexEvent.id).where(
        or_(IndexEvent.processed_at.is_(None), IndexEvent.processed_at >= since)
    )
    return list(session.scalars(stmt.order_by(IndexEvent.id)))


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(IndexEvent.processed_at.is_(None))) or 0)


def ago(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)


def ahead(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)
