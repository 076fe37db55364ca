"""Idempotency-Key on POST: a retried create returns the first answer, never a duplicate."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from records_svc.db import Database
from records_svc.domain import idempotency
from records_svc.domain.models import Account, Document
from tests.conftest import Api

KEY = {"Idempotency-Key": "3f1c2b9e-6d1a-4c55-9a6e-0c8b7e5d4a21"}


def _accounts(database: Database) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def test_a_retried_create_returns_the_first_answer(seller: Api, database: Database) -> None:
    first = seller.post("/api/v1/prospects", json={"name": "Dupré SARL"}, headers=KEY)
    assert first.status_code == 201, first.json
    again = seller.post("/api/v1/prospects", json={"name": "Dupré SARL"}, headers=KEY)
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _accounts(database) == 1


def test_the_same_key_for_another_request_is_refused(seller: Api, database: Database) -> None:
    assert seller.post("/api/v1/prospects", json={"name": "A"}, headers=KEY).status_code == 201
    other = seller.post("/api/v1/prospects", json={"name": "B"}, headers=KEY)
    assert other.status_code == 422
    assert other.headers["Content-Type"] == "application/problem+json"
    assert other.json["errors"][0]["field"] == "Idempotency-Key"
    assert _accounts(database) == 1


def test_keys_belong_to_their_user(seller: Api, manager: Api, database: Database) -> None:
    for api in (seller, manager):
        reply = api.post("/api/v1/prospects", json={"name": "Même clé"}, headers=KEY)
        assert reply.status_code == 201
        assert "Idempotent-Replayed" not in reply.headers
    assert _accounts(database) == 2


def test_a_failed_request_does_not_keep_its_key(seller: Api, database: Database) -> None:
    bad = seller.post("/api/v1/prospects", json={"name": ""}, headers=KEY)
    assert bad.status_code == 422
    fixed = seller.post("/api/v1/prospects", json={"name": ""}, headers=KEY)
    assert fixed.status_code == 422  # run again (nothing was written), not replayed
    assert "Idempotent-Replayed" not in fixed.headers
    assert _accounts(database) == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "clé accentuée", "two words"])
def test_a_malformed_key_is_a_400_naming_the_header(seller: Api, key: str) -> None:
    reply = seller.post("/api/v1/prospects", json={"name": "A"}, headers={"Idempotency-Key": key})
    assert reply.status_code == 400
    assert reply.json["errors"][0]["field"] == "Idempotency-Key"


def test_an_upload_retried_is_stored_once(
    seller: Api, prospect: dict[str, Any], database: Database
) -> None:
    path = f"/api/v1/prospects/{prospect['id']}/documents"

    def upload() -> Any:
        data = {"file": (io.BytesIO(b"%PDF-1.4 devis"), "devis.pdf")}
        return seller.post(path, data=data, headers=KEY)

    first, again = upload(), upload()
    assert first.status_code == again.status_code == 201, first.json
    assert again.json == first.json
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1


def test_answers_are_kept_24_hours(seller: Api, database: Database) -> None:
    assert seller.post("/api/v1/prospects", json={"name": "A"}, headers=KEY).status_code == 201
    with database.unit_of_work() as uow:
        uow.session.execute(
            update(idempotency.IdempotencyKey).values(
                created_at=datetime.now(UTC) - timedelta(hours=25)
            )
        )
    later = seller.post("/api/v1/prospects", json={"name": "A"}, headers=KEY)
    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later.headers
    assert _accounts(database) == 2


def test_a_twin_request_in_flight_is_refused_until_abandoned(
    seller: Api, database: Database
) -> None:
    user_id, key = seller.user_id or 0, KEY["Idempotency-Key"]
    with database.unit_of_work() as uow:  # the first request has reserved the key: it runs
        assert idempotency.reserve(uow.session, user_id, key, "f" * 64) is None
    with pytest.raises(idempotency.KeyInFlightError), database.unit_of_work() as uow:
        idempotency.reserve(uow.session, user_id, key, "f" * 64)
    with database.unit_of_work() as uow:  # ...and it never finished (a crash)
        uow.session.execute(
            update(idempotency.IdempotencyKey).values(
                created_at=datetime.now(UTC) - idempotency.ABANDONED - timedelta(seconds=1)
            )
        )
    with database.unit_of_work() as uow:
        assert idempotency.reserve(uow.session, user_id, key, "f" * 64) is None
