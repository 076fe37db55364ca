"""Importer: a lead file read in a simulation (columns mapped, rows reported), the mapping
changed, then imported with a progress bar and the rejected rows to download; on a phone
(390 px, touch) and on a desk."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.checks import Size, answer_late, check_screen
from tests.browser.conftest import Server
from tests.imports.helpers import csv_bytes, siret

pytestmark = pytest.mark.browser


def open_importer(page: Any) -> None:
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("link", name="Importer").click()


def test_import_a_lead_file_after_a_simulation(server: Server, sized_page: Any, size: Size) -> None:
    page = sized_page
    n = 300 + len(size.name)
    api = server.api()
    known = api.post(
        f"{server.base_url}/api/v1/prospects",
        json={"name": f"Fromagerie Alpine {size.name}", "address": {"postal_code": "74000"}},
    ).json()
    leads = csv_bytes(
        [
            ["Société", "CP", "Ville", "SIRET", "Remarque"],
            [f"Verrerie du Lac {size.name}", "74000", "Annecy", siret(n), "salon"],
            [f"Scierie des Aravis {size.name}", "74220", "La Clusaz", "123", ""],
            [f"Verrerie bis {size.name}", "74000", "Annecy", siret(n), ""],
            [f"FROMAGERIE ALPINE {size.name}", "74000", "Annecy", "", ""],
        ],
        encoding="cp1252",
    )
    looks_known = f"Fromagerie Alpine {size.name} (n° {known['id']})"
    open_importer(page)
    expect(
        page.get_by_role("heading", name="Importer des prospects ou des contacts")
    ).to_be_visible()
    check_screen(page, size, "importer")
    page.get_by_label("Type de fiches").select_option("prospects")
    page.get_by_label("Fichier CSV ou Excel (.xlsx)").set_input_files(
        {"name": "salon.csv", "mimeType": "text/csv", "buffer": leads}
    )
    page.get_by_role("button", name="Lire le fichier").click()
    expect(page.get_by_role("heading", name="Correspondance des colonnes")).to_be_visible()
    expect(page.get_by_label("Colonne « Société »")).to_have_value("name")
    expect(page.get_by_label("Colonne « CP »")).to_have_value("address.postal_code")
    expect(page.get_by_label("Colonne « Remarque »")).to_have_value("")
    counts = page.get_by_role("list", name="Bilan")
    expect(counts).to_contain_text("2 à créer")
    expect(counts).to_contain_text("1 doublons")
    expect(counts).to_contain_text("1 refusées")
    report = page.get_by_role("list", name="Lignes à regarder")
    expect(report).to_contain_text("Ligne 3 SIRET : SIRET invalide.")
    # created anyway, but named beside the record it looks like, with a link to it
    expect(page.get_by_text("1 ligne ressemble à une fiche existante")).to_be_visible()
    expect(report.get_by_role("link", name=looks_known)).to_be_visible()
    check_screen(page, size, "importer, simulation")

    page.get_by_label("Colonne « Ville »").select_option("")  # the city is left out
    held: list[Any] = []

    def hold_simulation(route: Any) -> None:
        if route.request.method == "POST" and not held:
            held.append(route)  # the simulation asked again answers late
        else:
            route.continue_()

    page.route("**/api/v1/imports", hold_simulation)
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/imports")):
        page.get_by_role("button", name="Relancer la simulation").click()
    run = page.get_by_role("button", name="Importer", exact=True)
    expect(run).to_be_disabled()  # no import from a mapping still being simulated
    assert held, "the simulation was not asked again"
    answer_late(page, held[0])
    expect(page.get_by_label("Colonne « Ville »")).to_have_value("")
    run.click()
    # a job the portal follows (polled): on a loaded machine it takes more than 5 s
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("list", name="Bilan")).to_contain_text("2 créées")
    download = page.get_by_role("link", name="Télécharger les lignes refusées")
    expect(download).to_have_attribute(
        "href", __import__("re").compile(r"/api/v1/imports/.+/errors$")
    )
    check_screen(page, size, "importer, terminé")
    found = api.get(
        f"{server.base_url}/api/v1/prospects", params={"q": f"Verrerie du Lac {size.name}"}
    ).json()["items"]
    assert [(p["name"], p["address"]["city"]) for p in found] == [
        (f"Verrerie du Lac {size.name}", None)
    ]
    errors = api.get(f"{server.base_url}{download.get_attribute('href')}")
    assert errors.status_code == 200
    assert "SIRET : SIRET invalide." in errors.content.decode("utf-8-sig")
    page.get_by_role("list", name="Lignes à regarder").get_by_role("link", name=looks_known).click()
    expect(page.locator(".record-name")).to_have_text(f"Fromagerie Alpine {size.name}")
