"""Merges: everything moves to the target in one transaction; search and history follow."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from records_svc.db import Database
from records_svc.domain import rights, tracked_jobs
from records_svc.domain.models import IndexEvent
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.conftest import Api, make_user
from tests.search.test_pipeline import drain
from workers import maintenance

API = "/api/v1"


@pytest.fixture
def merger(app: Flask, database: Database) -> Api:
    """A salesperson who may merge accounts (not clients: no erp_sync)."""
    return make_user(app, database, "mona", rights.MERGE_ACCOUNTS)


def create(user: Api, name: str, **fields: Any) -> dict[str, Any]:
    reply = user.post(f"{API}/prospects", json={"name": name, **fields})
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def post(user: Api, path: str, json: dict[str, Any], **headers: str) -> Any:
    return user.post(path, json=json, headers=headers)


def merge(user: Api, target: dict[str, Any], source_id: int, **body: Any) -> Any:
    etag = user.get(f"{API}/accounts/{target['id']}").headers.get("ETag", '"1"')
    body = {"source_id": source_id, **body}
    return user.post(f"{API}/accounts/{target['id']}/merge", json=body, headers={"If-Match": etag})


def furnish(user: Api, database: Database, account: dict[str, Any]) -> dict[str, Any]:
    """A contact, a document, an action, an opportunity and a printed edition on it."""
    aid = account["id"]
    contact = post(user, f"{API}/accounts/{aid}/contacts", {"last_name": "Lefèvre"}).json
    upload = user.post(
        f"{API}/prospects/{aid}/documents", data={"file": (io.BytesIO(b"devis"), "devis.txt")}
    )
    assert upload.status_code == 201, upload.json
    action = post(user, f"{API}/prospects/{aid}/actions", {"type": "call", "subject": "Rappel"})
    assert action.status_code == 201, action.json
    opportunity = post(
        user,
        f"{API}/opportunities",
        {
            "account_id": aid,
            "title": "Fours",
            "amount": "1200.00",
            "expected_signing_date": "2027-03-01",
        },
    )
    assert opportunity.status_code == 201, opportunity.json
    with database.unit_of_work() as uow:
        job = tracked_jobs.create_job(
            uow.session, "edition", created_by=user.user_id, target_kind="prospect", target_id=aid
        )
        job_id = job.id
    return {
        "contact": contact,
        "document": upload.json["items"][0],
        "action": action.json,
        "opportunity": opportunity.json,
        "job_id": job_id,
    }


def test_a_merge_moves_everything_and_search_and_history_follow(
    merger: Api, database: Database, index: SqliteFtsBackend
) -> None:
    target = create(merger, "Boulangerie Martin", address={"postal_code": "69003", "city": "Lyon"})
    source = create(
        merger, "Boulangerie Martin & Fils", phone="04 78 00 00 01", siret="55212022200013"
    )
    held = furnish(merger, database, source)
    drain(database, index)
    assert not maintenance.verify(database, index)

    fields = {"name": "source", "phone": "source", "address": "target", "siret": "source"}
    reply = merge(merger, target, source["id"], fields=fields, source_version=source["version"])
    assert reply.status_code == 200, reply.json
    merged = reply.json
    assert merged["id"] == target["id"]
    assert (merged["name"], merged["phone"]) == ("Boulangerie Martin & Fils", "+33478000001")
    assert merged["siret"] == "55212022200013"
    assert merged["address"]["city"] == "Lyon"
    assert merged["version"] > target["version"]
    assert reply.headers["ETag"] == f'"{merged["version"]}"'
    assert merged["merged"] == {
        "contacts": 1,
        "documents": 1,
        "actions": 1,
        "opportunities": 1,
        "editions": 1,
    }

    tid = target["id"]
    assert merger.get(f"{API}/accounts/{source['id']}").status_code == 404
    contacts = merger.get(f"{API}/accounts/{tid}/contacts").json["items"]
    assert [c["id"] for c in contacts] == [held["contact"]["id"]]
    documents = merger.get(f"{API}/prospects/{tid}/documents").json["items"]
    assert [d["id"] for d in documents] == [held["document"]["id"]]
    content = merger.get(documents[0]["links"]["content"])
    assert content.data == b"devis"
    content.close()
    actions = merger.get(f"{API}/prospects/{tid}/actions").json["items"]
    assert [a["id"] for a in actions] == [held["action"]["id"]]
    opportunity = merger.get(f"{API}/opportunities/{held['opportunity']['id']}").json
    assert opportunity["account_id"] == tid
    with database.read() as session:
        job = tracked_jobs.get_job(session, held["job_id"])
        assert (job.target_kind, job.target_id) == ("prospect", tid)

    history = merger.get(f"{API}/prospects/{tid}/history").json["items"]
    assert history[0]["action"] == "merged"
    assert history[0]["detail"]["source_id"] == source["id"]
    changed = {c["field"]: c["new"] for c in history[0]["changes"]}
    assert changed["name"] == "Boulangerie Martin & Fils"
    contact_history = merger.get(f"{API}/contacts/{held['contact']['id']}/history").json
    assert contact_history["items"][0]["changes"] == [
        {"field": "account_id", "old": source["id"], "new": tid}
    ]

    with database.read() as session:
        events = {
            (e.entity, e.entity_id)
            for e in session.scalars(select(IndexEvent).where(IndexEvent.processed_at.is_(None)))
        }
    assert {
        ("account", source["id"]),
        ("account", tid),
        ("contact", held["contact"]["id"]),
    } <= events
    drain(database, index)
    assert not maintenance.verify(database, index)
    labels = {doc_id for doc_id, _ in index.versions()}
    assert f"account:{source['id']}" not in labels
    assert f"account:{tid}" in labels


def test_the_tombstone_of_the_source_says_it_was_merged(
    app: Flask, database: Database, merger: Api
) -> None:
    target, source = create(merger, "Cible"), create(merger, "Source")
    assert merge(merger, target, source["id"]).status_code == 200
    boss = make_user(app, database, "boss", rights.MANAGE_USERS)
    tombs = boss.get(f"{API}/deleted-records").json["items"]
    assert [(t["record_id"], t["kind"], t["reason"]) for t in tombs] == [
        (source["id"], "prospect", "merged")
    ]


def test_stale_versions_are_409_and_nothing_moves(merger: Api) -> None:
    target, source = create(merger, "Cible"), create(merger, "Source")
    post(merger, f"{API}/accounts/{source['id']}/contacts", {"last_name": "Reste"})
    path = f"{API}/accounts/{target['id']}/merge"
    stale_target = merger.post(path, json={"source_id": source["id"]}, headers={"If-Match": '"7"'})
    assert stale_target.status_code == 409
    assert stale_target.json["errors"][0]["field"] == "If-Match"
    stale_source = merger.post(
        path, json={"source_id": source["id"], "source_version": 5}, headers={"If-Match": '"1"'}
    )
    assert stale_source.status_code == 409
    assert stale_source.json["errors"][0] == {
        "field": "source_version",
        "code": "stale",
        "message": "version 5 is not the current one (1)",
    }
    assert merger.get(f"{API}/accounts/{source['id']}").status_code == 200
    assert len(merger.get(f"{API}/accounts/{source['id']}/contacts").json["items"]) == 1
    # without versions (the contract's body alone), the records as they are now
    blind = merger.post(path, json={"source_id": source["id"]})
    assert blind.status_code == 200, blind.json
    assert blind.json["merged"]["contacts"] == 1
    assert merger.get(f"{API}/accounts/{source['id']}").status_code == 404


def test_bad_merges_are_422_or_404(merger: Api) -> None:
    target, source = create(merger, "Cible"), create(merger, "Source")
    path = f"{API}/accounts/{target['id']}/merge"
    head = {"If-Match": '"1"'}
    same = merger.post(path, json={"source_id": target["id"]}, headers=head)
    assert same.status_code == 422
    assert same.json["errors"][0]["code"] == "same_record"
    unknown = merger.post(path, json={"source_id": 999999}, headers=head)
    assert unknown.status_code == 404
    fields = {"colour": "source", "name": "both"}
    bad = merger.post(path, json={"source_id": source["id"], "fields": fields}, headers=head)
    assert bad.status_code == 422
    assert {(e["field"], e["code"]) for e in bad.json["errors"]} == {
        ("fields.colour", "unknown_field"),
        ("fields.name", "invalid"),
    }
    missing = merger.post(path, json={}, headers=head)
    assert missing.status_code == 422
    assert merger.get(f"{API}/accounts/{source['id']}").status_code == 200


def test_merging_needs_merge_accounts_and_a_client_needs_erp_sync(
    app: Flask, database: Database, seller: Api, merger: Api, erp: Api
) -> None:
    target, source = create(seller, "Cible"), create(seller, "Source")
    assert merge(seller, target, source["id"]).status_code == 403
    client = erp.put(f"{API}/sync/clients/C1", json={"name": "Client SA"}).json
    into_client = merge(merger, client, source["id"])
    assert into_client.status_code == 403
    assert "erp_sync" in into_client.json["detail"]
    from_client = merge(merger, target, client["id"])
    assert from_client.status_code == 403
    both = make_user(app, database, "ops", rights.MERGE_ACCOUNTS, rights.ERP_SYNC)
    done = merge(both, client, source["id"], fields={"custom.x": "target"})
    assert done.status_code == 200, done.json
    assert done.json["kind"] == "client"


def test_a_hidden_closed_client_cannot_be_merged(erp: Api, merger: Api) -> None:
    closed = erp.put(f"{API}/sync/clients/C2", json={"name": "Fermée SA", "closed": True}).json
    target = create(merger, "Cible")
    hidden = merge(merger, target, closed["id"])
    assert hidden.status_code == 404
    assert "Fermée" not in hidden.get_data(as_text=True)


def test_the_source_siret_goes_with_it_but_another_holder_refuses(merger: Api) -> None:
    target = create(merger, "Cible")
    source = create(merger, "Source", siret="55212022200013")
    moved = merge(merger, target, source["id"], fields={"siret": "source"})
    assert moved.status_code == 200, moved.json
    assert moved.json["siret"] == "55212022200013"


# --- contacts ----------------------------------------------------------------------------


def test_a_contact_merge_moves_actions_and_documents_and_fills_gaps(
    seller: Api, database: Database, index: SqliteFtsBackend
) -> None:
    home = create(seller, "Maison")["id"]
    other = create(seller, "Ailleurs")["id"]
    target = post(seller, f"{API}/accounts/{home}/contacts", {"last_name": "Durand"}).json
    source = post(
        seller,
        f"{API}/accounts/{other}/contacts",
        {"first_name": "Jean", "last_name": "Durant", "mobile": "06 12 34 56 78"},
    ).json
    action = post(
        seller, f"{API}/contacts/{source['id']}/actions", {"type": "call", "subject": "A"}
    )
    assert action.status_code == 201, action.json
    upload = seller.post(
        f"{API}/contacts/{source['id']}/documents",
        data={"file": (io.BytesIO(b"cv"), "cv.txt")},
    )
    assert upload.status_code == 201, upload.json
    drain(database, index)

    path = f"{API}/contacts/{target['id']}/merge"
    reply = seller.post(path, json={"source_id": source["id"]}, headers={"If-Match": '"1"'})
    assert reply.status_code == 200, reply.json
    merged = reply.json
    # the target keeps its own values and takes what it lacked
    assert (merged["first_name"], merged["last_name"]) == ("Jean", "Durand")
    assert merged["mobile"] == "+33612345678"
    assert merged["merged"]["actions"] == 1 and merged["merged"]["documents"] == 1
    assert seller.get(f"{API}/contacts/{source['id']}").status_code == 404
    moved = seller.get(f"{API}/actions/{action.json['id']}").json
    assert (moved["target"]["kind"], moved["target"]["id"]) == ("contact", target["id"])
    docs = seller.get(f"{API}/contacts/{target['id']}/documents").json["items"]
    assert len(docs) == 1
    history = seller.get(f"{API}/contacts/{target['id']}/history").json["items"]
    assert history[0]["action"] == "merged"
    assert history[0]["detail"] == {"source_id": source["id"]}
    drain(database, index)
    assert not maintenance.verify(database, index)


def test_contact_merge_errors(seller: Api, erp: Api) -> None:
    home = create(seller, "Maison")["id"]
    target = post(seller, f"{API}/accounts/{home}/contacts", {"last_name": "A"}).json
    path = f"{API}/contacts/{target['id']}/merge"
    head = {"If-Match": '"1"'}
    assert seller.post(path, json={"source_id": target["id"]}, headers=head).status_code == 422
    assert seller.post(path, json={"source_id": 999999}, headers=head).status_code == 404
    client = erp.put(f"{API}/sync/clients/C5", json={"name": "Fermée"}).json
    hidden = post(erp, f"{API}/accounts/{client['id']}/contacts", {"last_name": "Cachée"}).json
    erp.put(f"{API}/sync/clients/C5", json={"name": "Fermée", "closed": True})
    assert seller.post(path, json={"source_id": hidden["id"]}, headers=head).status_code == 404
    other = post(seller, f"{API}/accounts/{home}/contacts", {"last_name": "B"}).json
    stale = seller.post(path, json={"source_id": other["id"]}, headers={"If-Match": '"9"'})
    assert stale.status_code == 409
    assert seller.get(f"{API}/contacts/{other['id']}").status_code == 200
