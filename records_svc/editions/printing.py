"""Printing a record through a template: the job is started here and run by a worker."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from httpkit.error_codes import field_error
from records_svc.db import Database, UnitOfWork
from records_svc.domain import field_declarations, tracked_jobs
from records_svc.domain.accounts import get_account
from records_svc.domain.contacts import get_contact
from records_svc.domain.documents import Owner, attach_file, check_owner, sanitise_name
from records_svc.domain.errors import DomainError, FieldValidationError, NotFoundError
from records_svc.domain.models import Account, Contact, EditionTemplate, Job, User, full_name
from records_svc.editions import render
from records_svc.editions.formatting import address_lines
from records_svc.editions.limits import EditionLimitError, EditionLimits, check_output, within
from records_svc.editions.templates import get_template
from records_svc.files import EDITIONS, FileStore
from records_svc.job_queue import JobQueue

log = logging.getLogger(__name__)

RENDER_TASK = "carnet.editions.render"
JOB_KIND = "edition"
PARIS = ZoneInfo("Europe/Paris")


def account_data(account: Account) -> dict[str, Any]:
    """An account as templates see it: its declared fields (domain/field_declarations.py),
    the address as a whole and as lines, and its state."""
    data: dict[str, Any] = {"id": account.id, "kind": account.kind}
    for declared in field_declarations.account_fields():
        if not declared.in_editions:
            continue
        if declared.address_part is None:
            data[declared.key] = getattr(account, declared.column)
        elif "address" not in data:
            data["address"] = address = account.address
            data["address_lines"] = address_lines(address)
    data.update(
        status=account.status,
        closed=bool(account.closed),
        external_ref=account.external_ref,
        custom=dict(account.custom or {}),
        created_at=account.created_at,
        updated_at=account.updated_at,
    )
    return data


def contact_data(contact: Contact) -> dict[str, Any]:
    """A contact as templates see it: its declared fields (domain/field_declarations.py),
    its full name and its dates."""
    data: dict[str, Any] = {"id": contact.id, "account_id": contact.account_id}
    for declared in field_declarations.CONTACTS.fields():
        if declared.in_editions:
            data[declared.key] = getattr(contact, declared.column)
    data.update(
        full_name=full_name(contact.first_name, contact.last_name),
        custom=dict(contact.custom or {}),
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )
    return data


def build_context(
    session: Session, kind: str, record_id: int, user_id: int | None
) -> dict[str, Any]:
    """What a template sees (docs/editions.md lists it): plain values, never ORM objects."""
    user = session.get(User, user_id) if user_id is not None else None
    context: dict[str, Any] = {
        "kind": kind,
        "user": {"id": user.id, "username": user.username} if user else None,
        "today": datetime.now(PARIS).date(),
    }
    if kind == "contact":
        contact = get_contact(session, record_id)
        context["contact"] = context["record"] = contact_data(contact)
        context["account"] = account_data(contact.account)
        context["contacts"] = []
    else:
        account = get_account(session, record_id, kind)
        context["account"] = context["record"] = account_data(account)
        rows = session.scalars(
            select(Contact).where(Contact.account_id == account.id).order_by(Contact.id)
        )
        context["contacts"] = [contact_data(c) for c in rows]
    return context


def start_edition(
    uow: UnitOfWork,
    queue: JobQueue,
    *,
    kind: str,
    record_id: int,
    template_id: int,
    attach: bool,
    user_id: int | None,
) -> Job:
    """A queued job; the render task is sent once the job row is committed."""
    check_owner(uow.session, Owner(kind, record_id))
    template = uow.session.get(EditionTemplate, template_id)
    if template is None:
        raise FieldValidationError([field_error("template_id", "not_found", "no such template")])
    if template.entity != kind:
        raise FieldValidationError(
            [
                field_error(
                    "template_id", "not_applicable", f"this template prints a {template.entity}"
                )
            ]
        )
    job = tracked_jobs.create_job(
        uow.session, JOB_KIND, created_by=user_id, target_kind=kind, target_id=record_id
    )
    job.result = {"template_id": template_id, "attach": attach}
    arguments = {
        "job_id": job.id,
        "template_id": template_id,
        "kind": kind,
        "record_id": record_id,
        "user_id": user_id,
        "attach": attach,
    }
    uow.after_commit(lambda: queue.enqueue(RENDER_TASK, **arguments))
    return job


def _file_name(template: EditionTemplate, context: dict[str, Any]) -> str:
    record = context["record"]
    label = record.get("full_name") or record.get("name") or str(record["id"])
    extension = "pdf" if template.format == render.HTML else "docx"
    return sanitise_name(f"{template.name} - {label}.{extension}")


def _read(
    db: Database, template_id: int, kind: str, record_id: int, user_id: int | None
) -> tuple[str, str | bytes, dict[str, Any], str]:
    """The template's format and source, what it sees, and the file name (plain values)."""
    with db.read() as session:
        template = get_template(session, template_id)
        context = build_context(session, kind, record_id, user_id)
        html = template.format == render.HTML
        source = (template.body or "") if html else (template.docx or b"")
        return template.format, source, context, _file_name(template, context)


