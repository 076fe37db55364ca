"""The desktop ERP's sync: clients are upserted by their ERP key (service account)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from records_svc.api.common import API, account_path, etag, login_required, services
from records_svc.api.schemas import AccountSchema, ClientSyncSchema
from records_svc.domain import accounts
from records_svc.domain.models import Account
from records_svc.domain.rights import ERP_SYNC

blp = Blueprint("sync", __name__, url_prefix=API, description="ERP sync")


@blp.route("/sync/clients/<string:external_ref>", methods=["PUT"])
@login_required(ERP_SYNC)
@blp.arguments(ClientSyncSchema)
@blp.response(200, AccountSchema)
@blp.alt_response(201, schema=AccountSchema, description="The client was created")
def upsert_client(data: dict[str, Any], external_ref: str) -> tuple[Account, int, dict[str, str]]:
    prospect_id = data.pop("prospect_id", None)
    with services().db.unit_of_work() as uow:
        client, created = accounts.sync_client(uow, external_ref, data, prospect_id=prospect_id)
    headers = etag(client.version)
    if created:
        headers["Location"] = account_path(client)
    return client, 201 if created else 200, headers
