"""A standard account field and a standard contact field declared by a test: run in a
process of its own
(``python -m tests.records.extra_field DIR``) by test_field_declarations.py.

The model, the schemas and the snapshots are built from the declarations present when
they are imported, so the field is declared first, then its column and field library rows
are added to a scratch database, as its migration would. Nothing else is touched: each
field must flow through the API (read and write), the form's field library, the edition
data and the search document. Exits non-zero (an AssertionError) if one does not.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any


def _declarations_alone() -> ModuleType:
    """The declarations module, loaded before the records package (whose import builds
    the model): the package then finds it already loaded and uses it."""
    name = "records_svc.domain.field_declarations"
    path = Path(__file__).resolve().parents[2] / "records_svc" / "domain" / "field_declarations.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None and "records_svc" not in sys.modules
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


field_declarations = _declarations_alone()

BRAND = field_declarations.declare(
    field_declarations.AccountField(
        "brand",
        "brand",
        "Enseigne",
        "text",
        field_declarations.IDENTIFICATION,
        25,
        max_length=60,
        column_length=60,
        search="words",
    )
)

NICKNAME = field_declarations.CONTACTS.declare(
    field_declarations.ContactField(
        "nickname",
        "nickname",
        "Surnom",
        "text",
        field_declarations.IDENTIFICATION,
        25,
        max_length=60,
        column_length=60,
        search="words",
    )
)


def _in_the_form(api: Any, entity: str, declared: Any, first_three: list[str]) -> None:
    """The form: built from the field library, in its tab, with its label."""
    library = api.get(f"/api/v1/field-definitions?entity={entity}").json
    tab = next(t for t in library["tabs"] if t["name"] == declared.tab)
    shown = {f["key"]: f for f in tab["fields"]}
    assert shown[declared.key]["label"] == declared.label
    assert shown[declared.key]["max_length"] == declared.max_length
    assert [f["key"] for f in tab["fields"]][:3] == first_three


def _through_the_api(
    api: Any, path: str, body: dict[str, Any], declared: Any, edit_to: str
) -> dict[str, Any]:
    """Written, read back, validated, edited and listed; returns what was created."""
    key = declared.key
    created = api.post(path, json=body)
    assert created.status_code == 201, created.json
    assert created.json[key] == body[key]
    link = created.json["links"]["self"]
    assert api.get(link).json[key] == body[key]
    too_long = api.edit(link, {key: "x" * (declared.max_length + 1)})
    assert too_long.status_code == 422, too_long.json
    assert [e["field"] for e in too_long.json["errors"]] == [key]
    edited = api.edit(link, {key: edit_to})
    assert edited.status_code == 200, edited.json
    assert edited.json[key] == edit_to
    assert [r[key] for r in api.get(path).json["items"]] == [edit_to]
    result: dict[str, Any] = created.json
    return result


def main(data_dir: Path) -> None:
    from sqlalchemy import insert, select, text

    from config import load_settings
    from records_svc import create_app, migrate
    from records_svc.domain import fields, snapshots
    from records_svc.domain.models import Contact, FieldDefinition, IndexEvent
    from records_svc.editions.printing import account_data, contact_data
    from tests.conftest import make_user
    from workers.indexing import documents_of

    settings = load_settings(
        data_dir=data_dir, secret_key="test-secret-key-" * 4, user_state_cache_seconds=0
    )
    app = create_app(settings)
    db = app.extensions["carnet.records"].db
    try:
        # what the fields' migration does: their columns and their field library rows
        migrate.upgrade(db.engine)
        rows = [r for r in fields.standard_rows() if r["key"] in (BRAND.key, NICKNAME.key)]
        assert [(r["entity"], r["key"]) for r in rows] == [
            ("prospect", "brand"),
            ("client", "brand"),
            ("contact", "nickname"),
        ]
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE accounts ADD COLUMN brand VARCHAR(60)"))
            conn.execute(text("ALTER TABLE contacts ADD COLUMN nickname VARCHAR(60)"))
            conn.execute(insert(FieldDefinition), rows)
        seller = make_user(app, db, "alice")

        _in_the_form(seller, "prospect", BRAND, ["name", "legal_name", "brand"])
        _in_the_form(seller, "contact", NICKNAME, ["civility", "first_name", "nickname"])
        account = _through_the_api(
            seller,
            "/api/v1/prospects",
            {"name": "Quokka SARL", "brand": "Brasserie Quokka"},
            BRAND,
            "Wombat & Cie",
        )
        contact = _through_the_api(
            seller,
            f"/api/v1/accounts/{account['id']}/contacts",
            {"last_name": "Durand", "nickname": "Dédé"},
            NICKNAME,
            "Le Grand Dédé",
        )

        with db.read() as session:
            # the edition data
            contact_row = session.get(Contact, contact["id"])
            assert contact_row is not None
            assert contact_data(contact_row)["nickname"] == "Le Grand Dédé"
            assert account_data(contact_row.account)["brand"] == "Wombat & Cie"
            # the search documents: the snapshots read them and the documents match their
            # words (the account's document is the contact's account part too)
            values = snapshots.accounts(session, [account["id"]])[account["id"]]
            assert values["brand"] == "Wombat & Cie" and values["version"] == 2
            person, _ = snapshots.contacts(session, [contact["id"]])[contact["id"]]
            assert person["nickname"] == "Le Grand Dédé" and person["version"] == 2
            account_document, contact_document = documents_of([values], [(person, values)])
            assert {"wombat", "cie"} <= set(account_document.terms)
            assert {"grand", "dede"} <= set(contact_document.terms)
            # an edit of either changes its document: an index event (and a new search
            # version: 2 above)
            for entity in ("account", "contact"):
                events = session.scalars(
                    select(IndexEvent.id).where(IndexEvent.entity == entity)
                ).all()
                assert len(events) == 2, entity
    finally:
        db.dispose()
    print("extra field: ok")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
