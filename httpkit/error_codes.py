"""Every ``code`` an entry of a problem's ``errors[]`` may carry, every ``code`` a problem
itself may carry at its top level, and the one helper that builds an entry.

An entry is ``{"field": …, "code": …, "message": …}``: ``field`` names the input at
fault, ``message`` says why in English, and ``code`` is the stable, snake_case name of
the case that clients translate (the portal's French texts are keyed by it). A message
may be reworded; a code is a contract: add codes, never rename one.

A problem whose status alone does not say what happened (a sign-in refused, a CSRF
check failed, a URL no endpoint answers, a SIRENE look-up that failed) carries a
top-level ``code`` of ``PROBLEM_CODES`` beside its English ``detail``: clients match
that code, never the ``detail`` or the ``title``.

Validation errors of marshmallow/webargs carry messages only: ``code_of_message`` maps
each of their message templates to a code.
"""

from __future__ import annotations

import re

# --- the codes ----------------------------------------------------------------------

#: code → what it means (the portal has a French text for each: tests check it)
CODES: dict[str, str] = {
    # presence and shape
    "required": "a value is required and none was given (or it was blank)",
    "not_null": "the field was given as null but cannot be",
    "unknown_field": "the input has no such field",
    "read_only": "the field cannot be changed here (ERP-owned client fields)",
    "not_applicable": "the field does not apply to this record or this kind of field",
    "always_required": "the field cannot be made optional",
    "empty": "the value is empty (a file, a list of choices)",
    # types
    "invalid": "the value is not valid (no finer code applies)",
    "not_a_string": "a text was expected",
    "not_a_number": "a number (or an integer) was expected",
    "not_a_boolean": "true or false was expected",
    "not_a_date": "a date (YYYY-MM-DD) or a date-time was expected",
    "not_a_list": "a list was expected",
    "not_an_object": "an object (a JSON mapping) was expected",
    # sizes and ranges
    "too_long": "the text is longer than allowed",
    "too_short": "the text is shorter than allowed",
    "invalid_length": "the text's length is outside the range allowed",
    "out_of_range": "the number or date is outside the range allowed",
    "too_large": "the file or number is larger than allowed",
    "not_one_of": "the value is not one of the choices offered",
    "invalid_format": "the text does not have the expected form",
    "control_characters": "the text holds control characters",
    "unstorable_text": "the text holds a NUL character or a lone surrogate",
    # the field library's kinds
    "invalid_email": "not a valid e-mail address",
    "invalid_phone": "not a valid phone number",
    "invalid_url": "not a valid web address",
    "invalid_siren": "not a valid SIREN (9 digits, Luhn checksum)",
    "invalid_siret": "not a valid SIRET (14 digits, Luhn checksum)",
    "invalid_number": "not a valid SIREN or SIRET (a company number for a SIRENE look-up)",
    "invalid_ape": "not an APE code (NAF rév. 2) such as 62.02A",
    "siret_siren_mismatch": "the SIRET does not belong to the SIREN given",
    "refused_by_register": "the SIRENE register refused the number",
    # references and relations
    "not_found": "the record the value refers to does not exist (or is not visible)",
    "duplicate": "the value is already another record's (a SIRET, a column mapped twice…)",
    "same_record": "a record cannot be merged into itself",
    "stale": "the record changed since the version given",
    "ambiguous": "the value matches several records (an import's account by name)",
    "invalid_file": "the file cannot be read as what it says it is (CSV text, an XLSX workbook)",
    "not_related": "the records given do not belong together",
    "unknown_filter": "a list was filtered by a field it has no filter for",
    "unknown_sort": "a list was sorted by a key it cannot be sorted by",
    "invalid_cursor": "the cursor does not come from a previous page",
    # templates
    "template_syntax": "the edition template does not compile",
    # headers
    "invalid_header": "a header's value does not have the expected form",
    "key_reused": "an Idempotency-Key already used for another request",
    "in_flight": "the first request with this Idempotency-Key is still running",
    # a problem's own top-level code (PROBLEM_CODES)
    "bad_credentials": "sign-in refused: unknown user, wrong password or disabled account",
    "csrf_failed": "a request signed in by the session cookie lacks its CSRF header",
    "unknown_url": "no endpoint answers this URL (a feature this server does not offer)",
    # SIRENE look-ups (records_svc/sirene/errors.py); invalid_number is above
    "sirene_error": "a SIRENE look-up failed (no finer code applies)",
    "sirene_not_configured": "no SIRENE provider is configured on this server",
    "provider_key_rejected": "the SIRENE provider refused the server's key",
    "provider_unavailable": "the SIRENE provider (or the job queue) cannot be reached now",
    "provider_timeout": "the SIRENE provider did not answer in time",
    "quota_exhausted": "the SIRENE provider's quota is used up for now (see Retry-After)",
    "unknown_number": "the SIRENE register has no such SIREN or SIRET",
    "failed": "a SIRENE look-up's result could not be applied to the prospect",
}

