"""The Historique tab and a do-not-contact contact, on a phone and a desktop."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.checks import Size, check_screen
from tests.browser.conftest import SELLER, Server

pytestmark = pytest.mark.browser


def arrange(server: Server, name: str) -> tuple[requests.Session, str, dict[str, Any]]:
    """The seller's API client, the API's base URL and a new prospect."""
    api = server.api()
    base = f"{server.base_url}/api/v1"
    return api, base, api.post(f"{base}/prospects", json={"name": name}).json()


def test_history_tab_says_who_changed_what_in_french(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    api, base, prospect = arrange(server, f"Historique {size.name}")
    path = f"{base}/prospects/{prospect['id']}"
    api.patch(path, json={"phone": "01 40 00 00 01"}, headers={"If-Match": '"1"'})
    api.patch(path, json={"phone": "01 40 00 00 02"}, headers={"If-Match": '"2"'})

    page.goto(f"{server.base_url}/#/prospects/{prospect['id']}")
    page.locator(".record-tabs").get_by_role("tab", name="Historique").click()
    entries = page.locator(".history-entry")
    expect(entries).to_have_count(3)
    expect(entries.first).to_contain_text(
        f"{SELLER} a changé le téléphone : 01 40 00 00 01 → 01 40 00 00 02, "
    )
    expect(entries.first).to_contain_text(" à l'instant")
    expect(entries.last).to_contain_text(f"{SELLER} a créé la fiche")
    check_screen(page, size, "fiche prospect, onglet Historique")


def test_a_do_not_contact_contact_has_no_call_nor_mail_link(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    api, base, prospect = arrange(server, f"Opposition {size.name}")
    contact = api.post(
        f"{base}/accounts/{prospect['id']}/contacts",
        json={
            "last_name": "Refus",
            "direct_line": "01 42 68 53 00",
            "email": "refus@example.fr",
            "do_not_contact": True,
            "consent": {"status": "refused", "source": "appel"},
        },
    ).json()
    page.goto(f"{server.base_url}/#/contacts/{contact['id']}")
    expect(page.locator(".record-name")).to_have_text("Refus")
    expect(page.locator(".do-not-contact")).to_contain_text("Ne pas contacter")
    expect(page.get_by_text("Appeler la ligne directe +33 1 42 68 53 00")).to_be_visible()
    assert page.locator(".quick-actions a").count() == 0
    assert page.locator('a[href^="tel:"], a[href^="mailto:"]').count() == 0
    check_screen(page, size, "fiche contact à ne pas contacter")
