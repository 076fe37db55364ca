"""Opportunities: the portfolio, the signature calendar, and an opportunity's contacts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from httpkit.error_codes import field_error
from records_svc.db import UnitOfWork
from records_svc.domain import access, listing, users
from records_svc.domain.accounts import check_version
from records_svc.domain.errors import FieldValidationError, NotFoundError
from records_svc.domain.models import Account, Contact, utcnow
from records_svc.domain.opportunity_models import Opportunity

#: stage → the probability (percent) it gets when none is given
STAGES = {"qualification": 10, "proposal": 40, "negotiation": 70, "won": 100, "lost": 0}
CLOSED_STAGES = ("won", "lost")
OPEN_STAGES = tuple(s for s in STAGES if s not in CLOSED_STAGES)
#: the sort keys of the portfolio; ``name`` is the title, ``city`` the account's
PORTFOLIO_SORTS = {
    "expected_signing_date": listing.SortKey(
        Opportunity.expected_signing_date,
        lambda o: o.expected_signing_date,
        parse=date.fromisoformat,
        dump=date.isoformat,
    ),
    "amount": listing.SortKey(Opportunity.amount, lambda o: o.amount, parse=Decimal),
    "name": listing.SortKey(Opportunity.title, lambda o: o.title),
    "city": listing.SortKey(Account.sort_city, lambda o: o.account.sort_city),
    "updated_at": listing.instant_key(Opportunity.updated_at, "updated_at"),
}
SORTS = tuple(f"{sign}{key}" for key in PORTFOLIO_SORTS for sign in ("", "-"))
#: the portfolio's own filters, beside the account filters of every list
PORTFOLIO_FILTERS = (
    *listing.LIST_FILTERS,
    "stage",
    "open",
    "account_id",
    "signing_from",
    "signing_to",
)
#: the longest range the signature calendar covers in one call
CALENDAR_MAX_DAYS = 366
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PortfolioQuery:
    """``owner_id`` None means every owner (the API defaults it to the caller)."""

    owner_id: int | None = None
    stages: tuple[str, ...] = ()
    account_id: int | None = None
    signing_from: date | None = None
    signing_to: date | None = None
    open_only: bool = False
    sort: str = "expected_signing_date"
    #: the account filters of every list (kind, closed, city, postal code, q…), and
    #: ``updated_since`` on the opportunity itself
    accounts: listing.ListQuery = field(default_factory=listing.ListQuery)


@dataclass
class CalendarDay:
    date: date
    opportunities: list[Opportunity] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)
    weighted_totals: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class SignatureCalendar:
    """Open opportunities from ``start`` to ``end`` by day (days without any left out)."""

    start: date
    end: date
    days: list[CalendarDay]

    @property
    def totals(self) -> dict[str, Decimal]:
        """The whole period's amounts by currency."""
        totals: dict[str, Decimal] = {}
        for day in self.days:
            for currency, amount in day.totals.items():
                totals[currency] = totals.get(currency, Decimal("0.00")) + amount
        return totals


def get_opportunity(session: Session, opportunity_id: int) -> Opportunity:
    # its contacts come with their account (the opportunity's, read with it: no query)
    contacts = selectinload(Opportunity.contacts).immediateload(Contact.account)
    opportunity = session.get(Opportunity, opportunity_id, options=[contacts])
    if opportunity is None:
        raise NotFoundError(f"No opportunity {opportunity_id}.")
    access.of(session).require_visible(opportunity.account, f"opportunity {opportunity_id}")
    return opportunity


def _contacts_of(session: Session, account_id: int, contact_ids: Iterable[int], at: str) -> list:
    wanted = list(dict.fromkeys(contact_ids))
    found = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(wanted)))}
    errors = []
    for contact_id in wanted:
        contact = found.get(contact_id)
        if contact is None:
            errors.append(field_error(at, "not_found", f"no contact {contact_id}"))
        elif contact.account_id != account_id:
            errors.append(
                field_error(
                    at,
                    "not_related",
                    f"contact {contact_id} belongs to another account, not to account {account_id}",
                )
            )
    if errors:
        raise FieldValidationError(errors)
    return [found[i] for i in wanted]


def _apply(session: Session, opportunity: Opportunity, data: Mapping[str, Any]) -> None:
    for key in ("title", "amount", "currency", "stage", "expected_signing_date"):
        if key in data:
            setattr(opportunity, key, data[key])
    if "probability" in data:
        opportunity.probability = data["probability"]
    elif "stage" in data:
        opportunity.probability = STAGES[data["stage"]]
    if "owner_id" in data:
        opportunity.owner_id = users.require_user(session, data["owner_id"], "owner_id")
    if "contact_ids" in data:
        contacts = _contacts_of(session, opportunity.account_id, data["contact_ids"], "contact_ids")
        if [c.id for c in contacts] != [c.id for c in opportunity.contacts]:
            opportunity.contacts = contacts
            opportunity.updated_at = utcnow()  # the contact set is part of the version


def create_opportunity(uow: UnitOfWork, actor_id: int, data: Mapping[str, Any]) -> Opportunity:
    session = uow.session
    account = session.get(Account, data["account_id"])
    if account is None or not access.of(session).can_see(account):
        raise FieldValidationError([field_error("account_id", "not_found", "no such account")])
    stage = data.get("stage", "qualification")
    opportunity = Opportunity(
        account=account,
        account_id=account.id,
        currency="EUR",
        stage=stage,
        probability=STAGES[stage],
        owner_id=actor_id,
        contacts=[],
    )
    _apply(session, opportunity, {**data, "stage": stage})
    session.add(opportunity)
    session.flush()
    return opportunity


