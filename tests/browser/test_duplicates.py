"""Duplicates in the portal: the prospect form warns while it is filled, *Fusionner* on a
prospect's or a contact's fiche merges it into another (phone and desktop)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from records_svc.domain.numbers import luhn_complete
from tests.browser.checks import Size, check_screen
from tests.browser.conftest import JUNIOR, JUNIOR_PASSWORD, Server, sign_in
from tests.sirene.fake_provider import DINUM_SIREN, DINUM_SIRET

pytestmark = pytest.mark.browser
API = "/api/v1"


def arrange(server: Server, **fields: Any) -> dict[str, Any]:
    """A prospect made through the API (not through the screen under test)."""
    reply = server.api().post(f"{server.base_url}{API}/prospects", json=fields, timeout=10)
    assert reply.status_code == 201, reply.text
    return reply.json()  # type: ignore[no-any-return]


def test_the_prospect_form_warns_of_likely_duplicates(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    twin = arrange(
        server,
        name=f"Boulangerie Durandal {size.name}",
        address={"postal_code": "33000", "city": "Bordeaux"},
    )
    annex_siret = luhn_complete(f"{DINUM_SIREN}{9000 + len(size.name):04d}")
    annex = arrange(server, name=f"Annexe du numérique {size.name}", siret=annex_siret)

    page.goto(f"{server.base_url}/#/prospects/nouveau")
    page.get_by_label("Nom d'appel").fill(f"{size.name.upper()} durandal, boulangerie")
    warning = page.locator(".duplicate-warning")
    expect(warning).to_be_hidden()  # a name alone says nothing yet
    page.get_by_role("tab", name="Coordonnées").click()
    page.get_by_label("Code postal").fill("33000")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Doublon possible")
    link = warning.get_by_role("link", name=re.compile(f"Boulangerie Durandal {size.name}"))
    expect(link).to_have_attribute("href", f"#/prospects/{twin['id']}")
    expect(warning).to_contain_text("nom proche dans la même commune")
    check_screen(page, size, "nouveau prospect, doublon possible")

    # *détecter* fills the form from SIRENE: the company's other establishment shows up
    page.get_by_role("tab", name="Marketing").click()
    page.get_by_label("SIREN/SIRET").fill(DINUM_SIRET)
    page.get_by_role("button", name="détecter").click()
    expect(page.locator(".fiche-alert")).to_contain_text("SIRET trouvé dans SIRENE")
    annex_link = warning.get_by_role("link", name=re.compile(f"Annexe du numérique {size.name}"))
    expect(annex_link).to_have_attribute("href", f"#/prospects/{annex['id']}")
    expect(warning).to_contain_text("même SIREN")
    check_screen(page, size, "nouveau prospect après détecter, doublon possible")


def test_a_used_siret_is_refused_with_a_link_to_its_fiche(server: Server, page: Any) -> None:
    siret = luhn_complete(f"{DINUM_SIREN}8888")
    holder = arrange(server, name="Établissement déjà saisi", siret=siret)
    page.goto(f"{server.base_url}/#/prospects/nouveau")
    page.get_by_label("Nom d'appel").fill("Saisi deux fois")
    page.get_by_role("tab", name="Marketing").click()
    page.get_by_label("SIREN/SIRET").fill(siret)
    page.get_by_role("button", name="Créer le prospect").click()
    expect(page.locator(".save-message")).to_contain_text("SIRET : déjà celui d'une autre fiche")
    warning = page.locator(".duplicate-warning")
    expect(warning).to_contain_text("Ce SIRET est déjà celui d'une fiche")
    link = warning.get_by_role("link", name=re.compile("Établissement déjà saisi"))
    expect(link).to_have_attribute("href", f"#/prospects/{holder['id']}")


def test_merge_a_prospect_into_another(server: Server, sized_page: Any, size: Size) -> None:
    page = sized_page
    api, base = server.api(), f"{server.base_url}{API}"
    target = arrange(
        server,
        name=f"Maison Gardée {size.name}",
        address={"postal_code": "69001", "city": "Lyon"},
    )
    source = arrange(
        server,
        name=f"Maison Fusionnée {size.name}",
        phone="04 72 00 00 42",
        address={"postal_code": "69001", "city": "Lyon", "line1": "3 rue Longue"},
    )
    contact = api.post(
        f"{base}/accounts/{source['id']}/contacts", json={"last_name": "Passe-Muraille"}
    ).json()

    page.goto(f"{server.base_url}/#/prospects/{source['id']}")
    expect(page.locator(".record-name")).to_have_text(source["name"])
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Fusionner…").click()
    dialog = page.get_by_role("dialog", name=f"Fusionner « {source['name']} »")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Fiche à garder").fill(f"maison gardee {size.name}")
    choice = dialog.get_by_role("button", name=re.compile(f"Maison Gardée {size.name}"))
    choice.click()
    phone = dialog.locator("fieldset", has_text="Téléphone")
    expect(phone).to_be_visible()
    # the kept fiche has no phone: this one's is offered, already chosen
    expect(phone.get_by_role("radio", name=re.compile("Cette fiche"))).to_be_checked()
    dialog.locator("fieldset", has_text="Nom d'appel").get_by_role(
        "radio", name=re.compile("Fiche gardée")
    ).check()
    check_screen(page, size, "fusion, choix des champs")
    dialog.get_by_role("button", name="Fusionner définitivement").click()

    expect(page).to_have_url(re.compile(f"#/prospects/{target['id']}$"))
    expect(page.locator(".record-name")).to_have_text(target["name"])
    page.get_by_role("tab", name="Historique").click()
    expect(page.locator(".history-merged")).to_contain_text(
        f"a fusionné dans cette fiche « {source['name']} »"
    )
    assert api.get(f"{base}/prospects/{source['id']}").status_code == 404
    kept = api.get(f"{base}/prospects/{target['id']}").json()
    assert kept["phone"] == "+33472000042"
    assert kept["name"] == target["name"]
    moved = api.get(f"{base}/contacts/{contact['id']}").json()
    assert moved["account_id"] == target["id"]
    history = api.get(f"{base}/prospects/{target['id']}/history").json()["items"]
    assert history[0]["action"] == "merged"


def test_merge_a_contact_into_another_after_a_conflict(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    api, base = server.api(), f"{server.base_url}{API}"
    home = arrange(server, name=f"Maison des Contacts {size.name}")
    person = {"first_name": "Jeanne", "last_name": f"Doublon-{size.name}"}
    target = api.post(
        f"{base}/accounts/{home['id']}/contacts",
        json={**person, "email": f"jeanne.{size.name}@example.fr"},
    ).json()
    source = api.post(
        f"{base}/accounts/{home['id']}/contacts",
        json={**person, "mobile": "06 11 22 33 44", "job_title": "Gérante"},
    ).json()
    action = api.post(
        f"{base}/contacts/{source['id']}/actions", json={"type": "call", "subject": "Rappel"}
    )
    assert action.status_code == 201, action.text
    name = f"Jeanne {person['last_name']}"

    page.goto(f"{server.base_url}/#/contacts/{source['id']}")
    expect(page.locator(".record-name")).to_have_text(name)
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Fusionner…").click()
    dialog = page.get_by_role("dialog", name=f"Fusionner « {name} »")
    expect(dialog).to_be_visible()
    # the likely duplicate is offered before anything is typed, with its reason
    offered = dialog.get_by_role("button", name=re.compile(f"^{name} — .*même nom"))
    expect(offered).to_have_count(1)
    check_screen(page, size, "fusion de contacts, choix du contact")
    offered.click()
    mobile = dialog.locator("fieldset", has_text="Mobile")
    expect(mobile.get_by_role("radio", name=re.compile("Ce contact"))).to_be_checked()
    email = dialog.locator("fieldset", has_text="E-mail")
    expect(email.get_by_role("radio", name=re.compile("Contact gardé"))).to_be_checked()
    job = dialog.locator("fieldset", has_text="Fonction")
    expect(job.get_by_role("radio", name=re.compile("Ce contact"))).to_be_checked()
    job.get_by_role("radio", name=re.compile("Contact gardé")).check()
    check_screen(page, size, "fusion de contacts, choix des champs")

    # someone changes the kept contact meanwhile: the merge is refused, said in French
    changed = api.patch(
        f"{base}/contacts/{target['id']}",
        json={"direct_line": "01 40 00 00 07"},
        headers={"If-Match": f'"{target["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    dialog.get_by_role("button", name="Fusionner définitivement").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "L'un des deux contacts a été modifié entre-temps : rechargez-les, "
        "puis fusionnez de nouveau."
    )
    assert api.get(f"{base}/contacts/{source['id']}").status_code == 200
    dialog.get_by_role("button", name="Recharger").click()
    line = dialog.locator("fieldset", has_text="Ligne directe")
    expect(line.get_by_role("radio", name=re.compile("Contact gardé"))).to_be_checked()
    # the choices made before the reload stay
    expect(job.get_by_role("radio", name=re.compile("Contact gardé"))).to_be_checked()
    check_screen(page, size, "fusion de contacts, rechargée")
    dialog.get_by_role("button", name="Fusionner définitivement").click()

    expect(page).to_have_url(re.compile(f"#/contacts/{target['id']}$"))
    expect(page.locator(".record-name")).to_have_text(name)
    assert api.get(f"{base}/contacts/{source['id']}").status_code == 404
    kept = api.get(f"{base}/contacts/{target['id']}").json()
    assert kept["mobile"] == "+33611223344"
    assert kept["email"] == f"jeanne.{size.name}@example.fr"
    assert kept["job_title"] is None  # the kept contact's (empty) value, as chosen
    assert kept["direct_line"] == "+33140000007"
    moved = api.get(f"{base}/actions/{action.json()['id']}").json()
    assert moved["target"]["id"] == target["id"]
    history = api.get(f"{base}/contacts/{target['id']}/history").json()["items"]
    assert history[0]["action"] == "merged"


def test_no_merge_offered_without_the_right(server: Server, page: Any) -> None:
    api, base = server.api(), f"{server.base_url}{API}"
    home = arrange(server, name="Maison Sans Fusion")
    contact = api.post(
        f"{base}/accounts/{home['id']}/contacts", json={"last_name": "Sans-Droit"}
    ).json()
    page.goto(f"{server.base_url}/#/contacts/{contact['id']}")
    page.get_by_role("button", name="Actions").click()
    expect(page.get_by_role("menuitem", name="Fusionner…")).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(page, JUNIOR, JUNIOR_PASSWORD)
    # Merging two contacts asks no right (as deleting one); merging accounts asks merge_accounts.
    page.goto(f"{server.base_url}/#/contacts/{contact['id']}")
    page.get_by_role("button", name="Actions").click()
    expect(page.get_by_role("menuitem", name="Fusionner…")).to_be_visible()
    page.keyboard.press("Escape")
    page.goto(f"{server.base_url}/#/prospects/{home['id']}")
    page.get_by_role("button", name="Actions").click()
    expect(page.get_by_role("menuitem", name="Éditer…")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Fusionner…")).to_have_count(0)
