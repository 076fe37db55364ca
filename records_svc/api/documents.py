"""Documents on contacts, prospects and clients: upload, list, download, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint
from marshmallow import fields

from httpkit.tokens import current_principal
from records_svc.api.common import API, Shown, login_required, services
from records_svc.api.schemas import ComputedNested, Instant, PageArgsSchema, ShownSchema, page_of
from records_svc.domain import documents
from records_svc.domain.documents import Owner, Upload
from records_svc.domain.errors import NotFoundError
from records_svc.domain.models import Document

blp = Blueprint("documents", __name__, url_prefix=API, description="Documents")


class DocumentLinksSchema(ShownSchema):
    self = fields.String()
    content = fields.String()


def document_links(document: Document) -> dict[str, str]:
    path = f"{API}/documents/{document.id}"
    return {"self": path, "content": f"{path}/content"}


class OwnerField(fields.Dict):
    """Whose document it is (an ``Owner``): ``{"kind": …, "id": …}``."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return {"kind": value.kind, "id": value.id}


class DocumentSchema(ShownSchema):
    """A document as the API shows it: a ``Document`` shown with its ``owner``
    (``Shown(document, owner=…)``, the owner the request named)."""

    id = fields.Integer()
    name = fields.String(metadata={"description": "The original file name (sanitised)"})
    size = fields.Integer(metadata={"description": "Bytes"})
    media_type = fields.String(metadata={"description": "Sniffed from the content"})
    sha256 = fields.String()
    uploaded_by = fields.Integer(allow_none=True)
    created_at = Instant()
    owner = OwnerField(metadata={"description": '{"kind": …, "id": …}'})
    links = ComputedNested(DocumentLinksSchema, of=document_links)


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


def shown(documents: list[Document], owner: Owner) -> list[Shown]:
    """``documents`` of ``owner``, as ``DocumentSchema`` dumps them."""
    return [Shown(document, owner=owner) for document in documents]


def _list(owner: Owner, args: dict[str, Any]) -> dict[str, Any]:
    with services().db.read() as session:
        rows, next_cursor = documents.list_documents(
            session, owner, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": shown(rows, owner), "next_cursor": next_cursor}


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
        body = {"items": shown(rows, owner), "next_cursor": None}
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
def get_document(document_id: int) -> Shown:
    with services().db.read() as session:
        document = documents.get_document(session, document_id)
        return Shown(document, owner=owner_of(document))


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
