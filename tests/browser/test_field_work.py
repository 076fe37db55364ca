"""A salesperson in the field: nothing typed is lost, focus and titles, one SIREN/SIRET
input, saves of only what changed, and the portal side of read-only ERP fields."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.checks import Size, answer_late, settled
from tests.browser.conftest import (
    JUNIOR,
    JUNIOR_PASSWORD,
    Server,
    drop_file,
    free_siret,
    new_prospect,
    sign_in,
)
from tests.sirene.fake_provider import DINUM_SIREN, DINUM_SIRET, MASKED_SIRET

pytestmark = pytest.mark.browser


def nav_to_opportunities(page: Any) -> None:
    """The navigation link, through the Menu button on a phone."""
    link = page.get_by_role("link", name="Opportunités")
    if not link.is_visible():
        page.get_by_role("button", name="Menu").click()
    link.click()


def test_unsaved_changes_are_guarded_on_links_and_back(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    prospect_id = new_prospect(page, f"Garde {size.name}")
    page.get_by_role("tab", name="Coordonnées").click()
    page.get_by_label("Ville").fill("Annecy")

    nav_to_opportunities(page)
    dialog = page.get_by_role("dialog", name="Modifications non enregistrées")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Annuler")).to_be_focused()
    dialog.get_by_role("button", name="Annuler").click()
    expect(page.get_by_label("Ville")).to_have_value("Annecy")
    assert page.url.endswith(f"#/prospects/{prospect_id}")

    page.go_back()  # Back: the same question, the form stays while the user decides
    expect(dialog).to_be_visible()
    assert page.url.endswith(f"#/prospects/{prospect_id}")
    dialog.get_by_role("button", name="Annuler").click()
    expect(page.get_by_label("Ville")).to_have_value("Annecy")

    nav_to_opportunities(page)
    dialog.get_by_role("button", name="Quitter sans enregistrer").click()
    expect(page.get_by_role("heading", name="Opportunités", exact=True)).to_be_visible()
    page.go_back()
    page.get_by_role("tab", name="Coordonnées").click()
    expect(page.get_by_label("Ville")).to_have_value("")  # left without saving: gone
    expect(page.locator(".draft-notice")).to_have_count(0)


def test_leaving_the_page_with_changes_asks_the_browser(server: Server, page: Any) -> None:
    new_prospect(page, "Fermeture Onglet")
    page.get_by_label("Raison sociale").fill("PAS ENREGISTRÉ")
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.type), d.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    assert not page.is_closed()  # the user chose to stay


def test_a_draft_survives_a_reload_and_goes_once_saved(server: Server, page: Any) -> None:
    prospect_id = new_prospect(page, "Brouillon Rechargé")
    page.get_by_label("Raison sociale").fill("SAISI AVANT RECHARGEMENT")
    page.on("dialog", lambda d: d.accept())  # "leave the page?" — yes
    page.reload()
    expect(page.locator(".draft-notice")).to_contain_text("Brouillon restauré")
    expect(page.get_by_label("Raison sociale")).to_have_value("SAISI AVANT RECHARGEMENT")
    page.get_by_role("button", name="Sauvegarder").click()
    expect(page.locator(".save-bar")).to_be_hidden()
    stored = server.api().get(f"{server.base_url}/api/v1/prospects/{prospect_id}").json()
    assert stored["legal_name"] == "SAISI AVANT RECHARGEMENT"
    page.reload()
    expect(page.locator(".record-name")).to_have_text("Brouillon Rechargé")
    expect(page.locator(".draft-notice")).to_have_count(0)


def test_focus_titles_and_back_to_the_search(server: Server, sized_page: Any) -> None:
    page = sized_page
    box = page.get_by_role("combobox")
    expect(box).to_be_focused()  # after sign-in, ready to type
    assert page.title() == "Comptes & contacts — Carnet"
    # its own prospect: the shared server holds many whose names begin alike (other tests')
    prospect = (
        server.api()
        .post(
            f"{server.base_url}/api/v1/prospects",
            json={"name": f"Zéphyrine Outillage {sized_page.viewport_size['width']}"},
            timeout=10,
        )
        .json()
    )
    box.press_sequentially(prospect["name"][:12], delay=40)
    option = page.locator(f"[role=option][data-kind=prospect][data-id='{prospect['id']}']")
    expect(option).to_be_visible()
    option.click()
    heading = page.locator(".record-name")
    expect(heading).to_have_text(prospect["name"])
    expect(heading).to_be_focused()
    expect(page).to_have_title(re.compile(rf"^{re.escape(prospect['name'])} — Prospect"))
    page.go_back()
    expect(box).to_have_value(prospect["name"][:12])  # the search as it was
    expect(box).to_be_focused()
    expect(page.locator(f"[role=option][data-id='{prospect['id']}']")).to_be_visible()
    box.fill("")
    expect(page.get_by_role("heading", name="Fiches récentes")).to_be_visible()
    expect(page.locator(".recent a").first).to_have_text(prospect["name"])


def test_back_to_the_portfolio_keeps_its_filters(page: Any) -> None:
    nav_to_opportunities(page)
    stage = page.get_by_label("Étape")
    stage.select_option(label="Négociation")
    row = page.locator(".portfolio tbody tr").first
    expect(row).to_contain_text("Négociation")
    row.locator("a[href^='#/opportunites/']").click()
    expect(page.locator(".record-name")).to_be_focused()
    expect(page).to_have_title(re.compile(r" — Opportunité — Carnet$"))
    page.go_back()
    expect(stage).to_have_value("negotiation")
    expect(page.locator(".portfolio tbody tr").first).to_contain_text("Négociation")


def test_a_late_first_page_never_replaces_the_filtered_portfolio(page: Any) -> None:
    held: list[Any] = []

    def hold_unfiltered(route: Any) -> None:
        if "stage=" not in route.request.url and not held:
            held.append(route)  # answered only after the filtered page is shown
        else:
            route.continue_()

    page.route("**/api/v1/opportunities?*", hold_unfiltered)
    nav_to_opportunities(page)
    page.get_by_label("Étape").select_option(label="Négociation")
    rows = page.locator(".portfolio tbody tr")
    expect(rows.first).to_contain_text("Négociation")
    shown = rows.all_inner_texts()
    assert held, "the portfolio's first page was not asked for"
    answer_late(page, held[0])
    assert rows.all_inner_texts() == shown  # it changed nothing


def test_a_late_month_never_replaces_the_month_shown(page: Any) -> None:
    held: list[Any] = []

    def hold_this_month(route: Any) -> None:
        if not held:
            held.append(route)  # answered only after the next month is shown
        else:
            route.continue_()

    page.route("**/api/v1/opportunities/signature-calendar?*", hold_this_month)
    nav_to_opportunities(page)
    calendar = page.locator(".signature-calendar")
    with page.expect_response("**/api/v1/opportunities/signature-calendar?*") as next_month:
        calendar.get_by_role("button", name="Mois suivant ›").click()
    next_month.value.finished()
    settled(page)
    assert held, "this month's signatures were not asked for"
    title = calendar.locator("#calendar-title").inner_text()
    dates = "(ds) => ds.map((d) => d.dataset.date)"
    busy = calendar.locator(".calendar-day.busy").evaluate_all(dates)
    assert busy, "the demo data signs next month"  # else the check below could not fail
    answer_late(page, held[0])
    assert calendar.locator("#calendar-title").inner_text() == title
    assert calendar.locator(".calendar-day.busy").evaluate_all(dates) == busy


def test_escape_clears_the_box_the_count_and_the_list(page: Any) -> None:
    box = page.get_by_role("combobox")
    box.press_sequentially("bou", delay=60)
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    box.press("Escape")  # closes the list
    expect(listbox).to_be_hidden()
    box.press("Escape")  # clears the box
    expect(box).to_have_value("")
    expect(page.locator(".search-status")).to_have_text("")
    box.press("ArrowDown")
    expect(listbox).to_be_hidden()


def test_see_all_results_pages_with_next_cursor(server: Server, page: Any) -> None:
    # The paged search API (limit, next_cursor, total) is answered here by the test:
    # this server's search returns one page.
    def hit(i: int) -> dict[str, Any]:
        label = f"Boulangerie {i:02d}"
        return {
            "kind": "prospect", "id": 900000 + i, "label": label, "sublabel": "Lyon",
            "badges": [], "link": f"/api/v1/prospects/{900000 + i}", "highlight": [[0, 3]],
        }  # fmt: skip

    def answer(route: Any) -> None:
        url = route.request.url
        if "cursor=page2" in url:
            body = {"items": [hit(i) for i in range(50, 53)], "next_cursor": None, "total": 53}
        elif "limit=50" in url:
            body = {"items": [hit(i) for i in range(50)], "next_cursor": "page2", "total": 53}
        else:
            body = {"items": [hit(i) for i in range(10)], "next_cursor": "x", "total": 53}
        body["total_is_lower_bound"] = False
        route.fulfill(json=body)

    page.route("**/api/v1/search?*", answer)
    box = page.get_by_role("combobox")
    box.press_sequentially("bou", delay=40)
    more = page.get_by_role("option", name="Voir tous les résultats (53)")
    expect(more).to_be_visible()
    expect(page.locator(".search-status")).to_have_text("10 premiers résultats sur 53")
    for _ in range(11):
        box.press("ArrowDown")
    expect(more).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Résultats pour « bou »")).to_be_visible()
    expect(page).to_have_title("Résultats pour « bou » — Carnet")
    items = page.locator(".results-list li")
    expect(items).to_have_count(50)
    page.get_by_role("button", name="Afficher plus de résultats").click()
    expect(items).to_have_count(53)
    expect(page.get_by_role("button", name="Afficher plus de résultats")).to_be_hidden()


def test_without_total_the_list_still_offers_the_rest(page: Any) -> None:
    def answer(route: Any) -> None:  # an API that pages but does not count
        items = [
            {"kind": "client", "id": 800000 + i, "label": f"Bouchon {i}", "sublabel": "",
             "badges": [], "link": "", "highlight": []}
            for i in range(10)
        ]  # fmt: skip
        route.fulfill(json={"items": items, "next_cursor": "more"})

    page.route("**/api/v1/search?*", answer)
    page.get_by_role("combobox").press_sequentially("bou", delay=40)
    expect(page.get_by_role("option", name="Voir tous les résultats", exact=True)).to_be_visible()


def test_detect_a_then_b_never_mixes_two_companies(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    prospect_id = new_prospect(page, f"Salon Professionnel {size.name}")
    page.get_by_role("tab", name="Coordonnées").click()
    page.get_by_label("Complément d'adresse").fill("Bâtiment B")
    page.get_by_label("Pays").fill("Belgique")
    page.get_by_role("tab", name="Marketing").click()
    number = page.get_by_label("SIREN/SIRET")
    number.fill(DINUM_SIRET)
    page.get_by_role("button", name="détecter").click()
    alert = page.locator(".fiche-alert")
    expect(alert).to_contain_text("SIRET trouvé dans SIRENE")
    page.get_by_role("tab", name="Coordonnées").click()  # the address is written whole
    expect(page.get_by_label("Complément d'adresse")).to_have_value("")
    expect(page.get_by_label("Pays")).to_have_value("")
    page.get_by_role("tab", name="Identification").click()
    expect(page.get_by_label("Nom d'appel")).to_have_value(re.compile("NUMERIQUE"))

    page.get_by_role("tab", name="Marketing").click()
    number.fill(MASKED_SIRET)  # a sole trader: name and street not public
    page.get_by_role("button", name="détecter").click()
    expect(alert).to_contain_text("Nom d'appel vidé")
    expect(alert).to_contain_text("Adresse vidé")
    page.get_by_role("tab", name="Identification").click()
    expect(page.get_by_label("Nom d'appel")).to_have_value("")
    page.get_by_role("tab", name="Coordonnées").click()
    expect(page.get_by_label("Adresse", exact=True)).to_have_value("")
    expect(page.get_by_label("Ville")).to_have_value("VALLAURIS")

    page.get_by_role("tab", name="Identification").click()
    page.get_by_label("Nom d'appel").fill("Artisan de Vallauris")
    free_siret(server, MASKED_SIRET)  # saved by the run at the other size too
    page.get_by_role("button", name="Sauvegarder").click()
    expect(page.locator(".save-bar")).to_be_hidden()
    stored = server.api().get(f"{server.base_url}/api/v1/prospects/{prospect_id}").json()
    assert stored["name"] == "Artisan de Vallauris"
    assert stored["siret"] == MASKED_SIRET and stored["siren"] == MASKED_SIRET[:9]
    assert stored["address"]["city"] == "VALLAURIS"
    assert "SEGUR" not in (stored["address"]["line1"] or "")


def test_a_siren_in_the_one_input_is_stored_as_the_siren(server: Server, page: Any) -> None:
    prospect_id = new_prospect(page, "Numéro Court")
    page.get_by_role("tab", name="Marketing").click()
    page.get_by_label("SIREN/SIRET").fill(DINUM_SIREN)
    page.get_by_role("button", name="Sauvegarder").click()
    expect(page.locator(".save-bar")).to_be_hidden()
    stored = server.api().get(f"{server.base_url}/api/v1/prospects/{prospect_id}").json()
    assert (stored["siren"], stored["siret"]) == (DINUM_SIREN, None)


def test_saving_after_a_custom_field_was_removed(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    api = server.api()
    base = f"{server.base_url}/api/v1"
    key = f"salon_{size.name}"
    field = api.post(
        f"{base}/field-definitions",
        json={"entity": "prospect", "key": key, "label": "Salon", "type": "text"},
    )
    field.raise_for_status()
    prospect = api.post(f"{base}/prospects", json={"name": "Champ Supprimé"}).json()
    api.patch(
        f"{base}/prospects/{prospect['id']}",
        json={"custom": {key: "Lyon"}},
        headers={"If-Match": f'"{prospect["version"]}"'},
    ).raise_for_status()
    api.delete(f"{base}/field-definitions/{field.json()['id']}").raise_for_status()

    page.goto(f"{server.base_url}/#/prospects/{prospect['id']}")
    page.get_by_role("tab", name="Coordonnées").click()
    page.get_by_label("Ville").fill("Grenoble")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if r.method == "PATCH" else None)
    page.get_by_role("button", name="Sauvegarder").click()
    expect(page.locator(".save-bar")).to_be_hidden()
    assert sent == ['{"address":{"city":"Grenoble"}}']  # only what changed
    stored = api.get(f"{base}/prospects/{prospect['id']}").json()
    assert stored["address"]["city"] == "Grenoble"


def test_enter_with_nothing_changed_saves_nothing(page: Any) -> None:
    new_prospect(page, "Rien Changé")
    patches: list[str] = []
    page.on("request", lambda r: patches.append(r.url) if r.method == "PATCH" else None)
    page.get_by_label("Raison sociale").press("Enter")
    page.wait_for_timeout(300)
    assert patches == []
    expect(page.locator(".toast").last).to_have_text("Rien à enregistrer : aucune modification.")


def test_a_client_s_erp_fields_are_read_only_without_erp_sync(server: Server, page: Any) -> None:
    api = server.api()
    base = f"{server.base_url}/api/v1"
    client_id = api.get(f"{base}/clients?limit=1&closed=false").json()["items"][0]["id"]
    field = api.post(
        f"{base}/field-definitions",
        json={"entity": "client", "key": "code_tournee", "label": "Code tournée", "type": "text"},
    )
    field.raise_for_status()
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(page, JUNIOR, JUNIOR_PASSWORD)
    page.goto(f"{server.base_url}/#/clients/{client_id}")
    name = page.get_by_label("Nom d'appel")
    expect(name).to_have_attribute("readonly", "")
    expect(page.get_by_text("Géré par l'ERP : non modifiable ici.").first).to_be_visible()
    page.get_by_role("tab", name="Coordonnées").click()
    expect(page.get_by_label("Ville")).to_have_attribute("readonly", "")
    page.get_by_role("button", name="Actions").click()
    expect(page.get_by_role("menuitem", name="Éditer…")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Supprimer…")).to_have_count(0)
    page.keyboard.press("Escape")
    # Custom fields stay editable, and a save sends only them.
    page.get_by_role("tab", name="Informations").click()
    page.get_by_label("Code tournée").fill("T42")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if r.method == "PATCH" else None)
    page.get_by_role("button", name="Sauvegarder").click()
    expect(page.locator(".save-bar")).to_be_hidden()
    assert sent == ['{"custom":{"code_tournee":"T42"}}']
    # Signing out ended every session of that user, the API client's too: a new one.
    fresh = server.api()
    assert fresh.get(f"{base}/clients/{client_id}").json()["custom"]["code_tournee"] == "T42"
    fresh.delete(f"{base}/field-definitions/{field.json()['id']}").raise_for_status()


def test_a_read_only_refusal_is_french_under_the_field(server: Server, page: Any) -> None:
    # The 422 of a read-only field (code "read_only") as the records API answers it
    # for a user without erp_sync; answered here by the test.
    client = server.api().get(f"{server.base_url}/api/v1/clients?limit=1&closed=false").json()
    page.goto(f"{server.base_url}/#/clients/{client['items'][0]['id']}")
    page.route(
        "**/api/v1/clients/*",
        lambda route: (
            route.fulfill(
                status=422,
                content_type="application/problem+json",
                json={
                    "title": "Unprocessable Entity",
                    "status": 422,
                    "errors": [{"field": "name", "code": "read_only", "message": "read-only"}],
                },
            )
            if route.request.method == "PATCH"
            else route.continue_()
        ),
    )
    page.get_by_label("Nom d'appel").fill("Renommé Ici")
    page.get_by_role("button", name="Sauvegarder").click()
    error = page.locator(".field-error:visible")
    expect(error).to_have_text("non modifiable ici : ce champ vient de l'ERP")
    expect(page.get_by_label("Nom d'appel")).to_have_attribute("aria-invalid", "true")


def test_a_throttled_sign_in_says_when_to_retry(page: Any) -> None:
    # Sign-in throttling (429 + Retry-After) answered here by the test.
    page.route(
        "**/api/v1/auth/session",
        lambda route: (
            route.fulfill(
                status=429,
                headers={"Retry-After": "120"},
                content_type="application/problem+json",
                json={"title": "Too Many Requests", "status": 429},
            )
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.get_by_role("button", name="Se déconnecter").click()
    dialog = page.get_by_role("dialog", name="Connexion")
    dialog.get_by_label("Identifiant").fill("camille")
    dialog.get_by_label("Mot de passe").fill("essai")
    dialog.get_by_role("button", name="Se connecter").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        re.compile(r"^Trop de tentatives : réessayez dans 2 minutes \(vers \d\d:\d\d\)\.$")
    )


def test_a_missing_fiche_says_it_does_not_exist(server: Server, page: Any) -> None:
    page.goto(f"{server.base_url}/#/clients/987654321")
    expect(page.get_by_role("heading", name="Introuvable")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Cette fiche n'existe pas (ou plus).")
    expect(page).to_have_title("Page introuvable — Carnet")


def test_every_post_carries_an_idempotency_key_kept_on_a_retry(server: Server, page: Any) -> None:
    keys: list[str] = []
    drops = [3]  # the network loses the next three requests

    def flaky_network(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key", ""))
        if drops[0]:
            drops[0] -= 1
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/prospects", flaky_network)
    page.get_by_role("link", name="Nouveau prospect").click()
    page.get_by_label("Nom d'appel").fill("Idempotence Réseau")
    create = page.get_by_role("button", name="Créer le prospect")
    create.click()  # sent twice (the page retries once by itself), no answer
    expect(page.locator(".save-message")).to_contain_text("injoignable")
    create.click()  # the user tries again: the same action, the same key
    expect(page.locator(".record-name")).to_have_text("Idempotence Réseau")
    assert len(keys) == 4 and len(set(keys)) == 1, keys
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(uuid4, keys[0])
    found = server.api().get(f"{server.base_url}/api/v1/search?q=Idempotence").json()
    assert [hit["label"] for hit in found["items"]] == ["Idempotence Réseau"]

    first_key = keys[0]
    keys.clear()
    page.goto(f"{server.base_url}/#/")
    new_prospect(page, "Idempotence Deux")  # another action: another key
    assert len(keys) == 1 and re.fullmatch(uuid4, keys[0]) and keys[0] != first_key


def test_fiche_actions_and_documents_have_their_plus_buttons(page: Any) -> None:
    new_prospect(page, "Boutons Plus")
    page.get_by_role("tab", name="Activités").click()
    page.get_by_role("button", name="Ajouter une action").click()
    page.get_by_label("Objet").fill("Appeler demain")
    page.get_by_label("Échéance").fill("2030-03-02T09:00")
    page.get_by_role("button", name="Ajouter l'action").click()
    expect(page.locator(".timeline")).to_contain_text("Appeler demain")
    page.get_by_role("button", name="Ajouter une action").click()
    page.get_by_label("Objet").fill("Rendez-vous plus tôt")
    page.get_by_label("Échéance").fill("2030-01-10T09:00")
    page.get_by_role("button", name="Ajouter l'action").click()
    # by date, the newest first, whatever the order they were written in
    expect(page.locator(".timeline strong")).to_have_text(
        ["Appeler demain", "Rendez-vous plus tôt"]
    )
    page.get_by_role("tab", name="Documents").click()
    expect(page.get_by_role("button", name="Ajouter un document")).to_be_visible()
    expect(page.locator(".dropzone")).to_contain_text("25 Mo au plus")


def test_a_file_over_the_limit_is_refused_before_sending(page: Any) -> None:
    # The server's limit as /portal/config.json gives it, made tiny for the test.
    page.route(
        "**/portal/config.json",
        lambda route: route.fulfill(json={"sirene": False, "max_upload_bytes": 10}),
    )
    page.reload()
    new_prospect(page, "Fichier Trop Gros")
    page.get_by_role("tab", name="Documents").click()
    expect(page.locator(".dropzone")).to_contain_text("10 o au plus")
    uploads: list[str] = []
    page.on(
        "request",
        lambda r: uploads.append(r.url) if "/documents" in r.url and r.method == "POST" else None,
    )
    drop_file(page, ".dropzone", "gros.txt", "plus de dix octets")
    expect(page.locator(".dropzone + [role=status]")).to_have_text(
        "« gros.txt » : trop volumineux, 10 o au plus par fichier. Rien n'a été envoyé."
    )
    assert uploads == []


def test_opportunity_tabs_follow_the_arrow_keys(page: Any) -> None:
    nav_to_opportunities(page)
    page.locator(".portfolio tbody a[href^='#/opportunites/']").first.click()
    contacts = page.get_by_role("tab", name="Contacts")
    contacts.focus()
    page.keyboard.press("ArrowRight")
    activities = page.get_by_role("tab", name="Activités")
    expect(activities).to_be_focused()
    expect(activities).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("heading", name="Ajouter une action")).to_be_visible()
    page.keyboard.press("Home")
    expect(contacts).to_have_attribute("aria-selected", "true")


def test_call_and_write_are_one_tap_away(server: Server, sized_page: Any, size: Size) -> None:
    page = sized_page
    api = server.api()
    base = f"{server.base_url}/api/v1"
    prospect = api.post(
        f"{base}/prospects", json={"name": "Standard Joignable", "phone": "04 72 00 00 00"}
    ).json()
    contact = api.post(
        f"{base}/accounts/{prospect['id']}/contacts",
        json={
            "last_name": "Mobile",
            "first_name": "Marie",
            "direct_line": "01 42 68 53 00",
            "mobile": "06 12 34 56 78",
            "email": "marie.mobile@example.fr",
        },
    ).json()
    links = {
        f"#/contacts/{contact['id']}": {
            "tel:+33142685300": "Appeler la ligne directe +33 1 42 68 53 00",
            "tel:+33612345678": "Appeler le mobile +33 6 12 34 56 78",
            "mailto:marie.mobile@example.fr": "Écrire un e-mail à marie.mobile@example.fr",
        },
        f"#/prospects/{prospect['id']}": {
            "tel:+33472000000": "Appeler le standard +33 4 72 00 00 00",
        },
    }
    for where, expected in links.items():
        page.goto(f"{server.base_url}/{where}")
        for href, name in expected.items():
            link = page.get_by_role("link", name=name)
            expect(link).to_be_visible()  # no hover, no tap on the header first
            assert link.get_attribute("href") == href
            box = link.bounding_box()
            assert box and box["y"] + box["height"] <= size.height, (name, box)  # first screen
            assert box["height"] >= 44 or not size.phone, (name, box)
