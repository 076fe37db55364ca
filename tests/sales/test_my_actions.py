"""My actions (assignee, filters, sort, done in one call) and the calendar feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
import pytest
from flask import Flask

from records_svc.db import Database
from records_svc.domain import users
from tests.conftest import Api
from tests.sales.conftest import add_opportunity

ACTIONS = "/api/v1/actions"
FEED = "/api/v1/calendar/feeds/me"
NOW = datetime.now(UTC).replace(microsecond=0)


def add_action(api: Api, path: str, subject: str, due: datetime, **extra: Any) -> dict[str, Any]:
    body = {"type": "call", "subject": subject, "due_at": due.isoformat(), **extra}
    reply = api.post(f"{path}/actions", json=body)
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def subjects(api: Api, **query: Any) -> list[str]:
    reply = api.get(ACTIONS, query_string=query)
    assert reply.status_code == 200, reply.json
    return [a["subject"] for a in reply.json["items"]]


@pytest.fixture
def day(seller: Api, manager: Api, prospect: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Actions on a prospect: two late, one today, one next week, one done, one of Bob's."""
    path = prospect["links"]["self"]
    return {
        "late": add_action(seller, path, "Relancer devis", NOW - timedelta(days=3)),
        "later": add_action(seller, path, "Rappeler", NOW - timedelta(hours=2)),
        "soon": add_action(seller, path, "Visite", NOW + timedelta(hours=3)),
        "next": add_action(seller, path, "Démo", NOW + timedelta(days=6)),
        "done": add_action(seller, path, "Fait", NOW - timedelta(days=1), done=True),
        "bob": add_action(manager, path, "Chez Bob", NOW + timedelta(hours=1)),
    }


def test_an_action_is_its_authors_until_reassigned(
    seller: Api, manager: Api, day: dict[str, dict[str, Any]]
) -> None:
    assert day["late"]["assignee_id"] == seller.user_id
    assert day["bob"]["assignee_id"] == manager.user_id
    path = day["bob"]["links"]["self"]
    reply = manager.edit(path, {"assignee_id": seller.user_id})
    assert reply.status_code == 200
    assert reply.json["assignee_id"] == seller.user_id
    assert "Chez Bob" in subjects(seller, assignee="me")
    assert "Chez Bob" not in subjects(manager, assignee="me")
    wrong = seller.edit(path, {"assignee_id": 999999})
    assert wrong.status_code == 422
    assert wrong.json["errors"][0]["field"] == "assignee_id"


def test_my_open_actions_overdue_first(seller: Api, day: dict[str, dict[str, Any]]) -> None:
    mine = subjects(seller, assignee="me", done="false", sort="due_at")
    assert mine == ["Relancer devis", "Rappeler", "Visite", "Démo"]
    assert subjects(seller, assignee="me", overdue="true") == ["Relancer devis", "Rappeler"]
    assert subjects(seller, assignee="me", done="true") == ["Fait"]
    assert subjects(seller, assignee="me", sort="-due_at", done="false")[0] == "Démo"
    window = {"due_after": NOW.isoformat(), "due_before": (NOW + timedelta(days=1)).isoformat()}
    assert subjects(seller, assignee="me", **window) == ["Visite"]
    assert subjects(seller, assignee="me", done="false", limit=1) == ["Relancer devis"]


def test_done_in_one_call_leaves_the_open_list(seller: Api, day: dict[str, dict[str, Any]]) -> None:
    reply = seller.post(f"{day['late']['links']['self']}/done")
    assert reply.status_code == 200
    assert "Relancer devis" not in subjects(seller, assignee="me", done="false")


def test_actions_list_pages_and_refuses_unknown_arguments(
    seller: Api, day: dict[str, dict[str, Any]]
) -> None:
    seen, cursor = [], None
    while True:
        query = {"assignee": "me", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = seller.get(ACTIONS, query_string=query).json
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    reply = seller.get(ACTIONS, query_string={"late": "true", "sort": "subject"})
    assert reply.status_code == 422
    assert {(e["field"], e["code"]) for e in reply.json["errors"]} == {("late", "unknown_filter")}
    reply = seller.get(ACTIONS, query_string={"sort": "subject"})
    assert reply.json["errors"][0]["code"] == "unknown_sort"


def test_actions_on_a_closed_client_are_left_out(
    seller: Api, manager: Api, erp: Api, client_account: dict[str, Any]
) -> None:
    add_action(seller, client_account["links"]["self"], "Chez le client", NOW)
    assert subjects(seller, assignee="me") == ["Chez le client"]
    body = {"name": client_account["name"], "closed": True}
    assert erp.put("/api/v1/sync/clients/C100", json=body).status_code == 200
    assert subjects(seller, assignee="me") == []
    assert subjects(manager, assignee=str(seller.user_id)) == ["Chez le client"]


# --- the calendar feed ---------------------------------------------------------------


def read_feed(app: Flask, url: str) -> Any:
    reply = app.test_client().get(url)  # no token: the URL is the key
    return reply


def test_the_feed_is_an_icalendar_of_my_open_actions_and_signing_dates(
    app: Flask, seller: Api, prospect: dict[str, Any], day: dict[str, dict[str, Any]]
) -> None:
    add_opportunity(
        seller, prospect["id"], title="Contrat, cadre; 2027", expected_signing_date="2027-03-02"
    )
    made = seller.post(FEED)
    assert made.status_code == 201
    url = made.json["url"]
    assert url.startswith("http://") and url.endswith(".ics")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43
    reply = read_feed(app, url)
    assert reply.status_code == 200
    assert reply.mimetype == "text/calendar"
    assert all(len(line) <= 75 for line in reply.data.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(reply.data)
    events = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    open_ids = {f"action-{day[k]['id']}" for k in ("late", "later", "soon", "next")}
    signing = [uid for uid in events if uid.startswith("opportunity-")]
    assert set(events) == open_ids | set(signing) and len(signing) == 1
    visit = events[f"action-{day['soon']['id']}"]
    assert visit.decoded("DTSTART") == NOW + timedelta(hours=3)
    assert "Visite" in str(visit["SUMMARY"])
    alarm = visit.walk("VALARM")[0]
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=15)
    contract = events[signing[0]]
    assert contract.decoded("DTSTART") == date(2027, 3, 2)
    assert "Contrat, cadre; 2027" in str(contract["SUMMARY"])
    status = seller.get(FEED)
    assert status.status_code == 200 and status.json["url"] is None  # only its hash is kept


def test_a_revoked_or_replaced_feed_is_gone(app: Flask, seller: Api) -> None:
    first = seller.post(FEED).json["url"]
    second = seller.post(FEED).json["url"]
    assert first != second
    assert read_feed(app, first).status_code == 404
    assert read_feed(app, second).status_code == 200
    assert seller.delete(FEED).status_code == 204
    assert read_feed(app, second).status_code == 404
    assert seller.get(FEED).status_code == 404
    assert seller.delete(FEED).status_code == 404
    forged = second.rsplit("/", 1)[0] + "/" + "A" * 43 + ".ics"
    assert read_feed(app, forged).status_code == 404


def test_a_disabled_users_feed_stops(app: Flask, database: Database, seller: Api) -> None:
    url = seller.post(FEED).json["url"]
    with database.unit_of_work() as uow:
        users.set_disabled(uow.session, seller.username, True)
    assert read_feed(app, url).status_code == 404
