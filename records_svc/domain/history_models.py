"""Tables of the history: who changed what, and what deleted records leave behind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records_svc.domain.models import Base, User, utcnow


class HistoryEntry(Base):
    """One event of a record (an account or a contact), written with the change itself.

    No foreign key to the record: the entries of an account outlive nothing (they go
    with it), but they must be writable in the flush that deletes it.
    """

    __tablename__ = "history_entries"
    __table_args__ = (
        Index("ix_history_entries_entity", "entity", "entity_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    #: [{field, old, new}, …] in API field names (``address.city``, ``custom.sector``)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: what the event is about beside fields (a document's id and name…)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship(lazy="selectin")


class DeletedRecord(Base):
    """A tombstone: kind, id, an account's name, who and when — no personal data."""

    __tablename__ = "deleted_records"
    __table_args__ = (
        Index("ix_deleted_records_account_id", "account_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``prospect``, ``client`` or ``contact``
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    #: an account's trade name; never a contact's name
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: a contact's account (its parent); the account itself for an account
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the record was (or belonged to) a closed client: hidden without show_closed_accounts
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship(lazy="selectin")
