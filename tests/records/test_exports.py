"""Exports of the lists (CSV as French Excel opens it, XLSX, vCard) and a contact's vCard.

Each test runs on both databases. Files are read back with real parsers: the csv
module (BOM, ``;``), openpyxl and vobject.
"""

from __future__ import annotations

import csv
import io
import re
import tracemalloc
from datetime import UTC, date, datetime
from typing import Any

import pytest
import vobject
from openpyxl import load_workbook
from sqlalchemy import insert

from records_svc.db import Database
from records_svc.domain import contacts as contacts_domain
from records_svc.domain import exports
from records_svc.domain import fields as fields_domain
from records_svc.domain.models import Account
from tests.conftest import Api
from tests.records.test_lists import add_client, add_prospect, address, every_page

API = "/api/v1"
TODAY = r"\d{4}-\d{2}-\d{2}"


def add_contact(database: Database, account_id: int, **data: Any) -> int:
    with database.unit_of_work() as uow:
        return contacts_domain.create_contact(uow, account_id, data).id


def read_csv(reply: Any) -> list[list[str]]:
    """The rows of a CSV export, checking what French Excel needs: BOM, ``;``, CRLF."""
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = reply.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
    text = body.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", ""), "CRLF line ends"
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


def read_xlsx(reply: Any) -> list[tuple[Any, ...]]:
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(reply.get_data()))
    try:
        return [tuple(cell.value for cell in row) for row in workbook.active.iter_rows()]
    finally:
        workbook.close()


@pytest.fixture
def directory(database: Database, seller: Api, manager: Api) -> dict[str, int]:
    """Accounts of two owners (accents, a custom field), a closed client, contacts."""
    me, other = seller.user_id, manager.user_id
    with database.unit_of_work() as uow:
        fields_domain.add_custom_field(
            uow.session, entity="prospect", key="salon", label="Salon d'origine", type="text"
        )
        fields_domain.add_custom_field(
            uow.session, entity="prospect", key="effectif", label="Effectif", type="number"
        )
        fields_domain.add_custom_field(
            uow.session, entity="contact", key="vip", label="Client VIP", type="boolean"
        )
    ids = {
        "bordeaux": add_prospect(
            database,
            me,
            "Élan Bordelais",
            siret="55212022200013",
            phone="05 56 00 00 01",
            custom={"salon": "Salon de l'Agriculture; Paris", "effectif": 12.5},
            **address("Bordeaux", "33000"),
        ),
        "begles": add_prospect(database, me, "atelier de Bègles", **address("BÈGLES", "33130")),
        "paris": add_prospect(database, other, "Zinc Parisien", **address("Paris", "75011")),
        "lyon": add_client(database, "C1", "Brasserie Lyonnaise", **address("Lyon", "69002")),
        "closed": add_client(database, "C2", "Ancien Client", closed=True, **address("Lyon")),
    }
    ids["zoe"] = add_contact(
        database,
        ids["bordeaux"],
        civility="Mme",
        first_name="Zoé",
        last_name="L'Hôte-Dupré",
        job_title='Directrice achats, export; "grands comptes"',
        mobile="06 12 34 56 78",
        direct_line="+44 20 7946 0958",
        email="zoe@elan-bordelais.fr",
        custom={"vip": True},
    )
    ids["paul"] = add_contact(database, ids["paris"], first_name="Paul", last_name="Zola")
    ids["hidden"] = add_contact(database, ids["closed"], first_name="Henri", last_name="Caché")
    return ids


# --- CSV ------------------------------------------------------------------------------------


