"""French formatting helpers that edition templates see (filters and functions)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import phonenumbers

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def date_fr(value: date | datetime | str | None) -> str:
    """``27 novembre 2026`` (``1er`` for the first of the month)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def phone_fr(value: str | None) -> str:
    """A phone number in national format (``01 42 14 20 00``); foreign ones internationally."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def address_lines(address: Mapping[str, Any] | None) -> list[str]:
    """An address on lines: street, complement, ``75009 Paris``, country unless France."""
    if not address:
        return []
    city_line = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    country = address.get("country")
    if country and country.strip().lower() == "france":
        country = None
    lines = [address.get("line1"), address.get("line2"), city_line, country]
    return [str(line).strip() for line in lines if line and str(line).strip()]


def siren_fr(value: str | None) -> str:
    """A SIREN or SIRET with its usual spaces (``552 120 222`` / ``552 120 222 00013``)."""
    if not value:
        return ""
    digits = "".join(ch for ch in value if ch.isdigit())
    groups = [digits[i : i + 3] for i in range(0, min(len(digits), 9), 3)]
    if len(digits) > 9:
        groups.append(digits[9:])
    return " ".join(groups)


FILTERS = {
    "date_fr": date_fr,
    "phone_fr": phone_fr,
    "address_lines": address_lines,
    "siren_fr": siren_fr,
}