REQUIRED = "required"
NOT_NULL = "not_null"
UNKNOWN_FIELD = "unknown_field"
READ_ONLY = "read_only"
NOT_APPLICABLE = "not_applicable"
ALWAYS_REQUIRED = "always_required"
EMPTY = "empty"
INVALID = "invalid"
NOT_A_STRING = "not_a_string"
NOT_A_NUMBER = "not_a_number"
NOT_A_BOOLEAN = "not_a_boolean"
NOT_A_DATE = "not_a_date"
NOT_A_LIST = "not_a_list"
NOT_AN_OBJECT = "not_an_object"
TOO_LONG = "too_long"
TOO_SHORT = "too_short"
INVALID_LENGTH = "invalid_length"
OUT_OF_RANGE = "out_of_range"
TOO_LARGE = "too_large"
NOT_ONE_OF = "not_one_of"
INVALID_FORMAT = "invalid_format"
CONTROL_CHARACTERS = "control_characters"
UNSTORABLE_TEXT = "unstorable_text"
INVALID_EMAIL = "invalid_email"
INVALID_PHONE = "invalid_phone"
INVALID_URL = "invalid_url"
INVALID_SIREN = "invalid_siren"
INVALID_SIRET = "invalid_siret"
INVALID_NUMBER = "invalid_number"
INVALID_APE = "invalid_ape"
SIRET_SIREN_MISMATCH = "siret_siren_mismatch"
REFUSED_BY_REGISTER = "refused_by_register"
NOT_FOUND = "not_found"
DUPLICATE = "duplicate"
SAME_RECORD = "same_record"
STALE = "stale"
AMBIGUOUS = "ambiguous"
INVALID_FILE = "invalid_file"
NOT_RELATED = "not_related"
UNKNOWN_FILTER = "unknown_filter"
UNKNOWN_SORT = "unknown_sort"
INVALID_CURSOR = "invalid_cursor"
TEMPLATE_SYNTAX = "template_syntax"
INVALID_HEADER = "invalid_header"
KEY_REUSED = "key_reused"
IN_FLIGHT = "in_flight"
BAD_CREDENTIALS = "bad_credentials"
CSRF_FAILED = "csrf_failed"
UNKNOWN_URL = "unknown_url"
SIRENE_ERROR = "sirene_error"
SIRENE_NOT_CONFIGURED = "sirene_not_configured"
PROVIDER_KEY_REJECTED = "provider_key_rejected"
PROVIDER_UNAVAILABLE = "provider_unavailable"
PROVIDER_TIMEOUT = "provider_timeout"
QUOTA_EXHAUSTED = "quota_exhausted"
UNKNOWN_NUMBER = "unknown_number"
FAILED = "failed"

#: the codes that name a whole problem (its top-level ``code``): the portal's text for
#: each is a whole sentence, which says a problem without ``errors[]``. (A problem may
#: also carry an entry's code at its top level, with ``errors[]`` saying why: SIRENE's
#: ``invalid_number``.)
PROBLEM_CODES = frozenset(
    {
        BAD_CREDENTIALS,
        CSRF_FAILED,
        UNKNOWN_URL,
        SIRENE_ERROR,
        SIRENE_NOT_CONFIGURED,
        PROVIDER_KEY_REJECTED,
        PROVIDER_UNAVAILABLE,
        PROVIDER_TIMEOUT,
        QUOTA_EXHAUSTED,
        UNKNOWN_NUMBER,
        FAILED,
    }
)


