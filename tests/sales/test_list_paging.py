"""The opportunities' and the actions' lists page correctly under concurrent inserts.

The property of the accounts' and contacts' lists (tests/records/test_lists.py),
on both databases, for every sort of these two lists both ways: while rows are
inserted between pages, the pages concatenated are the list as it was (every
row once, in order) plus, at most, some of the rows added since.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records_svc.db import Database
from records_svc.domain.actions import ACTION_SORTS
from records_svc.domain.opportunities import SORTS as OPPORTUNITY_SORTS
from tests.conftest import Api, make_user
from tests.records.test_lists import add_prospect, address, pages_under_inserts
from tests.sales.conftest import OPPORTUNITIES

ACTIONS = "/api/v1/actions"
ACTION_SORT_ORDERS = tuple(f"{sign}{key}" for key in ACTION_SORTS for sign in ("", "-"))
serial = itertools.count()
# few distinct values: ties on every key, broken by id
TITLES = ["Parc", "parc", "Écrans", "Audit", "écrans"]
AMOUNTS = ["500", "500.00", "80", "12000.50"]
DATES = ["2027-01-31", "2027-02-01", "2026-12-20"]
HOURS = [-30, -1, 0, 2, 2]
NOW = datetime.now(UTC).replace(microsecond=0)
examples = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

opportunity_rows = st.tuples(
    st.sampled_from(TITLES),
    st.sampled_from(AMOUNTS),
    st.sampled_from(DATES),
    st.sampled_from([0, 1]),
)
action_rows = st.tuples(st.sampled_from(TITLES), st.sampled_from(HOURS), st.sampled_from([0, 1]))


def homes_of(database: Database, api: Api) -> list[int]:
    """Two accounts of the user, in two cities (the city sort is the account's)."""
    return [
        add_prospect(database, api.user_id, f"Compte {n}", **address(city))
        for n, city in enumerate(("Évry", "Agen"))
    ]


@examples
@given(
    rows=st.lists(opportunity_rows, max_size=10),
    sort=st.sampled_from(OPPORTUNITY_SORTS),
    limit=st.integers(min_value=1, max_value=4),
    inserts=st.lists(st.lists(opportunity_rows, max_size=3), max_size=4),
)
def test_opportunity_pages_are_the_sorted_list_under_concurrent_inserts(
    app: Flask,
    database: Database,
    rows: list[tuple[str, str, str, int]],
    sort: str,
    limit: int,
    inserts: list[list[tuple[str, str, str, int]]],
) -> None:
    api = make_user(app, database, f"o{next(serial)}")
    homes = homes_of(database, api)

    def add(row: tuple[str, str, str, int]) -> int:
        title, amount, signing, home = row
        body = {"account_id": homes[home], "title": title, "amount": amount}
        reply = api.post(OPPORTUNITIES, json={**body, "expected_signing_date": signing})
        assert reply.status_code == 201, reply.json
        return int(reply.json["id"])

    for row in rows:
        add(row)
    pages_under_inserts(api, OPPORTUNITIES, {"sort": sort}, limit, inserts, add)


@examples
@given(
    rows=st.lists(action_rows, max_size=10),
    sort=st.sampled_from(ACTION_SORT_ORDERS),
    limit=st.integers(min_value=1, max_value=4),
    inserts=st.lists(st.lists(action_rows, max_size=3), max_size=4),
)
def test_action_pages_are_the_sorted_list_under_concurrent_inserts(
    app: Flask,
    database: Database,
    rows: list[tuple[str, int, int]],
    sort: str,
    limit: int,
    inserts: list[list[tuple[str, int, int]]],
) -> None:
    api = make_user(app, database, f"a{next(serial)}")
    homes = homes_of(database, api)

    def add(row: tuple[str, int, int]) -> int:
        subject, hours, home = row
        due = (NOW + timedelta(hours=hours)).isoformat()
        body = {"type": "call", "subject": subject, "due_at": due}
        reply = api.post(f"/api/v1/prospects/{homes[home]}/actions", json=body)
        assert reply.status_code == 201, reply.json
        return int(reply.json["id"])

    for row in rows:
        add(row)
    query = {"sort": sort, "assignee": "me"}
    pages_under_inserts(api, ACTIONS, query, limit, inserts, add)
