"""An export read back: every row of an exported list is a duplicate of its record.

The export writes CSV as French Excel opens it (UTF-8 with a BOM, ``;``), with an ``id``
column, the field library's French labels as headers (custom fields by their labels),
SIRETs spaced in groups, phones as dialled in France and a formula guard (a leading ')
on cells a spreadsheet would run. The file below is built the same way from the API.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.imports.helpers import API, csv_bytes, outcomes, run_import, siret


def spaced(number: str | None) -> str:
    if not number:
        return ""
    return " ".join([number[0:3], number[3:6], number[6:9], number[9:]]).strip()


def dialled(phone: str | None) -> str:
    if not phone:
        return ""
    digits = "0" + phone.removeprefix("+33")
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def guarded(text: Any) -> str:
    value = "" if text is None else str(text)
    return "'" + value if value.startswith(("=", "+", "-", "@")) else value


def library(api: Api, entity: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"{API}/field-definitions?entity={entity}").json["items"]
    return items


def value(record: dict[str, Any], definition: dict[str, Any]) -> str:
    key = definition["key"]
    if not definition["standard"]:
        raw = record["custom"].get(key)
        return str(raw).replace(".", ",") if isinstance(raw, float) else guarded(raw)
    raw = record["address"].get(key[8:]) if key.startswith("address.") else record.get(key)
    if definition["type"] in ("siret", "siren"):
        return spaced(raw)
    if definition["type"] == "phone":
        return dialled(raw)
    return guarded(raw)


def exported_accounts(api: Api) -> bytes:
    definitions = library(api, "prospect")
    rows: list[list[Any]] = [
        [
            "id",
            "Type",
            *[d["label"] for d in definitions],
            "Statut",
            "Fermé",
            "Référence ERP",
            "Propriétaire",
            "Créé le",
            "Modifié le",
        ]
    ]
    for a in api.get(f"{API}/accounts?limit=200").json["items"]:
        rows.append(
            [
                a["id"],
                a["kind"].title(),
                *[value(a, d) for d in definitions],
                a["status"] or "",
                "oui" if a["closed"] else "non",
                a["external_ref"] or "",
                "",
                "01/12/2026 10:00",
                "01/12/2026 10:00",
            ]
        )
    return csv_bytes(rows, encoding="utf-8-sig")


def exported_contacts(api: Api) -> bytes:
    definitions = library(api, "contact")
    rows: list[list[Any]] = [
        [
            "id",
            *[d["label"] for d in definitions],
            "Consentement",
            "Ne pas contacter",
            "account_id",
            "Nom d'appel",
            "SIRET",
            "Créé le",
            "Modifié le",
        ]
    ]
    for c in api.get(f"{API}/contacts?limit=200").json["items"]:
        account = api.get(f"{API}/accounts/{c['account_id']}").json
        rows.append(
            [
                c["id"],
                *[value(c, d) for d in definitions],
                "Inconnu",
                "non",
                c["account_id"],
                guarded(account["name"]),
                spaced(account["siret"]),
                "",
                "",
            ]
        )
    return csv_bytes(rows, encoding="utf-8-sig")


def test_export_then_import_dry_run_finds_every_row_a_duplicate(
    seller: Api, erp: Api, admin: Api
) -> None:
    admin.post(
        f"{API}/field-definitions",
        json={"entity": "prospect", "key": "effectif", "label": "Effectif", "type": "number"},
    )
    martin = seller.post(
        f"{API}/prospects",
        json={"name": "=Boulangerie Martin", "siret": siret(1), "phone": "05 56 00 00 00",
              "address": {"postal_code": "33000", "city": "Bordeaux"}, "custom": {"effectif": 12.5}},
    ).json  # fmt: skip
    plain = seller.post(f"{API}/prospects", json={"name": "Sans numéro"}).json
    erp.put(f"{API}/sync/clients/C-42", json={"name": "Client Durand", "siret": siret(2)})
    for account, person in ((martin, "Zoé"), (plain, "Paul")):
        reply = seller.post(
            f"{API}/accounts/{account['id']}/contacts",
            json={"first_name": person, "last_name": "Martin", "mobile": "06 12 34 56 78",
                  "email": f"{person.lower()}@example.fr"},
        )  # fmt: skip
        assert reply.status_code == 201, reply.json

    accounts = run_import(seller, exported_accounts(seller), dry_run=True, name="comptes.csv")
    assert accounts["mapping"]["id"] == "id"
    assert accounts["mapping"]["SIRET"] == "siret"
    assert accounts["mapping"]["Effectif"] == "custom.effectif"
    assert accounts["mapping"]["Référence ERP"] == "external_ref"
    assert set(outcomes(accounts).values()) == {"duplicate"}
    assert accounts["counts"]["duplicate"] == 3

    contacts = run_import(seller, exported_contacts(seller), "contacts", dry_run=True)
    assert contacts["mapping"]["account_id"] == "account.id"
    assert contacts["mapping"]["Nom d'appel"] == "account.name"
    assert set(outcomes(contacts).values()) == {"duplicate"}
    assert contacts["counts"]["duplicate"] == 2

    # without the ids, the SIRET and the ERP key still find them (the plain one is new)
    without_ids = run_import(
        seller,
        exported_accounts(seller),
        dry_run=True,
        mapping={"Nom d'appel": "name", "SIRET": "siret", "Référence ERP": "external_ref"},
    )
    by_name = {r["record_id"]: r["outcome"] for r in without_ids["report"]}
    assert sorted(without_ids["counts"].items()) == [
        ("created", 1), ("duplicate", 2), ("error", 0), ("updated", 0)
    ]  # fmt: skip
    assert by_name[martin["id"]] == "duplicate"


def test_a_guarded_cell_is_read_as_typed(seller: Api) -> None:
    body = run_import(seller, csv_bytes([["Nom"], ["'=SOMME(A1)"], ["'Apostrophe"]]))
    names = [seller.get(f"{API}/prospects/{r['record_id']}").json["name"] for r in body["report"]]
    assert names == ["=SOMME(A1)", "'Apostrophe"]
