"""The field library: which fields a form shows, in which tab, and their validation.

Standard fields map to columns; custom fields (added by an admin) live in the
record's ``custom`` object. Create and edit validate every value against it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import email_validator
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES, EMAIL_MAX_LENGTH
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from httpkit.error_codes import CodedValueError, field_error
from records_svc.domain import field_declarations, numbers
from records_svc.domain.errors import ConflictError, FieldValidationError, NotFoundError
from records_svc.domain.models import FieldDefinition

ENTITIES = ("prospect", "client", "contact")
CUSTOM_TYPES = ("text", "number", "date", "boolean", "choice", "email", "phone")
DEFAULT_TEXT_LENGTH = 200
_APE = re.compile(r"^(\d{2})\.?(\d{2})([A-Za-z])$")
_URL = re.compile(r"^(https?://)?[^\s/$.?#][^\s]*\.[^\s]{2,}$", re.IGNORECASE)
_URL_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
#: what a text may not hold: the control characters but tab and line feed
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


@dataclass(frozen=True)
class StandardField:
    key: str
    label: str
    type: str
    tab: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] | None = None
    #: the form's order (its declaration's)
    position: int = 0


def _library(declared: field_declarations.Declarations) -> tuple[StandardField, ...]:
    """The field library's standard entries of declared fields, in the form's order."""
    return tuple(
        StandardField(
            f.key, f.label, f.type, f.tab, f.required, f.max_length, f.choices, f.position
        )
        for f in declared.library_order()
    )


_ACCOUNT_FIELDS = _library(field_declarations.ACCOUNTS)
_CONTACT_FIELDS = _library(field_declarations.CONTACTS)
STANDARD_FIELDS: dict[str, tuple[StandardField, ...]] = {
    "prospect": _ACCOUNT_FIELDS,
    "client": _ACCOUNT_FIELDS,
    "contact": _CONTACT_FIELDS,
}


def standard_rows() -> list[dict[str, Any]]:
    """The seed rows of the library (used by the migration and by tests)."""
    rows = []
    for entity, fields in STANDARD_FIELDS.items():
        for f in fields:
            rows.append(
                {
                    "entity": entity,
                    "key": f.key,
                    "label": f.label,
                    "type": f.type,
                    "tab": f.tab,
                    "position": f.position,
                    "required": f.required,
                    "standard": True,
                    "choices": list(f.choices) if f.choices else None,
                    "max_length": f.max_length,
                }
            )
    return rows


# --- reading and changing the library -------------------------------------------------


def list_definitions(session: Session, entity: str) -> list[FieldDefinition]:
    if entity not in ENTITIES:
        raise FieldValidationError(
            [field_error("entity", "not_one_of", f"must be one of {', '.join(ENTITIES)}")]
        )
    stmt = (
        select(FieldDefinition)
        .where(FieldDefinition.entity == entity)
        .order_by(FieldDefinition.position, FieldDefinition.id)
    )
    return list(session.scalars(stmt))


def get_definition(session: Session, definition_id: int) -> FieldDefinition:
    definition = session.get(FieldDefinition, definition_id)
    if definition is None:
        raise NotFoundError(f"No field definition {definition_id}.")
    return definition


def add_custom_field(
    session: Session,
    *,
    entity: str,
    key: str,
    label: str,
    type: str,
    tab: str = "Informations",
    required: bool = False,
    choices: Sequence[str] | None = None,
    max_length: int | None = None,
    position: int | None = None,
) -> FieldDefinition:
    errors = []
    if entity not in ENTITIES:
        errors.append(field_error("entity", "not_one_of", f"must be one of {', '.join(ENTITIES)}"))
    if type not in CUSTOM_TYPES:
        errors.append(
            field_error("type", "not_one_of", f"must be one of {', '.join(CUSTOM_TYPES)}")
        )
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", key):
        errors.append(
            field_error(
                "key", "invalid_format", "lower-case letters, digits and _, starting with a letter"
            )
        )
    if type == "choice" and not choices:
        errors.append(field_error("choices", "required", "a choice field needs its choices"))
    if type != "choice" and choices:
        errors.append(field_error("choices", "not_applicable", "only a choice field has choices"))
    if errors:
        raise FieldValidationError(errors)
    existing = session.scalar(
        select(FieldDefinition).where(FieldDefinition.entity == entity, FieldDefinition.key == key)
    )
    if existing is not None:
        raise ConflictError(f"The {entity} field '{key}' exists already.")
    if position is None:
        last = session.scalar(
            select(func.max(FieldDefinition.position)).where(FieldDefinition.entity == entity)
        )
        position = (last or 0) + 10
    definition = FieldDefinition(
        entity=entity,
        key=key,
        label=label,
        type=type,
        tab=tab,
        position=position,
        required=required,
        standard=False,
        choices=list(choices) if choices else None,
        max_length=max_length if type == "text" else None,
    )
    session.add(definition)
    session.flush()
    return definition


def change_definition(
    session: Session, definition_id: int, changes: Mapping[str, Any]
) -> FieldDefinition:
    """Change a field: required/label/tab/position for any; choices for a custom choice."""
    definition = get_definition(session, definition_id)
    if definition.standard and definition.key == _identity_key(definition.entity):
        if changes.get("required") is False:
            raise FieldValidationError(
                [
                    field_error(
                        "required", "always_required", f"'{definition.key}' is always required"
                    )
                ]
            )
    if "choices" in changes:
        if definition.type != "choice" or definition.standard:
            raise FieldValidationError(
                [field_error("choices", "not_applicable", "only a custom choice field has choices")]
            )
        if not changes["choices"]:
            raise FieldValidationError([field_error("choices", "empty", "must not be empty")])
    for attr in ("label", "tab", "position", "required", "choices"):
        if attr in changes:
            setattr(definition, attr, changes[attr])
    session.flush()
    return definition


def delete_custom_field(session: Session, definition_id: int) -> None:
    definition = get_definition(session, definition_id)
    if definition.standard:
        raise ConflictError("A standard field cannot be deleted; make it optional instead.")
    session.delete(definition)
    session.flush()


def _identity_key(entity: str) -> str:
    return "last_name" if entity == "contact" else "name"


# --- validating values ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldRule:
    """What validation reads of a field definition, as plain values. A ``FieldDefinition``'s
    columns are instrumented attributes, several times slower to read, and ``validate``
    reads them all for each record: an import, which validates thousands with one library,
    reads it once with ``rules``."""

    key: str
    type: str
    required: bool
    standard: bool
    max_length: int | None
    choices: list[str] | None


#: a field library as ``validate`` takes it: as read (``list_definitions``) or as rules
Definitions = Sequence[FieldDefinition] | Sequence[FieldRule]


def rules(definitions: Sequence[FieldDefinition]) -> tuple[FieldRule, ...]:
    """The field library's definitions as plain rules, to validate many records with."""
    return tuple(
        FieldRule(
            d.key,
            d.type,
            d.required,
            d.standard,
            d.max_length,
            list(d.choices) if d.choices is not None else None,
        )
        for d in definitions
    )


def flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    """{"address": {"city": …}} → {"address.city": …}; ``custom`` is left out."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "custom":
            continue
        if key == "address" and isinstance(value, Mapping):
            for sub, subvalue in value.items():
                flat[f"address.{sub}"] = subvalue
        else:
            flat[key] = value
    return flat


def validate(
    definitions: Definitions,
    standard: Mapping[str, Any],
    custom: Mapping[str, Any] | None,
    *,
    creating: bool,
    enforce_required: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check flat standard values and custom values; return them cleaned.

    On create every required field must be given; on edit a required field
    may be left out but not cleared.
    """
    by_key = {d.key: d for d in definitions}
    errors: list[dict[str, str]] = []
    clean_standard: dict[str, Any] = {}
    clean_custom: dict[str, Any] = {}

    def check(definition: FieldDefinition | FieldRule, field: str, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if definition.required and enforce_required:
                errors.append(field_error(field, "required", "is required"))
            return None
        try:
            return _clean_value(definition, value)
        except ValueError as exc:
            errors.append(field_error(field, getattr(exc, "code", "invalid"), str(exc)))
            return None

    for key, value in standard.items():
        definition = by_key.get(key)
        if definition is None or not definition.standard:
            errors.append(field_error(key, "unknown_field", "unknown field"))
            continue
        clean_standard[key] = check(definition, key, value)
    for key, value in (custom or {}).items():
        definition = by_key.get(key)
        if definition is None or definition.standard:
            errors.append(field_error(f"custom.{key}", "unknown_field", "unknown custom field"))
            continue
        clean_custom[key] = check(definition, f"custom.{key}", value)
    if creating and enforce_required:
        for definition in definitions:
            given = standard if definition.standard else (custom or {})
            field = definition.key if definition.standard else f"custom.{definition.key}"
            if definition.required and definition.key not in given:
                errors.append(field_error(field, "required", "is required"))
    siren, siret = clean_standard.get("siren"), clean_standard.get("siret")
    if siren and siret and siret[:9] != siren:
        errors.append(siren_mismatch())
    if errors:
        raise FieldValidationError(errors)
    return clean_standard, clean_custom


def siren_mismatch() -> dict[str, str]:
    """The error of a SIRET that does not belong to the account's SIREN."""
    return field_error("siret", "siret_siren_mismatch", "does not belong to the SIREN given")


def _clean_value(definition: FieldDefinition | FieldRule, value: Any) -> Any:
    kind = definition.type
    if kind in ("text", "url", "ape", "siren", "siret", "email", "phone", "choice", "date"):
        if not isinstance(value, str):
            raise CodedValueError("not_a_string", "must be a string")
    if kind == "text":
        limit = definition.max_length or DEFAULT_TEXT_LENGTH
        if len(value) > limit:
            raise CodedValueError("too_long", f"is longer than {limit} characters")
        if _CONTROL.search(value):
            raise CodedValueError("control_characters", "contains control characters")
        return value
    if kind == "email":
        if len(value) > 254:
            raise CodedValueError("too_long", "is longer than 254 characters")
        return normalise_email(value)
    if kind == "phone":
        return normalise_phone(value)
    if kind == "url":
        if len(value) > (definition.max_length or 300) or not _URL.match(value):
            raise CodedValueError("invalid_url", "is not a valid web address")
        return value if _URL_SCHEME.match(value) else f"https://{value}"
    if kind == "siren":
        try:
            return numbers.validate_siren(value)
        except numbers.InvalidNumberError as exc:
            raise CodedValueError("invalid_siren", str(exc)) from None
    if kind == "siret":
        try:
            return numbers.validate_siret(value)
        except numbers.InvalidNumberError as exc:
            raise CodedValueError("invalid_siret", str(exc)) from None
    if kind == "ape":
        return clean_ape(value)
    if kind == "choice":
        if value not in (definition.choices or []):
            raise CodedValueError(
                "not_one_of", f"must be one of: {', '.join(definition.choices or [])}"
            )
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CodedValueError("not_a_number", "must be a number")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise CodedValueError("not_a_boolean", "must be true or false")
        return value
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise CodedValueError("not_a_date", "must be a date as YYYY-MM-DD") from None
    raise ValueError(f"has an unknown type {kind}")  # pragma: no cover


def clean_ape(value: str) -> str:
    """An APE code (NAF rév. 2) as ``62.02A``, however it was typed."""
    match = _APE.match(value.replace(" ", ""))
    if not match:
        raise CodedValueError("invalid_ape", "is not an APE code such as 62.02A")
    return f"{match[1]}.{match[2]}{match[3].upper()}"


def normalise_email(value: str) -> str:
    """An e-mail address as ``email_validator`` normalises it (no DNS), or ``invalid_email``
    with the library's reason. A plain address takes a shortcut (``_plain_email``)."""
    plain = _plain_email(value)
    if plain is not None:
        return plain
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise CodedValueError("invalid_email", f"is not a valid e-mail address ({exc})") from None


# The usual address: an ASCII dot-atom before the @-sign (RFC 5322's atext), an ASCII host
# name of two labels or more after it (letters, digits, inner hyphens, 1 to 63 characters).
# No flag: re.IGNORECASE would let [a-z] match "K" (U+212A) and "ſ".
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_EMAIL = re.compile(_ATOM + r"(?:\." + _ATOM + r")*@((?:" + _LABEL + r"\.)+" + _LABEL + ")")


def _plain_email(value: str) -> str | None:
    """``validate_email(value, check_deliverability=False).normalized`` for a plain address
    the library accepts for sure; None for any other string (the library decides, and words
    the refusal). What email_validator 2 does to such an address (``syntax.py``): nothing to
    the local part, unless it is an RFC 2142 role name (``Info``: lower-cased, left to the
    library); the domain lower-cased (UTS-46 maps A-Z to a-z, nothing else in ASCII). It
    refuses, and so the shortcut leaves to it: more than 254 characters (so no domain of
    more than 253 comes here), a last label not ending with a letter, a special-use domain
    (``.local``, ``.test``…), and ``--`` (an R-LDH label such as ``ab--c``, or Punycode's
    ``xn--``, which it decodes). ``tests/records/test_field_values.py`` holds the two side
    by side."""
    match = _PLAIN_EMAIL.fullmatch(value) if len(value) <= EMAIL_MAX_LENGTH else None
    if match is None:
        return None
    local, domain = value[: match.start(1) - 1], match[1].lower()
    if (
        "--" in domain
        or not domain[-1].isalpha()
        or local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES
        or any(
            domain == name or domain.endswith("." + name)
            for name in email_validator.SPECIAL_USE_DOMAIN_NAMES
        )
    ):
        return None
    return f"{local}@{domain}"


def normalise_phone(value: str) -> str:
    """Any way a French user types a number → E.164 (France is the default region)."""
    if len(value) > 32:
        raise CodedValueError("invalid_phone", "is too long for a phone number")
    parsed = _french_number(value)
    if parsed is None:
        try:
            parsed = phonenumbers.parse(value, "FR")
        except phonenumbers.NumberParseException:
            raise CodedValueError("invalid_phone", "is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise CodedValueError("invalid_phone", "is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


#: a French number as it is usually typed: 0, then nine digits, in pairs or not
_FRENCH_NUMBER = re.compile(
    r"0([1-9])[ .-]?([0-9]{2})[ .-]?([0-9]{2})[ .-]?([0-9]{2})[ .-]?([0-9]{2})"
)


def _french_number(value: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse(value, "FR")`` for a French number typed as usual
    (``01 42 68 53 00``, ``0142685300``, ``06.12.34.56.78``), without its parsing (two
    thirds of a number's checking): France's country code, the national prefix 0 dropped,
    the nine digits left the national number. None for anything else, which the library
    parses. Whether the number is valid stays the library's (``is_valid_number``).
    ``tests/records/test_field_values.py`` holds the two side by side."""
    match = _FRENCH_NUMBER.fullmatch(value)
    if match is None:
        return None
    return phonenumbers.PhoneNumber(country_code=33, national_number=int("".join(match.groups())))
