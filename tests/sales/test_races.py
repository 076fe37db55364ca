"""Two edits based on the same version: the second gets 412, never a 500 or a lost update."""

from __future__ import annotations

import pytest

from records_svc.db import Database
from records_svc.domain import accounts, opportunities
from records_svc.domain.errors import StaleVersionError
from tests.conftest import Api, _reset_postgres

# SQLite serialises writers up front (BEGIN IMMEDIATE): the race can only happen on PostgreSQL.
pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(postgres_url: str) -> str:
    db = Database(postgres_url)
    _reset_postgres(db)
    db.dispose()
    return postgres_url


def test_an_edit_that_loses_the_race_is_stale(
    seller: Api, database: Database, opportunity: dict
) -> None:
    with pytest.raises(StaleVersionError), database.unit_of_work() as slow:
        # The slow writer reads version 1 (and holds it), then a quick one commits version 2 …
        held = opportunities.get_opportunity(slow.session, opportunity["id"])
        with database.unit_of_work() as quick:
            opportunities.update_opportunity(
                quick, opportunity["id"], {"title": "quick"}, expected_version=1
            )
        # … so the slow one's UPDATE … WHERE version = 1 matches no row.
        assert held.version == 1
        opportunities.update_opportunity(
            slow, opportunity["id"], {"title": "slow"}, expected_version=1
        )
    current = seller.get(opportunity["links"]["self"]).json
    assert (current["title"], current["version"]) == ("quick", 2)


def test_an_account_edit_that_loses_the_race_is_stale(
    seller: Api, database: Database, prospect: dict
) -> None:
    with pytest.raises(StaleVersionError), database.unit_of_work() as slow:
        held = accounts.get_account(slow.session, prospect["id"])
        with database.unit_of_work() as quick:
            accounts.update_account(quick, prospect["id"], {"name": "quick"}, expected_version=1)
        assert held.version == 1
        accounts.update_account(slow, prospect["id"], {"name": "slow"}, expected_version=1)
    current = seller.get(prospect["links"]["self"]).json
    assert (current["name"], current["version"]) == ("quick", 2)
