"""Imports of prospects and contacts: files, mapping, report, duplicates, dry run, error file."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select

from records_svc.db import Database
from records_svc.domain.history_models import HistoryEntry
from records_svc.domain.models import Account, Contact, IndexEvent, Job
from tests.conftest import Api
from tests.imports.helpers import (
    API,
    by_row,
    calls_of,
    csv_bytes,
    outcomes,
    post_import,
    run_import,
    siret,
    xlsx_bytes,
)
from tests.records.test_list_indexes import assert_indexes_true
from tests.records.test_lists import every_page

HEADER = ["Raison sociale", "Nom", "Code postal", "Ville", "Tél.", "E-mail", "SIRET", "Site web"]


def counts(database: Database) -> tuple[int, int, int, int]:
    with database.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Account)) or 0,
            session.scalar(select(func.count()).select_from(Contact)) or 0,
            session.scalar(select(func.count()).select_from(HistoryEntry)) or 0,
            session.scalar(select(func.count()).select_from(IndexEvent)) or 0,
        )


def add_custom_field(admin: Api, entity: str, key: str, label: str, type_: str) -> None:
    reply = admin.post(
        f"{API}/field-definitions",
        json={"entity": entity, "key": key, "label": label, "type": type_},
    )
    assert reply.status_code == 201, reply.json


def lead_rows() -> list[list[Any]]:
    return [
        HEADER,
        ["BOULANGERIE MARTIN SARL", "Boulangerie Martin", "33000", "Bordeaux", "05 56 00 00 00",
         "contact@boulangerie-martin.fr", siret(1), "boulangerie-martin.fr"],
        ["", "Garage Dupont Frères", "69003", "Lyon", "04 72 00 00 00", "", siret(2), ""],
        ["", "Sans SIRET valide", "75001", "Paris", "", "", "12345678901234", ""],
        ["", "", "13001", "Marseille", "", "", "", ""],
        ["", "Garage Dupont (doublon de la ligne 3)", "69003", "Lyon", "", "", siret(2), ""],
        ["", "", "", "", "", "", "", ""],
        ["", "Épicerie Zoé", "59000", "Lille", "", "pas-un-email", "", ""],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ";"), ("utf-8-sig", ";"), ("cp1252", ";"), ("utf-8", ","), ("cp1252", ",")],
)
def test_a_french_lead_list_is_imported_with_a_report_per_row(
    seller: Api, database: Database, encoding: str, delimiter: str
) -> None:
    content = csv_bytes(lead_rows(), delimiter=delimiter, encoding=encoding)
    body = run_import(seller, content)
    assert body["mapping"] == {
        "Raison sociale": "legal_name",
        "Nom": "name",
        "Code postal": "address.postal_code",
        "Ville": "address.city",
        "Tél.": "phone",
        "E-mail": "email",
        "SIRET": "siret",
        "Site web": "website",
    }
    assert outcomes(body) == {
        2: "created",
        3: "created",
        4: "error",
        5: "error",
        6: "duplicate",
        8: "error",
    }  # row 7 is empty: skipped
    assert body["progress"] == {"done": 6, "total": 6}
    assert body["counts"] == {"created": 2, "updated": 0, "duplicate": 1, "error": 3}
    rows = by_row(body)
    assert rows[4]["fields"] == [
        {"field": "siret", "code": "invalid_siret", "message": rows[4]["fields"][0]["message"]}
    ]
    assert rows[4]["message"] == "SIRET : SIRET invalide."
    assert [(f["field"], f["code"]) for f in rows[5]["fields"]] == [("name", "required")]
    assert rows[5]["message"] == "Nom d'appel : obligatoire."
    assert [(f["field"], f["code"]) for f in rows[8]["fields"]] == [("email", "invalid_email")]
    assert "ligne 3" in rows[6]["message"]
    listed = seller.get(f"{API}/prospects?sort=name").json["items"]
    assert [p["name"] for p in listed] == ["Boulangerie Martin", "Garage Dupont Frères"]
    martin = listed[0]
    assert martin["legal_name"] == "BOULANGERIE MARTIN SARL"
    assert martin["phone"] == "+33556000000"
    assert martin["website"] == "https://boulangerie-martin.fr"
    assert martin["address"]["city"] == "Bordeaux"
    assert martin["owner_id"] == seller.user_id
    assert rows[2]["record_id"] == martin["id"]
    history = seller.get(f"{API}/prospects/{martin['id']}/history").json["items"]
    assert [(h["action"], h["user"]["id"]) for h in history] == [("imported", seller.user_id)]
    with database.read() as session:  # the search index follows (outbox)
        events = session.scalars(select(IndexEvent.entity_id).where(IndexEvent.entity == "account"))
        assert {martin["id"], listed[1]["id"]} <= set(events)


def test_the_same_errors_as_the_api_with_the_same_codes(seller: Api) -> None:
    wrong = {"name": "x" * 201, "siret": "12345678901234", "email": "pas-un-email"}
    api = seller.post(f"{API}/prospects", json=wrong)
    assert api.status_code == 422
    content = csv_bytes(
        [["Nom", "SIRET", "E-mail"], [wrong["name"], wrong["siret"], wrong["email"]]]
    )
    row = run_import(seller, content)["report"][0]
    assert row["outcome"] == "error"
    # each field the API names, named by the import with the API's message
    assert {(e["field"], e["message"]) for e in api.json["errors"]} == {
        (e["field"], e["message"]) for e in row["fields"]
    }


def test_existing_records_are_duplicates_by_siret_then_erp_key(
    seller: Api, erp: Api, database: Database
) -> None:
    existing = seller.post(f"{API}/prospects", json={"name": "Martin", "siret": siret(1)}).json
    client = erp.put(f"{API}/sync/clients/C-42", json={"name": "Client Durand"}).json
    before = counts(database)
    content = csv_bytes(
        [
            ["Nom", "SIRET", "Référence ERP"],
            ["Boulangerie Martin", siret(1)[:3] + " " + siret(1)[3:], ""],
            ["Durand SA", "", "C-42"],
            ["Nouveau", "", ""],
        ]
    )
    body = run_import(seller, content)
    assert outcomes(body) == {2: "duplicate", 3: "duplicate", 4: "created"}
    rows = by_row(body)
    assert rows[2]["record_id"] == existing["id"]
    assert "même SIRET" in rows[2]["message"] and "Martin" in rows[2]["message"]
    assert rows[3]["record_id"] == client["id"]
    assert "même référence ERP" in rows[3]["message"]
    after = counts(database)
    assert after[0] == before[0] + 1
    assert seller.get(f"{API}/prospects/{existing['id']}").json["name"] == "Martin"


def test_update_existing_changes_what_the_caller_may_edit_only(
    seller: Api, erp: Api, database: Database
) -> None:
    prospect = seller.post(f"{API}/prospects", json={"name": "Martin", "siret": siret(1)}).json
    client = erp.put(
        f"{API}/sync/clients/C-42", json={"name": "Client Durand", "siret": siret(3)}
    ).json
    content = csv_bytes(
        [
            ["Nom", "SIRET", "Ville"],
            ["Martin", siret(1), "Bordeaux"],
            ["Durand Renommé", siret(3), ""],
        ]
    )
    body = run_import(seller, content, update_existing=True)
    assert outcomes(body) == {2: "updated", 3: "error"}
    assert [(f["field"], f["code"]) for f in by_row(body)[3]["fields"]] == [("name", "read_only")]
    assert seller.get(f"{API}/prospects/{prospect['id']}").json["address"]["city"] == "Bordeaux"
    assert seller.get(f"{API}/clients/{client['id']}").json["name"] == "Client Durand"
    history = seller.get(f"{API}/prospects/{prospect['id']}/history").json["items"]
    assert history[0]["action"] == "imported"
    assert history[0]["changes"] == [{"field": "address.city", "old": None, "new": "Bordeaux"}]


def test_a_dry_run_writes_nothing(seller: Api, erp: Api, database: Database) -> None:
    seller.post(f"{API}/prospects", json={"name": "Martin", "siret": siret(1)})
    before = counts(database)
    body = run_import(seller, csv_bytes(lead_rows()), dry_run=True)
    assert body["dry_run"] is True
    assert body["counts"] == {"created": 1, "updated": 0, "duplicate": 2, "error": 3}
    assert by_row(body)[3]["message"] == "Le prospect sera créé."
    assert counts(database) == before
    updated = run_import(
        seller, csv_bytes([["Nom", "SIRET", "Ville"], ["Martin", siret(1), "Pau"]]),
        dry_run=True, update_existing=True,
    )  # fmt: skip
    assert outcomes(updated) == {2: "updated"}
    assert by_row(updated)[2]["message"] == "La fiche existante sera mise à jour."
    assert counts(database) == before


def test_xlsx_with_typed_cells_and_custom_fields(
    seller: Api, admin: Api, database: Database
) -> None:
    add_custom_field(admin, "prospect", "effectif", "Effectif", "number")
    add_custom_field(admin, "prospect", "premier_rdv", "Premier rendez-vous", "date")
    add_custom_field(admin, "prospect", "client_fidele", "Client fidèle", "boolean")
    from datetime import datetime

    content = xlsx_bytes(
        [
            ["Nom", "CP", "SIRET", "Effectif", "Premier rendez-vous", "Client fidèle"],
            ["Atelier Lumière", 33000, int(siret(5)), 12, datetime(2026, 3, 12), "oui"],
            ["Fromagerie", 69001, None, "douze", "12/03/2026", "non"],
        ]
    )
    body = run_import(seller, content, name="leads.xlsx")
    assert body["mapping"]["Effectif"] == "custom.effectif"
    assert body["mapping"]["CP"] == "address.postal_code"
    assert outcomes(body) == {2: "created", 3: "error"}
    assert [(f["field"], f["code"]) for f in by_row(body)[3]["fields"]] == [
        ("custom.effectif", "not_a_number")
    ]
    created = seller.get(f"{API}/prospects/{by_row(body)[2]['record_id']}").json
    assert created["address"]["postal_code"] == "33000"
    assert created["siret"] == siret(5)
    assert created["custom"] == {
        "effectif": 12,
        "premier_rdv": "2026-03-12",
        "client_fidele": True,
    }


def test_a_csv_decimal_comma_and_a_french_date_in_custom_fields(seller: Api, admin: Api) -> None:
    add_custom_field(admin, "prospect", "ca", "Chiffre d'affaires", "number")
    add_custom_field(admin, "prospect", "visite", "Visite", "date")
    content = csv_bytes(
        [["Nom", "Chiffre d'affaires", "Visite"], ["Atelier", "1 250,5", "03/04/2026"]]
    )
    row = run_import(seller, content)["report"][0]
    created = seller.get(f"{API}/prospects/{row['record_id']}").json
    assert created["custom"] == {"ca": 1250.5, "visite": "2026-04-03"}


def test_the_error_file_holds_the_rejected_rows_to_fix_and_import_again(
    seller: Api, database: Database
) -> None:
    body = run_import(seller, csv_bytes(lead_rows(), encoding="cp1252"), name="salon.csv")
    reply = seller.get(body["links"]["errors"])
    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    assert "salon-erreurs-" in reply.headers["Content-Disposition"]
    assert reply.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(reply.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [*HEADER, "erreur"]
    assert [r[1] for r in rows[1:]] == ["Sans SIRET valide", "", "Épicerie Zoé"]
    assert rows[1][-1] == "SIRET : SIRET invalide."
    fixed = [row[:-1] for row in rows]
    fixed[1][6], fixed[2][1], fixed[3][5] = "", "Sans nom", "zoe@epicerie.fr"
    again = run_import(seller, csv_bytes(fixed))
    assert again["counts"] == {"created": 3, "updated": 0, "duplicate": 0, "error": 0}
    empty = seller.get(again["links"]["errors"])
    assert empty.data.decode("utf-8-sig").splitlines() == [";".join(HEADER) + ";erreur"]


def test_contacts_find_their_account_and_match_by_email(
    seller: Api, erp: Api, database: Database
) -> None:
    prospect = seller.post(f"{API}/prospects", json={"name": "Martin", "siret": siret(1)}).json
    client = erp.put(f"{API}/sync/clients/C-42", json={"name": "Client Durand"}).json
    known = seller.post(
        f"{API}/accounts/{prospect['id']}/contacts",
        json={"last_name": "Martin", "email": "Paul.Martin@example.fr"},
    ).json
    content = csv_bytes(
        [
            ["Civilité", "Prénom", "Nom", "Fonction", "Mobile", "E-mail", "SIRET", "Code client"],
            ["Mme", "Zoé", "Martin", "Gérante", "06 12 34 56 78", "zoe@example.fr", siret(1), ""],
            ["M.", "Paul", "Martin", "", "", "paul.martin@example.fr", siret(1), ""],
            ["", "Léa", "Durand", "Acheteuse", "", "lea@durand.fr", "", "C-42"],
            ["", "Inconnu", "Personne", "", "", "", siret(9), ""],
            ["", "Zoé", "Martin (encore)", "", "", "ZOE@example.fr", siret(1), ""],
            ["Docteur", "", "", "", "", "", siret(1), ""],
        ]
    )
    body = run_import(seller, content, "contacts")
    assert body["mapping"]["SIRET"] == "account.siret"
    assert body["mapping"]["Code client"] == "account.external_ref"
    assert outcomes(body) == {
        2: "created",
        3: "duplicate",
        4: "created",
        5: "error",
        6: "duplicate",
        7: "error",
    }
    rows = by_row(body)
    assert rows[3]["record_id"] == known["id"]
    assert [(f["field"], f["code"]) for f in rows[5]["fields"]] == [("account.siret", "not_found")]
    assert rows[5]["message"] == "Compte (SIRET) : introuvable."
    assert {(f["field"], f["code"]) for f in rows[7]["fields"]} == {
        ("civility", "not_one_of"),
        ("last_name", "required"),
    }
    zoe = seller.get(f"{API}/contacts/{rows[2]['record_id']}").json
    assert (zoe["account_id"], zoe["mobile"], zoe["job_title"]) == (
        prospect["id"],
        "+33612345678",
        "Gérante",
    )
    assert seller.get(f"{API}/contacts/{rows[4]['record_id']}").json["account_id"] == client["id"]


def test_a_bad_id_cell_is_a_row_error_on_id(seller: Api, database: Database) -> None:
    existing = seller.post(f"{API}/prospects", json={"name": "Martin"}).json
    prospects = csv_bytes(
        [
            ["Identifiant", "Nom"],
            ["abc", "Lettres"],
            ["-5", "Négatif"],
            ["1.5", "Décimal"],
            ["0", "Zéro"],
            [str(2**63), "Trop grand"],
            [str(existing["id"]), "Martin (le même)"],
            ["", "Sans identifiant"],
        ]
    )
    body = run_import(seller, prospects, dry_run=True)
    assert body["mapping"]["Identifiant"] == "id"
    assert outcomes(body) == {2: "error", 3: "error", 4: "error", 5: "error", 6: "error", 7: "duplicate", 8: "created"}  # fmt: skip
    rows = by_row(body)
    assert [(f["field"], f["code"]) for f in rows[2]["fields"]] == [("id", "not_a_number")]
    assert rows[2]["message"] == rows[4]["message"] == "Identifiant : nombre invalide."
    assert [(f["field"], f["code"]) for f in rows[3]["fields"]] == [("id", "out_of_range")]
    assert rows[3]["message"] == rows[5]["message"] == "Identifiant : valeur hors limites."
    account = existing["id"]
    contacts = csv_bytes(
        [
            ["Identifiant", "Compte (identifiant)", "Nom"],
            ["abc", str(account), "Lettres"],
            ["", "1.5", "Compte décimal"],
            ["", str(account), "Bon"],
        ]
    )
    body = run_import(seller, contacts, "contacts", dry_run=True)
    assert body["mapping"] == {"Identifiant": "id", "Compte (identifiant)": "account.id", "Nom": "last_name"}  # fmt: skip
    assert outcomes(body) == {2: "error", 3: "error", 4: "created"}
    rows = by_row(body)
    assert [(f["field"], f["code"]) for f in rows[2]["fields"]] == [("id", "not_a_number")]
    assert [(f["field"], f["code"]) for f in rows[3]["fields"]] == [("account.id", "not_a_number")]
    assert rows[3]["message"] == "Compte (identifiant) : nombre invalide."


def test_a_row_without_its_account_names_the_column_mapped(seller: Api) -> None:
    seller.post(f"{API}/prospects", json={"name": "Martin"})
    content = csv_bytes([["Société", "Nom"], ["Martin", "Zoé"], ["", "Paul"]])
    body = run_import(seller, content, "contacts", dry_run=True)
    assert body["mapping"] == {"Société": "account.name", "Nom": "last_name"}
    assert outcomes(body) == {2: "created", 3: "error"}
    row = by_row(body)[3]
    assert [(f["field"], f["code"]) for f in row["fields"]] == [("account.name", "required")]
    assert row["message"] == "Compte (nom) : obligatoire."


def test_without_a_name_column_the_name_is_the_legal_name(seller: Api) -> None:
    existing = seller.post(
        f"{API}/prospects", json={"name": "Martin", "legal_name": "MARTIN SARL", "siret": siret(1)}
    ).json
    content = csv_bytes(
        [
            ["Raison sociale", "Code postal", "Ville", "SIRET"],
            ["BOULANGERIE DUPONT SARL", "33000", "Bordeaux", siret(2)],
            ["", "69003", "Lyon", siret(3)],
            ["MARTIN ET FILS SARL", "33000", "Bordeaux", siret(1)],
        ]
    )
    dry = run_import(seller, content, dry_run=True)
    assert dry["mapping"] == {
        "Raison sociale": "legal_name",
        "Code postal": "address.postal_code",
        "Ville": "address.city",
        "SIRET": "siret",
    }
    assert dry["derived"] == {"name": "legal_name"}
    assert outcomes(dry) == {2: "created", 3: "error", 4: "duplicate"}
    assert by_row(dry)[3]["message"] == "Nom d'appel : obligatoire."
    body = run_import(seller, content, update_existing=True)
    assert outcomes(body) == {2: "created", 3: "error", 4: "updated"}
    created = seller.get(f"{API}/prospects/{by_row(body)[2]['record_id']}").json
    assert (created["name"], created["legal_name"]) == ("BOULANGERIE DUPONT SARL",) * 2
    # an update changes what the file holds: the legal name, not the name it has no column for
    updated = seller.get(f"{API}/prospects/{existing['id']}").json
    assert (updated["name"], updated["legal_name"]) == ("Martin", "MARTIN ET FILS SARL")
    # a name column with an empty cell: the row is refused, as the API refuses it
    named = csv_bytes([["Nom", "Raison sociale"], ["", "GARAGE SARL"], ["Garage", "GARAGE SARL"]])
    body = run_import(seller, named, dry_run=True)
    assert body["derived"] == {}
    assert outcomes(body) == {2: "error", 3: "created"}
    assert [(f["field"], f["code"]) for f in by_row(body)[2]["fields"]] == [("name", "required")]
    # the API itself is unchanged: a prospect needs its name
    reply = seller.post(f"{API}/prospects", json={"legal_name": "GARAGE SARL"})
    assert reply.status_code == 422
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [("name", "required")]


def test_a_match_is_a_duplicate_whose_other_values_are_not_checked(seller: Api) -> None:
    """As docs/imports.md says: the field library checks what is written (a create, an
    update); a duplicate writes nothing (an export imported again is all duplicates)."""
    existing = seller.post(f"{API}/prospects", json={"name": "Martin", "siret": siret(1)}).json
    content = csv_bytes([["Nom", "SIRET", "E-mail"], ["", siret(1), "pas-un-email"]])
    body = run_import(seller, content, dry_run=True)
    assert outcomes(body) == {2: "duplicate"}
    assert by_row(body)[2]["record_id"] == existing["id"]
    body = run_import(seller, content, dry_run=True, update_existing=True)
    assert outcomes(body) == {2: "error"}
    assert [(f["field"], f["code"]) for f in by_row(body)[2]["fields"]] == [
        ("email", "invalid_email")
    ]
    # the request schema comes first, match or not
    too_long = csv_bytes([["Nom", "SIRET"], ["x" * 201, siret(1)]])
    row = by_row(run_import(seller, too_long, dry_run=True))[2]
    assert (row["outcome"], row["fields"][0]["field"]) == ("error", "name")


def test_a_closed_client_is_no_account_for_a_seller(seller: Api, erp: Api) -> None:
    erp.put(f"{API}/sync/clients/C-9", json={"name": "Fermé", "siret": siret(9), "closed": True})
    content = csv_bytes([["Nom", "SIRET"], ["Martin", siret(9)]])
    contacts = run_import(seller, content, "contacts")
    assert outcomes(contacts) == {2: "error"}
    prospects = run_import(seller, csv_bytes([["Nom", "SIRET"], ["Copie", siret(9)]]))
    row = prospects["report"][0]
    assert row["outcome"] == "duplicate"  # one establishment, one record, seen or not…
    assert row["record_id"] is None and "Fermé" not in row["message"]  # …but nothing shown


def test_a_given_mapping_is_checked(seller: Api, database: Database) -> None:
    content = csv_bytes([["Société", "Ville", "Notes"], ["Martin", "Pau", "x"]])
    before = counts(database)
    reply = post_import(seller, content, mapping={"Société": "name", "Notes": "remarques"})
    assert reply.status_code == 422
    assert reply.json["errors"] == [
        {"field": "mapping.Notes", "code": "unknown_field", "message": "'remarques' is not a field"}
    ]
    reply = post_import(seller, content, mapping={"Société": "name", "Absente": "email"})
    assert reply.status_code == 422
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [
        ("mapping.Absente", "invalid")
    ]
    reply = post_import(seller, content, mapping={"Société": "name", "Ville": "name"})
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [
        ("mapping.Ville", "duplicate")
    ]
    no_account = csv_bytes([["Nom", "Ville"], ["Martin", "Pau"]])
    reply = post_import(seller, no_account, "contacts")
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [("mapping", "required")]
    assert counts(database) == before
    body = run_import(seller, content, mapping={"Société": "name", "Notes": None})
    assert body["mapping"] == {"Société": "name"}
    assert outcomes(body) == {2: "created"}


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "vide.csv"), (b"PK\x03\x04garbage", "faux.xlsx"), (b"\x00\x01\x02", "binaire.csv")],
)
def test_an_unreadable_file_is_a_422(seller: Api, content: bytes, name: str) -> None:
    reply = post_import(seller, content, name=name)
    assert reply.status_code == 422
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [("file", "invalid_file")]


def test_the_form_is_checked(seller: Api) -> None:
    reply = seller.post(f"{API}/imports", data={"entity": "prospects"})
    assert reply.status_code == 422
    reply = post_import(seller, b"Nom\r\nMartin\r\n", "accounts")
    assert reply.status_code == 422
    assert reply.json["errors"][0]["field"] == "entity"
    reply = seller.post(
        f"{API}/imports",
        data={"file": (io.BytesIO(b"Nom\r\n"), "a.csv"), "entity": "prospects", "mapping": "["},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 422
    assert reply.json["errors"][0]["field"] == "mapping"


def job_count(database: Database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(Job)) or 0


def test_an_unknown_form_field_is_a_422_and_nothing_is_queued(
    seller: Api, database: Database
) -> None:
    content = csv_bytes([["Nom"], ["Martin"]])
    before = counts(database), job_count(database)
    for extra in ({"dryrun": "true"}, {"dry_run": "true", "update_existing": "false", "x": "1"}):
        data: dict[str, Any] = {"file": (io.BytesIO(content), "a.csv"), "entity": "prospects"}
        reply = seller.post(
            f"{API}/imports", data={**data, **extra}, content_type="multipart/form-data"
        )
        assert reply.status_code == 422, reply.json
        assert reply.content_type == "application/problem+json"
        unknown = sorted(set(extra) - {"dry_run", "update_existing"})
        assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [
            (name, "unknown_field") for name in unknown
        ]
    # a second file part is no field either
    reply = seller.post(
        f"{API}/imports",
        data={
            "file": (io.BytesIO(content), "a.csv"),
            "fichier": (io.BytesIO(content), "b.csv"),
            "entity": "prospects",
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 422, reply.json
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [("fichier", "unknown_field")]
    # nor is a query argument: ?dry_run=true beside the form must not run a real import
    reply = seller.post(
        f"{API}/imports?dry_run=true",
        data={"file": (io.BytesIO(content), "a.csv"), "entity": "prospects"},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 422, reply.json
    assert [e["field"] for e in reply.json["errors"]] == ["dry_run"]
    assert (counts(database), job_count(database)) == before


def test_unknown_query_parameters_of_an_import_and_its_job_are_a_422(seller: Api) -> None:
    body = run_import(seller, csv_bytes([["Nom", "E-mail"], ["Martin", "faux"], ["Dupont", ""]]))
    job = f"{API}/jobs/{body['id']}"
    for path, query in [
        (body["links"]["self"], {"foo": "1"}),
        (body["links"]["self"], {"outcome": "error", "limit": "5", "outcomes": "error"}),
        (body["links"]["errors"], {"foo": "1"}),
        (job, {"foo": "1"}),
        (job, {"limit": "5"}),
        (f"{job}/download", {"foo": "1"}),
    ]:
        reply = seller.get(path, query_string=query)
        assert reply.status_code == 422, (path, query, reply.json)
        assert reply.content_type == "application/problem+json"
        unknown = sorted(
            set(query) - {"outcome", "limit"} if path == body["links"]["self"] else query
        )
        assert sorted(e["field"] for e in reply.json["errors"]) == unknown, (path, query)
    page = seller.get(body["links"]["self"], query_string={"outcome": "error", "limit": 5})
    assert page.status_code == 200 and [r["row"] for r in page.json["report"]] == [2]
    assert seller.get(body["links"]["errors"]).status_code == 200
    assert seller.get(job).status_code == 200


def test_an_import_is_its_starters_own(seller: Api, manager: Api, anonymous: Api) -> None:
    body = run_import(seller, csv_bytes([["Nom"], ["Martin"]]))
    assert anonymous.get(body["links"]["self"]).status_code == 401
    assert post_import(anonymous, b"Nom\r\nMartin\r\n").status_code == 401
    assert manager.get(body["links"]["self"]).status_code == 404
    assert manager.get(body["links"]["errors"]).status_code == 404
    assert seller.get(f"{API}/jobs/{body['id']}").json["result"]["counts"]["created"] == 1


def test_the_report_is_paged_and_filtered(seller: Api) -> None:
    rows = [["Nom", "E-mail"]] + [[f"Prospect {i}", "" if i % 3 else "faux"] for i in range(30)]
    body = run_import(seller, csv_bytes(rows))
    page = seller.get(body["links"]["self"], query_string={"limit": 10}).json
    assert [r["row"] for r in page["report"]] == list(range(2, 12))
    following = seller.get(
        body["links"]["self"], query_string={"limit": 10, "cursor": page["next_cursor"]}
    ).json
    assert following["report"][0]["row"] == 12
    errors = seller.get(body["links"]["self"], query_string={"outcome": "error"}).json
    assert [r["row"] for r in errors["report"]] == [2 + i for i in range(0, 30, 3)]


@pytest.mark.parametrize("checking", ["thread", "process", "process+copy"])
def test_a_crash_loses_the_batch_being_written_only(
    seller: Api, database: Database, monkeypatch: pytest.MonkeyPatch, checking: str
) -> None:
    from records_svc.domain import bulk, imports

    if checking != "thread" and database.engine.dialect.name != "postgresql":
        pytest.skip("the checking process (and COPY) are PostgreSQL's")
    monkeypatch.setattr(imports, "BATCH", 2)
    monkeypatch.setattr(imports, "CHECK_PROCESS_FROM", 1 if checking != "thread" else 10**9)
    if checking == "process+copy":  # the batch's rows written by COPY (from 50 otherwise)
        monkeypatch.setattr(bulk, "COPY_FROM", 1)
    copied = calls_of(monkeypatch, bulk, "copy_new_records")
    forked = calls_of(monkeypatch, imports, "_checked_in_process")
    calls = iter(range(100))
    real = imports.process

    def process_then_crash(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        if next(calls) == 1:  # the second batch, once its rows are in the session
            raise RuntimeError("disk full")
        return found

    monkeypatch.setattr(imports, "process", process_then_crash)
    rows = [["Nom", "SIRET"], *[[f"Prospect {n}", siret(n)] for n in range(5)]]
    reply = post_import(seller, csv_bytes(rows))
    assert reply.status_code == 202
    body = reply.json
    assert body["state"] == "failed"
    assert body["error"] == "L'import s'est arrêté après la ligne 2 : disk full"
    assert body["progress"] == {"done": 2, "total": 5}
    assert outcomes(body) == {2: "created", 3: "created"}
    names = [p["name"] for p in seller.get(f"{API}/prospects?sort=name").json["items"]]
    assert names == ["Prospect 0", "Prospect 1"]
    assert bool(forked) == (checking != "thread") and bool(copied) == (checking == "process+copy")
    monkeypatch.setattr(imports, "process", real)
    again = run_import(seller, csv_bytes(rows))  # the whole file again: the rest comes in
    assert outcomes(again) == {2: "duplicate", 3: "duplicate", 4: "created", 5: "created", 6: "created"}  # fmt: skip


def test_a_rejected_row_does_not_make_its_correction_a_duplicate(seller: Api) -> None:
    existing = seller.post(f"{API}/prospects", json={"name": "Martin", "siret": siret(1)}).json
    content = csv_bytes(
        [
            ["Nom", "SIRET", "E-mail"],
            ["Durand", siret(7), "pas-un-email"],
            ["Durand", siret(7), "contact@durand.fr"],
            ["Durand encore", siret(7), ""],
            ["Martin", siret(1), ""],
        ]
    )
    body = run_import(seller, content)
    assert outcomes(body) == {2: "error", 3: "created", 4: "duplicate", 5: "duplicate"}
    rows = by_row(body)
    assert "ligne 3" in rows[4]["message"]
    assert [(f["field"], f["code"]) for f in rows[5]["fields"]] == [("siret", "duplicate")]
    assert rows[5]["record_id"] == existing["id"]


def test_imported_accounts_are_in_the_lists_indexes(seller: Api, database: Database) -> None:
    """The words (with the sort name) and the department of imported rows: the lists'
    ``q`` by name and ``postal_code`` read them."""
    rows = [["Nom", "Code postal", "Ville"], ["Marin Dauphin", "33500", "Libourne"]]
    rows += [["Marin Abeille", "33000", "Bordeaux"], ["Marin Castor", "69002", "Lyon"]]
    body = run_import(seller, csv_bytes(rows))
    assert body["counts"]["created"] == 3
    assert_indexes_true(database)
    query = {"q": "marin", "sort": "name", "postal_code": "33", "limit": 1}
    listed = every_page(seller, f"{API}/accounts", **query)
    assert [a["name"] for a in listed] == ["Marin Abeille", "Marin Dauphin"]


def test_a_checking_process_that_stops_fails_the_import_after_the_last_batch_written(
    seller: Api, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a large import is checked in a forked process: when it stops, the
    job fails after the last batch written, which stays imported, as after a crash."""
    from records_svc.domain import imports

    if database.engine.dialect.name != "postgresql":
        pytest.skip("the checking process is PostgreSQL's")
    monkeypatch.setattr(imports, "BATCH", 2)
    monkeypatch.setattr(imports, "CHECK_PROCESS_FROM", 1)
    calls = iter(range(100))
    real = imports.prepare

    def check_then_stop(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == 1:  # the second batch, in the forked process
            raise RuntimeError("mémoire épuisée")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "prepare", check_then_stop)
    rows = [["Nom", "SIRET"], *[[f"Prospect {n}", siret(n)] for n in range(5)]]
    body = post_import(seller, csv_bytes(rows)).json
    assert body["state"] == "failed"
    assert body["error"] == "L'import s'est arrêté après la ligne 2 : mémoire épuisée"
    assert outcomes(body) == {2: "created", 3: "created"}
    names = [p["name"] for p in seller.get(f"{API}/prospects?sort=name").json["items"]]
    assert names == ["Prospect 0", "Prospect 1"]


