"""Models of the sales side: opportunities, their contacts, and actions (activities).

Dependants go with their record through ``ON DELETE CASCADE`` in the database, so deleting
an account or a contact needs no code here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records_svc.domain.models import Account, Base, Contact, utcnow

#: 12 digits before the decimal point, 2 after: exact on both databases.
AMOUNT = Numeric(14, 2)

opportunity_contacts = Table(
    "opportunity_contacts",
    Base.metadata,
    Column(
        "opportunity_id",
        ForeignKey("opportunities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_opportunity_contacts_contact_id", "contact_id"),
)


class Opportunity(Base):
    """A deal with a prospect or a client, expected to be signed on a calendar date."""

    __tablename__ = "opportunities"
    __table_args__ = (
        Index("ix_opportunities_owner_signing", "owner_id", "expected_signing_date", "id"),
        Index("ix_opportunities_signing", "expected_signing_date", "id"),
        Index("ix_opportunities_updated_at", "updated_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    stage: Mapped[str] = mapped_column(String(20))
    probability: Mapped[int] = mapped_column(Integer)
    expected_signing_date: Mapped[date] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    account: Mapped[Account] = relationship(lazy="joined", innerjoin=True)
    contacts: Mapped[list[Contact]] = relationship(
        secondary=opportunity_contacts,
        order_by=Contact.id,
        lazy="selectin",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}


class Action(Base):
    """A call, meeting, e-mail or task on a contact, a prospect or a client.

    ``account_id`` is always the account concerned (the contact's account for a
    contact); ``contact_id`` is set when the target is a contact.
    """

    __tablename__ = "actions"
    __table_args__ = (
        Index("ix_actions_account_due", "account_id", "due_at", "id"),
        Index("ix_actions_contact_due", "contact_id", "due_at", "id"),
        Index("ix_actions_opportunity_due", "opportunity_id", "due_at", "id"),
        Index("ix_actions_assignee_due", "assignee_id", "done", "due_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    #: whose action it is (My actions): the author unless reassigned
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), nullable=True
    )
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    account: Mapped[Account] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def target_kind(self) -> str:
        return "contact" if self.contact_id is not None else self.account.kind

    @property
    def target_id(self) -> int:
        return self.contact_id if self.contact_id is not None else self.account_id