def update_opportunity(
    uow: UnitOfWork, opportunity_id: int, data: Mapping[str, Any], *, expected_version: int | None
) -> Opportunity:
    opportunity = get_opportunity(uow.session, opportunity_id)
    check_version(opportunity.version, expected_version, "opportunity")
    _apply(uow.session, opportunity, data)
    uow.session.flush()
    return opportunity


def delete_opportunity(
    uow: UnitOfWork, opportunity_id: int, *, expected_version: int | None
) -> None:
    """Definitive; actions logged from it stay on their record, without the link."""
    opportunity = get_opportunity(uow.session, opportunity_id)
    check_version(opportunity.version, expected_version, "opportunity")
    uow.session.delete(opportunity)
    uow.session.flush()


def add_contact(
    uow: UnitOfWork, opportunity_id: int, contact_id: int, *, expected_version: int | None
) -> Opportunity:
    opportunity = get_opportunity(uow.session, opportunity_id)
    check_version(opportunity.version, expected_version, "opportunity")
    ids = [c.id for c in opportunity.contacts]
    if contact_id not in ids:
        _apply(uow.session, opportunity, {"contact_ids": [*ids, contact_id]})
        uow.session.flush()
    return opportunity


def remove_contact(
    uow: UnitOfWork, opportunity_id: int, contact_id: int, *, expected_version: int | None
) -> Opportunity:
    opportunity = get_opportunity(uow.session, opportunity_id)
    check_version(opportunity.version, expected_version, "opportunity")
    ids = [c.id for c in opportunity.contacts]
    if contact_id not in ids:
        raise NotFoundError(
            f"Contact {contact_id} is not a contact of opportunity {opportunity_id}."
        )
    _apply(uow.session, opportunity, {"contact_ids": [i for i in ids if i != contact_id]})
    uow.session.flush()
    return opportunity


def _filtered(session: Session, query: PortfolioQuery) -> Select[Opportunity]:
    stmt = (
        select(Opportunity).join(Opportunity.account).options(contains_eager(Opportunity.account))
    )
    stmt = access.of(session).visible_accounts(stmt)
    # sort=None: the account's name is not the opportunities' (their title is)
    account_query = replace(query.accounts, owner_id=None, sort=None)
    stmt = listing.filter_accounts(session, stmt, account_query, ())
    stmt = listing.filter_updated_since(stmt, Opportunity.updated_at, query.accounts.updated_since)
    if query.owner_id is not None:
        stmt = stmt.where(Opportunity.owner_id == query.owner_id)
    if query.stages:
        stmt = stmt.where(Opportunity.stage.in_(query.stages))
    if query.open_only:
        stmt = stmt.where(Opportunity.stage.in_(OPEN_STAGES))
    if query.account_id is not None:
        stmt = stmt.where(Opportunity.account_id == query.account_id)
    if query.signing_from is not None:
        stmt = stmt.where(Opportunity.expected_signing_date >= query.signing_from)
    if query.signing_to is not None:
        stmt = stmt.where(Opportunity.expected_signing_date <= query.signing_to)
    return stmt


def list_portfolio(
    session: Session, query: PortfolioQuery, *, cursor: str | None, limit: int
) -> tuple[list[Opportunity], str | None]:
    """One page of the portfolio, ordered by the sort key then id (keyset pagination)."""
    return listing.keyset_page(
        session,
        _filtered(session, query),
        keys=PORTFOLIO_SORTS,
        id_column=Opportunity.id,
        sort=query.sort,
        default="expected_signing_date",
        cursor=cursor,
        limit=limit,
    )


def signature_calendar(
    session: Session, *, owner_id: int | None, start: date, end: date
) -> SignatureCalendar:
    """Open opportunities from ``start`` to ``end`` (calendar dates, inclusive), by day."""
    if end < start:
        raise FieldValidationError([field_error("to", "out_of_range", "must not be before from")])
    if (end - start).days >= CALENDAR_MAX_DAYS:
        raise FieldValidationError(
            [field_error("to", "out_of_range", f"at most {CALENDAR_MAX_DAYS} days after from")]
        )
    query = PortfolioQuery(owner_id=owner_id, signing_from=start, signing_to=end, open_only=True)
    stmt = _filtered(session, query).order_by(
        Opportunity.expected_signing_date, Opportunity.amount.desc(), Opportunity.id
    )
    days: dict[date, CalendarDay] = {}
    for opportunity in session.scalars(stmt):
        day = days.setdefault(
            opportunity.expected_signing_date, CalendarDay(opportunity.expected_signing_date)
        )
        day.opportunities.append(opportunity)
        currency = opportunity.currency
        weighted = (opportunity.amount * opportunity.probability / 100).quantize(CENT)
        day.totals[currency] = day.totals.get(currency, Decimal("0.00")) + opportunity.amount
        day.weighted_totals[currency] = (
            day.weighted_totals.get(currency, Decimal("0.00")) + weighted
        )
    return SignatureCalendar(start, end, list(days.values()))
