"""Documents kept on contacts, prospects and clients.

Files are written under generated keys before the row is inserted; if the
transaction does not commit they are removed again, and a definitive delete
removes them only after its transaction commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from httpkit.error_codes import field_error
from records_svc.db import UnitOfWork
from records_svc.domain import access, history
from records_svc.domain.accounts import get_account
from records_svc.domain.contacts import get_contact
from records_svc.domain.errors import DomainError, FieldValidationError, NotFoundError
from records_svc.domain.models import Contact, Document
from records_svc.domain.paging import decode_cursor, encode_cursor
from records_svc.domain.record_files import remove_files_after_commit
from records_svc.files import DOCUMENTS, FileStore, StoredFile, TooLargeError

OWNER_KINDS = ("contact", "prospect", "client")
FALLBACK_NAME = "document"
_UNSAFE = re.compile(r'[<>:"|?*]')


class PayloadTooLargeError(DomainError):
    status = 413


@dataclass(frozen=True)
class Upload:
    """One file as the client sent it: a claimed name and a stream."""

    name: str | None
    stream: IO[bytes]


@dataclass(frozen=True)
class Owner:
    kind: str
    id: int


def files_of(uow: UnitOfWork) -> FileStore:
    if uow.files is None:
        raise RuntimeError("this database was assembled without a document store")
    return uow.files


def sanitise_name(raw: str | None) -> str:
    """A display name: no directories, no control characters, no reserved characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in name)
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or FALLBACK_NAME


def sniff_media_type(head: bytes) -> str:
    """The media type from the content's first bytes; what the client claims is ignored."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if head.lstrip().startswith((b"%PDF",)):
        return "application/pdf"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sample is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    if "\x00" in text:
        return "application/octet-stream"
    return "text/plain"


def check_owner(session: Session, owner: Owner) -> None:
    """404 unless the record exists as that kind (a contact is not a prospect)."""
    if owner.kind == "contact":
        get_contact(session, owner.id)
    elif owner.kind in ("prospect", "client"):
        get_account(session, owner.id, owner.kind)
    else:
        raise NotFoundError(f"No {owner.kind} {owner.id}.")


def _owner_filter(owner: Owner) -> dict[str, int | None]:
    if owner.kind == "contact":
        return {"contact_id": owner.id, "account_id": None}
    return {"account_id": owner.id, "contact_id": None}


def add_documents(
    uow: UnitOfWork,
    owner: Owner,
    uploads: Iterable[Upload],
    *,
    uploaded_by: int | None,
    max_bytes: int,
) -> list[Document]:
    """Store each upload and insert its row; a failure anywhere keeps no file and no row."""
    check_owner(uow.session, owner)
    store = files_of(uow)
    written: list[str] = []
    uow.on_rollback(lambda: store.remove(written))
    rows: list[Document] = []
    uploads = list(uploads)
    if not uploads:
        raise FieldValidationError([field_error("file", "required", "send one or more files")])
    for index, upload in enumerate(uploads):
        field = "file" if len(uploads) == 1 else f"file[{index}]"
        try:
            stored = store.write(upload.stream, area=DOCUMENTS, max_bytes=max_bytes)
        except TooLargeError:
            raise PayloadTooLargeError(
                f"{sanitise_name(upload.name)} is larger than the limit of {max_bytes} bytes.",
                errors=[field_error(field, "too_large", f"at most {max_bytes} bytes")],
                max_bytes=max_bytes,
            ) from None
        written.append(stored.key)
        if stored.size == 0:
            raise FieldValidationError([field_error(field, "empty", "the file is empty")])
        rows.append(_insert(uow, owner, stored, sanitise_name(upload.name), uploaded_by))
    return rows


def attach_file(
    uow: UnitOfWork, owner: Owner, stored: StoredFile, name: str, *, uploaded_by: int | None
) -> Document:
    """Add an already stored file (an edition's output) to the record's documents."""
    check_owner(uow.session, owner)
    history.tag(uow.session, history.EDITION_ATTACHED)
    return _insert(uow, owner, stored, sanitise_name(name), uploaded_by)


def _insert(
    uow: UnitOfWork, owner: Owner, stored: StoredFile, name: str, uploaded_by: int | None
) -> Document:
    row = Document(
        **_owner_filter(owner),
        name=name,
        storage_key=stored.key,
        size=stored.size,
        media_type=sniff_media_type(stored.head),
        sha256=stored.sha256,
        uploaded_by=uploaded_by,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def list_documents(
    session: Session, owner: Owner, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Document], str | None]:
    """The owner's documents, oldest first, a page at a time."""
    check_owner(session, owner)
    stmt = select(Document).filter_by(**_owner_filter(owner)).order_by(Document.id).limit(limit + 1)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(Document.id > after)
    rows = list(session.scalars(stmt))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFoundError(f"No document {document_id}.")
    contact = session.get(Contact, document.contact_id) if document.contact_id else None
    account = contact.account if contact is not None else document.account
    access.of(session).require_visible(account, f"document {document_id}")
    return document


def delete_document(uow: UnitOfWork, document_id: int) -> None:
    document = get_document(uow.session, document_id)
    remove_files_after_commit(uow, [document.storage_key])
    uow.session.delete(document)
    uow.session.flush()
