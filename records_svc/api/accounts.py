"""Prospects, clients and either kind as an account."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from httpkit.tokens import current_principal
from records_svc.api.common import (
    API,
    Shown,
    account_path,
    etag,
    expected_version,
    login_required,
    services,
)
from records_svc.api.duplicate_schemas import CreatedAccountSchema
from records_svc.api.duplicates import possible_account_duplicates, siret_conflicts
from records_svc.api.lists import list_query
from records_svc.api.schemas import (
    AccountListArgsSchema,
    AccountPageSchema,
    AccountSchema,
    AccountWriteSchema,
)
from records_svc.domain import accounts
from records_svc.domain.errors import PermissionDeniedError
from records_svc.domain.listing import LIST_FILTERS
from records_svc.domain.models import Account
from records_svc.domain.rights import VALIDATE_PROSPECT

blp = Blueprint("accounts", __name__, url_prefix=API, description="Prospects and clients")

#: the account (dumped by the response's schema), its status and headers
Reply = tuple[Account | Shown, int, dict[str, str]]


def _page(kind: str | None, args: dict[str, Any]) -> dict[str, Any]:
    query = list_query(args, LIST_FILTERS, custom=True)
    with services().db.read() as session:
        rows, next_cursor = accounts.list_accounts(
            session, kind=kind, cursor=args.get("cursor"), limit=args["limit"], query=query
        )
        return {"items": rows, "next_cursor": next_cursor}


def _read(account_id: int, kind: str | None) -> Reply:
    with services().db.read() as session:
        account = accounts.get_account(session, account_id, kind)
        return account, 200, etag(account.version)


def _edit(account_id: int, kind: str | None, data: dict[str, Any]) -> Reply:
    version = expected_version(request.headers.get("If-Match"))
    with siret_conflicts(), services().db.unit_of_work() as uow:
        account = accounts.update_account(
            uow, account_id, data, expected_version=version, kind=kind
        )
    return account, 200, etag(account.version)


def _delete(account_id: int, kind: str | None) -> tuple[str, int]:
    version = expected_version(request.headers.get("If-Match"), required=False)
    with services().db.unit_of_work() as uow:
        accounts.delete_account(uow, account_id, expected_version=version, kind=kind)
    return "", 204


# --- prospects ---------------------------------------------------------------------------


@blp.route("/prospects", methods=["GET"])
@login_required()
@blp.arguments(AccountListArgsSchema, location="query")
@blp.response(200, AccountPageSchema)
def list_prospects(args: dict[str, Any]) -> dict[str, Any]:
    return _page("prospect", args)


@blp.route("/prospects", methods=["POST"])
@login_required()
@blp.arguments(AccountWriteSchema)
@blp.response(201, CreatedAccountSchema)
def create_prospect(data: dict[str, Any]) -> Reply:
    """A draft prospect; a SIRET already used is a 409, likely duplicates come back."""
    with siret_conflicts(), services().db.unit_of_work() as uow:
        account = accounts.create_prospect(uow, current_principal().user_id, data)
    with services().db.read() as session:
        likely = possible_account_duplicates(session, account)
    headers = {**etag(account.version), "Location": account_path(account)}
    return Shown(account, possible_duplicates=likely), 201, headers


@blp.route("/prospects/<id:account_id>", methods=["GET"])
@login_required()
@blp.response(200, AccountSchema)
def get_prospect(account_id: int) -> Reply:
    return _read(account_id, "prospect")


@blp.route("/prospects/<id:account_id>", methods=["PATCH", "PUT"])
@login_required()
@blp.arguments(AccountWriteSchema)
@blp.response(200, AccountSchema)
def edit_prospect(data: dict[str, Any], account_id: int) -> Reply:
    return _edit(account_id, "prospect", data)


@blp.route("/prospects/<id:account_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_prospect(account_id: int) -> tuple[str, int]:
    return _delete(account_id, "prospect")


@blp.route("/prospects/<id:account_id>/validate", methods=["POST"])
@login_required(VALIDATE_PROSPECT)
@blp.response(200, AccountSchema)
def validate_prospect(account_id: int) -> Reply:
    version = expected_version(request.headers.get("If-Match"), required=False)
    with services().db.unit_of_work() as uow:
        account = accounts.validate_prospect(uow, account_id, expected_version=version)
    return account, 200, etag(account.version)


# --- clients -----------------------------------------------------------------------------


@blp.route("/clients", methods=["GET"])
@login_required()
@blp.arguments(AccountListArgsSchema, location="query")
@blp.response(200, AccountPageSchema)
def list_clients(args: dict[str, Any]) -> dict[str, Any]:
    return _page("client", args)


@blp.route("/clients", methods=["POST"])
@login_required()
@blp.response(403)
def create_client() -> None:
    raise PermissionDeniedError(
        "Clients are created in the desktop ERP and arrive through its sync; "
        "create a prospect instead."
    )


@blp.route("/clients/<id:account_id>", methods=["GET"])
@login_required()
@blp.response(200, AccountSchema)
def get_client(account_id: int) -> Reply:
    return _read(account_id, "client")


@blp.route("/clients/<id:account_id>", methods=["PATCH", "PUT"])
@login_required()
@blp.arguments(AccountWriteSchema)
@blp.response(200, AccountSchema)
def edit_client(data: dict[str, Any], account_id: int) -> Reply:
    return _edit(account_id, "client", data)


@blp.route("/clients/<id:account_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_client(account_id: int) -> tuple[str, int]:
    return _delete(account_id, "client")


# --- either kind -------------------------------------------------------------------------


@blp.route("/accounts", methods=["GET"])
@login_required()
@blp.arguments(AccountListArgsSchema, location="query")
@blp.response(200, AccountPageSchema)
def list_accounts(args: dict[str, Any]) -> dict[str, Any]:
    return _page(None, args)


@blp.route("/accounts/<id:account_id>", methods=["GET"])
@login_required()
@blp.response(200, AccountSchema)
def get_account(account_id: int) -> Reply:
    return _read(account_id, None)


@blp.route("/accounts/<id:account_id>", methods=["PATCH", "PUT"])
@login_required()
@blp.arguments(AccountWriteSchema)
@blp.response(200, AccountSchema)
def edit_account(data: dict[str, Any], account_id: int) -> Reply:
    return _edit(account_id, None, data)


@blp.route("/accounts/<id:account_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_account(account_id: int) -> tuple[str, int]:
    return _delete(account_id, None)
