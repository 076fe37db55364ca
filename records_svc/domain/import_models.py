"""Tables of an import: the file and its mapping, and the outcome of each row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from records_svc.domain.models import Base


class Import(Base):
    """What an import job reads: the stored file, its columns and their mapping."""

    __tablename__ = "imports"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    #: ``prospects`` or ``contacts``
    entity: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    update_existing: Mapped[bool] = mapped_column(Boolean, default=False)
    file_name: Mapped[str] = mapped_column(String(255))
    #: the stored upload (``FileStore`` key), removed once the import has run
    file_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: the file's header row, as written
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: column → field key (``name``, ``address.city``, ``custom.sector``, ``account.siret``…)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class ImportRow(Base):
    """The outcome of one row: created, updated, duplicate or error (with its message)."""

    __tablename__ = "import_rows"
    __table_args__ = (
        Index("ix_import_rows_job_id", "job_id", "row"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    #: the row's number in the file (the header is row 1, as a spreadsheet numbers it)
    row: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: [{field, code, message}] at fault (an error) or the matching key (a duplicate)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: the record created, updated or matched
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: a created row's likely duplicates, which do not block it (as in the 201 of a
    #: create): [{id, kind, name, score, reasons}] of records, [{row, reasons}] of earlier rows
    possible_duplicates: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON(none_as_null=True), nullable=True
    )
    #: a rejected row's cells as read, for the error file
    cells: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
