"""Export of a list (accounts or contacts) to CSV or XLSX, with constant memory.

A list is read in keyset batches through the same functions as its pages (same
filters, same sort, same access policy: a closed client and its contacts are never
exported for whom cannot see them), and each batch is written and dropped before the
next is read: the memory an export takes does not grow with the number of rows.

The columns are an ``id``, then the field library's fields by their French labels
(custom fields included), in the library's order; then what the library does not hold
(kind, status, owner…). For contacts: the account's id, trade name and SIRET. The
import maps those labels back.

CSV is written as French Excel opens it: UTF-8 with a BOM, ``;`` between cells,
CRLF, numbers with a decimal comma. A text cell that a spreadsheet would take for a
formula (``= + - @``, tab, CR first) gets a leading ``'``. XLSX cells are typed
(numbers, dates, booleans) and text stays text, never a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from records_svc.domain import accounts as accounts_domain
from records_svc.domain import contacts as contacts_domain
from records_svc.domain import fields as fields_domain
from records_svc.domain.errors import FieldValidationError
from records_svc.domain.listing import ListQuery
from records_svc.domain.models import Account, Contact, FieldDefinition, User

PARIS = ZoneInfo("Europe/Paris")
CSV, XLSX, VCARD = "csv", "xlsx", "vcard"
#: how many rows are read, written and dropped at a time
BATCH = 500
#: what a spreadsheet takes for the start of a formula (OWASP's "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: characters an XLSX file cannot hold (XML 1.0)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FRENCH_E164 = re.compile(r"^\+33([1-9]\d{8})$")
KIND_LABELS = {"prospect": "Prospect", "client": "Client"}
STATUS_LABELS = {"draft": "Brouillon", "validated": "Validé"}
CONSENT_LABELS = {"unknown": "Inconnu", "granted": "Accordé", "refused": "Refusé"}
#: the file name of an export of each list, before its date
FILE_STEMS = {"accounts": "comptes", "prospect": "prospects", "client": "clients"}


def check_format(value: str | None, allowed: Sequence[str]) -> str:
    """The export format asked (``csv`` when none); 422 for any other."""
    fmt = value or CSV
    if fmt not in allowed:
        raise FieldValidationError(
            [{"field": "format", "code": "not_one_of", "message": f"one of {', '.join(allowed)}"}]
        )
    return fmt


def file_name(stem: str, extension: str, today: date | None = None) -> str:
    """``comptes-2026-12-01.csv``: what the list is and the day (in France) it was taken."""
    day = today or datetime.now(PARIS).date()
    return f"{stem}-{day.isoformat()}.{extension}"


# --- columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: its header and its value on a row (None: an empty cell)."""

    header: str
    value_of: Callable[[Any], Any]


def export_phone(value: str | None) -> str | None:
    """``01 42 68 53 00`` in France, ``00 44 20 7946 0958`` abroad: never a leading ``+``
    (a formula to a spreadsheet), and what the field library reads back."""
    if not value:
        return None
    french = _FRENCH_E164.match(value)
    if french:  # most numbers: no need to parse them
        digits = french[1]
        return " ".join(("0" + digits[0], digits[1:3], digits[3:5], digits[5:7], digits[7:9]))
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_out_of_country_calling_number(number, "FR")


def export_company_number(value: str | None) -> str | None:
    """``552 120 222 00013``: spaced as it is written in France; a spreadsheet keeps it as
    text (a bare 14-digit number would be shown as 5,52E+13)."""
    if not value:
        return None
    groups = [value[i : i + 3] for i in range(0, min(len(value), 9), 3)]
    if len(value) > 9:
        groups.append(value[9:])
    return " ".join(groups)


def _typed(kind: str, raw: Any) -> Any:
    """A stored value as the export shows it, by its field library type."""
    if raw is None or raw == "":
        return None
    if kind == "phone":
        return export_phone(raw)
    if kind in ("siren", "siret"):
        return export_company_number(raw)
    if kind == "date" and isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return raw
    return raw


def _library_columns(
    definitions: Iterable[FieldDefinition], standard: Callable[[Any, str], Any]
) -> list[Column]:
    columns = []
    for definition in definitions:
        key, kind = definition.key, definition.type
        if definition.standard:

            def value_of(row: Any, key: str = key, kind: str = kind) -> Any:
                return _typed(kind, standard(row, key))

        else:

            def value_of(row: Any, key: str = key, kind: str = kind) -> Any:
                return _typed(kind, (row.custom or {}).get(key))

        columns.append(Column(definition.label, value_of))
    return columns


def account_definitions(session: Session, kind: str | None) -> list[FieldDefinition]:
    """The field library of ``kind``; of both kinds (prospects' first, then the custom
    fields only clients have) for a list of either."""
    if kind is not None:
        return fields_domain.list_definitions(session, kind)
    found = fields_domain.list_definitions(session, accounts_domain.PROSPECT)
    keys = {d.key for d in found}
    found += [
        d
        for d in fields_domain.list_definitions(session, accounts_domain.CLIENT)
        if d.key not in keys
    ]
    return found