def test_accounts_csv_is_what_french_excel_opens_with_the_field_librarys_labels(
    seller: Api, directory: dict[str, int]
) -> None:
    reply = seller.get(f"{API}/accounts/export", query_string={"sort": "name"})
    disposition = reply.headers["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="comptes-{TODAY}\.csv"', disposition)
    rows = read_csv(reply)
    header = rows[0]
    library = seller.get(f"{API}/field-definitions", query_string={"entity": "prospect"}).json
    labels = [d["label"] for d in library["items"]]
    assert header[0] == "id"
    assert header[2 : 2 + len(labels)] == labels, "the library's labels, in its order"
    assert {"Nom d'appel", "Code postal", "SIRET", "Salon d'origine", "Effectif"} <= set(header)
    listed = every_page(seller, f"{API}/accounts", sort="name")
    exported = as_dicts(rows)
    assert [int(r["id"]) for r in exported] == [a["id"] for a in listed]
    assert "Ancien Client" not in [r["Nom d'appel"] for r in exported], "closed: not for a seller"
    elan = next(r for r in exported if r["Nom d'appel"] == "Élan Bordelais")
    assert elan["Type"] == "Prospect" and elan["Statut"] == "Brouillon"
    assert elan["SIRET"] == "552 120 222 00013"
    assert elan["Téléphone"] == "05 56 00 00 01"
    assert elan["Salon d'origine"] == "Salon de l'Agriculture; Paris"
    assert elan["Effectif"] == "12,5", "a decimal comma"
    assert elan["Ville"] == "Bordeaux" and elan["Code postal"] == "33000"
    assert elan["Propriétaire"] == "alice"
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", elan["Modifié le"])


def test_closed_clients_are_exported_for_who_may_see_them(
    seller: Api, manager: Api, directory: dict[str, int]
) -> None:
    def names(api: Api, **query: str) -> list[str]:
        return [
            r["Nom d'appel"]
            for r in as_dicts(read_csv(api.get(f"{API}/clients/export", query_string=query)))
        ]

    assert names(manager, sort="name") == ["Ancien Client", "Brasserie Lyonnaise"]
    assert names(seller, sort="name") == ["Brasserie Lyonnaise"]
    assert names(seller, closed="true") == []
    closed = next(
        r
        for r in as_dicts(read_csv(manager.get(f"{API}/clients/export")))
        if r["Nom d'appel"] == "Ancien Client"
    )
    assert closed["Fermé"] == "oui" and closed["Référence ERP"] == "C2"


@pytest.mark.parametrize(
    "query",
    [
        {"owner": "me", "sort": "-name"},
        {"postal_code": "33", "sort": "city"},
        {"city": "begles"},
        {"q": "zinc"},
        {"kind": "client", "sort": "-updated_at"},
        {"custom.salon": "Salon de l'Agriculture; Paris"},
    ],
)
def test_an_export_has_the_rows_of_its_list_in_its_order(
    seller: Api, directory: dict[str, int], query: dict[str, str]
) -> None:
    listed = [a["id"] for a in every_page(seller, f"{API}/accounts", **query)]
    exported = as_dicts(read_csv(seller.get(f"{API}/accounts/export", query_string=query)))
    assert [int(r["id"]) for r in exported] == listed
    assert listed, "the filter keeps something"


def test_prospects_export_and_its_file_name(seller: Api, directory: dict[str, int]) -> None:
    reply = seller.get(f"{API}/prospects/export", query_string={"sort": "name"})
    assert re.search(rf'filename="prospects-{TODAY}\.csv"', reply.headers["Content-Disposition"])
    assert [r["Nom d'appel"] for r in as_dicts(read_csv(reply))] == [
        "atelier de Bègles",
        "Élan Bordelais",
        "Zinc Parisien",
    ]


def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted(
    database: Database, seller: Api
) -> None:
    me = seller.user_id
    for name in ('=HYPERLINK("http://x";"y")', "+33 cadeau", "-2+3", "@SUM(A1)", "Sûr"):
        add_prospect(database, me, name)
    contact = add_contact(
        database, add_prospect(database, me, "Hôte"), last_name="=1+1", job_title="@dir"
    )
    exported = as_dicts(read_csv(seller.get(f"{API}/accounts/export", query_string={"sort": "id"})))
    assert [r["Nom d'appel"] for r in exported] == [
        '\'=HYPERLINK("http://x";"y")',
        "'+33 cadeau",
        "'-2+3",
        "'@SUM(A1)",
        "Sûr",
        "Hôte",
    ]
    people = as_dicts(read_csv(seller.get(f"{API}/contacts/export")))
    assert [(r["id"], r["Nom"], r["Fonction"]) for r in people] == [
        (str(contact), "'=1+1", "'@dir")
    ]
    # in a workbook the text stays text, never a formula
    workbook = load_workbook(
        io.BytesIO(seller.get(f"{API}/accounts/export?format=xlsx&sort=id").get_data())
    )
    try:
        names = [row[2] for row in workbook.active.iter_rows(min_row=2)]
        assert [c.value for c in names][:4] == [
            '=HYPERLINK("http://x";"y")',
            "+33 cadeau",
            "-2+3",
            "@SUM(A1)",
        ]
        assert {c.data_type for c in names} == {"s"}
    finally:
        workbook.close()


# --- XLSX -----------------------------------------------------------------------------------


def test_accounts_xlsx_has_typed_cells(seller: Api, directory: dict[str, int]) -> None:
    reply = seller.get(f"{API}/accounts/export", query_string={"format": "xlsx", "sort": "name"})
    assert re.search(rf'filename="comptes-{TODAY}\.xlsx"', reply.headers["Content-Disposition"])
    header, *rows = read_xlsx(reply)
    assert header[:3] == ("id", "Type", "Nom d'appel")
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["Nom d'appel"] for r in records] == [
        "atelier de Bègles",
        "Brasserie Lyonnaise",
        "Élan Bordelais",
        "Zinc Parisien",
    ]
    elan = records[2]
    assert elan["id"] == directory["bordeaux"]
    assert elan["Effectif"] == 12.5
    assert elan["Code postal"] == "33000", "text: the leading digits are kept"
    assert elan["SIRET"] == "552 120 222 00013"
    assert elan["Salon d'origine"] == "Salon de l'Agriculture; Paris"
    assert isinstance(elan["Modifié le"], datetime)
    assert records[1]["Fermé"] is False and elan["Fermé"] is None


