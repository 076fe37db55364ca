"""Edition templates (right ``manage_templates``) and printing a record (a job)."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from httpkit.error_codes import code_of_message, field_error
from httpkit.tokens import current_principal
from records_svc.api.common import API, etag, expected_version, login_required, services
from records_svc.api.jobs import JobSchema, job_path
from records_svc.api.schemas import ComputedDict, Instant, ShownSchema, page_of, record_id
from records_svc.domain import tracked_jobs
from records_svc.domain.documents import sanitise_name
from records_svc.domain.errors import FieldValidationError, NotFoundError
from records_svc.domain.models import EditionTemplate, Job
from records_svc.domain.rights import MANAGE_TEMPLATES
from records_svc.editions import printing, render
from records_svc.editions import templates as templates_domain

blp = Blueprint("editions", __name__, url_prefix=API, description="Editions")

Reply = tuple[EditionTemplate, int, dict[str, str]]
JobReply = tuple[Job, int, dict[str, str]]


class TemplateWriteSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    entity = fields.String(required=True, validate=validate.OneOf(templates_domain.ENTITIES))
    format = fields.String(required=True, validate=validate.OneOf(templates_domain.FORMATS))
    body = fields.String(metadata={"description": "The HTML Jinja2 template (format html)"})


def template_path(template_id: int) -> str:
    return f"{API}/edition-templates/{template_id}"


def template_links(template: EditionTemplate) -> dict[str, str | None]:
    path = template_path(template.id)
    return {"self": path, "file": f"{path}/file" if template.docx is not None else None}


class TemplateSchema(ShownSchema):
    """An edition template as the API shows it, dumped from the model object."""

    id = fields.Integer()
    name = fields.String()
    entity = fields.String()
    format = fields.String()
    body = fields.String(allow_none=True)
    file_name = fields.String(attribute="docx_name", allow_none=True)
    version = fields.Integer()
    created_at = Instant()
    updated_at = Instant()
    links = ComputedDict(of=template_links)


TemplateListSchema = page_of(TemplateSchema, "TemplateListSchema")


class TemplateListArgsSchema(Schema):
    entity = fields.String(validate=validate.OneOf(templates_domain.ENTITIES))


class EditionRequestSchema(Schema):
    template_id = record_id(required=True)
    attach = fields.Boolean(load_default=False)


TEMPLATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": TemplateWriteSchema},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "entity": {"type": "string", "enum": list(templates_domain.ENTITIES)},
                        "format": {"type": "string", "enum": ["docx"]},
                        "file": {"type": "string", "format": "binary"},
                    },
                    "required": ["name", "entity", "format", "file"],
                }
            },
        },
    }
}


def _template_input() -> templates_domain.TemplateInput:
    """The template from a JSON body (HTML) or a multipart form with a DOCX ``file``."""
    multipart = request.mimetype == "multipart/form-data"
    raw = request.form.to_dict() if multipart else request.get_json(silent=True)
    if not isinstance(raw, dict):
        raise FieldValidationError([field_error("body", "not_an_object", "send a JSON object")])
    try:
        data = TemplateWriteSchema().load(raw)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        raise FieldValidationError(
            [
                field_error(
                    str(key) if key else "body",
                    code_of_message(str(value[0]) if isinstance(value, list) else str(value)),
                    "; ".join(map(str, value)),
                )
                for key, value in messages.items()
            ]
        ) from None
    upload = request.files.get("file") if multipart else None
    return templates_domain.TemplateInput(
        name=data["name"],
        entity=data["entity"],
        format=data["format"],
        body=data.get("body"),
        docx=upload.read(templates_domain.MAX_TEMPLATE_BYTES + 1) if upload else None,
        docx_name=sanitise_name(upload.filename) if upload else None,
    )


@blp.route("/edition-templates", methods=["GET"])
@login_required()
@blp.arguments(TemplateListArgsSchema, location="query")
@blp.response(200, TemplateListSchema)
def list_templates(args: dict[str, Any]) -> dict[str, Any]:
    with services().db.read() as session:
        rows = templates_domain.list_templates(session, args.get("entity"))
        return {"items": rows, "next_cursor": None}


@blp.route("/edition-templates", methods=["POST"])
@login_required(MANAGE_TEMPLATES)
@blp.doc(**TEMPLATE_BODY)
@blp.response(201, TemplateSchema)
def create_template() -> Reply:
    data = _template_input()
    with services().db.unit_of_work() as uow:
        template = templates_domain.create_template(uow, data)
    headers = {**etag(template.version), "Location": template_path(template.id)}
    return template, 201, headers


@blp.route("/edition-templates/<id:template_id>", methods=["GET"])
@login_required()
@blp.response(200, TemplateSchema)
def get_template(template_id: int) -> Reply:
    with services().db.read() as session:
        template = templates_domain.get_template(session, template_id)
        return template, 200, etag(template.version)


@blp.route("/edition-templates/<id:template_id>", methods=["PUT"])
@login_required(MANAGE_TEMPLATES)
@blp.doc(**TEMPLATE_BODY)
@blp.response(200, TemplateSchema)
def replace_template(template_id: int) -> Reply:
    version = expected_version(request.headers.get("If-Match"), required=False)
    data = _template_input()
    with services().db.unit_of_work() as uow:
        template = templates_domain.replace_template(
            uow, template_id, data, expected_version=version
        )
    return template, 200, etag(template.version)


@blp.route("/edition-templates/<id:template_id>", methods=["DELETE"])
@login_required(MANAGE_TEMPLATES)
@blp.response(204)
def delete_template(template_id: int) -> tuple[str, int]:
    with services().db.unit_of_work() as uow:
        templates_domain.delete_template(uow, template_id)
    return "", 204


@blp.route("/edition-templates/<id:template_id>/file", methods=["GET"])
@login_required()
@blp.response(200, {"type": "string", "format": "binary"}, content_type=render.DOCX_MEDIA_TYPE)
def template_file(template_id: int) -> Response:
    """The DOCX file of a DOCX template."""
    with services().db.read() as session:
        template = templates_domain.get_template(session, template_id)
        if template.docx is None:
            raise NotFoundError(f"Edition template {template_id} is HTML; it has no file.")
        data, name = template.docx, template.docx_name or "template.docx"
    return send_file(
        io.BytesIO(data), mimetype=render.DOCX_MEDIA_TYPE, as_attachment=True, download_name=name
    )


def _print(kind: str, record_id: int, args: dict[str, Any]) -> JobReply:
    svc = services()
    with svc.db.unit_of_work() as uow:
        job = printing.start_edition(
            uow,
            svc.jobs,
            kind=kind,
            record_id=record_id,
            template_id=args["template_id"],
            attach=args["attach"],
            user_id=current_principal().user_id,
        )
        job_id = job.id
    with svc.db.read() as session:  # eager jobs have already run: report their state
        return tracked_jobs.get_job(session, job_id), 202, {"Location": job_path(job_id)}


def _edition_route(kind: str) -> None:
    @blp.route(f"/{kind}s/<id:record_id>/editions", methods=["POST"], endpoint=f"print_{kind}")
    @login_required()
    @blp.arguments(EditionRequestSchema)
    @blp.response(202, JobSchema)
    def print_record(args: dict[str, Any], record_id: int) -> JobReply:
        """Print the record through a template of its kind: a job on the editions queue."""
        return _print(kind, record_id, args)


for _kind in templates_domain.ENTITIES:
    _edition_route(_kind)
