"""SIRENE over HTTP, on both databases: look-ups, filling a prospect, errors as problems."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from config import Settings
from records_svc import create_app
from records_svc.db import Database
from records_svc.domain.models import Account, IndexEvent, Job
from tests.conftest import Api, make_user
from tests.sirene import fake_provider as fp

LOOKUP = "/api/v1/sirene/lookup"
FOUR_FIELDS = {"name", "ape_code", "address", "siren", "siret"}


@pytest.fixture
def blank(seller: Api) -> dict[str, Any]:
    """A prospect as a salesperson starts it: a name, nothing else."""
    reply = seller.post("/api/v1/prospects", json={"name": "Prospect du salon"})
    assert reply.status_code == 201, reply.json
    created: dict[str, Any] = reply.json
    assert created.pop("possible_duplicates") == []  # the 201's own: not the record's
    return created


def fill(api: Api, prospect: dict[str, Any], number: str, **headers: str) -> Any:
    return api.post(
        f"/api/v1/prospects/{prospect['id']}/sirene", json={"number": number}, headers=headers
    )


def test_look_up_a_siret(seller: Api, fake: fp.FakeProvider) -> None:
    reply = seller.post(LOOKUP, json={"number": "130 025 265 00013"})
    assert reply.status_code == 200, reply.json
    assert reply.json["number_kind"] == "siret"
    assert reply.json["fields"]["name"] == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert reply.json["fields"]["address"]["line1"] == "20 AVENUE DE SEGUR"
    assert reply.json["company"]["head_office"] is True
    assert reply.json["warnings"] == []


def test_a_repeated_look_up_makes_no_second_call(seller: Api, fake: fp.FakeProvider) -> None:
    first = seller.post(LOOKUP, json={"number": fp.DINUM_SIREN})
    again = seller.post(LOOKUP, json={"number": "130.025.265"})
    assert first.json == again.json
    assert len(fake.seen) == 1


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("1300252650001", "13 digits"),
        ("13002526500014", "checksum"),
        ("13002526S00013", "digits only"),
    ],
)
def test_an_invalid_number_is_422_says_why_and_calls_no_one(
    seller: Api, fake: fp.FakeProvider, number: str, why: str
) -> None:
    reply = seller.post(LOOKUP, json={"number": number})
    assert reply.status_code == 422
    assert reply.content_type == "application/problem+json"
    assert reply.json["errors"][0]["field"] == "number"
    assert reply.json["errors"][0]["code"] == "invalid_number"
    assert why in reply.json["errors"][0]["message"]
    assert fake.seen == []


@pytest.mark.parametrize(
    ("route_reply", "status"),
    [
        (None, 404),
        (fp.Reply(429, {"message": "quota"}, {"Retry-After": "90"}), 429),
        (fp.Reply(503, "<html>maintenance</html>"), 503),
        (fp.Reply(200, {}, delay=1.0), 504),
    ],
)
def test_provider_failures_are_problems(
    seller: Api, fake: fp.FakeProvider, route_reply: fp.Reply | None, status: int
) -> None:
    number = fp.siret_for("99999990") if route_reply is None else fp.DINUM_SIRET
    if route_reply is not None:
        fake.set(f"/insee/siret/{number}", route_reply)
    reply = seller.post(LOOKUP, json={"number": number})
    assert reply.status_code == status, reply.json
    assert reply.content_type == "application/problem+json"
    assert reply.json["detail"]
    if status == 429:
        assert reply.headers["Retry-After"] == "90"


def test_without_a_provider_sirene_answers_503(
    settings: Settings, database: Database, fake: fp.FakeProvider
) -> None:
    app = create_app(settings.model_copy(update={"sirene_provider": "none"}), database=database)
    user = make_user(app, database, "carol")
    reply = user.post(LOOKUP, json={"number": fp.DINUM_SIRET})
    assert reply.status_code == 503
    assert "not configured" in reply.json["detail"]
    assert reply.json["code"] == "sirene_not_configured"
    # the field library still shows the SIREN/SIRET fields
    library = user.get("/api/v1/field-definitions?entity=prospect").json["items"]
    assert {"siren", "siret"} <= {f["key"] for f in library}
    assert fake.seen == []


def test_a_prospect_filled_from_a_siret_has_exactly_the_four_fields_set(
    seller: Api, blank: dict[str, Any], database: Database
) -> None:
    reply = fill(seller, blank, fp.DINUM_SIRET, **{"If-Match": '"1"'})
    assert reply.status_code == 200, reply.json
    filled = reply.json
    changed = {k for k in blank if blank[k] != filled[k]} - {"version", "updated_at"}
    assert changed == FOUR_FIELDS
    assert filled["name"] == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert filled["ape_code"] == "84.11Z"
    assert filled["siren"] == "130025265" and filled["siret"] == "13002526500013"
    assert filled["address"] == {
        "line1": "20 AVENUE DE SEGUR",
        "line2": None,
        "postal_code": "75007",
        "city": "PARIS 7",
        "country": None,
    }
    assert filled["version"] == 2 and reply.headers["ETag"] == '"2"'
    assert filled["sirene"]["company"]["legal_name"] == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert seller.get(blank["links"]["self"]).json["name"] == filled["name"]
    # re-indexed like any edit: an event for the creation, one for the fill, and a new
    # version of its search document
    with database.read() as session:
        events = session.scalars(
            select(IndexEvent).where(
                IndexEvent.entity == "account", IndexEvent.entity_id == blank["id"]
            )
        ).all()
        shown = session.scalar(select(Account.search_version).where(Account.id == blank["id"]))
    assert len(events) == 2 and shown == 2


def test_masked_values_leave_the_fields_as_they_were(seller: Api, blank: dict[str, Any]) -> None:
    seller.edit(blank["links"]["self"], {"address": {"line1": "chez le client"}})
    reply = fill(seller, blank, fp.MASKED_SIRET)
    assert reply.status_code == 200, reply.json
    assert reply.json["name"] == "Prospect du salon"
    assert reply.json["address"]["line1"] == "chez le client"
    assert reply.json["address"]["city"] == "VALLAURIS"
    assert {w["field"] for w in reply.json["sirene"]["warnings"]} == {"name", "address.line1"}


def test_a_closed_establishment_fills_with_a_warning(seller: Api, blank: dict[str, Any]) -> None:
    reply = fill(seller, blank, fp.CLOSED_SIRET)
    assert reply.json["name"] == "CAFE DU PORT"
    assert reply.json["sirene"]["warnings"][0]["message"].startswith(
        "Établissement fermé depuis le"
    )


def test_a_stale_if_match_is_412_and_calls_no_one(
    seller: Api, blank: dict[str, Any], fake: fp.FakeProvider
) -> None:
    seller.edit(blank["links"]["self"], {"phone": "01 23 45 67 89"})
    reply = fill(seller, blank, fp.DINUM_SIRET, **{"If-Match": '"1"'})
    assert reply.status_code == 412
    assert fake.seen == []
    assert seller.get(blank["links"]["self"]).json["name"] == "Prospect du salon"


@pytest.mark.parametrize("number", [fp.siret_for("99999990"), fp.DINUM_SIRET])
def test_a_failed_look_up_never_changes_the_record(
    seller: Api, blank: dict[str, Any], fake: fp.FakeProvider, number: str
) -> None:
    fake.set(f"/insee/siret/{fp.DINUM_SIRET}", fp.Reply(500, {}))
    reply = fill(seller, blank, number)
    assert reply.status_code in (404, 503)
    after = seller.get(blank["links"]["self"])
    assert after.json == blank


def test_a_siren_keeps_no_siret_of_another_company(seller: Api, blank: dict[str, Any]) -> None:
    seller.edit(blank["links"]["self"], {"siret": fp.CARREFOUR_SIRET, "siren": fp.CARREFOUR_SIREN})
    reply = fill(seller, blank, fp.DINUM_SIREN)
    assert reply.status_code == 200, reply.json
    assert reply.json["siren"] == fp.DINUM_SIREN
    assert reply.json["siret"] is None
    assert reply.json["address"] == blank["address"]  # no address from a SIREN
    assert [w["field"] for w in reply.json["sirene"]["warnings"]] == ["siret"]


def test_only_a_prospect_is_filled(seller: Api, erp: Api) -> None:
    client = erp.put("/api/v1/sync/clients/C-1", json={"name": "Client"})
    assert client.status_code in (200, 201), client.json
    reply = fill(seller, client.json, fp.DINUM_SIRET)
    assert reply.status_code == 404


def test_every_look_up_leaves_a_job_for_its_user(
    seller: Api, blank: dict[str, Any], database: Database, app: Flask
) -> None:
    fill(seller, blank, fp.DINUM_SIRET)
    with database.read() as session:
        job = session.scalars(select(Job)).one()
    assert (job.kind, job.state, job.target_id) == ("sirene.apply", "done", blank["id"])
    reply = seller.get(f"/api/v1/jobs/{job.id}")
    assert reply.json["result"]["account"]["version"] == 2
    other = make_user(app, database, "dave")
    assert other.get(f"/api/v1/jobs/{job.id}").status_code == 404


def test_a_look_up_delivered_twice_is_applied_once(
    seller: Api,
    blank: dict[str, Any],
    database: Database,
    worker_context: Any,
    fake: fp.FakeProvider,
) -> None:
    from records_svc.sirene.lookup_jobs import run_lookup_job

    fill(seller, blank, fp.DINUM_SIRET, **{"If-Match": '"1"'})
    with database.read() as session:
        job_id = session.scalars(select(Job.id)).one()
    again = run_lookup_job(
        worker_context.db,
        lambda: worker_context.sirene,
        job_id=job_id,
        number=fp.DINUM_SIRET,
        account_id=blank["id"],
        expected_version=1,
    )
    assert again["ok"] is True and again["account"]["version"] == 2
    assert seller.get(blank["links"]["self"]).json["version"] == 2
    assert len(fake.seen) == 1


def test_a_prospect_filled_from_a_siret_is_found_by_search_under_its_new_name(
    seller: Api, blank: dict[str, Any], settings: Settings
) -> None:
    from search_svc import create_app as create_search_app
    from tests.search.conftest import Searcher

    finder = Searcher(create_search_app(settings))
    assert [i["id"] for i in finder.search("prospect salon")] == [blank["id"]]
    assert fill(seller, blank, fp.DINUM_SIRET).status_code == 200
    found = finder.search("direction interministerielle")
    assert [(i["kind"], i["id"]) for i in found] == [("prospect", blank["id"])]
    assert found[0]["label"] == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert [i["id"] for i in finder.search("13002526500013")] == [blank["id"]]
    assert finder.search("prospect salon") == []  # not under its old name


def test_a_siret_another_prospect_holds_is_a_409_and_changes_nothing(
    seller: Api, blank: dict[str, Any]
) -> None:
    holder = seller.post("/api/v1/prospects", json={"name": "Déjà là", "siret": fp.DINUM_SIRET})
    assert holder.status_code == 201, holder.json
    reply = fill(seller, blank, fp.DINUM_SIRET)
    assert reply.status_code == 409, reply.json
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [("siret", "duplicate")]
    assert seller.get(blank["links"]["self"]).json == blank
