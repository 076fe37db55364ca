"""`carnet demo load` fills the portfolio, the calendar and the activity timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from carnet import demo
from records_svc.db import Database
from tests.conftest import Api


def test_demo_fills_the_portfolio_and_the_next_three_months(
    seller: Api, database: Database
) -> None:
    totals = demo.load(database, count=40)
    assert totals["opportunities"] > 0
    assert totals["actions"] >= totals["opportunities"]
    today = datetime.now(UTC).date()
    end = today + timedelta(days=92)
    rows = seller.get("/api/v1/opportunities?open=true&limit=200").json["items"]
    assert rows  # the first user owns the demo portfolio
    assert all(today.isoformat() <= o["expected_signing_date"] <= end.isoformat() for o in rows)
    calendar = seller.get(f"/api/v1/opportunities/signature-calendar?from={today}&to={end}").json
    assert sum(day["count"] for day in calendar["days"]) == len(rows)
    months = {day["date"][:7] for day in calendar["days"]}
    assert len(months) >= 3
    first = rows[0]
    assert seller.get(first["links"]["account"]).status_code == 200
    assert seller.get(first["links"]["actions"]).json["items"]
