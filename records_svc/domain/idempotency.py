"""Idempotency keys: a POST retried with the same ``Idempotency-Key`` (same user) gets
the first answer back instead of doing the work twice.

A key is reserved before the request runs (a row without an answer), then given
the answer once the request succeeded; a failed request releases it (it wrote
nothing, so running it again is right). Keys are kept ``KEEP`` and then pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from records_svc.domain.models import Base

#: how long an answer is kept for a retry
KEEP = timedelta(hours=24)
#: a reservation older than this belongs to a request that never finished (a crash)
ABANDONED = timedelta(minutes=2)


def _now() -> datetime:
    return datetime.now(UTC)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_id_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the method, path, query and body of the first request
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    #: the answer (None while the first request runs)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class KeyReusedError(Exception):
    """The key was used by this user for a different request."""


class KeyInFlightError(Exception):
    """The first request with this key is still running."""


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the zone


def reserve(session: Session, user_id: int, key: str, fingerprint: str) -> Answer | None:
    """The stored answer of this request, or None once the key is reserved for it.

    Raises KeyReusedError (another request used the key) or KeyInFlightError.
    """
    now = _now()
    row = session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).one_or_none()
    if row is not None and _aware(row.created_at) < now - KEEP:
        session.delete(row)
        session.flush()
        row = None
    if row is not None:
        if row.fingerprint != fingerprint:
            raise KeyReusedError(key)
        if row.status is not None:
            return Answer(row.status, dict(row.headers or {}), row.body or b"")
        if _aware(row.created_at) > now - ABANDONED:
            raise KeyInFlightError(key)
        row.created_at = now  # taken over from a request that never finished
        return None
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEEP))
    session.add(IdempotencyKey(user_id=user_id, key=key, fingerprint=fingerprint, created_at=now))
    try:
        session.flush()
    except IntegrityError as exc:  # the same key, reserved a moment ago by a twin request
        raise KeyInFlightError(key) from exc
    return None


def settle(session: Session, user_id: int, key: str, answer: Answer | None) -> None:
    """Keep the answer of the request that reserved ``key`` (None: release the key)."""
    row = session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).one_or_none()
    if row is None:
        return
    if answer is None:
        session.delete(row)
        return
    row.status, row.headers, row.body = answer.status, answer.headers, answer.body
