"""Edition limits: render time, pages and output size end the job failed, in French.

The jobs run inline, as in the embedded default, where no Celery time limit applies:
the render's own limit stops them (a tiny limit and a heavy template, no long wait).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from config import Settings, load_settings
from records_svc.editions.limits import EditionLimitError, within
from records_svc.editions.render import TemplateProblemError
from tests.conftest import Api
from tests.documents.editing import docx_template, html_template, print_record, upload_docx_template
from workers.celery_app import create_celery

HEAVY = "{% for i in range(30000) %}<p>ligne {{ i }} de {{ account.name }}</p>{% endfor %}"
PAGES = '{% for i in range(12) %}<p style="break-after: page">page {{ i }}</p>{% endfor %}'


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Any, database_url: str) -> Settings:
    """At most 10 pages, and the limits a test asks for (indirect parameter)."""
    return load_settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-" * 4,
        edition_max_pages=10,
        **getattr(request, "param", {}),
    )


def _print(seller: Api, prospect: dict[str, Any], template_id: int) -> dict[str, Any]:
    reply = print_record(seller, prospect["links"]["self"], template_id, attach=True)
    assert reply.status_code == 202, reply.json
    job: dict[str, Any] = seller.get(reply.headers["Location"]).json
    return job


@pytest.mark.parametrize("settings", [{"edition_render_seconds": 0.5}], indirect=True)
def test_a_render_over_its_time_is_stopped_and_the_job_fails(
    seller: Api, admin: Api, prospect: dict[str, Any]
) -> None:
    template = html_template(admin, "prospect", HEAVY).json
    job = _print(seller, prospect, template["id"])
    assert job["state"] == "failed"
    assert job["error"].startswith("L'édition a dépassé la durée de rendu autorisée (0.5 s)")
    assert job["links"]["download"] is None
    assert seller.get(f"{prospect['links']['self']}/documents").json["items"] == []
    assert seller.get(prospect["links"]["self"]).status_code == 200  # the request thread lives on


def test_too_many_pages_fail_the_job(seller: Api, admin: Api, prospect: dict[str, Any]) -> None:
    template = html_template(admin, "prospect", PAGES).json
    job = _print(seller, prospect, template["id"])
    assert job["state"] == "failed"
    assert job["error"] == "L'édition compte 12 pages, plus que les 10 autorisées."


@pytest.mark.parametrize("settings", [{"edition_max_output_bytes": 1024}], indirect=True)
@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_an_output_over_the_size_limit_fails_the_job(
    seller: Api, admin: Api, prospect: dict[str, Any], fmt: str
) -> None:
    if fmt == "html":
        template = html_template(admin, "prospect", "<p>{{ account.name }}</p>").json
    else:
        template = upload_docx_template(admin, "prospect", docx_template("{{ account.name }}")).json
    job = _print(seller, prospect, template["id"])
    assert job["state"] == "failed"
    assert "dépasse la taille autorisée (1024 octets)" in job["error"]


def test_every_task_has_celery_time_limits(settings: Settings) -> None:
    app = create_celery(settings)
    carnet_tasks = {name: task for name, task in app.tasks.items() if name.startswith("carnet.")}
    assert carnet_tasks
    for name, task in carnet_tasks.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, name
    render = app.tasks["carnet.editions.render"]
    assert render.soft_time_limit == 65 and render.time_limit == 90


def _fails() -> None:
    raise TemplateProblemError("line 3: unexpected '}'", 3)


def test_within_returns_raises_and_stops() -> None:
    assert within(30, sum, range(2000)) == sum(range(2000))
    with pytest.raises(TemplateProblemError, match="line 3"):
        within(30, _fails)
    with pytest.raises(EditionLimitError, match=r"\(0.2 s\)"):
        within(0.2, time.sleep, 600)