def _owners(session: Session) -> dict[int, str]:
    rows = session.execute(select(User.id, User.display_name, User.username))
    return {user_id: display or username for user_id, display, username in rows}


def _local(value: datetime | None) -> datetime | None:
    """An instant as a spreadsheet shows it: Paris time, without an offset."""
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC datetimes
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS).replace(tzinfo=None, microsecond=0)


def _account_value(account: Account, key: str) -> Any:
    return getattr(account, accounts_domain.COLUMNS[key])


def account_columns(session: Session, kind: str | None) -> list[Column]:
    owners = _owners(session)
    return [
        Column("id", lambda a: a.id),
        Column("Type", lambda a: KIND_LABELS.get(a.kind, a.kind)),
        *_library_columns(account_definitions(session, kind), _account_value),
        Column("Statut", lambda a: STATUS_LABELS.get(a.status) if a.status else None),
        Column("Fermé", lambda a: bool(a.closed) if a.kind == accounts_domain.CLIENT else None),
        Column("Référence ERP", lambda a: a.external_ref),
        Column("Propriétaire", lambda a: owners.get(a.owner_id) if a.owner_id else None),
        Column("Créé le", lambda a: _local(a.created_at)),
        Column("Modifié le", lambda a: _local(a.updated_at)),
    ]


def contact_columns(session: Session) -> list[Column]:
    account_labels = {
        d.key: d.label
        for d in fields_domain.list_definitions(session, accounts_domain.PROSPECT)
        if d.standard
    }
    return [
        Column("id", lambda c: c.id),
        *_library_columns(
            fields_domain.list_definitions(session, "contact"), lambda c, key: getattr(c, key)
        ),
        Column("Consentement", lambda c: CONSENT_LABELS.get(c.consent_status, c.consent_status)),
        Column("Ne pas contacter", lambda c: bool(c.do_not_contact)),
        Column("account_id", lambda c: c.account_id),
        Column(account_labels.get("name", "Nom d'appel"), lambda c: c.account.name),
        Column(
            account_labels.get("siret", "SIRET"),
            lambda c: export_company_number(c.account.siret),
        ),
        Column("Créé le", lambda c: _local(c.created_at)),
        Column("Modifié le", lambda c: _local(c.updated_at)),
    ]


# --- rows, in keyset batches ----------------------------------------------------------


def account_batches(
    session: Session, kind: str | None, query: ListQuery, batch: int | None = None
) -> Generator[list[Account], None, None]:
    """The accounts of the list (as its pages give them), ``batch`` at a time."""
    batch = batch or BATCH
    cursor: str | None = None
    while True:
        rows, cursor = accounts_domain.list_accounts(
            session, kind=kind, cursor=cursor, limit=batch, query=query
        )
        if rows:
            yield rows
        session.expunge_all()  # the batch written, nothing of it is kept
        if cursor is None:
            return


def contact_batches(
    session: Session, query: ListQuery, batch: int | None = None
) -> Generator[list[Contact], None, None]:
    """The contacts of the list (as its pages give them), ``batch`` at a time."""
    batch = batch or BATCH
    cursor: str | None = None
    while True:
        rows, cursor = contacts_domain.list_all_contacts(session, query, cursor=cursor, limit=batch)
        if rows:
            yield rows
        session.expunge_all()
        if cursor is None:
            return


# --- CSV ----------------------------------------------------------------------------------


def guard_formula(text: str) -> str:
    """``=SUM(A1)`` → ``'=SUM(A1)``: a spreadsheet shows the text instead of running it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value).replace(".", ",")
        return text[:-2] if text.endswith(",0") else text
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return guard_formula(str(value))


def csv_chunks(columns: Sequence[Column], batches: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file, one chunk per batch: the BOM and the header row first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([guard_formula(c.header) for c in columns])
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
    for rows in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_cell(c.value_of(row)) for c in columns] for row in rows)
        yield buffer.getvalue().encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------


def write_xlsx(
    target: IO[bytes],
    columns: Sequence[Column],
    batches: Iterable[Sequence[Any]],
    *,
    title: str,
) -> None:
    """The workbook, written row by row (openpyxl's write-only mode: rows go to a file
    as they come, strings inline: nothing grows in memory with the rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def text_cell(value: str, font: Font | None = None) -> Cell:
        cell = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", value))
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
        if font is not None:
            cell.font = font
        return cell

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            # a plain value costs openpyxl far less than a cell object: only text that it
            # would take for a formula, or that XML cannot hold, gets one
            if value.startswith("=") or _ILLEGAL_XML.search(value):
                return text_cell(value)
            return value
        if isinstance(value, datetime):
            dated = WriteOnlyCell(sheet, value=value)
            dated.number_format = "DD/MM/YYYY HH:MM"
            return dated
        if isinstance(value, date):
            dated = WriteOnlyCell(sheet, value=datetime(value.year, value.month, value.day))
            dated.number_format = "DD/MM/YYYY"
            return dated
        return value

    sheet.append([text_cell(c.header, bold) for c in columns])
    for rows in batches:
        for row in rows:
            sheet.append([cell(c.value_of(row)) for c in columns])
    workbook.save(target)
