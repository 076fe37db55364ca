"""Imports of prospects and contacts from a CSV or XLSX file: a job with a per-row report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, request, stream_with_context
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from httpkit.error_codes import UNKNOWN_FIELD, field_error
from httpkit.tokens import current_principal
from records_svc.api.common import API, login_required, services
from records_svc.api.converters import MAX_ID
from records_svc.api.jobs import job_path
from records_svc.api.lists import check_query, no_query
from records_svc.api.schemas import ComputedDict, Instant, ShownSchema, StrictSchema
from records_svc.domain import import_mapping as mapping_
from records_svc.domain import import_report as report
from records_svc.domain import imports, tracked_jobs
from records_svc.domain.errors import ConflictError, FieldValidationError
from records_svc.domain.import_models import Import, ImportRow
from records_svc.domain.models import Job

blp = Blueprint("imports", __name__, url_prefix=API, description="Imports")

Reply = tuple["ImportState", int, dict[str, str]]
PARIS = ZoneInfo("Europe/Paris")

IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "entity": {"type": "string", "enum": list(mapping_.ENTITIES)},
                        "mapping": {
                            "type": "string",
                            "description": "JSON object: column → field key (guessed if absent)",
                        },
                        "dry_run": {"type": "boolean"},
                        "update_existing": {"type": "boolean"},
                    },
                    "required": ["file", "entity"],
                }
            }
        },
    }
}


class ImportFormSchema(StrictSchema):
    """The form beside the file: any other field is a 422 (a typo such as ``dryrun``
    must not run a real import)."""

    entity = fields.String(required=True, validate=validate.OneOf(mapping_.ENTITIES))
    mapping = fields.String(validate=validate.Length(max=100_000))
    dry_run = fields.Boolean(load_default=False)
    update_existing = fields.Boolean(load_default=False)


@dataclass
class ImportState:
    """An import as ``ImportSchema`` shows it: its job, what was asked, a page of its report
    (the rows after ``cursor``) and the fields its columns may map to."""

    job: Job
    spec: Import
    rows: list[ImportRow]
    next_row: int | None
    known: dict[str, mapping_.Target]

    @property
    def targets(self) -> list[mapping_.Target]:
        return list(self.known.values())

    @property
    def progress(self) -> dict[str, int]:
        return dict((self.job.result or {}).get("progress", {"done": 0, "total": 0}))

    @property
    def derived(self) -> dict[str, str]:
        return mapping_.derived(self.spec.entity, self.spec.mapping)

    @property
    def counts(self) -> dict[str, int]:
        return dict((self.job.result or {}).get("counts", {}))

    @property
    def possible_duplicates(self) -> int:
        return int((self.job.result or {}).get("possible_duplicates", 0))

    @property
    def next_cursor(self) -> str | None:
        return str(self.next_row) if self.next_row is not None else None

    @property
    def path(self) -> str:
        return import_path(self.job.id)


def import_path(job_id: str) -> str:
    return f"{API}/imports/{job_id}"


def import_links(state: ImportState) -> dict[str, str]:
    path = state.path
    return {"self": path, "errors": f"{path}/errors", "job": job_path(state.job.id)}


class ImportProgressSchema(Schema):
    done = fields.Integer()
    total = fields.Integer()


class ImportReportRowSchema(ShownSchema):
    """A row of an import's report, dumped from the ``ImportRow``."""

    row = fields.Integer()
    outcome = fields.String(validate=validate.OneOf(report.OUTCOMES))
    message = fields.String(allow_none=True)
    record_id = fields.Integer(allow_none=True)
    possible_duplicates = fields.List(
        fields.Dict(),
        allow_none=True,
        metadata={
            "description": "a created row's likely duplicates, which did not block it: "
            "[{id, kind, name, score, reasons}] of records, [{row, reasons}] of earlier rows"
        },
    )
    fields = fields.List(fields.Dict())  # type: ignore[assignment]


class ImportTargetSchema(ShownSchema):
    """A field a column may map to (an ``import_mapping.Target``)."""

    key = fields.String()
    label = fields.String()
    type = fields.String()


class ImportSchema(ShownSchema):
    """An import (an ``ImportState``)."""

    id = fields.String(attribute="job.id")
    state = fields.String(attribute="job.state")
    error = fields.String(attribute="job.error", allow_none=True)
    entity = fields.String(attribute="spec.entity")
    dry_run = fields.Boolean(attribute="spec.dry_run")
    update_existing = fields.Boolean(attribute="spec.update_existing")
    file_name = fields.String(attribute="spec.file_name")
    columns = fields.List(fields.String(), attribute="spec.columns")
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), attribute="spec.mapping")
    targets = fields.List(fields.Nested(ImportTargetSchema))
    derived = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "field → the field each row takes it from, the mapping having "
            "no column for it (name → legal_name)"
        },
    )
    progress = fields.Nested(ImportProgressSchema)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    possible_duplicates = fields.Integer(
        metadata={"description": "the rows created that name likely duplicates"}
    )
    report = fields.List(fields.Nested(ImportReportRowSchema), attribute="rows")
    next_cursor = fields.String(allow_none=True)
    created_at = Instant(attribute="job.created_at")
    updated_at = Instant(attribute="job.updated_at")
    links = ComputedDict(of=import_links)


