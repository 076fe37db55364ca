"""The portfolio (filters, sort, cursor) and the signature calendar, over HTTP."""

from __future__ import annotations

import time

import pytest

from tests.conftest import Api
from tests.sales.conftest import OPPORTUNITIES, add_opportunity

CALENDAR = f"{OPPORTUNITIES}/signature-calendar"


def _titles(api: Api, query: str) -> list[str]:
    reply = api.get(f"{OPPORTUNITIES}?{query}")
    assert reply.status_code == 200, reply.json
    return [o["title"] for o in reply.json["items"]]


def _all_pages(api: Api, query: str, limit: int) -> list[str]:
    titles, cursor = [], None
    while True:
        page = api.get(
            f"{OPPORTUNITIES}?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        )
        assert page.status_code == 200, page.json
        titles += [o["title"] for o in page.json["items"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return titles


@pytest.fixture
def book(seller: Api, manager: Api, prospect: dict, client_account: dict) -> dict[str, int]:
    """Alice owns A–E on two accounts, Bob owns F; equal dates and amounts test the tie-break."""
    p, c = prospect["id"], client_account["id"]
    add_opportunity(seller, p, title="A", amount="500", expected_signing_date="2027-03-01")
    add_opportunity(
        seller, c, title="B", amount="9000", expected_signing_date="2027-01-31", stage="proposal"
    )
    add_opportunity(
        seller, p, title="C", amount="500", expected_signing_date="2027-02-01", stage="won"
    )
    add_opportunity(
        seller,
        c,
        title="D",
        amount="1200.50",
        expected_signing_date="2027-01-31",
        stage="negotiation",
    )
    add_opportunity(
        seller, p, title="E", amount="80", expected_signing_date="2026-12-20", stage="lost"
    )
    add_opportunity(manager, p, title="F", amount="700", expected_signing_date="2027-02-01")
    return {"prospect": p, "client": c}


def test_portfolio_is_mine_by_default_sorted_by_signing_date(
    seller: Api, manager: Api, book: dict
) -> None:
    assert _titles(seller, "") == ["E", "B", "D", "C", "A"]
    assert _titles(manager, "") == ["F"]
    assert _titles(seller, "owner=all") == ["E", "B", "D", "C", "F", "A"]
    assert _titles(seller, f"owner_id={manager.user_id}") == ["F"]
    row = seller.get(OPPORTUNITIES).json["items"][1]
    assert row["account"] == {
        "id": book["client"],
        "kind": "client",
        "name": "Boulangerie Dupré",
        "link": f"/api/v1/clients/{book['client']}",
    }


def test_portfolio_filters(seller: Api, book: dict) -> None:
    assert _titles(seller, "stage=proposal&stage=negotiation") == ["B", "D"]
    assert _titles(seller, "open=true") == ["B", "D", "A"]
    assert _titles(seller, f"account_id={book['client']}") == ["B", "D"]
    assert _titles(seller, "signing_from=2027-01-31&signing_to=2027-02-01") == ["B", "D", "C"]
    assert _titles(seller, "owner=all&signing_from=2027-02-01&signing_to=2027-02-01") == ["C", "F"]
    for bad in ("stage=maybe", "signing_from=tomorrow", "sort=title", "owner=them"):
        reply = seller.get(f"{OPPORTUNITIES}?{bad}")
        assert reply.status_code == 422, bad


def test_portfolio_sorts_by_amount_both_ways(seller: Api, book: dict) -> None:
    assert _titles(seller, "sort=amount") == ["E", "A", "C", "D", "B"]
    assert _titles(seller, "sort=-amount") == ["B", "D", "C", "A", "E"]
    assert _titles(seller, "sort=-expected_signing_date") == ["A", "C", "D", "B", "E"]


def test_cursor_pages_follow_the_sort_without_gaps(seller: Api, book: dict) -> None:
    for sort in ("expected_signing_date", "-expected_signing_date", "amount", "-amount"):
        whole = _titles(seller, f"owner=all&sort={sort}")
        assert len(whole) == 6
        assert _all_pages(seller, f"owner=all&sort={sort}", limit=2) == whole, sort
        assert _all_pages(seller, f"owner=all&sort={sort}", limit=1) == whole, sort


def test_a_bad_cursor_is_400(seller: Api) -> None:
    reply = seller.get(f"{OPPORTUNITIES}?cursor=not-a-cursor")
    assert reply.status_code == 400
    assert reply.json["errors"][0]["field"] == "cursor"


def test_calendar_groups_open_opportunities_by_day_across_a_month_end(
    seller: Api, book: dict
) -> None:
    reply = seller.get(f"{CALENDAR}?from=2027-01-31&to=2027-02-01")
    assert reply.status_code == 200, reply.json
    body = reply.json
    assert (body["from"], body["to"]) == ("2027-01-31", "2027-02-01")
    # C (won) is not open, F is Bob's: 1 February has nothing of Alice's that is open.
    assert [(d["date"], d["count"]) for d in body["days"]] == [("2027-01-31", 2)]
    day = body["days"][0]
    assert [o["title"] for o in day["items"]] == ["B", "D"]  # biggest first
    assert day["totals"] == {"EUR": "10200.50"}
    assert day["weighted_totals"] == {"EUR": "4440.35"}  # 9000 × 40 % + 1200.50 × 70 %
    assert day["items"][0]["account"]["link"] == f"/api/v1/clients/{book['client']}"
    everyone = seller.get(f"{CALENDAR}?from=2027-01-01&to=2027-03-31&owner=all").json
    assert [(d["date"], d["count"]) for d in everyone["days"]] == [
        ("2027-01-31", 2),
        ("2027-02-01", 1),
        ("2027-03-01", 1),
    ]
    assert everyone["totals"] == {"EUR": "11400.50"}


def test_calendar_totals_are_per_currency(seller: Api, prospect: dict) -> None:
    add_opportunity(seller, prospect["id"], amount="100", currency="CHF")
    add_opportunity(seller, prospect["id"], amount="50.25")
    day = seller.get(f"{CALENDAR}?from=2027-01-15&to=2027-01-15").json["days"][0]
    assert day["totals"] == {"CHF": "100.00", "EUR": "50.25"}


def test_calendar_dates_are_calendar_dates_whatever_the_time_zone(
    seller: Api, prospect: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's clock zone is 14 hours ahead of UTC: a date must not move by a day.
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        created = add_opportunity(seller, prospect["id"], expected_signing_date="2027-02-28")
        assert created["expected_signing_date"] == "2027-02-28"
        days = seller.get(f"{CALENDAR}?from=2027-02-28&to=2027-03-01").json["days"]
        assert [d["date"] for d in days] == ["2027-02-28"]
        assert seller.get(f"{CALENDAR}?from=2027-03-01&to=2027-03-01").json["days"] == []
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    # An instant with an offset is not a calendar date: refused rather than guessed.
    reply = seller.get(f"{CALENDAR}?from=2027-02-28T23:00:00-05:00&to=2027-03-01")
    assert reply.status_code == 422
    assert "from" in reply.json["errors"][0]["field"]


def test_calendar_range_is_checked(seller: Api) -> None:
    for query, field in [
        ("from=2027-02-01&to=2027-01-01", "to"),
        ("from=2027-01-01&to=2028-06-01", "to"),
        ("to=2027-01-01", "from"),
    ]:
        reply = seller.get(f"{CALENDAR}?{query}")
        assert reply.status_code == 422, query
        assert reply.json["errors"][0]["field"] == field
