"""The one place where deleting records removes their files: after the transaction commits."""

from __future__ import annotations

from sqlalchemy import or_, select

from records_svc.db import UnitOfWork
from records_svc.domain.models import Contact, Document


def remove_files_after_commit(uow: UnitOfWork, keys: list[str]) -> None:
    if keys and uow.files is not None:
        store = uow.files
        uow.after_commit(lambda: store.remove(keys))


def forget_record_files(
    uow: UnitOfWork, *, account_id: int | None = None, contact_id: int | None = None
) -> None:
    """Before a definitive delete: the record's files (and its contacts') go after commit.

    The rows themselves go with the record (foreign keys cascade).
    """
    conditions = []
    if account_id is not None:
        contacts = select(Contact.id).where(Contact.account_id == account_id)
        conditions += [Document.account_id == account_id, Document.contact_id.in_(contacts)]
    if contact_id is not None:
        conditions.append(Document.contact_id == contact_id)
    if not conditions:
        return
    keys = list(uow.session.scalars(select(Document.storage_key).where(or_(*conditions))))
    remove_files_after_commit(uow, keys)