class ImportReportArgsSchema(Schema):
    """The report's filter and paging; any other argument is a 422 (``check_query``)."""

    class Meta:
        unknown = EXCLUDE

    outcome = fields.String(validate=validate.OneOf(report.OUTCOMES))
    #: true: the rows created that name likely duplicates; false: the others
    possible_duplicates = fields.Boolean()
    cursor = fields.Integer(validate=validate.Range(min=0, max=MAX_ID))
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=200)


#: the report's filters (beside ``cursor`` and ``limit``)
REPORT_FILTERS = ("outcome", "possible_duplicates")


def _read(job_id: str, args: dict[str, Any]) -> ImportState:
    with services().db.read() as session:
        job, spec = imports.get_import(session, job_id, user_id=current_principal().user_id)
        rows, next_row = imports.report_page(
            session,
            job_id,
            outcome=args.get("outcome"),
            after=args.get("cursor"),
            limit=args["limit"],
            possible_duplicates=args.get("possible_duplicates"),
        )
        known = mapping_.targets(session, spec.entity)
        return ImportState(job, spec, rows, next_row, known)


def _mapping(text: str | None) -> dict[str, Any] | None:
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise FieldValidationError(
            [{"field": "mapping", "code": "invalid", "message": "a JSON object: column → field"}]
        )
    return value


@blp.route("/imports", methods=["POST"])
@login_required()
@blp.arguments(ImportFormSchema, location="form")
@blp.doc(**IMPORT_BODY)
@blp.response(202, ImportSchema)
def start_import(form: dict[str, Any]) -> Reply:
    """Import prospects or contacts from a CSV or XLSX file (a dry run writes nothing)."""
    no_query()  # ?dry_run=true beside the form must not run a real import
    parts = [name for name in request.files if name != "file"]
    if parts:  # a file part is a form field too: the form's own refusal
        raise FieldValidationError([field_error(n, UNKNOWN_FIELD, "Unknown field.") for n in parts])
    upload = request.files.get("file")
    if upload is None:
        raise FieldValidationError(
            [{"field": "file", "code": "required", "message": "is required"}]
        )
    svc = services()
    content = upload.stream.read(svc.settings.max_upload_bytes + 1)
    if len(content) > svc.settings.max_upload_bytes:
        raise FieldValidationError(
            [{"field": "file", "code": "too_large", "message": "the file is too large"}]
        )
    data = imports.ImportRequest(
        entity=form["entity"],
        file_name=upload.filename or "import.csv",
        content=content,
        mapping=_mapping(form.get("mapping")),
        dry_run=form["dry_run"],
        update_existing=form["update_existing"],
    )
    with svc.db.unit_of_work() as uow:
        job = imports.start_import(uow, svc.jobs, data, user_id=current_principal().user_id)
        job_id = job.id
    state = _read(job_id, {"limit": 200})  # an eager job has run already: its report
    return state, 202, {"Location": import_path(job_id)}


@blp.route("/imports/<string:job_id>", methods=["GET"])
@login_required()
@blp.arguments(ImportReportArgsSchema, location="query")
@blp.response(200, ImportSchema)
def get_import(args: dict[str, Any], job_id: str) -> ImportState:
    """The import's state, progress and report (paged by row: ``cursor``, ``limit``)."""
    check_query(REPORT_FILTERS, custom=False)
    return _read(job_id, args)


@blp.route("/imports/<string:job_id>/errors", methods=["GET"])
@login_required()
@blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv")
def import_errors(job_id: str) -> Response:
    """The rejected rows as CSV (the file's columns and ``erreur``): fix, import again."""
    no_query()
    db = services().db
    with db.read() as session:
        job, spec = imports.get_import(session, job_id, user_id=current_principal().user_id)
        columns, stem = list(spec.columns), spec.file_name.rsplit(".", 1)[0] or "import"
        finished = job.state in (tracked_jobs.DONE, tracked_jobs.FAILED)
    if not finished:
        raise ConflictError(f"Import {job_id} is still running; its error file comes at its end.")

    def chunks() -> Any:
        with db.read() as session:
            yield from report.error_file(session, job_id, columns)

    day = datetime.now(PARIS).date().isoformat()
    name = f"{stem}-erreurs-{day}.csv".replace('"', "")
    return Response(
        stream_with_context(chunks()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_ascii(name)}"'},
    )


def _ascii(name: str) -> str:
    return name.encode("ascii", "replace").decode().replace("?", "_")
