"""The field library: what each form shows, grouped by tab."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask_smorest import Blueprint

from records_svc.api.common import API, login_required, services
from records_svc.api.schemas import (
    CustomFieldCreateSchema,
    FieldDefinitionChangeSchema,
    FieldDefinitionSchema,
    FieldLibraryArgsSchema,
    FieldLibrarySchema,
)
from records_svc.domain import fields
from records_svc.domain.models import FieldDefinition
from records_svc.domain.rights import MANAGE_FIELDS

blp = Blueprint("fields", __name__, url_prefix=API, description="Field library")


def definition_repr(d: FieldDefinition) -> dict[str, Any]:
    return {
        "id": d.id,
        "entity": d.entity,
        "key": d.key,
        "label": d.label,
        "type": d.type,
        "tab": d.tab,
        "position": d.position,
        "required": d.required,
        "standard": d.standard,
        "choices": d.choices,
        "max_length": d.max_length,
    }


@blp.route("/field-definitions", methods=["GET"])
@login_required()
@blp.arguments(FieldLibraryArgsSchema, location="query")
@blp.response(200, FieldLibrarySchema)
def library(args: dict[str, Any]) -> dict[str, Any]:
    with services().db.read() as session:
        items = [definition_repr(d) for d in fields.list_definitions(session, args["entity"])]
    # Tabs appear in the order of their first field.
    tab_order = list(dict.fromkeys(item["tab"] for item in items))
    by_tab = sorted(items, key=lambda item: tab_order.index(item["tab"]))
    tabs = [
        {"name": name, "fields": list(group)}
        for name, group in groupby(by_tab, key=lambda item: item["tab"])
    ]
    return {"entity": args["entity"], "tabs": tabs, "items": items}


@blp.route("/field-definitions", methods=["POST"])
@login_required(MANAGE_FIELDS)
@blp.arguments(CustomFieldCreateSchema)
@blp.response(201, FieldDefinitionSchema)
def add_custom_field(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    with services().db.unit_of_work() as uow:
        definition = fields.add_custom_field(uow.session, **data)
        return definition_repr(definition), 201


@blp.route("/field-definitions/<id:definition_id>", methods=["PATCH"])
@login_required(MANAGE_FIELDS)
@blp.arguments(FieldDefinitionChangeSchema)
@blp.response(200, FieldDefinitionSchema)
def change_field(data: dict[str, Any], definition_id: int) -> dict[str, Any]:
    with services().db.unit_of_work() as uow:
        return definition_repr(fields.change_definition(uow.session, definition_id, data))


@blp.route("/field-definitions/<id:definition_id>", methods=["DELETE"])
@login_required(MANAGE_FIELDS)
@blp.response(204)
def delete_field(definition_id: int) -> tuple[str, int]:
    with services().db.unit_of_work() as uow:
        fields.delete_custom_field(uow.session, definition_id)
    return "", 204
