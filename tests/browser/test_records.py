"""Scenarios on the records: sign in and out, create, save, 412, validate, contacts, delete."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import JUNIOR, JUNIOR_PASSWORD, Server, new_prospect, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_errors_are_french_and_sign_out_returns_to_connexion(
    server: Server, page: Any
) -> None:
    expect(page.locator("#user-name")).to_have_text("camille")
    page.get_by_role("button", name="Se déconnecter").click()
    dialog = page.get_by_role("dialog", name="Connexion")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Identifiant").fill("camille")
    dialog.get_by_label("Mot de passe").fill("pas le bon")
    dialog.get_by_role("button", name="Se connecter").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Identifiant ou mot de passe incorrect (ou compte désactivé)."
    )
    sign_in(page)
    expect(page.locator("#user-name")).to_have_text("camille")


def test_the_session_cookie_is_out_of_reach_of_script(page: Any) -> None:
    cookies = page.evaluate("document.cookie")
    assert "carnet_csrf=" in cookies
    assert "carnet_session" not in cookies


def test_create_a_prospect_then_edit_and_save(server: Server, page: Any) -> None:
    prospect_id = new_prospect(page, "Fromagerie Test Sauvegarde")
    expect(page.locator(".state")).to_have_text("Prospect brouillon")
    save_bar = page.locator(".save-bar")
    expect(save_bar).to_be_hidden()
    page.get_by_role("tab", name="Coordonnées").click()
    page.get_by_label("Ville").fill("Lyon")
    expect(save_bar).to_be_visible()
    save_bar.get_by_role("button", name="Sauvegarder").click()
    expect(save_bar).to_be_hidden()
    stored = server.api().get(f"{server.base_url}/api/v1/prospects/{prospect_id}").json()
    assert stored["address"]["city"] == "Lyon"


def test_required_fields_are_marked_and_errors_are_french(page: Any) -> None:
    page.get_by_role("link", name="Nouveau prospect").click()
    expect(page.locator("label", has_text="Nom d'appel").locator(".required")).to_be_visible()
    page.get_by_role("button", name="Créer le prospect").click()
    expect(page.locator(".save-message")).to_contain_text("Nom d'appel : obligatoire")
    page.get_by_label("Nom d'appel").fill("Numéros faux")
    page.get_by_role("tab", name="Marketing").click()
    page.get_by_label("SIREN/SIRET").fill("12345678901234")
    page.get_by_role("button", name="Créer le prospect").click()
    expect(page.locator(".save-message")).to_contain_text("SIRET invalide")
    expect(page.get_by_label("SIREN/SIRET")).to_have_attribute("aria-invalid", "true")


def test_a_stale_edit_gets_412_and_offers_to_reload(
    server: Server, page: Any, browser_context: Any
) -> None:
    prospect_id = new_prospect(page, "Conflit Premier Onglet")
    second = browser_context.new_page()
    second.goto(f"{server.base_url}/#/prospects/{prospect_id}")
    second.get_by_label("Raison sociale").fill("CHANGÉ DANS LE SECOND ONGLET")
    second.get_by_role("button", name="Sauvegarder").click()
    expect(second.locator(".save-bar")).to_be_hidden()
    second.close()

    page.get_by_label("Raison sociale").fill("CHANGÉ DANS LE PREMIER")
    page.get_by_role("button", name="Sauvegarder").click()
    alert = page.locator(".fiche-alert")
    expect(alert).to_contain_text("modifiée entre-temps")
    alert.get_by_role("button", name="Recharger la fiche").click()
    expect(page.get_by_label("Raison sociale")).to_have_value("CHANGÉ DANS LE SECOND ONGLET")
    expect(alert).to_be_hidden()


def test_an_expired_session_asks_to_sign_in_and_keeps_what_was_typed(
    server: Server, page: Any, browser_context: Any
) -> None:
    prospect_id = new_prospect(page, "Session Expirée")
    page.get_by_label("Raison sociale").fill("SAISIE AVANT EXPIRATION")
    browser_context.clear_cookies(name="carnet_session")  # as when the token expires
    page.get_by_role("button", name="Sauvegarder").click()
    dialog = page.get_by_role("dialog", name="Connexion")
    expect(dialog).to_contain_text("Votre session a expiré")
    expect(page.get_by_label("Raison sociale")).to_have_value("SAISIE AVANT EXPIRATION")
    sign_in(page)
    expect(page.locator(".save-bar")).to_be_hidden()  # the save went through after sign-in
    stored = server.api().get(f"{server.base_url}/api/v1/prospects/{prospect_id}").json()
    assert stored["legal_name"] == "SAISIE AVANT EXPIRATION"


def test_validate_the_prospect_only_with_the_right(server: Server, page: Any) -> None:
    prospect_id = new_prospect(page, "À Valider")
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Valider le prospect").click()
    expect(page.locator(".state")).to_have_text("Prospect validé")
    page.get_by_role("button", name="Actions").click()
    expect(page.get_by_role("menuitem", name="Valider le prospect")).to_have_count(0)

    other = server.api().post(f"{server.base_url}/api/v1/prospects", json={"name": "Brouillon"})
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(page, JUNIOR, JUNIOR_PASSWORD)
    page.goto(f"{server.base_url}/#/prospects/{other.json()['id']}")
    expect(page.locator(".state")).to_have_text("Prospect brouillon")
    page.get_by_role("button", name="Actions").click()
    expect(page.get_by_role("menuitem", name="Supprimer…")).to_be_visible()
    # Shown disabled, saying which right is missing.
    denied = page.get_by_role("menuitem", name=re.compile("^Valider le prospect"))
    expect(denied).to_have_attribute("aria-disabled", "true")
    expect(denied).to_contain_text("droit « valider un prospect » requis")
    expect(denied).to_be_disabled()
    assert prospect_id


def test_add_a_contact_and_call_or_write_in_one_tap(page: Any) -> None:
    new_prospect(page, "Contacts Et Cie")
    page.get_by_role("link", name="Nouveau contact").click()
    page.get_by_label("Prénom").fill("Hélène")
    page.get_by_role("textbox", name="Nom", exact=True).fill("Dupré")
    page.get_by_role("tab", name="Coordonnées").click()
    page.get_by_label("Ligne directe").fill("01 42 68 53 00")
    page.get_by_label("Mobile").fill("06 12 34 56 78")
    page.get_by_label("E-mail").fill("helene.dupre@example.fr")
    page.get_by_role("button", name="Créer le contact").click()
    expect(page.locator(".record-name")).to_have_text("Hélène Dupré")
    # Visible without hovering anything: a phone has no hover.
    call = page.get_by_role("link", name="Appeler la ligne directe +33 1 42 68 53 00")
    mobile = page.get_by_role("link", name="Appeler le mobile +33 6 12 34 56 78")
    mail = page.get_by_role("link", name="Écrire un e-mail à helene.dupre@example.fr")
    expect(call).to_be_visible()
    expect(mobile).to_be_visible()
    expect(mail).to_be_visible()
    assert call.get_attribute("href") == "tel:+33142685300"
    assert mobile.get_attribute("href") == "tel:+33612345678"
    assert mail.get_attribute("href") == "mailto:helene.dupre@example.fr"
    page.get_by_role("link", name="Contacts Et Cie").click()
    page.get_by_role("link", name="Hélène Dupré").click()
    expect(page.locator(".record-name")).to_have_text("Hélène Dupré")


def test_delete_asks_for_a_definitive_confirmation(server: Server, page: Any) -> None:
    prospect_id = new_prospect(page, "À Supprimer")
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Supprimer…").click()
    dialog = page.get_by_role("dialog", name="Supprimer le prospect")
    expect(dialog).to_contain_text("définitive")
    dialog.get_by_role("button", name="Annuler").click()
    expect(page.locator(".record-name")).to_have_text("À Supprimer")
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Supprimer…").click()
    page.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.get_by_role("heading", name="Comptes & contacts")).to_be_visible()
    reply = server.api().get(f"{server.base_url}/api/v1/prospects/{prospect_id}")
    assert reply.status_code == 404


def test_clients_cannot_be_created_from_the_portal(server: Server, page: Any) -> None:
    client = server.api().get(f"{server.base_url}/api/v1/clients?limit=1").json()["items"][0]
    page.goto(f"{server.base_url}/#/clients/{client['id']}")
    expect(page.locator(".record-name")).to_have_text(client["name"])
    expect(page.locator(".state")).to_have_text(re.compile(r"^Client"))
    for where in ("#/", f"#/clients/{client['id']}"):
        page.goto(f"{server.base_url}/{where}")
        expect(page.locator("#view")).not_to_contain_text("Nouveau client")