# --- contacts -------------------------------------------------------------------------------


def test_contacts_export_carries_their_accounts_and_hides_closed_ones(
    seller: Api, manager: Api, directory: dict[str, int]
) -> None:
    reply = seller.get(f"{API}/contacts/export", query_string={"sort": "name"})
    assert re.search(rf'filename="contacts-{TODAY}\.csv"', reply.headers["Content-Disposition"])
    rows = read_csv(reply)
    library = seller.get(f"{API}/field-definitions", query_string={"entity": "contact"}).json
    assert rows[0][1 : 1 + len(library["items"])] == [d["label"] for d in library["items"]]
    people = as_dicts(rows)
    assert [r["Nom"] for r in people] == ["L'Hôte-Dupré", "Zola"], "no contact of a closed client"
    zoe = people[0]
    assert zoe["Prénom"] == "Zoé" and zoe["Civilité"] == "Mme"
    assert zoe["Fonction"] == 'Directrice achats, export; "grands comptes"'
    assert zoe["Mobile"] == "06 12 34 56 78"
    assert zoe["Ligne directe"] == "00 44 20 7946 0958", "abroad: no leading + for Excel"
    assert zoe["Client VIP"] == "oui"
    assert zoe["account_id"] == str(directory["bordeaux"])
    assert zoe["Nom d'appel"] == "Élan Bordelais" and zoe["SIRET"] == "552 120 222 00013"
    every = as_dicts(read_csv(manager.get(f"{API}/contacts/export", query_string={"sort": "name"})))
    assert [r["Nom"] for r in every] == ["Caché", "L'Hôte-Dupré", "Zola"]
    mine = as_dicts(read_csv(seller.get(f"{API}/contacts/export?owner=me&postal_code=33")))
    assert [r["Nom"] for r in mine] == ["L'Hôte-Dupré"]
    workbook = read_xlsx(seller.get(f"{API}/contacts/export?format=xlsx&sort=name"))
    assert [row[workbook[0].index("Nom")] for row in workbook[1:]] == ["L'Hôte-Dupré", "Zola"]
    assert workbook[1][workbook[0].index("Client VIP")] is True


