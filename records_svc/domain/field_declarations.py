"""One declaration per standard field of accounts and of contacts: everything else about
it derives from here.

A field is declared once, with its API key, its column, its French label, its type and
limits, who owns it and where it shows. From this tuple come:

- the model's columns (``Account``, ``Contact``),
- the field library's standard entries (``fields.STANDARD_FIELDS``, the form's tabs),
- the API key → column maps (``accounts.COLUMNS``, ``contacts.COLUMNS``) and the ERP-owned
  keys of accounts (``access``),
- the read and write schemas (``AccountSchema``, ``AccountWriteSchema``, ``AddressSchema``,
  ``ContactSchema``, ``ContactWriteSchema``, the duplicate probes),
- the values the indexing job reads (``snapshots.ACCOUNT_COLUMNS``, ``CONTACT_COLUMNS``)
  and which of them the search document matches (``search`` flag),
- the data an edition template sees (``editions.printing.account_data``, ``contact_data``),
- the portal's labels (it reads them from the field library at run time).

Adding a standard field: declare it here (in ``_DECLARED`` for accounts,
``_CONTACT_DECLARED`` for contacts; the model maps its column from the declaration, a
typed line in the model only helps readers and mypy), write a migration (the column and
its field library rows), and set ``search`` if search matches it.
docs/contributing.md ("Adding a field") says it step by step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: how the search document matches a field: its words, or its digits as one number
Search = Literal["words", "number"]

IDENTIFICATION, DETAILS, MARKETING = "Identification", "Coordonnées", "Marketing"


@dataclass(frozen=True)
class DeclaredField:
    """A standard field of prospects and clients, or of contacts."""

    #: the API's name: a top-level key, or ``address.<part>`` inside ``address``
    key: str
    #: the model's attribute (and database column) that stores it
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
    #: sent by the ERP: read-only on a client without the right erp_sync (accounts only)
    erp_owned: bool = True
    #: matched by the search document (None: not searchable)
    search: Search | None = None
    #: shown to edition templates (``account.<key>``, ``contact.<key>``)
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


#: the names callers know them by (one dataclass for both kinds of record)
AccountField = ContactField = DeclaredField

_DECLARED: list[DeclaredField] = [
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
_CONTACT_DECLARED: list[DeclaredField] = [
    ContactField(
        "civility",
        "civility",
        "Civilité",
        "choice",
        IDENTIFICATION,
        10,
        max_length=20,
        column_length=20,
        choices=("M.", "Mme"),
    ),
    ContactField(
        "first_name",
        "first_name",
        "Prénom",
        "text",
        IDENTIFICATION,
        20,
        max_length=100,
        column_length=100,
    ),
    ContactField(
        "last_name",
        "last_name",
        "Nom",
        "text",
        IDENTIFICATION,
        30,
        required=True,
        max_length=100,
        column_length=100,
    ),
    ContactField(
        "job_title",
        "job_title",
        "Fonction",
        "text",
        IDENTIFICATION,
        40,
        max_length=150,
        column_length=150,
    ),
    ContactField(
        "direct_line", "direct_line", "Ligne directe", "phone", DETAILS, 50, column_length=32
    ),
    ContactField("mobile", "mobile", "Mobile", "phone", DETAILS, 60, column_length=32),
    ContactField("email", "email", "E-mail", "email", DETAILS, 70, column_length=254),
]


class Declarations:
    """The declared standard fields of one kind of record (accounts, or contacts)."""

    def __init__(self, entity: str, declared: list[DeclaredField]) -> None:
        self.entity = entity
        self._declared = declared
        #: set once the model has read them: a later declaration would silently miss it
        self._model_built = False

    def fields(self) -> tuple[DeclaredField, ...]:
        """The standard fields, in the API's order."""
        return tuple(self._declared)

    def library_order(self) -> tuple[DeclaredField, ...]:
        """The standard fields in the field library's (the form's) order."""
        return tuple(sorted(self._declared, key=lambda f: f.position))

    def by_key(self) -> dict[str, DeclaredField]:
        return {f.key: f for f in self._declared}

    def columns(self) -> dict[str, str]:
        """Flat API key → model attribute."""
        return {f.key: f.column for f in self._declared}

    def searchable(self, kind: Search) -> tuple[str, ...]:
        """The columns the search document matches as ``kind`` (words or numbers)."""
        return tuple(f.column for f in self._declared if f.search == kind)

    def declare(self, extra: DeclaredField) -> DeclaredField:
        """Declare one more standard field (an extension's, or a test's).

        The model, the schemas and the snapshots are built from the declarations present
        when they are imported, and importing the ``records_svc`` package imports them all:
        declare before (tests/records/extra_field.py loads this module alone to do so). A
        later declaration raises rather than being half applied.
        """
        if self._model_built:
            raise RuntimeError(f"declare {extra.key} before the records model is imported")
        if extra.key in self.by_key() or extra.column in {f.column for f in self._declared}:
            raise ValueError(f"the {self.entity} field {extra.key} is declared already")
        self._declared.append(extra)
        return extra

    def model_columns(self) -> tuple[DeclaredField, ...]:
        """The declarations the model maps (called once, when the model is built)."""
        self._model_built = True
        return self.fields()


ACCOUNTS = Declarations("account", _DECLARED)
CONTACTS = Declarations("contact", _CONTACT_DECLARED)

# the accounts' declarations, as the modules that predate contacts' call them
account_fields = ACCOUNTS.fields
library_order = ACCOUNTS.library_order
by_key = ACCOUNTS.by_key
columns = ACCOUNTS.columns
searchable = ACCOUNTS.searchable
declare = ACCOUNTS.declare
model_columns = ACCOUNTS.model_columns
contact_fields = CONTACTS.fields


def erp_owned_keys() -> tuple[str, ...]:
    """The top-level API keys the ERP owns on a client (``address`` for its parts)."""
    return tuple(dict.fromkeys(f.api_key for f in _DECLARED if f.erp_owned))
