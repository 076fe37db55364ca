"""Two edits based on the same version: the second gets 412, never a 500 or a lost update."""

from __future__ import annotations

import pytest

from records_svc.db import Database
from records_svc.domain import opportunities
from records_svc.domain.errors import StaleVersionError
from tests.conftest import Api


def test_an_edit_that_loses_the_race_is_stale(
    seller: Api, database: Database, opportunity: dict
) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite serialises writers up front: the race cannot happen there")
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
