"""The field library drives forms and validation."""

from __future__ import annotations

from tests.conftest import Api


def _field(library: dict, key: str) -> dict:
    return next(f for f in library["items"] if f["key"] == key)


def test_library_is_grouped_by_tab_in_order(seller: Api) -> None:
    reply = seller.get("/api/v1/field-definitions?entity=prospect")
    assert reply.status_code == 200
    tabs = reply.json["tabs"]
    assert [t["name"] for t in tabs] == ["Identification", "Coordonnées", "Marketing"]
    marketing = [f["key"] for f in tabs[2]["fields"]]
    assert marketing == ["siren", "siret", "ape_code"]
    assert _field(reply.json, "name")["required"] is True
    contact = seller.get("/api/v1/field-definitions?entity=contact").json
    assert _field(contact, "last_name")["required"] is True
    assert seller.get("/api/v1/field-definitions?entity=nope").status_code == 422


def test_only_field_managers_change_the_library(seller: Api) -> None:
    reply = seller.post(
        "/api/v1/field-definitions",
        json={"entity": "prospect", "key": "sector", "label": "Secteur", "type": "text"},
    )
    assert reply.status_code == 403


def test_making_a_standard_field_required_is_enforced(admin: Api, seller: Api) -> None:
    library = seller.get("/api/v1/field-definitions?entity=prospect").json
    city = _field(library, "address.city")
    reply = admin.patch(f"/api/v1/field-definitions/{city['id']}", json={"required": True})
    assert reply.status_code == 200
    missing = seller.post("/api/v1/prospects", json={"name": "Sans ville"})
    assert missing.status_code == 422
    assert missing.json["errors"] == [
        {"field": "address.city", "code": "required", "message": "is required"}
    ]
    ok = seller.post("/api/v1/prospects", json={"name": "Avec ville", "address": {"city": "Lyon"}})
    assert ok.status_code == 201
    cleared = seller.edit(ok.json["links"]["self"], {"address": {"city": ""}})
    assert cleared.status_code == 422
    name = _field(library, "name")
    assert (
        admin.patch(f"/api/v1/field-definitions/{name['id']}", json={"required": False}).status_code
        == 422
    )


def test_custom_fields_are_typed_and_live_in_custom(admin: Api, seller: Api) -> None:
    for body in [
        {"entity": "prospect", "key": "employees", "label": "Effectif", "type": "number"},
        {
            "entity": "prospect",
            "key": "since",
            "label": "Client depuis",
            "type": "date",
            "tab": "Marketing",
        },
        {"entity": "prospect", "key": "newsletter", "label": "Newsletter", "type": "boolean"},
        {
            "entity": "prospect",
            "key": "segment",
            "label": "Segment",
            "type": "choice",
            "choices": ["PME", "ETI", "GE"],
            "required": True,
        },
    ]:
        reply = admin.post("/api/v1/field-definitions", json=body)
        assert reply.status_code == 201, reply.json
    assert (
        admin.post(
            "/api/v1/field-definitions",
            json={"entity": "prospect", "key": "segment", "label": "Again", "type": "text"},
        ).status_code
        == 409
    )
    bad = seller.post(
        "/api/v1/prospects",
        json={
            "name": "X",
            "custom": {"employees": "many", "since": "yesterday", "newsletter": "yes"},
        },
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json["errors"]}
    assert fields == {"custom.employees", "custom.since", "custom.newsletter", "custom.segment"}
    good = seller.post(
        "/api/v1/prospects",
        json={"name": "X", "custom": {"employees": 42, "since": "2024-02-29", "segment": "ETI"}},
    )
    assert good.status_code == 201, good.json
    assert good.json["custom"] == {"employees": 42, "since": "2024-02-29", "segment": "ETI"}
    library = seller.get("/api/v1/field-definitions?entity=prospect").json
    assert "since" in [f["key"] for f in library["tabs"][2]["fields"]]
    segment = _field(library, "segment")
    assert admin.delete(f"/api/v1/field-definitions/{segment['id']}").status_code == 204
    standard = _field(library, "siren")
    assert admin.delete(f"/api/v1/field-definitions/{standard['id']}").status_code == 409
