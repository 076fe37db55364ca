"""Scenarios that need the APIs of SIRENE, documents, editions and opportunities."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    Server,
    busy_calendar_month,
    drop_file,
    free_siret,
    new_prospect,
)
from tests.sirene.fake_provider import DINUM_SIRET

pytestmark = pytest.mark.browser


def test_detect_a_siret_fills_the_form(server: Server, page: Any) -> None:
    free_siret(server, DINUM_SIRET)
    new_prospect(page, "Prospect À Détecter")
    page.get_by_role("tab", name="Marketing").click()
    page.get_by_label("SIREN/SIRET").fill(DINUM_SIRET)
    page.get_by_role("button", name="détecter").click()
    expect(page.locator(".fiche-alert")).to_contain_text("SIRET trouvé dans SIRENE")
    expect(page.get_by_label("SIREN/SIRET")).to_have_value(DINUM_SIRET)
    expect(page.get_by_label("Code APE")).not_to_have_value("")
    page.get_by_role("button", name="Sauvegarder").click()
    expect(page.locator(".save-bar")).to_be_hidden()


def test_detect_is_offered_only_when_sirene_is_configured(page: Any) -> None:
    # This server has SIRENE; the page asks /portal/config.json, answered here as without.
    page.route("**/portal/config.json", lambda route: route.fulfill(json={"sirene": False}))
    page.reload()
    new_prospect(page, "Sans SIRENE")
    page.get_by_role("tab", name="Marketing").click()
    expect(page.get_by_label("SIREN/SIRET")).to_be_visible()
    expect(page.get_by_role("button", name="détecter")).to_have_count(0)


def test_drop_a_document_download_it_and_delete_it(page: Any) -> None:
    new_prospect(page, "Documents Déposés")
    page.get_by_role("tab", name="Documents").click()
    expect(page.get_by_text("Déposer un document")).to_be_visible()
    drop_file(page, ".dropzone", "devis signé.txt", "Bon pour accord")
    link = page.get_by_role("link", name="devis signé.txt")
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    path = info.value.path()
    assert path is not None
    with open(path, encoding="utf-8") as downloaded:
        assert downloaded.read() == "Bon pour accord"
    page.get_by_role("button", name="Supprimer devis signé.txt").click()
    page.get_by_role("button", name="Supprimer définitivement").click()
    expect(link).to_have_count(0)


def test_print_an_edition_and_attach_it(server: Server, page: Any) -> None:
    server.api().post(
        f"{server.base_url}/api/v1/edition-templates",
        json={
            "name": "Fiche prospect courte",
            "entity": "prospect",
            "format": "html",
            "body": "<h1>{{ record.name }}</h1>",
        },
    ).raise_for_status()
    new_prospect(page, "Édition Jointe")
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Éditer…").click()
    dialog = page.get_by_role("dialog", name="Éditer la fiche")
    dialog.get_by_label("Modèle").select_option(label="Fiche prospect courte (PDF)")
    dialog.get_by_label("Associer le document").check()
    with page.expect_download() as info:
        dialog.get_by_role("button", name="Imprimer").click()
    assert info.value.suggested_filename
    page.get_by_role("tab", name="Documents").click()
    expect(page.locator(".documents .document")).to_have_count(1)


def test_open_an_account_from_the_signature_calendar(server: Server, page: Any) -> None:
    page.get_by_role("link", name="Opportunités").click()
    link = busy_calendar_month(page).locator(".calendar-day a.account-link").first
    name = link.inner_text()
    link.click()
    expect(page.locator(".record-name")).to_have_text(name)
    assert re.search(r"#/(prospects|clients)/\d+$", page.url)


def test_add_an_action_from_an_opportunity(page: Any) -> None:
    page.get_by_role("link", name="Opportunités").click()
    page.locator(".portfolio tbody a[href^='#/opportunites/']").first.click()
    page.get_by_role("tab", name="Activités").click()
    page.get_by_label("Objet").fill("Rappeler pour la signature")
    page.get_by_label("Échéance").fill("2030-01-15T10:00")
    page.get_by_role("button", name="Ajouter l'action").click()
    expect(page.locator(".timeline")).to_contain_text("Rappeler pour la signature")


def test_an_opportunity_s_contacts_open_their_fiche(page: Any) -> None:
    page.get_by_role("link", name="Opportunités").click()
    page.locator(".portfolio tbody a[href^='#/opportunites/']").first.click()
    contact = page.locator("#opp-contacts a").first
    expect(contact).to_have_attribute("href", re.compile(r"^#/contacts/\d+$"))
    name = contact.inner_text()
    contact.click()
    expect(page.locator(".record-name")).to_contain_text(name)
