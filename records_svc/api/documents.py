"""Documents on contacts, prospects and clients: upload, list, download, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from httpkit.tokens import current_principal
from records_svc.api.common import API, iso, login_required, services
from records_svc.api.schemas import PageArgsSchema, page_of
from records_svc.domain import documents
from records_svc.domain.documents import Owner, Upload
from records_svc.domain.errors import NotFoundError
from records_svc.domain.models import Document

blp = Blueprint("documents", __name__, url_prefix=API, description="Documents")


class DocumentLinksSchema(Schema):
    self = fields.String()
    content = fields.String()


class DocumentSchema(Schema):
    id = fields.Integer()
    name = fields.String(metadata={"description": "The original file name (sanitised)"})
    size = fields.Integer(metadata={"description": "Bytes"})
    media_type = fields.String(metadata={"description": "Sniffed from the content"})
    sha256 = fields.String()
    uploaded_by = fields.Integer(allow_none=True)
    created_at = fields.String()
    owner = fields.Dict(metadata={"description": '{"kind": …, "id": …}'})
    links = fields.Nested(DocumentLinksSchema)


DocumentPageSchema = page_of(DocumentSchema)


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                    "required": ["file"],
                }
            }
        },
    }
}


def owner_of(document: Document) -> Owner:
    if document.contact_id is not None:
        return Owner("contact", document.contact_id)
    kind = document.account.kind if document.account is not None else "prospect"
    return Owner(kind, document.account_id or 0)


def document_repr(document: Document, owner: Owner) -> dict[str, Any]:
    path = f"{API}/documents/{document.id}"
    return {
        "id": document.id,
        "name": document.name,
        "size": document.size,
        "media_type": document.media_type,
        "sha256": document.sha256,
        "uploaded_by": document.uploaded_by,
        "created_at": iso(document.created_at),
        "owner": {"kind": owner.kind, "id": owner.id},
        "links": {"self": path, "content": f"{path}/content"},
    }


def _list(owner: Owner, args: dict[str, Any]) -> dict[str, Any]:
    with services().db.read() as session:
        rows, next_cursor = documents.list_documents(
            session, owner, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": [document_repr(d, owner) for d in rows], "next_cursor": next_cursor}


def _upload(owner: Owner) -> tuple[dict[str, Any], int]:
    uploads = [Upload(f.filename, f.stream) for f in request.files.getlist("file")]
    svc = services()
    with svc.db.unit_of_work() as uow:
        rows = documents.add_documents(
            uow,
            owner,
            uploads,
            uploaded_by=current_principal().user_id,
            max_bytes=svc.settings.max_upload_bytes,
        )
        body = {"items": [document_repr(d, owner) for d in rows], "next_cursor": None}
    return body, 201


def _routes(kind: str) -> None:
    """GET and POST ``/{kind}s/{id}/documents`` for one owner kind."""

    @blp.route(f"/{kind}s/<id:owner_id>/documents", methods=["GET"], endpoint=f"list_{kind}")
    @login_required()
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, DocumentPageSchema)
    def list_documents(args: dict[str, Any], owner_id: int) -> dict[str, Any]:
        return _list(Owner(kind, owner_id), args)

    @blp.route(f"/{kind}s/<id:owner_id>/documents", methods=["POST"], endpoint=f"upload_{kind}")
    @login_required()
    @blp.doc(**UPLOAD_BODY)
    @blp.response(201, DocumentPageSchema)
    def upload_documents(owner_id: int) -> tuple[dict[str, Any], int]:
        """Upload one or more files (multipart parts named ``file``)."""
        return _upload(Owner(kind, owner_id))


for _kind in documents.OWNER_KINDS:
    _routes(_kind)


@blp.route("/documents/<id:document_id>", methods=["GET"])
@login_required()
@blp.response(200, DocumentSchema)
def get_document(document_id: int) -> dict[str, Any]:
    with services().db.read() as session:
        document = documents.get_document(session, document_id)
        return document_repr(document, owner_of(document))


@blp.route("/documents/<id:document_id>/content", methods=["GET"])
@login_required()
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
def document_content(document_id: int) -> Response:
    """The file, as an attachment under its original name."""
    svc = services()
    with svc.db.read() as session:
        document = documents.get_document(session, document_id)
        name, media_type, key = document.name, document.media_type, document.storage_key
    store = svc.db.files
    path = store.path(key) if store is not None else None
    if path is None or not path.is_file():
        raise NotFoundError(f"The file of document {document_id} is missing from the store.")
    return attachment(path, name, media_type)


def attachment(path: Path, name: str, media_type: str) -> Response:
    """Send a stored file as a download (RFC 6266, ``filename*`` for non-ASCII names)."""
    response = send_file(
        path, mimetype=media_type, as_attachment=True, download_name=name, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@blp.route("/documents/<id:document_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_document(document_id: int) -> tuple[str, int]:
    with services().db.unit_of_work() as uow:
        documents.delete_document(uow, document_id)
    return "", 204
