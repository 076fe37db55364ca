"""The field library: what each form shows, grouped by tab."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class FieldTab:
    name: str
    fields: list[FieldDefinition]


@dataclass
class FieldLibrary:
    """An entity's field definitions, and the same grouped by tab (``FieldLibrarySchema``)."""

    entity: str
    items: list[FieldDefinition]

    @property
    def tabs(self) -> list[FieldTab]:
        # Tabs appear in the order of their first field.
        tab_order = list(dict.fromkeys(item.tab for item in self.items))
        by_tab = sorted(self.items, key=lambda item: tab_order.index(item.tab))
        return [FieldTab(name, list(group)) for name, group in groupby(by_tab, key=lambda d: d.tab)]


@blp.route("/field-definitions", methods=["GET"])
@login_required()
@blp.arguments(FieldLibraryArgsSchema, location="query")
@blp.response(200, FieldLibrarySchema)
def library(args: dict[str, Any]) -> FieldLibrary:
    with services().db.read() as session:
        return FieldLibrary(args["entity"], fields.list_definitions(session, args["entity"]))


@blp.route("/field-definitions", methods=["POST"])
@login_required(MANAGE_FIELDS)
@blp.arguments(CustomFieldCreateSchema)
@blp.response(201, FieldDefinitionSchema)
def add_custom_field(data: dict[str, Any]) -> tuple[FieldDefinition, int]:
    with services().db.unit_of_work() as uow:
        return fields.add_custom_field(uow.session, **data), 201


@blp.route("/field-definitions/<id:definition_id>", methods=["PATCH"])
@login_required(MANAGE_FIELDS)
@blp.arguments(FieldDefinitionChangeSchema)
@blp.response(200, FieldDefinitionSchema)
def change_field(data: dict[str, Any], definition_id: int) -> FieldDefinition:
    with services().db.unit_of_work() as uow:
        return fields.change_definition(uow.session, definition_id, data)


@blp.route("/field-definitions/<id:definition_id>", methods=["DELETE"])
@login_required(MANAGE_FIELDS)
@blp.response(204)
def delete_field(definition_id: int) -> tuple[str, int]:
    with services().db.unit_of_work() as uow:
        fields.delete_custom_field(uow.session, definition_id)
    return "", 204