def test_a_vcard_file_of_the_contacts_of_a_list(seller: Api, directory: dict[str, int]) -> None:
    reply = seller.get(f"{API}/contacts/export", query_string={"format": "vcard", "sort": "name"})
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/vcard; charset=utf-8"
    assert re.search(rf'filename="contacts-{TODAY}\.vcf"', reply.headers["Content-Disposition"])
    cards = list(vobject.readComponents(reply.get_data(as_text=True)))
    assert [card.fn.value for card in cards] == ["Zoé L'Hôte-Dupré", "Paul Zola"]
    assert all(card.version.value == "4.0" for card in cards)


def test_a_contacts_vcard_for_a_phone(seller: Api, manager: Api, directory: dict[str, int]) -> None:
    reply = seller.get(f"{API}/contacts/{directory['zoe']}/vcard")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/vcard; charset=utf-8"
    disposition = reply.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="contact-{directory["zoe"]}.vcf"'
    text = reply.get_data(as_text=True)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n")), "folded at 75 octets"
    card = vobject.readOne(text)
    assert card.version.value == "4.0"
    assert card.fn.value == "Zoé L'Hôte-Dupré"
    assert (card.n.value.family, card.n.value.given, card.n.value.prefix) == (
        "L'Hôte-Dupré",
        "Zoé",
        "Mme",
    )
    assert card.org.value == ["Élan Bordelais"]
    assert card.title.value == 'Directrice achats, export; "grands comptes"'
    assert card.email.value == "zoe@elan-bordelais.fr"
    phones = {tuple(tel.params["TYPE"]): tel.value for tel in card.tel_list}
    assert phones == {("work", "voice"): "+442079460958", ("cell", "voice"): "+33612345678"}
    assert (card.adr.value.city, card.adr.value.code) == ("Bordeaux", "33000")
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", card.uid.value)
    assert re.fullmatch(r"\d{8}T\d{6}Z", card.rev.value)
    again = vobject.readOne(
        seller.get(f"{API}/contacts/{directory['zoe']}/vcard").get_data(as_text=True)
    )
    assert again.uid.value == card.uid.value, "the same contact, the same UID"
    other = vobject.readOne(
        seller.get(f"{API}/contacts/{directory['paul']}/vcard").get_data(as_text=True)
    )
    assert other.uid.value != card.uid.value
    assert not hasattr(other, "tel") and not hasattr(other, "note")
    assert seller.get(f"{API}/contacts/{directory['hidden']}/vcard").status_code == 404
    assert manager.get(f"{API}/contacts/{directory['hidden']}/vcard").status_code == 200


def test_a_contacts_files_take_no_query_argument(seller: Api, directory: dict[str, int]) -> None:
    """A misspelt argument is a 422 naming it, as on the lists (never ignored)."""
    for path in (
        f"{API}/contacts/{directory['zoe']}/vcard",
        f"{API}/contacts/{directory['zoe']}/export",
    ):
        reply = seller.get(path, query_string={"format": "vcard"})
        assert reply.status_code == 422, (path, reply.json)
        assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [
            ("format", "unknown_filter")
        ]
        assert seller.get(path).status_code == 200


def test_a_vcard_escapes_special_characters_and_notes_an_objection(
    database: Database, seller: Api
) -> None:
    account = add_prospect(
        database,
        seller.user_id,
        "Dupont; Fils, & Cie \\ Lyon",
        **{"address": {"line1": "3, rue de la Paix", "line2": "Bât. B; 2e", "city": "Paris"}},
    )
    person = add_contact(
        database,
        account,
        first_name="Jean-François",
        last_name='D\'Artagnan, dit "le Gascon"',
        job_title="Chef; export\\import",
        do_not_contact=True,
    )
    card = vobject.readOne(seller.get(f"{API}/contacts/{person}/vcard").get_data(as_text=True))
    assert card.n.value.family == 'D\'Artagnan, dit "le Gascon"'
    assert card.fn.value == 'Jean-François D\'Artagnan, dit "le Gascon"'
    assert card.org.value == ["Dupont; Fils, & Cie \\ Lyon"]
    assert card.title.value == "Chef; export\\import"
    assert card.adr.value.street == "3, rue de la Paix\nBât. B; 2e"
    assert "RGPD" in card.note.value


