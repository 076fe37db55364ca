"""Which column of an import file goes to which field: checked, or guessed from headers.

A target is a field library key (``name``, ``address.postal_code``, ``custom.sector``)
or one of the keys an import matches on: ``id`` and ``external_ref`` (prospects), and
for contacts their account, by ``account.id``, ``account.siret``,
``account.external_ref`` or ``account.name``. Headers are compared folded (case,
accents, punctuation aside), against the keys, the field library's labels (what an
export writes) and the headers French files commonly carry (``CP``, ``Tél.``…).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from records_svc.domain import fields
from records_svc.domain.errors import FieldValidationError
from records_svc.domain.import_files import Cell
from records_svc.domain.models import FieldDefinition

PROSPECTS, CONTACTS = "prospects", "contacts"
ENTITIES = (PROSPECTS, CONTACTS)
#: the field library's entity of each import entity
LIBRARY = {PROSPECTS: "prospect", CONTACTS: "contact"}
#: keys an import matches on (never written as such), with their French labels
MATCH_KEYS = {
    PROSPECTS: {"id": "Identifiant", "external_ref": "Référence ERP"},
    CONTACTS: {
        "id": "Identifiant",
        "account.id": "Compte (identifiant)",
        "account.siret": "Compte (SIRET)",
        "account.external_ref": "Compte (référence ERP)",
        "account.name": "Compte (nom)",
    },
}
ACCOUNT_KEYS = ("account.id", "account.siret", "account.external_ref", "account.name")
#: common French headers (folded) → target, beside keys and labels
SYNONYMS = {
    PROSPECTS: {
        "nom": "name",
        "societe": "name",
        "entreprise": "name",
        "nom commercial": "name",
        "enseigne": "name",
        "compte": "name",
        "denomination": "legal_name",
        "adresse 1": "address.line1",
        "adresse ligne 1": "address.line1",
        "rue": "address.line1",
        "adresse 2": "address.line2",
        "complement": "address.line2",
        "cp": "address.postal_code",
        "code postal": "address.postal_code",
        "commune": "address.city",
        "localite": "address.city",
        "tel": "phone",
        "tel standard": "phone",
        "standard": "phone",
        "email": "email",
        "mail": "email",
        "courriel": "email",
        "adresse e mail": "email",
        "site": "website",
        "site internet": "website",
        "url": "website",
        "web": "website",
        "n siret": "siret",
        "no siret": "siret",
        "n siren": "siren",
        "ape": "ape_code",
        "naf": "ape_code",
        "code naf": "ape_code",
        "identifiant": "id",
        "ref erp": "external_ref",
        "code client": "external_ref",
    },
    CONTACTS: {
        "nom de famille": "last_name",
        "titre": "civility",
        "poste": "job_title",
        "tel": "direct_line",
        "telephone": "direct_line",
        "tel direct": "direct_line",
        "tel fixe": "direct_line",
        "portable": "mobile",
        "tel portable": "mobile",
        "tel mobile": "mobile",
        "gsm": "mobile",
        "email": "email",
        "mail": "email",
        "courriel": "email",
        "adresse e mail": "email",
        "identifiant": "id",
        "account id": "account.id",
        "id compte": "account.id",
        "siret": "account.siret",
        "siret du compte": "account.siret",
        "reference erp": "account.external_ref",
        "code client": "account.external_ref",
        "nom d appel": "account.name",
        "raison sociale": "account.name",
        "societe": "account.name",
        "entreprise": "account.name",
        "compte": "account.name",
    },
}


def fold(text: str) -> str:
    """``Tél. (standard)`` → ``tel standard``: lower case, no accents, words only."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.split(r"[^a-z0-9]+", plain)).strip()


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    #: the field library's type (``text``, ``number``…); ``key`` for a matching key
    type: str
    definition: FieldDefinition | None = None


def targets(session: Session, entity: str) -> dict[str, Target]:
    """What a column of an ``entity`` file may be mapped to, by key."""
    found: dict[str, Target] = {}
    for definition in fields.list_definitions(session, LIBRARY[entity]):
        key = definition.key if definition.standard else f"custom.{definition.key}"
        found[key] = Target(key, definition.label, definition.type, definition)
    for key, label in MATCH_KEYS[entity].items():
        found[key] = Target(key, label, "key")
    return found


