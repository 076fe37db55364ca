"""Ma journée: Mes comptes (filter a department, sort, save a view, reopen it) and Mes
actions (overdue first in red, done in one tap), on a phone and on a desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.checks import axe_violations
from tests.browser.conftest import Server

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": (390, 844), "desk": (1366, 768)}


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert width <= 0, f"the page scrolls sideways by {width}px"


@pytest.fixture(params=list(VIEWPORTS))
def screen(request: pytest.FixtureRequest, page: Any) -> str:
    width, height = VIEWPORTS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    return str(request.param)


def open_my_day(page: Any) -> None:
    """*Ma journée* from the top bar; on a phone it stands in the Menu."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("link", name="Ma journée").click()


def test_my_accounts_in_a_department_sorted_saved_and_reopened(
    server: Server, page: Any, screen: str
) -> None:
    api = server.api()
    prefix = "9871" if screen == "phone" else "9872"
    for name, code in (("Zinc du Lagon", f"{prefix}0"), ("Atelier du Récif", f"{prefix}5")):
        body = {"name": f"{name} {screen}", "address": {"postal_code": code, "city": "Papeete"}}
        assert api.post(f"{server.base_url}/api/v1/prospects", json=body).status_code == 201
    open_my_day(page)
    page.get_by_role("link", name="Mes comptes").click()
    expect(page.get_by_role("heading", name="Mes comptes")).to_be_visible()
    page.get_by_label("Département ou code postal").fill(prefix)
    cards = page.get_by_role("list", name="Mes comptes").locator(".card-title")
    expect(cards).to_have_text([f"Atelier du Récif {screen}", f"Zinc du Lagon {screen}"])
    page.get_by_label("Tri").select_option("-name")
    expect(cards).to_have_text([f"Zinc du Lagon {screen}", f"Atelier du Récif {screen}"])
    no_sideways_scroll(page)
    page.get_by_label("Enregistrer sous").fill(f"Polynésie {screen}")
    page.get_by_role("button", name="Enregistrer la vue").click()
    expect(page.get_by_role("status").filter(has_text="enregistrée")).to_be_visible()

    page.get_by_role("link", name="Mes contacts").click()
    page.get_by_role("link", name="Mes comptes").click()
    expect(page.get_by_label("Département ou code postal")).to_have_value("")
    page.get_by_label("Vue", exact=True).select_option(label=f"Polynésie {screen}")
    expect(page.get_by_label("Département ou code postal")).to_have_value(prefix)
    expect(page.get_by_label("Tri")).to_have_value("-name")
    expect(cards).to_have_text([f"Zinc du Lagon {screen}", f"Atelier du Récif {screen}"])
    no_sideways_scroll(page)


def test_my_actions_overdue_first_in_red_and_done_in_one_tap(
    server: Server, page: Any, screen: str
) -> None:
    api = server.api()
    body = {"name": f"Boulangerie du Port {screen}"}
    prospect = api.post(f"{server.base_url}/api/v1/prospects", json=body).json()
    late = f"Relancer le devis {screen}"
    due = (datetime.now(UTC) - timedelta(days=400)).isoformat()  # before any demo action
    reply = api.post(
        f"{server.base_url}/api/v1/prospects/{prospect['id']}/actions",
        json={"type": "call", "subject": late, "due_at": due},
    )
    assert reply.status_code == 201, reply.text
    open_my_day(page)
    expect(page.get_by_role("heading", name="Mes actions")).to_be_visible()
    first = page.locator(".action-card").first
    expect(first).to_contain_text(late)
    expect(first).to_have_class("card action-card overdue")
    expect(first.locator(".due-group")).to_have_text("En retard")
    color = first.locator(".card-title").evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(179, 38, 30)", color  # the danger red
    no_sideways_scroll(page)
    first.get_by_role("button", name=f"Marquer « {late} » comme faite").click()
    expect(page.locator(".action-card").filter(has_text=late)).to_have_count(0)
    done = api.get(f"{server.base_url}/api/v1/actions", params={"done": "true", "assignee": "me"})
    assert late in [a["subject"] for a in done.json()["items"]]


def test_the_owner_is_shown_and_changed_on_the_fiche_and_the_opportunity(
    server: Server, page: Any, screen: str
) -> None:
    api = server.api()
    base = f"{server.base_url}/api/v1"
    people = {u["username"]: u for u in api.get(f"{base}/users").json()["items"]}
    junior = people["junior"]
    prospect = api.post(f"{base}/prospects", json={"name": f"Cave des Chartrons {screen}"}).json()
    body = {
        "account_id": prospect["id"],
        "title": f"Agencement de la cave {screen}",
        "amount": "1200.00",
        "expected_signing_date": "2027-03-01",
    }
    opportunity = api.post(f"{base}/opportunities", json=body).json()

    page.goto(f"{server.base_url}/#/prospects/{prospect['id']}")
    owner = page.get_by_label("Responsable")
    expect(owner).to_have_value(str(prospect["owner_id"]))
    expect(owner.locator("option:checked")).to_have_text(people["camille"]["display_name"])
    no_sideways_scroll(page)
    owner.select_option(label=junior["display_name"])
    expect(page.get_by_role("status").filter(has_text="Responsable")).to_be_visible()
    saved = api.get(f"{base}/prospects/{prospect['id']}").json()
    assert saved["owner_id"] == junior["id"]
    page.reload()
    expect(page.get_by_label("Responsable")).to_have_value(str(junior["id"]))
    assert axe_violations(page) == []

    page.goto(f"{server.base_url}/#/opportunites/{opportunity['id']}")
    owner = page.get_by_label("Responsable")
    expect(owner).to_have_value(str(opportunity["owner_id"]))
    owner.select_option(label=junior["display_name"])
    expect(page.get_by_role("status").filter(has_text="Responsable")).to_be_visible()
    no_sideways_scroll(page)
    assert api.get(f"{base}/opportunities/{opportunity['id']}").json()["owner_id"] == junior["id"]
