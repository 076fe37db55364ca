"""What an import says about each row, in French, and the file of its rejected rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records_svc.domain.import_files import FORMULA_STARTS
from records_svc.domain.import_mapping import Target
from records_svc.domain.import_models import ImportRow

CREATED, UPDATED, DUPLICATE, ERROR = "created", "updated", "duplicate", "error"
OUTCOMES = (CREATED, UPDATED, DUPLICATE, ERROR)
#: the column the error file adds to the file's own
ERROR_COLUMN = "erreur"

#: French text of each error code (what the portal shows for the same code)
CODE_TEXT = {
    "required": "obligatoire",
    "invalid": "valeur refusée",
    "too_long": "trop long",
    "too_short": "trop court",
    "invalid_siret": "SIRET invalide",
    "invalid_siren": "SIREN invalide",
    "siret_siren_mismatch": "le SIRET n'est pas de ce SIREN",
    "invalid_email": "adresse e-mail invalide",
    "invalid_phone": "numéro de téléphone invalide",
    "invalid_url": "adresse web invalide",
    "invalid_ape": "code APE invalide (ex. 62.02A)",
    "not_one_of": "valeur hors de la liste permise",
    "out_of_range": "valeur hors limites",
    "not_a_number": "nombre invalide",
    "unknown_field": "champ inconnu",
    "read_only": "vient de l'ERP : non modifiable ici",
    "not_found": "introuvable",
    "ambiguous": "plusieurs comptes portent ce nom",
}
#: the code of a field library type's rejection, for entries that carry none
_TYPE_CODES = {
    "siret": "invalid_siret",
    "siren": "invalid_siren",
    "email": "invalid_email",
    "phone": "invalid_phone",
    "url": "invalid_url",
    "ape": "invalid_ape",
    "choice": "not_one_of",
    "text": "too_long",
}


def error_code(error: Mapping[str, Any], known: Mapping[str, Target]) -> str:
    """The entry's stable code; one carrying none gets its field type's rejection."""
    if error.get("code"):
        return str(error["code"])
    message = str(error.get("message", ""))
    if message == "is required":
        return "required"
    if message.startswith("unknown"):
        return "unknown_field"
    if message.startswith("Longer than") or "longer than" in message:
        return "too_long"
    if error.get("field") == "siret" and "SIREN given" in message:
        return "siret_siren_mismatch"
    target = known.get(str(error.get("field", "")))
    return _TYPE_CODES.get(target.type, "invalid") if target else "invalid"


def with_codes(
    errors: Sequence[Mapping[str, Any]], known: Mapping[str, Target]
) -> list[dict[str, str]]:
    return [
        {
            "field": str(e.get("field", "")),
            "code": error_code(e, known),
            "message": str(e.get("message", "")),
        }
        for e in errors
    ]


def french(errors: Sequence[Mapping[str, str]], known: Mapping[str, Target]) -> str:
    """``Code postal : trop long ; SIRET : SIRET invalide``."""
    parts = []
    for error in errors:
        target = known.get(error["field"])
        label = target.label if target else error["field"]
        parts.append(f"{label} : {CODE_TEXT.get(error['code'], 'valeur refusée')}")
    return " ; ".join(parts) + "."


def created_message(entity: str, dry_run: bool) -> str:
    what = "Le prospect" if entity == "prospects" else "Le contact"
    return f"{what} sera créé." if dry_run else f"{what} a été créé."


#: French text of each likely-duplicate reason (the portal's words, duplicates.js)
REASON_TEXT = {
    "siret": "même SIRET",
    "siren": "même SIREN (même entreprise)",
    "name_city": "même nom dans la même commune",
    "phone": "même téléphone",
    "email_domain": "même domaine d'e-mail",
    "website": "même site web",
    "email": "même e-mail",
    "mobile": "même mobile",
    "direct_line": "même ligne directe",
    "name_account": "même nom dans le même compte",
}


def possible_message(possible: Sequence[Mapping[str, Any]]) -> str:
    """ "Doublon possible : « Boulangerie Martin » (n° 305 ; même téléphone), la ligne 12
    (même SIREN (même entreprise))." for a created row's likely duplicates (a contact's:
    « Jean Durand » (n° 41 ; même e-mail))."""
    named = []
    for entry in possible:
        why = ", ".join(REASON_TEXT.get(r, r) for r in entry["reasons"])
        if "id" in entry:
            named.append(f"« {entry['name']} » (n° {entry['id']} ; {why})")
        else:
            named.append(f"la ligne {entry['row']} ({why})")
    plural = "s" if len(named) > 1 else ""
    return f"Doublon{plural} possible{plural} : {', '.join(named)}."


def updated_message(dry_run: bool) -> str:
    return (
        "La fiche existante sera mise à jour."
        if dry_run
        else "La fiche existante a été mise à jour."
    )


# --- the error file ---------------------------------------------------------------------


def guard(value: Any) -> str:
    """A cell as text, a spreadsheet formula start guarded by a ' (as exports do)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def error_file(session: Session, job_id: str, columns: Sequence[str]) -> Iterator[bytes]:
    """The rejected rows (their cells as read, and why) as a CSV French Excel opens:
    UTF-8 with a BOM, ``;``: fix them and import the file again."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([guard(c) for c in [*columns, ERROR_COLUMN]])
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
    stmt = (
        select(ImportRow.cells, ImportRow.message, ImportRow.row)
        .where(ImportRow.job_id == job_id, ImportRow.outcome == ERROR)
        .order_by(ImportRow.row)
        .execution_options(yield_per=500)
    )
    for cells, message, _row in session.execute(stmt):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([guard(c) for c in (cells or [])] + [guard(message)])
        yield buffer.getvalue().encode("utf-8")
