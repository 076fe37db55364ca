"""A standard account field declared by a test: run in a process of its own
(``python -m tests.records.extra_field DIR``) by test_field_declarations.py.

The model, the schemas and the snapshots are built from the declarations present when
they are imported, so the field is declared first, then its column and field library rows
are added to a scratch database, as its migration would. Nothing else is touched: the
field must flow through the API (read and write), the form's field library, the edition
data and the search document. Exits non-zero (an AssertionError) if it does not.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


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


def main(data_dir: Path) -> None:
    from sqlalchemy import insert, select, text

    from config import load_settings
    from records_svc import create_app, migrate
    from records_svc.domain import fields, snapshots
    from records_svc.domain.models import Account, FieldDefinition, IndexEvent
    from records_svc.editions.printing import account_data
    from tests.conftest import make_user
    from workers.indexing import documents_of

    settings = load_settings(
        data_dir=data_dir, secret_key="test-secret-key-" * 4, user_state_cache_seconds=0
    )
    app = create_app(settings)
    db = app.extensions["carnet.records"].db
    try:
        # what the field's migration does: its column and its field library rows
        migrate.upgrade(db.engine)
        rows = [r for r in fields.standard_rows() if r["key"] == BRAND.key]
        assert [r["entity"] for r in rows] == ["prospect", "client"]
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE accounts ADD COLUMN brand VARCHAR(60)"))
            conn.execute(insert(FieldDefinition), rows)
        seller = make_user(app, db, "alice")

        # the form: built from the field library, in its tab, with its label
        library = seller.get("/api/v1/field-definitions?entity=prospect").json
        tab = next(t for t in library["tabs"] if t["name"] == "Identification")
        shown = {f["key"]: f for f in tab["fields"]}
        assert shown["brand"]["label"] == "Enseigne" and shown["brand"]["max_length"] == 60
        assert [f["key"] for f in tab["fields"]][:3] == ["name", "legal_name", "brand"]

        # the API: written, read back, validated, edited
        created = seller.post(
            "/api/v1/prospects", json={"name": "Quokka SARL", "brand": "Brasserie Quokka"}
        )
        assert created.status_code == 201, created.json
        assert created.json["brand"] == "Brasserie Quokka"
        link = created.json["links"]["self"]
        assert seller.get(link).json["brand"] == "Brasserie Quokka"
        too_long = seller.edit(link, {"brand": "x" * 61})
        assert too_long.status_code == 422, too_long.json
        assert [e["field"] for e in too_long.json["errors"]] == ["brand"]
        edited = seller.edit(link, {"brand": "Wombat & Cie"})
        assert edited.status_code == 200, edited.json
        assert edited.json["brand"] == "Wombat & Cie"
        listed = seller.get("/api/v1/prospects").json["items"]
        assert [a["brand"] for a in listed] == ["Wombat & Cie"]

        with db.read() as session:
            account = session.scalars(select(Account)).one()
            # the edition data
            assert account_data(account)["brand"] == "Wombat & Cie"
            # the search document: the snapshot reads it and the document matches its words
            values = snapshots.accounts(session, [account.id])[account.id]
            assert values["brand"] == "Wombat & Cie" and values["version"] == 2
            (document,) = documents_of([values], [])
            assert "wombat" in document.terms and "cie" in document.terms
            # an edit of it changes the document: an index event, a new search version
            versions = session.scalars(
                select(IndexEvent.version).where(IndexEvent.entity == "account")
            ).all()
            assert versions == [1, 2]
    finally:
        db.dispose()
    print("extra field: ok")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