def guess(columns: Sequence[str], entity: str, known: Mapping[str, Target]) -> dict[str, str]:
    """Column → target for the headers recognised (each target once, first column first)."""
    by_name: dict[str, str] = {}
    for key in known:  # keys first, then labels, then common headers
        by_name.setdefault(fold(key), key)
        if key.startswith("custom."):
            by_name.setdefault(fold(key[len("custom.") :]), key)
    for key, target in known.items():
        by_name.setdefault(fold(target.label), key)
    for name, key in SYNONYMS[entity].items():
        if key in known:
            by_name.setdefault(name, key)
    mapping: dict[str, str] = {}
    for column in columns:
        found = by_name.get(fold(column))
        if found is not None and found not in mapping.values():
            mapping[column] = found
    return mapping


def check(
    mapping: Mapping[str, Any], columns: Sequence[str], entity: str, known: Mapping[str, Target]
) -> dict[str, str]:
    """The mapping without its ignored columns; 422 naming each column at fault."""
    errors: list[dict[str, str]] = []
    clean: dict[str, str] = {}
    for column, key in mapping.items():
        field = f"mapping.{column}"
        if key is None or key == "":
            continue
        if not isinstance(key, str) or key not in known:
            errors.append(
                {"field": field, "code": "unknown_field", "message": f"{key!r} is not a field"}
            )
        elif column not in columns:
            errors.append(
                {"field": field, "code": "invalid", "message": "is not a column of the file"}
            )
        elif key in clean.values():
            errors.append(
                {"field": field, "code": "duplicate", "message": f"{key} is mapped twice"}
            )
        else:
            clean[column] = key
    if entity == CONTACTS and not errors and not set(clean.values()) & set(ACCOUNT_KEYS):
        errors.append(
            {
                "field": "mapping",
                "code": "required",
                "message": "map a column to the contacts' account: " + ", ".join(ACCOUNT_KEYS),
            }
        )
    if errors:
        raise FieldValidationError(errors)
    return clean


#: field → the field it is taken from when the mapping has no column for it (a French
#: trade-show file has a *Raison sociale* and no *Nom d'appel*); a column for the field,
#: even with empty cells, is read as any other (an empty cell is then refused)
DERIVED = {PROSPECTS: {"name": "legal_name"}, CONTACTS: {}}


def derived(entity: str, mapping: Mapping[str, str]) -> dict[str, str]:
    """The fields each row of an ``entity`` file takes from another (``DERIVED``) under
    ``mapping``: those it maps no column to, whose source it maps a column to."""
    mapped = set(mapping.values())
    return {
        key: source
        for key, source in DERIVED[entity].items()
        if key not in mapped and source in mapped
    }


# --- a row's cells → the body an API call would send ---------------------------------


_TRUE = {"1", "oui", "o", "yes", "y", "true", "vrai", "x"}
_FALSE = {"0", "non", "n", "no", "false", "faux"}


def convert(value: Cell, kind: str) -> Any:
    """A cell as the API would receive it for a field of ``kind`` (left as it is when it
    cannot be read: the field library then rejects it with the API's own message)."""
    if kind == "number":
        return _number(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        folded = fold(str(value))
        return True if folded in _TRUE else False if folded in _FALSE else str(value)
    if kind == "date" and isinstance(value, str):
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value)
        if match:
            try:
                return date(int(match[3]), int(match[2]), int(match[1])).isoformat()
            except ValueError:
                return value
        return value[:10] if re.match(r"\d{4}-\d{2}-\d{2}T", value) else value
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime | date):  # pragma: no cover - cells are cleaned to text
        return value.isoformat()
    return str(value) if value is not None else None


def _number(value: Cell) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return str(value)
    return int(number) if number.is_integer() and "." not in text else number


def body(
    cells: Sequence[Cell],
    columns: Sequence[str],
    mapping: Mapping[str, str],
    known: Mapping[str, Target],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the write body, the matching keys) of one row; empty cells are left out."""
    position = {column: i for i, column in enumerate(columns)}
    data: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    for column, key in mapping.items():
        value = cells[position[column]]
        if value is None:
            continue
        target = known[key]
        if target.type == "key":
            keys[key] = value if isinstance(value, str) else str(value)
        elif key.startswith("custom."):
            data.setdefault("custom", {})[key[len("custom.") :]] = convert(value, target.type)
        elif key.startswith("address."):
            data.setdefault("address", {})[key[len("address.") :]] = convert(value, target.type)
        else:
            data[key] = convert(value, target.type)
    return data, keys
