"""One declaration per standard account field: everything else about it derives from here.

A field is declared once, with its API key, its column, its French label, its type and
limits, who owns it and where it shows. From this tuple come:

- the field library's standard entries (``fields.STANDARD_FIELDS``, the form's tabs),
- the API key → column map (``accounts.COLUMNS``) and the ERP-owned keys (``access``),
- the read and write schemas (``AccountSchema``, ``AccountWriteSchema``, ``AddressSchema``),
- the values the indexing job reads (``snapshots.ACCOUNT_COLUMNS``) and which of them
  the search document matches (``search`` flag),
- the data an edition template sees (``editions.printing.account_data``),
- the portal's labels (it reads them from the field library at run time).

Adding a standard account field: declare it here (the model maps its column from the
declaration; a typed line in ``Account`` only helps readers and mypy), write a migration
(the column and its field library rows), and set ``search`` if search matches it.
docs/records.md ("Adding a standard field") says it step by step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: how the search document matches a field: its words, or its digits as one number
Search = Literal["words", "number"]

IDENTIFICATION, DETAILS, MARKETING = "Identification", "Coordonnées", "Marketing"


@dataclass(frozen=True)
class AccountField:
    """A standard field of prospects and clients."""

    #: the API's name: a top-level key, or ``address.<part>`` inside ``address``
    key: str
    #: the ``Account`` attribute (and database column) that stores it
    column: str
    #: the French label the form and the error messages show
    label: str
    #: the field library's type (text, phone, email, url, siren, siret, ape…)
    type: str
    #: the form's tab
    tab: str
    #: the field library's position (the form's order)
    position: int
    required: bool = False
    #: the longest value kept (the field library checks it; None: the type decides)
    max_length: int | None = None
    #: the longest value the write schema accepts before cleaning (a SIREN typed with
    #: spaces); by default ``max_length``
    input_length: int | None = None
    #: the database column's width
    column_length: int = 200
    #: sent by the ERP: read-only on a client without the right erp_sync
    erp_owned: bool = True
    #: matched by the search document (None: not searchable)
    search: Search | None = None
    #: shown to edition templates (``account.<key>``)
    in_editions: bool = True
    #: the OpenAPI description and example of the write schema's field
    description: str | None = None
    example: str | None = None
    choices: tuple[str, ...] | None = None

    @property
    def address_part(self) -> str | None:
        """``city`` for ``address.city``; None for a top-level field."""
        return self.key.split(".", 1)[1] if self.key.startswith("address.") else None

    @property
    def api_key(self) -> str:
        """The top-level key of the API's JSON (``address`` for an address part)."""
        return self.key.split(".", 1)[0]

    @property
    def write_length(self) -> int:
        return self.input_length or self.max_length or self.column_length


_DECLARED: list[AccountField] = [
    AccountField(
        "name",
        "name",
        "Nom d'appel",
        "text",
        IDENTIFICATION,
        10,
        required=True,
        max_length=200,
        description="Trade name (nom d'appel)",
    ),
    AccountField(
        "legal_name",
        "legal_name",
        "Raison sociale",
        "text",
        IDENTIFICATION,
        20,
        max_length=200,
        search="words",
    ),
    AccountField(
        "siren",
        "siren",
        "SIREN",
        "siren",
        MARKETING,
        110,
        input_length=20,
        column_length=9,
        search="number",
        description="9 digits, Luhn-checked",
    ),
    AccountField(
        "siret",
        "siret",
        "SIRET",
        "siret",
        MARKETING,
        120,
        input_length=20,
        column_length=14,
        search="number",
        description="14 digits, Luhn-checked",
    ),
    AccountField(
        "ape_code",
        "ape_code",
        "Code APE",
        "ape",
        MARKETING,
        130,
        input_length=10,
        column_length=6,
        example="62.02A",
    ),
    AccountField("address.line1", "address_line1", "Adresse", "text", DETAILS, 30, max_length=200),
    AccountField(
        "address.line2",
        "address_line2",
        "Complément d'adresse",
        "text",
        DETAILS,
        40,
        max_length=200,
    ),
    AccountField(
        "address.postal_code",
        "postal_code",
        "Code postal",
        "text",
        DETAILS,
        50,
        max_length=20,
        column_length=20,
    ),
    AccountField(
        "address.city",
        "city",
        "Ville",
        "text",
        DETAILS,
        60,
        max_length=120,
        column_length=120,
        search="words",
    ),
    AccountField(
        "address.country",
        "country",
        "Pays",
        "text",
        DETAILS,
        70,
        max_length=120,
        column_length=120,
    ),
    AccountField("phone", "phone", "Téléphone", "phone", DETAILS, 80, column_length=32),
    AccountField("email", "email", "E-mail", "email", DETAILS, 90, column_length=254),
    AccountField(
        "website", "website", "Site web", "url", DETAILS, 100, max_length=300, column_length=300
    ),
]
#: set once the model has read the declarations: a later one would silently miss it
_model_built = False


def account_fields() -> tuple[AccountField, ...]:
    """The standard account fields, in the API's order."""
    return tuple(_DECLARED)


def library_order() -> tuple[AccountField, ...]:
    """The standard account fields in the field library's (the form's) order."""
    return tuple(sorted(_DECLARED, key=lambda f: f.position))


def by_key() -> dict[str, AccountField]:
    return {f.key: f for f in _DECLARED}


def columns() -> dict[str, str]:
    """Flat API key → ``Account`` attribute."""
    return {f.key: f.column for f in _DECLARED}


def erp_owned_keys() -> tuple[str, ...]:
    """The top-level API keys the ERP owns on a client (``address`` for its parts)."""
    return tuple(dict.fromkeys(f.api_key for f in _DECLARED if f.erp_owned))


def searchable(kind: Search) -> tuple[str, ...]:
    """The columns the search document matches as ``kind`` (words or numbers)."""
    return tuple(f.column for f in _DECLARED if f.search == kind)


def declare(extra: AccountField) -> AccountField:
    """Declare one more standard account field (an extension's, or a test's).

    The model, the schemas and the snapshots are built from the declarations present
    when they are imported, and importing the ``records_svc`` package imports them all:
    declare before (tests/records/extra_field.py loads this module alone to do so). A
    later declaration raises rather than being half applied.
    """
    if _model_built:
        raise RuntimeError(f"declare {extra.key} before the records model is imported")
    if extra.key in by_key() or extra.column in {f.column for f in _DECLARED}:
        raise ValueError(f"the account field {extra.key} is declared already")
    _DECLARED.append(extra)
    return extra


def model_columns() -> tuple[AccountField, ...]:
    """The declarations the model maps (called once, when the model is built)."""
    global _model_built
    _model_built = True
    return account_fields()
