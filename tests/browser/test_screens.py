"""Every screen on a phone (390 × 844, touch) and a desktop (1366 × 768).

Each screen: no sideways scroll, touch targets of 44 px on the phone, zero axe-core
violations; the phone's top bar is a Menu button; the calendar is an agenda there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.checks import Size, check_screen, horizontal_overflow
from tests.browser.conftest import Server, busy_calendar_month, new_context, open_portal, sign_in

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

    def shown(name: str, where: str, ready: Callable[[], Any]) -> None:
        go(page, server, where)
        expect(ready()).to_be_visible()
        check_screen(page, size, name)

    heading = page.locator(".record-name")
    shown("fiche prospect", f"#/prospects/{prospect['id']}", lambda: heading)
    for tab in ("Contacts", "Activités", "Documents", "Opportunités"):
        page.locator(".record-tabs").get_by_role("tab", name=tab).click()
        check_screen(page, size, f"fiche prospect, onglet {tab}")
    shown("recherche vide", "#/", lambda: page.get_by_role("heading", name="Fiches récentes"))
    page.get_by_role("combobox").press_sequentially("bou", delay=60)
    expect(page.get_by_role("listbox").get_by_role("option").first).to_be_visible()
    check_screen(page, size, "recherche")
    shown("tous les résultats", "#/recherche?q=bou", lambda: page.locator(".results-list li").first)
    shown("fiche contact", f"#/contacts/{contact['id']}", lambda: heading)
    shown("fiche client", f"#/clients/{client['id']}", lambda: heading)
    page.get_by_role("button", name="Actions").click()
    check_screen(page, size, "menu Actions")
    page.keyboard.press("Escape")
    new_contact = f"#/comptes/{prospect['id']}/contacts/nouveau"
    shown("nouveau contact", new_contact, lambda: page.get_by_label("Prénom"))
    shown("nouveau prospect", "#/prospects/nouveau", lambda: page.get_by_label("Nom d'appel"))
    page.get_by_label("Nom d'appel").fill("Pas encore créé")
    page.locator(".brand").click()
    expect(page.get_by_role("dialog", name="Modifications non enregistrées")).to_be_visible()
    check_screen(page, size, "modifications non enregistrées")
    page.get_by_role("button", name="Quitter sans enregistrer").click()
    shown("opportunités", "#/opportunites", lambda: page.locator(".portfolio tbody tr").first)
    shown("opportunité", f"#/opportunites/{opportunity['id']}", lambda: heading)
    page.get_by_role("tab", name="Activités").click()
    check_screen(page, size, "opportunité, activités")
    shown(
        "page introuvable", "#/nulle-part", lambda: page.get_by_role("heading", name="Introuvable")
    )


def test_the_top_bar_is_a_menu_button_on_a_phone(
    server: Server, sized_page: Any, size: Size
) -> None:
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
    busy_calendar_month(page)
    busy = calendar.locator(".calendar-day.busy").evaluate_all(
        "(ds) => ds.map((d) => d.dataset.date)"
    )
    listed = calendar.locator(".agenda-day").evaluate_all("(ds) => ds.map((d) => d.dataset.date)")
    assert busy and busy == listed


@pytest.mark.parametrize("width", [360, 1440])
def test_the_narrowest_and_widest_screens_fit(server: Server, chromium: Any, width: int) -> None:
    context = new_context(
        chromium, viewport={"width": width, "height": 800}, is_mobile=width < 720, has_touch=True
    )
    page, errors = open_portal(server, context)
    prospect = first(server, "prospects?limit=1")
    contact = first(server, f"accounts/{prospect['id']}/contacts?limit=1")
    for where, ready in (
        (f"#/contacts/{contact['id']}", ".record-name"),
        (f"#/prospects/{prospect['id']}", ".record-name"),
        ("#/opportunites", ".portfolio tbody tr"),
        ("#/recherche?q=bou", ".results-list li"),
    ):
        go(page, server, where)
        page.locator(ready).first.wait_for()
        page.wait_for_timeout(150)
        assert horizontal_overflow(page) is None, (width, where, horizontal_overflow(page))
    context.close()
    assert not errors, errors
