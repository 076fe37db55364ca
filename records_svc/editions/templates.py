"""Edition templates: one entity kind each, HTML (→ PDF) or DOCX; checked when saved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from httpkit.error_codes import field_error
from records_svc.db import UnitOfWork
from records_svc.domain.accounts import check_version
from records_svc.domain.errors import FieldValidationError, NotFoundError
from records_svc.domain.models import EditionTemplate
from records_svc.editions import render

ENTITIES = ("contact", "prospect", "client")
FORMATS = (render.HTML, render.DOCX)
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class TemplateInput:
    name: str
    entity: str
    format: str
    body: str | None = None
    docx: bytes | None = None
    docx_name: str | None = None


def _invalid(field: str, code: str, message: str, line: int | None = None) -> FieldValidationError:
    error = FieldValidationError([field_error(field, code, message)])
    if line is not None:
        error.extra["line"] = line
    return error


def _check(data: TemplateInput) -> None:
    name = data.name.strip()
    if not name or len(name) > 120:
        raise _invalid("name", "invalid_length", "1 to 120 characters")
    if data.entity not in ENTITIES:
        raise _invalid("entity", "not_one_of", f"one of {', '.join(ENTITIES)}")
    if data.format not in FORMATS:
        raise _invalid("format", "not_one_of", f"one of {', '.join(FORMATS)}")
    try:
        if data.format == render.HTML:
            if not data.body or not data.body.strip():
                raise _invalid("body", "required", "an HTML template is required")
            render.check_html(data.body)
        else:
            if not data.docx:
                raise _invalid("file", "required", "a DOCX file is required")
            if len(data.docx) > MAX_TEMPLATE_BYTES:
                raise _invalid("file", "too_large", f"at most {MAX_TEMPLATE_BYTES} bytes")
            render.check_docx(data.docx)
    except render.TemplateProblemError as exc:
        field = "body" if data.format == render.HTML else "file"
        raise _invalid(field, "template_syntax", exc.message, exc.line) from None


def _apply(template: EditionTemplate, data: TemplateInput) -> None:
    template.name = data.name.strip()
    template.entity = data.entity
    template.format = data.format
    html = data.format == render.HTML
    template.body = data.body if html else None
    template.docx = None if html else data.docx
    template.docx_name = None if html else data.docx_name


def create_template(uow: UnitOfWork, data: TemplateInput) -> EditionTemplate:
    _check(data)
    template = EditionTemplate()
    _apply(template, data)
    uow.session.add(template)
    uow.session.flush()
    return template


def replace_template(
    uow: UnitOfWork, template_id: int, data: TemplateInput, *, expected_version: int | None
) -> EditionTemplate:
    template = get_template(uow.session, template_id)
    check_version(template.version, expected_version, "template")
    _check(data)
    _apply(template, data)
    uow.session.flush()
    return template


def delete_template(uow: UnitOfWork, template_id: int) -> None:
    uow.session.delete(get_template(uow.session, template_id))
    uow.session.flush()


def get_template(session: Session, template_id: int) -> EditionTemplate:
    template = session.get(EditionTemplate, template_id)
    if template is None:
        raise NotFoundError(f"No edition template {template_id}.")
    return template


def list_templates(session: Session, entity: str | None = None) -> list[EditionTemplate]:
    stmt = select(EditionTemplate).order_by(EditionTemplate.entity, EditionTemplate.name)
    if entity is not None:
        stmt = stmt.where(EditionTemplate.entity == entity)
    return list(session.scalars(stmt))


DEFAULTS_DIR = Path(__file__).parent / "defaults"
#: (name, entity, file): a record sheet with its contacts per account kind, one per contact
DEFAULTS = (
    ("Fiche prospect", "prospect", "fiche_compte.html"),
    ("Fiche client", "client", "fiche_compte.html"),
    ("Fiche contact", "contact", "fiche_contact.html"),
)


def install_defaults(uow: UnitOfWork) -> list[EditionTemplate]:
    """Add the default templates that are not there yet (by name and entity); idempotent."""
    existing = {(t.name, t.entity) for t in list_templates(uow.session)}
    created = []
    for name, entity, file_name in DEFAULTS:
        if (name, entity) in existing:
            continue
        body = (DEFAULTS_DIR / file_name).read_text(encoding="utf-8")
        created.append(create_template(uow, TemplateInput(name, entity, render.HTML, body)))
    return created