class UnknownErrorCodeError(ValueError):
    """A code used in an error entry is not in ``CODES`` (a programming error)."""


def field_error(field: str, code: str, message: str) -> dict[str, str]:
    """One entry of ``errors[]``: ``{"field", "code", "message"}``, its code registered."""
    if code not in CODES:
        raise UnknownErrorCodeError(f"error code {code!r} is not in httpkit.error_codes.CODES")
    return {"field": field, "code": code, "message": message}


class CodedValueError(ValueError):
    """A ValueError that says which code its refusal has (for the field library)."""

    def __init__(self, code: str, message: str) -> None:
        if code not in CODES:
            raise UnknownErrorCodeError(f"error code {code!r} is not in CODES")
        super().__init__(message)
        self.code = code


# --- marshmallow/webargs messages ---------------------------------------------------

#: marshmallow's message templates (fields, validators, schema) and the messages of
#: Carnet's own schema validators, each with its code
_MESSAGE_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Missing data for required field.", REQUIRED),
    ("Field may not be null.", NOT_NULL),
    ("Unknown field.", UNKNOWN_FIELD),
    ("Invalid value.", INVALID),
    ("Invalid input.", INVALID),
    ("Invalid input type.", NOT_AN_OBJECT),
    ("Invalid type.", NOT_AN_OBJECT),
    ("Not a valid mapping type.", NOT_AN_OBJECT),
    ("Not a valid string.", NOT_A_STRING),
    ("Not a valid utf-8 string.", NOT_A_STRING),
    ("Not a valid integer.", NOT_A_NUMBER),
    ("Not a valid number.", NOT_A_NUMBER),
    ("Number too large.", TOO_LARGE),
    ("Special numeric values (nan or infinity) are not permitted.", NOT_A_NUMBER),
    ("Not a valid boolean.", NOT_A_BOOLEAN),
    ("Not a valid date.", NOT_A_DATE),
    ("Not a valid {obj_type}.", NOT_A_DATE),
    ("Not a valid {awareness} {obj_type}.", NOT_A_DATE),
    ('"{input}" cannot be formatted as a {obj_type}.', NOT_A_DATE),
    ("Not a valid list.", NOT_A_LIST),
    ("Not a valid tuple.", NOT_A_LIST),
    ("Not a valid email address.", INVALID_EMAIL),
    ("Not a valid URL.", INVALID_URL),
    ("Must be one of: {choices}.", NOT_ONE_OF),
    ("One or more of the choices you made was not in: {choices}.", NOT_ONE_OF),
    ("Shorter than minimum length {min}.", TOO_SHORT),
    ("Longer than maximum length {max}.", TOO_LONG),
    ("Length must be between {min} and {max}.", INVALID_LENGTH),
    ("Length must be {equal}.", INVALID_LENGTH),
    ("Must be {op} {min}.", OUT_OF_RANGE),
    ("Must be {op} {min} and {op} {max}.", OUT_OF_RANGE),
    ("String does not match expected pattern.", INVALID_FORMAT),
    ("Invalid JSON body.", INVALID),
    # Carnet's schemas (records_svc/api/*schemas.py)
    ("contains control characters", CONTROL_CHARACTERS),
    ("from 0 to 999999999999.99", OUT_OF_RANGE),
    ("at most 2 decimal places", INVALID_FORMAT),
    ("an ISO 4217 code such as EUR", INVALID_FORMAT),
    ("me or a user id", INVALID_FORMAT),
    ("me, all or a user id", INVALID_FORMAT),
    ("letters and digits", INVALID_FORMAT),
)


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^{}]*\}", template)
    return re.compile("^" + "(.+?)".join(re.escape(p) for p in parts) + "$", re.DOTALL)


_EXACT_MESSAGES = {t: code for t, code in _MESSAGE_TEMPLATES if "{" not in t}
_MESSAGE_PATTERNS = tuple(
    (_template_pattern(t), code) for t, code in _MESSAGE_TEMPLATES if "{" in t
)


def code_of_message(message: str) -> str:
    """The code of a marshmallow/webargs message (``invalid`` for one not listed)."""
    if message in _EXACT_MESSAGES:
        return _EXACT_MESSAGES[message]
    for pattern, code in _MESSAGE_PATTERNS:
        if pattern.match(message):
            return code
    return INVALID
