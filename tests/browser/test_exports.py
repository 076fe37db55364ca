"""Exporter une liste (CSV, Excel) with its filters, and *Ajouter au téléphone* on a
contact's fiche, on a phone (390 px) and on a desk."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
import vobject
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.checks import Size, check_screen
from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def open_list(page: Any, name: str) -> None:
    """A list of *Ma journée* (in the Menu on a phone)."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("link", name="Ma journée").click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def downloaded(page: Any, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    path = info.value.path()
    assert path is not None
    return info.value.suggested_filename, Path(path).read_bytes()


def test_export_my_accounts_with_the_filters_of_the_screen(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    api = server.api()
    prefix = "9873" if size.phone else "9874"
    for name, code in (("Zinc du Lagon", f"{prefix}0"), ("Atelier du Récif", f"{prefix}5")):
        body = {"name": f"{name} {size.name}", "address": {"postal_code": code, "city": "Papeete"}}
        assert api.post(f"{server.base_url}/api/v1/prospects", json=body).status_code == 201
    open_list(page, "Mes comptes")
    page.get_by_label("Département ou code postal").fill(prefix)
    page.get_by_label("Tri").select_option("-name")
    cards = page.get_by_role("list", name="Mes comptes").locator(".card-title")
    expect(cards).to_have_count(2)
    expect(page.get_by_role("group", name="Exporter la liste")).to_be_visible()
    check_screen(page, size, "Mes comptes, Exporter")

    name, body = downloaded(page, "Exporter en CSV")
    assert re.fullmatch(r"comptes-\d{4}-\d{2}-\d{2}\.csv", name)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [r["Nom d'appel"] for r in rows] == [
        f"Zinc du Lagon {size.name}",
        f"Atelier du Récif {size.name}",
    ], "the screen's filter and sort"

    name, body = downloaded(page, "Exporter en Excel")
    assert name.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(body))
    try:
        values = [[c.value for c in row] for row in workbook.active.iter_rows()]
    finally:
        workbook.close()
    column = values[0].index("Nom d'appel")
    assert [row[column] for row in values[1:]] == [
        f"Zinc du Lagon {size.name}",
        f"Atelier du Récif {size.name}",
    ]


def test_add_a_contact_to_the_phone_and_export_my_contacts(
    server: Server, sized_page: Any, size: Size
) -> None:
    page = sized_page
    api = server.api()
    base = f"{server.base_url}/api/v1"
    prospect = api.post(
        f"{base}/prospects",
        json={"name": f"Fleurs d'Été {size.name}", "address": {"city": "Nîmes"}},
    ).json()
    contact = api.post(
        f"{base}/accounts/{prospect['id']}/contacts",
        json={
            "first_name": "Léa",
            "last_name": f"Français-Øster {size.name}",
            "mobile": "06 12 34 56 78",
            "email": "lea@fleurs.fr",
        },
    ).json()
    page.goto(f"{server.base_url}/#/contacts/{contact['id']}")
    expect(page.locator(".record-name")).to_have_text(f"Léa Français-Øster {size.name}")
    check_screen(page, size, "fiche contact, Ajouter au téléphone")
    name, body = downloaded(page, "Ajouter au téléphone")
    assert name == f"contact-{contact['id']}.vcf"
    card = vobject.readOne(body.decode("utf-8"))
    assert card.fn.value == f"Léa Français-Øster {size.name}"
    assert card.org.value == [f"Fleurs d'Été {size.name}"]
    assert card.tel.value == "+33612345678"

    open_list(page, "Mes contacts")
    page.get_by_label("Recherche").fill(f"Français {size.name}")
    expect(page.get_by_role("list", name="Mes contacts").locator(".card-title")).to_have_count(1)
    check_screen(page, size, "Mes contacts, Exporter")
    name, body = downloaded(page, "Ajouter au téléphone (vCard)")
    assert re.fullmatch(r"contacts-\d{4}-\d{2}-\d{2}\.vcf", name)
    assert [c.fn.value for c in vobject.readComponents(body.decode("utf-8"))] == [
        f"Léa Français-Øster {size.name}"
    ]
    name, body = downloaded(page, "Exporter en CSV")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [(r["Prénom"], r["Nom d'appel"]) for r in rows] == [("Léa", f"Fleurs d'Été {size.name}")]
