"""French company numbers: SIREN (9 digits) and SIRET (14 digits), Luhn-checked.

La Poste (SIREN 356000000) numbers its establishments outside Luhn: its
SIRETs other than the head office pass when their digit sum is a multiple of 5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

LA_POSTE_SIREN = "356000000"
_SEPARATORS = re.compile(r"[\s.\-\u00a0\u202f]")


class InvalidNumberError(ValueError):
    """The number is not a valid SIREN or SIRET; the message says why."""


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def clean(number: str) -> str:
    """Drop the spaces, dots and dashes people type between digit groups."""
    return _SEPARATORS.sub("", number)


def _check_digits(value: str, length: int, kind: str) -> None:
    if not value.isascii() or not value.isdigit():
        raise InvalidNumberError(f"a {kind} has digits only")
    if len(value) != length:
        raise InvalidNumberError(f"a {kind} has {length} digits, not {len(value)}")


def validate_siren(number: str) -> str:
    value = clean(number)
    _check_digits(value, 9, "SIREN")
    if not luhn_ok(value):
        raise InvalidNumberError("the SIREN fails its checksum (Luhn)")
    return value


def validate_siret(number: str) -> str:
    value = clean(number)
    _check_digits(value, 14, "SIRET")
    siren = value[:9]
    if siren == LA_POSTE_SIREN:
        if not (luhn_ok(value) or sum(int(c) for c in value) % 5 == 0):
            raise InvalidNumberError("the SIRET fails its checksum (La Poste's rule)")
        return value
    if not luhn_ok(siren):
        raise InvalidNumberError("the first 9 digits are not a valid SIREN (Luhn)")
    if not luhn_ok(value):
        raise InvalidNumberError("the SIRET fails its checksum (Luhn)")
    return value


@dataclass(frozen=True)
class CompanyNumber:
    kind: Literal["siren", "siret"]
    value: str

    @property
    def siren(self) -> str:
        return self.value[:9]


def detect(number: str) -> CompanyNumber:
    """Detect a SIREN or SIRET by its length once separators are dropped, and check it."""
    value = clean(number)
    if not value:
        raise InvalidNumberError("the number is empty")
    if not value.isascii() or not value.isdigit():
        raise InvalidNumberError(
            "a SIREN or SIRET has digits only (spaces, dots and dashes are ignored)"
        )
    if len(value) == 9:
        return CompanyNumber("siren", validate_siren(value))
    if len(value) == 14:
        return CompanyNumber("siret", validate_siret(value))
    raise InvalidNumberError(f"{len(value)} digits: a SIREN has 9, a SIRET 14")


def luhn_complete(prefix: str) -> str:
    """Append the digit that makes ``prefix`` pass Luhn (for generated demo numbers)."""
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")
