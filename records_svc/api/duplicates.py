"""Likely duplicates of accounts and contacts, and merges."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import request
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from records_svc.api.common import (
    API,
    Shown,
    etag,
    expected_version,
    login_required,
    services,
)
from records_svc.api.duplicate_schemas import (
    AccountCandidatesSchema,
    AccountProbeSchema,
    ContactCandidatesSchema,
    ContactProbeSchema,
    MergedAccountSchema,
    MergedContactSchema,
    MergeSchema,
)
from records_svc.api.schemas import AccountSchema
from records_svc.domain import duplicates, merge
from records_svc.domain.accounts import get_account
from records_svc.domain.duplicates import AccountProbe, Candidate, ContactProbe
from records_svc.domain.errors import ConflictError
from records_svc.domain.models import Account, Contact
from records_svc.domain.rights import MERGE_ACCOUNTS

blp = Blueprint("duplicates", __name__, url_prefix=API, description="Duplicates and merges")

Reply = tuple[dict[str, Any] | Shown, int, dict[str, str]]


def possible_account_duplicates(session: Session, account: Account) -> list[Candidate]:
    """The likely duplicates of a record just written (a 201 carries them)."""
    probe = AccountProbe.of(account)
    return duplicates.account_candidates(session, probe, exclude_id=account.id)


def possible_contact_duplicates(session: Session, contact: Contact) -> list[Candidate]:
    probe = ContactProbe.of(contact)
    return duplicates.contact_candidates(session, probe, exclude_id=contact.id)


@contextmanager
def siret_conflicts() -> Iterator[None]:
    """A SIRET already used is a 409 listing the account that holds it, if the caller
    may see it (the transaction that tried is rolled back by then)."""
    try:
        yield
    except duplicates.DuplicateSiretError as error:
        items: list[dict[str, Any]] = []
        if error.visible:
            with services().db.read() as session:
                existing = get_account(session, error.existing_id)
                items.append(
                    {"account": AccountSchema().dump(existing), "score": 1.0, "reasons": ["siret"]}
                )
        raise ConflictError(error.detail, errors=error.errors, duplicates=items) from None


@blp.route("/accounts/duplicates", methods=["POST"])
@login_required()
@blp.arguments(AccountProbeSchema)
@blp.response(200, AccountCandidatesSchema)
def account_duplicates(data: dict[str, Any]) -> dict[str, Any]:
    """The accounts that are likely the same company as the one described, best first."""
    probe = AccountProbe.from_data(data)
    with services().db.read() as session:
        found = duplicates.account_candidates(
            session, probe, exclude_id=data.get("exclude_id"), limit=data["limit"]
        )
        return {"items": found}


@blp.route("/contacts/duplicates", methods=["POST"])
@login_required()
@blp.arguments(ContactProbeSchema)
@blp.response(200, ContactCandidatesSchema)
def contact_duplicates(data: dict[str, Any]) -> dict[str, Any]:
    """The contacts that are likely the same person as the one described, best first."""
    probe = ContactProbe.from_data(data, data.get("account_id"))
    with services().db.read() as session:
        found = duplicates.contact_candidates(
            session, probe, exclude_id=data.get("exclude_id"), limit=data["limit"]
        )
        return {"items": found}


@blp.route("/accounts/<id:account_id>/merge", methods=["POST"])
@login_required(MERGE_ACCOUNTS)
@blp.arguments(MergeSchema)
@blp.response(200, MergedAccountSchema)
def merge_accounts(data: dict[str, Any], account_id: int) -> Reply:
    """Merge the account ``source_id`` into this one (If-Match, optional: this one's ETag)."""
    version = expected_version(request.headers.get("If-Match"), required=False)
    with siret_conflicts(), services().db.unit_of_work() as uow:
        target, moved = merge.merge_accounts(
            uow,
            account_id,
            data["source_id"],
            fields=data["choices"],
            expected_version=version,
            source_version=data.get("source_version"),
        )
    return Shown(target, merged=moved), 200, etag(target.version)


@blp.route("/contacts/<id:contact_id>/merge", methods=["POST"])
@login_required()
@blp.arguments(MergeSchema)
@blp.response(200, MergedContactSchema)
def merge_contacts(data: dict[str, Any], contact_id: int) -> Reply:
    """Merge the contact ``source_id`` into this one (If-Match, optional: this one's ETag)."""
    version = expected_version(request.headers.get("If-Match"), required=False)
    with services().db.unit_of_work() as uow:
        target, moved = merge.merge_contacts(
            uow,
            contact_id,
            data["source_id"],
            fields=data["choices"],
            expected_version=version,
            source_version=data.get("source_version"),
        )
    return Shown(target, merged=moved), 200, etag(target.version)
