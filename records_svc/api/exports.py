"""Exports of the lists (CSV, XLSX, vCard) and a contact's vCard.

``GET /accounts/export`` (and ``/prospects/export``, ``/clients/export``) and
``GET /contacts/export`` take the filters and the sort of their list and ``format``;
the file is streamed as it is written (CSV, vCard) or written batch by batch to a
temporary file and then streamed (XLSX), so that neither the server's memory nor the
time to the first byte grows with a 10-row or a million-row list beyond one batch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from itertools import chain
from typing import IO, Any

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, fields, validate

from records_svc.api.common import API, login_required, services
from records_svc.api.lists import list_query, no_query
from records_svc.api.schemas import ListArgsSchema
from records_svc.domain import contacts, exports, vcards
from records_svc.domain.listing import LIST_FILTERS, ListQuery, check_filters

blp = Blueprint("exports", __name__, url_prefix=API, description="Exports and vCards")

#: what an export takes: its list's filters and sort, and the format
EXPORT_ARGS = (*LIST_FILTERS, "format")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


class ExportArgsSchema(ListArgsSchema):
    """A list's filters and sort (no paging: the whole list) and the file's format."""

    class Meta:
        unknown = EXCLUDE
        exclude = ("cursor", "limit")

    format = fields.String(
        validate=validate.Length(min=1, max=16),
        metadata={"description": "csv (default), xlsx; vcard for contacts"},
    )


def _query(args: dict[str, Any]) -> ListQuery:
    """The list's filters; any other argument (``limit``, ``cursor`` included) is a 422."""
    check_filters(list(request.args), EXPORT_ARGS, custom=True)
    return list_query(args, EXPORT_ARGS, custom=True)


def _attachment(body: Iterator[bytes], media_type: str, name: str, stack: ExitStack) -> Response:
    response = Response(body, mimetype=None, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.call_on_close(stack.close)
    return response


def _stream(
    stack: ExitStack, first: list[Any], rest: Iterator[list[Any]], write: Callable[..., Any]
) -> Iterator[bytes]:
    try:
        yield from write(chain([first] if first else [], rest))
    finally:
        stack.close()


def _file_chunks(handle: IO[bytes], stack: ExitStack) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        stack.close()


def _export(
    batches: Callable[[Any], Generator[list[Any], None, None]],
    columns: Callable[[Any], list[exports.Column]],
    fmt: str,
    stem: str,
    sheet: str,
) -> Response:
    """Open a read session, read the first batch (a bad filter or sort is a 422 before
    anything is sent), then write the file as the batches come."""
    stack = ExitStack()
    try:
        reading = stack.enter_context(ExitStack())  # the session, while rows are read
        session = reading.enter_context(services().db.read())
        found = batches(session)
        reading.callback(found.close)
        first = next(found, [])
        if fmt == exports.VCARD:
            body = _stream(stack, first, found, vcards.vcard_chunks)
            name = exports.file_name(stem, "vcf")
            return _attachment(body, vcards.MEDIA_TYPE, name, stack)
        header = columns(session)
        if fmt == exports.CSV:
            body = _stream(stack, first, found, lambda rows: exports.csv_chunks(header, rows))
            name = exports.file_name(stem, "csv")
            return _attachment(body, "text/csv; charset=utf-8", name, stack)
        # closed (and so deleted) with the stack, when the response is
        handle = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        exports.write_xlsx(handle, header, chain([first] if first else [], found), title=sheet)
        reading.close()  # every row is in the file: the database is not needed to send it
        handle.seek(0)
        name = exports.file_name(stem, "xlsx")
        return _attachment(_file_chunks(handle, stack), XLSX_MEDIA_TYPE, name, stack)
    except BaseException:
        stack.close()
        raise


def _accounts_export(kind: str | None, args: dict[str, Any]) -> Response:
    query = _query(args)
    fmt = exports.check_format(args.get("format"), (exports.CSV, exports.XLSX))
    stem = exports.FILE_STEMS[kind or "accounts"]
    return _export(
        lambda session: exports.account_batches(session, kind, query),
        lambda session: exports.account_columns(session, kind),
        fmt,
        stem,
        {"prospect": "Prospects", "client": "Clients"}.get(kind or "", "Comptes"),
    )


@blp.route("/accounts/export", methods=["GET"])
@login_required()
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, content_type="text/csv")
@blp.alt_response(200, content_type=XLSX_MEDIA_TYPE, success=True)
def export_accounts(args: dict[str, Any]) -> Response:
    """The accounts of the list (its filters and sort) as a CSV or XLSX file."""
    return _accounts_export(None, args)


@blp.route("/prospects/export", methods=["GET"])
@login_required()
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, content_type="text/csv")
def export_prospects(args: dict[str, Any]) -> Response:
    """The prospects of the list (its filters and sort) as a CSV or XLSX file."""
    return _accounts_export("prospect", args)


@blp.route("/clients/export", methods=["GET"])
@login_required()
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, content_type="text/csv")
def export_clients(args: dict[str, Any]) -> Response:
    """The clients of the list (its filters and sort) as a CSV or XLSX file."""
    return _accounts_export("client", args)


@blp.route("/contacts/export", methods=["GET"])
@login_required()
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, content_type="text/csv")
def export_contacts(args: dict[str, Any]) -> Response:
    """The contacts of the list (its filters and sort) as a CSV, XLSX or vCard file."""
    query = _query(args)
    fmt = exports.check_format(args.get("format"), (exports.CSV, exports.XLSX, exports.VCARD))
    return _export(
        lambda session: exports.contact_batches(session, query),
        exports.contact_columns,
        fmt,
        "contacts",
        "Contacts",
    )


@blp.route("/contacts/<id:contact_id>/vcard", methods=["GET"])
@login_required()
@blp.response(200, content_type="text/vcard")
def contact_vcard(contact_id: int) -> Response:
    """The contact as a vCard 4.0, for a phone's address book."""
    no_query()
    with services().db.read() as session:
        body = vcards.vcard(contacts.get_contact(session, contact_id))
    response = Response(body, content_type=vcards.MEDIA_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="contact-{contact_id}.vcf"'
    return response