def _produce(fmt: str, source: str | bytes, context: dict[str, Any], max_pages: int) -> bytes:
    """The rendered file (run in the render's child process)."""
    if isinstance(source, str):
        return render.render_pdf(source, context, max_pages=max_pages)
    return render.render_docx(source, context)


def run_edition(
    db: Database,
    *,
    job_id: str,
    template_id: int,
    kind: str,
    record_id: int,
    user_id: int | None = None,
    attach: bool = False,
    limits: EditionLimits | None = None,
) -> str:
    """Render, store, and mark the job done (attaching the file if asked); return the state.

    Past ``limits`` (time, pages, size) the job fails with the limit's French message."""
    limits = limits or EditionLimits()
    with db.unit_of_work() as uow:
        state = tracked_jobs.get_job(uow.session, job_id).state
        if state in (tracked_jobs.DONE, tracked_jobs.FAILED):
            return state  # delivered twice: already handled
        tracked_jobs.mark_running(uow.session, job_id)
    try:
        fmt, source, context, name = _read(db, template_id, kind, record_id, user_id)
        render.load_renderers()  # once per process, before forking the render
        output = within(limits.seconds, _produce, fmt, source, context, limits.pages)
        check_output(output, limits)
        media_type = render.PDF_MEDIA_TYPE if fmt == render.HTML else render.DOCX_MEDIA_TYPE
    except EditionLimitError as exc:
        log.warning("edition %s stopped: %s", job_id, exc.message)
        return _fail(db, job_id, exc.message)
    except (render.TemplateProblemError, NotFoundError) as exc:
        detail = exc.message if isinstance(exc, render.TemplateProblemError) else exc.detail
        return _fail(db, job_id, f"The edition could not be rendered: {detail}")
    except Exception as exc:  # WeasyPrint or docxtpl failing on odd input
        log.exception("edition %s failed", job_id)
        return _fail(db, job_id, f"The edition could not be rendered: {exc}")
    store = _store(db)
    try:
        with db.unit_of_work() as uow:
            stored = store.write_bytes(output, area=EDITIONS)
            uow.on_rollback(lambda: store.remove([stored.key]))
            result: dict[str, Any] = {"template_id": template_id, "document_id": None}
            if attach:
                copy = store.write_bytes(output)
                uow.on_rollback(lambda: store.remove([copy.key]))
                owner = Owner(kind, record_id)
                document = attach_file(uow, owner, copy, name, uploaded_by=user_id)
                result["document_id"] = document.id
            tracked_jobs.mark_done(
                uow.session,
                job_id,
                result,
                file_path=stored.key,
                file_name=name,
                media_type=media_type,
            )
    except DomainError as exc:  # the record was deleted while printing
        return _fail(db, job_id, f"The edition could not be kept: {exc.detail}")
    return tracked_jobs.DONE


def _fail(db: Database, job_id: str, message: str) -> str:
    with db.unit_of_work() as uow:
        tracked_jobs.mark_failed(uow.session, job_id, message)
    return tracked_jobs.FAILED


def _store(db: Database) -> FileStore:
    if db.files is None:
        raise RuntimeError("this database was assembled without a document store")
    return db.files
