"""Fixtures of the sales tests: a prospect and a client with contacts, an opportunity."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

OPPORTUNITIES = "/api/v1/opportunities"


def add_contact(api: Api, account_id: int, last_name: str) -> dict[str, Any]:
    reply = api.post(f"/api/v1/accounts/{account_id}/contacts", json={"last_name": last_name})
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def add_opportunity(api: Api, account_id: int, **fields: Any) -> dict[str, Any]:
    body = {
        "account_id": account_id,
        "title": "Renouvellement parc",
        "amount": "1000.00",
        "expected_signing_date": "2027-01-15",
        **fields,
    }
    reply = api.post(OPPORTUNITIES, json=body)
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


@pytest.fixture
def client_account(erp: Api) -> dict[str, Any]:
    reply = erp.put("/api/v1/sync/clients/C100", json={"name": "Boulangerie Dupré"})
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


@pytest.fixture
def opportunity(seller: Api, prospect: dict[str, Any]) -> dict[str, Any]:
    return add_opportunity(seller, prospect["id"], title="Migration cloud", amount=25000)