# --- what is refused ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field", "code"),
    [
        ("accounts", {"colour": "red"}, "colour", "unknown_filter"),
        ("accounts", {"limit": "10"}, "limit", "unknown_filter"),
        ("contacts", {"cursor": "abc"}, "cursor", "unknown_filter"),
        ("accounts", {"sort": "siret"}, "sort", "unknown_sort"),
        ("contacts", {"sort": "-colour"}, "sort", "unknown_sort"),
        ("accounts", {"custom.colour": "red"}, "custom.colour", "unknown_filter"),
        ("accounts", {"format": "pdf"}, "format", "not_one_of"),
        ("accounts", {"format": "vcard"}, "format", "not_one_of"),
        ("clients", {"format": "xls"}, "format", "not_one_of"),
        ("contacts", {"format": "json"}, "format", "not_one_of"),
    ],
)
def test_an_unknown_filter_sort_or_format_is_a_422_naming_it(
    seller: Api, directory: dict[str, int], path: str, query: dict[str, str], field: str, code: str
) -> None:
    reply = seller.get(f"{API}/{path}/export", query_string=query)
    assert reply.status_code == 422, reply.get_data(as_text=True)
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [(field, code)]
    assert all(e["message"] for e in reply.json["errors"])


def test_an_export_needs_a_token(anonymous: Api, directory: dict[str, int]) -> None:
    for path in ("accounts/export", "contacts/export", f"contacts/{directory['zoe']}/vcard"):
        assert anonymous.get(f"{API}/{path}").status_code == 401


# --- constant memory ------------------------------------------------------------------------


def bulk_prospects(database: Database, owner: int | None, count: int, postal_code: str) -> None:
    """``count`` prospects written straight to the table (what is measured is the export)."""
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "prospect",
            "name": f"Entreprise {postal_code} {n:06d} — Sàrl",
            "legal_name": f"ENTREPRISE {n:06d} SARL",
            "siret": "55212022200013",
            "address_line1": f"{n} rue de la République",
            "postal_code": postal_code,
            "city": "Bordeaux",
            "phone": "+33556000001",
            "email": f"contact{n}@entreprise.fr",
            "status": "draft",
            "closed": False,
            "owner_id": owner,
            "custom": {},
            "sort_name": f"entreprise {postal_code} {n:06d} sarl",
            "sort_city": "bordeaux",
            "search_text": f"entreprise {n:06d}",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    with database.engine.begin() as conn:
        conn.execute(insert(Account), rows)


def exported_peak(api: Api, query: str) -> tuple[int, int]:
    """(bytes of the file, peak Python memory while it was made and read in chunks)."""
    tracemalloc.start()
    try:
        reply = api.get(f"{API}/accounts/export?{query}", buffered=False)
        assert reply.status_code == 200
        size = 0
        for chunk in reply.response:
            size += len(chunk)
        reply.close()
        return size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_takes_the_same_memory_for_10_times_the_rows(
    database: Database, seller: Api, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH", 100)  # the same property on fewer rows
    small = 400
    bulk_prospects(database, seller.user_id, small, "33000")
    bulk_prospects(database, seller.user_id, 10 * small, "69000")
    exported_peak(seller, f"format={fmt}&postal_code=33&sort=name")  # warm-up: caches, imports
    size_small, peak_small = exported_peak(seller, f"format={fmt}&postal_code=33&sort=name")
    size_large, peak_large = exported_peak(seller, f"format={fmt}&postal_code=69&sort=name")
    assert size_large > 8 * size_small, "ten times the rows, about ten times the file"
    assert peak_large < 2 * peak_small, (
        f"peak memory {peak_small} B for {small} rows, {peak_large} B for {10 * small}"
    )


def test_dates_in_the_file_name_are_french_days() -> None:
    assert exports.file_name("comptes", "csv", date(2026, 12, 1)) == "comptes-2026-12-01.csv"