def test_a_refusal_crosses_processes_whole() -> None:
    """The checking process sends its refusals pickled: fields, codes and messages kept."""
    import pickle

    from records_svc.domain.errors import FieldValidationError

    refused = FieldValidationError([{"field": "siret", "code": "invalid", "message": "bad"}])
    back = pickle.loads(pickle.dumps(refused))
    assert type(back) is FieldValidationError
    assert (back.errors, back.detail, back.args) == (refused.errors, refused.detail, refused.args)


@pytest.mark.parametrize("batch", [500, 3])
def test_a_row_created_names_its_likely_duplicates(
    seller: Api, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """As the 201 of ``POST /prospects``: likely duplicates (records, and earlier rows of
    the file) are named beside a created row and do not block it, in a dry run too."""
    from records_svc.domain import imports

    monkeypatch.setattr(imports, "BATCH", batch)
    paris = {"postal_code": "75011", "city": "Paris"}
    existing = seller.post(
        f"{API}/prospects",
        json={"name": "Boulangerie Étoile d'Or", "address": paris, "phone": "01 43 00 00 01"},
    ).json
    content = csv_bytes(
        [
            ["Nom", "Code postal", "Ville", "Tél."],
            ["BOULANGERIE ETOILE D'OR", "75011", "Paris", ""],
            ["Autre nom", "69003", "Lyon", "+33 1 43 00 00 01"],
            ["Crêperie Bigoudène", "29000", "Quimper", ""],
            ["Creperie Bigoudene", "29000", "Quimper", ""],
            ["Boulangerie Martin", "75011", "Paris", ""],
        ]
    )
    named = {"id": existing["id"], "kind": "prospect", "name": "Boulangerie Étoile d'Or"}
    for dry_run in (True, False):
        body = run_import(seller, content, dry_run=dry_run)
        assert set(outcomes(body).values()) == {"created"}
        rows = by_row(body)
        assert rows[2]["possible_duplicates"] == [{**named, "score": 0.8, "reasons": ["name_city"]}]
        assert rows[3]["possible_duplicates"] == [{**named, "score": 0.6, "reasons": ["phone"]}]
        assert rows[4]["possible_duplicates"] is None
        assert rows[6]["possible_duplicates"] is None  # another bakery of the street
        assert rows[2]["message"].endswith(
            f"Doublon possible : « Boulangerie Étoile d'Or » (n° {existing['id']} ; "
            "même nom dans la même commune)."
        )
        if dry_run or batch == 500:  # the row before, in the file (its batch)
            assert rows[5]["possible_duplicates"] == [{"row": 4, "reasons": ["name_city"]}]
            assert rows[5]["message"].endswith(
                "Doublon possible : la ligne 4 (même nom dans la même commune)."
            )
        else:  # the row before was written by its own batch: found as a record
            [found] = rows[5]["possible_duplicates"]
            assert (found["id"], found["reasons"]) == (rows[4]["record_id"], ["name_city"])
        assert body["possible_duplicates"] == 3
        flagged = seller.get(f"{body['links']['self']}?possible_duplicates=true&limit=2").json
        assert [r["row"] for r in flagged["report"]] == [2, 3]
        rest = f"{body['links']['self']}?possible_duplicates=true&cursor={flagged['next_cursor']}"
        assert [r["row"] for r in seller.get(rest).json["report"]] == [5]
        others = seller.get(f"{body['links']['self']}?possible_duplicates=false").json
        assert [r["row"] for r in others["report"]] == [4, 6]
    again = by_row(run_import(seller, content))  # the same file twice: every row is named
    assert all(again[row]["possible_duplicates"] for row in (2, 3, 4, 5, 6))


@pytest.mark.parametrize("batch", [500, 3])
def test_a_contact_created_names_its_likely_duplicates(
    seller: Api, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """As the 201 of a contact's create: the contacts the importer sees with the same
    e-mail (another account's: the same account's is a match), the same number (a mobile
    or a direct line, either column) or the same name in the same account, and the
    earlier rows of the file created with these keys, named beside a created contact
    without blocking it, in a dry run too."""
    from records_svc.domain import imports

    monkeypatch.setattr(imports, "BATCH", batch)
    home = seller.post(f"{API}/prospects", json={"name": "Maison", "siret": siret(1)}).json
    other = seller.post(f"{API}/prospects", json={"name": "Ailleurs", "siret": siret(2)}).json
    durand = seller.post(
        f"{API}/accounts/{other['id']}/contacts",
        json={"first_name": "Jean", "last_name": "Durand", "email": "Jean.Durand@Exemple.fr",
              "mobile": "06 12 34 56 78"},
    ).json  # fmt: skip
    lefevre = seller.post(
        f"{API}/accounts/{home['id']}/contacts",
        json={"first_name": "Hélène", "last_name": "Lefèvre"},
    ).json
    content = csv_bytes(
        [
            ["Prénom", "Nom", "Mobile", "Tél. direct", "E-mail", "SIRET"],
            ["Jean", "Durand", "", "", "JEAN.DURAND@exemple.fr", siret(1)],
            ["Paul", "Petit", "", "06 12 34 56 78", "", siret(1)],
            ["Helene", "LEFEVRE", "", "", "", siret(1)],
            ["Zoé", "Martin", "06 98 76 54 32", "", "zoe@martin.fr", siret(1)],
            ["Zoé", "Martin", "", "+33 6 98 76 54 32", "", siret(2)],
            ["Hélène", "Lefèvre", "", "", "", siret(1)],
            ["Jean", "Durand", "", "", "jean.durand@exemple.fr", siret(2)],
        ]
    )
    named = {"id": durand["id"], "kind": "contact", "name": "Jean Durand"}
    hers = {"id": lefevre["id"], "kind": "contact", "name": "Hélène Lefèvre", "score": 0.7}
    for dry_run in (True, False):
        body = run_import(seller, content, "contacts", dry_run=dry_run)
        assert body["mapping"]["Tél. direct"] == "direct_line"
        assert outcomes(body) == {**dict.fromkeys(range(2, 8), "created"), 8: "duplicate"}
        rows = by_row(body)
        assert rows[2]["possible_duplicates"] == [{**named, "score": 0.9, "reasons": ["email"]}]
        assert rows[2]["message"].endswith(
            f"Doublon possible : « Jean Durand » (n° {durand['id']} ; même e-mail)."
        )
        # his mobile is the row's direct line
        assert rows[3]["possible_duplicates"] == [{**named, "score": 0.8, "reasons": ["mobile"]}]
        assert rows[4]["possible_duplicates"] == [{**hers, "reasons": ["name_account"]}]
        assert rows[4]["message"].endswith(
            "(n° {} ; même nom dans le même compte).".format(lefevre["id"])
        )
        assert rows[5]["possible_duplicates"] is None
        assert rows[8]["possible_duplicates"] is None  # the same account's e-mail: a match
        # the row before (its batch, in either size): its mobile is this row's direct line
        assert rows[6]["possible_duplicates"] == [{"row": 5, "reasons": ["mobile"]}]
        assert rows[6]["message"].endswith("Doublon possible : la ligne 5 (même mobile).")
        if dry_run or batch == 500:  # row 4, in the file (its batch, or remembered)
            assert rows[7]["possible_duplicates"] == [
                {**hers, "reasons": ["name_account"]},
                {"row": 4, "reasons": ["name_account"]},
            ]
            assert rows[7]["message"].endswith(
                f"Doublons possibles : « Hélène Lefèvre » (n° {lefevre['id']} ; même nom dans "
                "le même compte), la ligne 4 (même nom dans le même compte)."
            )
        else:  # row 4 was written by its own batch: found as a record
            found = [(p["id"], p["name"], p["reasons"]) for p in rows[7]["possible_duplicates"]]
            assert found == [
                (lefevre["id"], "Hélène Lefèvre", ["name_account"]),
                (rows[4]["record_id"], "Helene LEFEVRE", ["name_account"]),
            ]
        assert body["possible_duplicates"] == 5
        flagged = seller.get(f"{body['links']['self']}?possible_duplicates=true").json
        assert [r["row"] for r in flagged["report"]] == [2, 3, 4, 6, 7]
        others = seller.get(f"{body['links']['self']}?possible_duplicates=false").json
        assert [r["row"] for r in others["report"]] == [5, 8]


def test_a_row_with_a_city_and_no_postal_code_is_compared_by_its_name_there(
    seller: Api,
) -> None:
    existing = seller.post(
        f"{API}/prospects", json={"name": "Quincaillerie Roux", "address": {"city": "Dijon"}}
    ).json
    content = csv_bytes(
        [["Nom", "Ville"], ["QUINCAILLERIE ROUX", "DIJON"], ["Quincaillerie Roux", "Dijon"]]
    )
    for dry_run in (True, False):
        rows = by_row(run_import(seller, content, dry_run=dry_run))
        assert [(p["id"], p["reasons"]) for p in rows[2]["possible_duplicates"]] == [
            (existing["id"], ["name_city"])
        ]
        assert {"row": 2, "reasons": ["name_city"]} in rows[3]["possible_duplicates"]


@pytest.mark.postgres
def test_many_rows_written_by_copy_keep_their_likely_duplicates(
    seller: Api, database_url: str
) -> None:
    """A batch of 50 rows or more writes its report by COPY (PostgreSQL): a row without
    likely duplicates is NULL there too, as the report's filter reads it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("COPY is PostgreSQL's")
    names = [f"Atelier Numéro {n}" for n in range(30)]
    rows = [["Nom", "Code postal"], *([name, "35000"] for name in names + names)]
    body = run_import(seller, csv_bytes(rows))
    link = body["links"]["self"]
    flagged = seller.get(f"{link}?possible_duplicates=true&limit=100").json["report"]
    others = seller.get(f"{link}?possible_duplicates=false&limit=100").json["report"]
    assert [r["row"] for r in others] == list(range(2, 32))
    assert [r["row"] for r in flagged] == list(range(32, 62))
    assert all(
        r["possible_duplicates"] == [{"row": r["row"] - 30, "reasons": ["name_city"]}]
        for r in flagged
    )
    assert body["possible_duplicates"] == 30
