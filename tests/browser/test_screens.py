"""Every screen on a phone (390 × 844, touch) and a desktop (1366 × 768).

Each screen: no sideways scroll, touch targets of 44 px on the phone, zero axe-core
violations; the phone's top bar is a Menu button; the calendar is an agenda there.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.checks import Size, check_screen
from tests.browser.conftest import Server, sign_in

pytestmark = pytest.mark.browser


def first(server: Server, path: str) -> dict[str, Any]:
    reply = server.api().get(f"{server.base_url}/api/v1/{path}")
    reply.raise_for_status()
    return reply.json()["items"][0]  # type: ignore[no-any-return]


def go(page: Any, server: Server, where: str) -> None:
    page.goto(f"{server.base_url}/{where}")


def test_every_screen_fits_and_passes_axe(server: Server, sized_page: Any, size: Size) -> None:
    page = sized_page
    prospect = first(server, "prospects?limit=1")
    client = first(server, "clients?limit=1&closed=false")
    contact = first(server, f"accounts/{prospect['id']}/contacts?limit=1")
    opportunity = first(server, "opportunities?limit=1&owner=all")

    # Connexion (signed out)
    page.locator("#sign-out").evaluate("(b) => b.click()")  # in the Menu on a phone
    expect(page.get_by_role("dialog", name="Connexion")).to_be_visible()
    check_screen(page, size, "connexion")
    sign_in(page)

    # CRM: the empty box with the recent fiches, then the drop-down
    go(page, server, f"#/prospects/{prospect['id']}")
    expect(page.locator(".record-name")).to_have_text(prospect["name"])
    check_screen(page, size, "fiche prospect")
    for tab in ("Contacts", "Activités", "Documents", "Opportunités"):
        page.locator(".record-tabs").get_by_role("tab", name=tab).click()
        check_screen(page, size, f"fiche prospect, onglet {tab}")
    go(page, server, "#/")
    expect(page.get_by_role("heading", name="Fiches récentes")).to_be_visible()
    check_screen(page, size, "recherche vide")
    page.get_by_role("combobox").press_sequentially("bou", delay=60)
    expect(page.get_by_role("listbox").get_by_role("option").first).to_be_visible()
    check_screen(page, size, "recherche")
    go(page, server, "#/recherche?q=bou")
    expect(page.locator(".results-list li").first).to_be_visible()
    check_screen(page, size, "tous les résultats")

    go(page, server, f"#/contacts/{contact['id']}")
    expect(page.locator(".record-name")).to_contain_text(contact["last_name"])
    check_screen(page, size, "fiche contact")
    go(page, server, f"#/clients/{client['id']}")
    expect(page.locator(".record-name")).to_have_text(client["name"])
    check_screen(page, size, "fiche client")
    page.get_by_role("button", name="Actions").click()
    check_screen(page, size, "menu Actions")
    page.keyboard.press("Escape")

    go(page, server, "#/prospects/nouveau")
    expect(page.get_by_role("heading", name="Nouveau prospect")).to_be_visible()
    check_screen(page, size, "nouveau prospect")
    go(page, server, f"#/comptes/{prospect['id']}/contacts/nouveau")
    expect(page.get_by_role("heading", name=re.compile("Nouveau contact"))).to_be_visible()
    check_screen(page, size, "nouveau contact")

    go(page, server, "#/opportunites")
    expect(page.locator(".portfolio tbody tr").first).to_be_visible()
    check_screen(page, size, "opportunités")
    go(page, server, f"#/opportunites/{opportunity['id']}")
    expect(page.locator(".record-name")).to_have_text(opportunity["title"])
    check_screen(page, size, "opportunité")
    page.get_by_role("tab", name="Activités").click()
    check_screen(page, size, "opportunité, activités")

    go(page, server, "#/nulle-part")
    expect(page.get_by_role("heading", name="Introuvable")).to_be_visible()
    check_screen(page, size, "page introuvable")


def test_the_top_bar_is_a_menu_button_on_a_phone(server: Server, sized_page: Any, size: Size) -> None:
    page = sized_page
    menu = page.get_by_role("button", name="Menu")
    opportunities = page.get_by_role("link", name="Opportunités")
    if not size.phone:
        expect(menu).to_be_hidden()
        expect(opportunities).to_be_visible()
        return
    expect(opportunities).to_be_hidden()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_hidden()
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    opportunities.tap()
    expect(page.get_by_role("heading", name="Opportunités")).to_be_visible()
    expect(opportunities).to_be_hidden()  # the menu closes on the way
    # The search box takes the whole width of the phone.
    go(page, server, "#/")
    box = page.get_by_role("combobox").bounding_box()
    assert box and box["width"] >= size.width - 2 * 16, box


def test_portfolio_cards_and_calendar_agenda_on_a_phone(sized_page: Any, size: Size) -> None:
    page = sized_page
    page.goto(page.url.split("#")[0] + "#/opportunites")
    row = page.locator(".portfolio tbody tr").first
    expect(row).to_be_visible()
    calendar = page.locator(".signature-calendar")
    if size.phone:
        assert row.evaluate("(r) => getComputedStyle(r).display") == "block"  # a card
        expect(row.locator("td").first).to_be_visible()
        expect(calendar.locator(".calendar")).to_be_hidden()
        expect(calendar.locator(".agenda")).to_be_visible()
    else:
        assert row.evaluate("(r) => getComputedStyle(r).display") == "table-row"
        expect(calendar.locator(".calendar")).to_be_visible()
        expect(calendar.locator(".agenda")).to_be_hidden()
    # The same signatures either way: the agenda lists the days the grid marks busy.
    for _ in range(3):
        if calendar.locator(".calendar-day.busy").count():
            break
        calendar.get_by_role("button", name="Mois suivant ›").click()
        page.wait_for_timeout(300)
    busy = calendar.locator(".calendar-day.busy").evaluate_all("(ds) => ds.map((d) => d.dataset.date)")
    listed = calendar.locator(".agenda-day").evaluate_all("(ds) => ds.map((d) => d.dataset.date)")
    assert busy and busy == listed
