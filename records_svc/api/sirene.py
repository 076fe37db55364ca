"""SIRENE auto-fill: look a SIREN/SIRET up, or fill a prospect from it."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema
from marshmallow import fields as ma

from httpkit.tokens import current_principal
from records_svc.api.common import (
    API,
    etag,
    expected_version,
    login_required,
    services,
)
from records_svc.api.jobs import JobSchema, job_path
from records_svc.api.schemas import AccountSchema
from records_svc.domain import accounts
from records_svc.domain import tracked_jobs as jobs_domain
from records_svc.domain.models import Account
from records_svc.sirene.lookup_jobs import LookupReply, request_lookup

blp = Blueprint("sirene", __name__, url_prefix=API, description="SIRENE auto-fill")


class NumberSchema(Schema):
    number = ma.String(
        required=True,
        metadata={"description": "A SIREN (9 digits) or SIRET (14); spaces, dots, dashes ignored"},
    )


class WarningSchema(Schema):
    field = ma.String(allow_none=True)
    code = ma.String()
    message = ma.String()


class LookupSchema(Schema):
    number_kind = ma.String(metadata={"enum": ["siren", "siret"]})
    fields_ = ma.Dict(
        data_key="fields",
        attribute="fields",
        metadata={"description": "exactly what the record would receive"},
    )
    company = ma.Dict(
        metadata={"description": "legal name, state, legal category, head-office flag…"}
    )
    warnings = ma.List(ma.Nested(WarningSchema))


class FilledProspectSchema(AccountSchema):
    sirene = ma.Nested(LookupSchema, metadata={"description": "the look-up applied"})


class FilledProspect:
    """A prospect as the API shows it, with the look-up that filled it (``sirene``)."""

    def __init__(self, account: Account, sirene: dict[str, Any]) -> None:
        self.account = account
        self.sirene = sirene

    def __getattr__(self, name: str) -> Any:
        return getattr(self.account, name)


def _start(number: str, account_id: int | None = None, version: int | None = None) -> LookupReply:
    svc = services()
    return request_lookup(
        svc.db,
        svc.jobs,
        user_id=current_principal().user_id,
        number=number,
        wait_seconds=svc.settings.sirene_wait_seconds,
        configured=svc.settings.sirene_provider != "none",
        account_id=account_id,
        expected_version=version,
    )


def _accepted(job_id: str) -> Response:
    """202 and the job to follow (a Response, so that the 200 schema does not apply)."""
    with services().db.read() as session:
        body = JobSchema().dump(jobs_domain.get_job(session, job_id))
    response = jsonify(body)
    response.status_code = 202
    response.headers["Location"] = job_path(job_id)
    return response


@blp.route("/sirene/lookup", methods=["POST"])
@login_required()
@blp.arguments(NumberSchema)
@blp.response(200, LookupSchema)
@blp.alt_response(202, schema=JobSchema, description="Still running: follow the job")
@blp.alt_response(503, description="SIRENE not configured, provider down or key rejected")
def lookup(data: dict[str, Any]) -> Any:
    reply = _start(data["number"])
    if reply.done is None:
        return _accepted(reply.job_id)
    return reply.done["lookup"]


@blp.route("/prospects/<int:account_id>/sirene", methods=["POST"])
@login_required()
@blp.arguments(NumberSchema)
@blp.response(200, FilledProspectSchema)
@blp.alt_response(202, schema=JobSchema, description="Still running: follow the job")
@blp.alt_response(503, description="SIRENE not configured, provider down or key rejected")
def fill_prospect(data: dict[str, Any], account_id: int) -> Any:
    version = expected_version(request.headers.get("If-Match"), required=False)
    reply = _start(data["number"], account_id, version)
    if reply.done is None:
        return _accepted(reply.job_id)
    with services().db.read() as session:
        account = accounts.get_account(session, account_id, accounts.PROSPECT)
        return FilledProspect(account, reply.done["lookup"]), 200, etag(account.version)
