"""Documents and editions: the records app wired to Celery as the embedded default is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.eager_celery import app, celery, database, worker_context  # noqa: F401 (fixtures)


@pytest.fixture
def contact(seller: Api, prospect: dict[str, Any]) -> dict[str, Any]:
    reply = seller.post(
        f"/api/v1/accounts/{prospect['id']}/contacts",
        json={
            "civility": "Mme",
            "first_name": "Amélie",
            "last_name": "Dupré",
            "job_title": "Directrice des achats",
            "direct_line": "01 42 14 20 00",
            "email": "amelie.dupre@example.fr",
        },
    )
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]
