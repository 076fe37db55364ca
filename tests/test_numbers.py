"""SIREN/SIRET validation against a reference Luhn, and the real numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records_svc.domain import numbers


def reference_luhn(digits: str) -> bool:
    checksum = 0
    for index, char in enumerate(digits[::-1]):
        value = int(char) * (2 if index % 2 else 1)
        checksum += value // 10 + value % 10
    return checksum % 10 == 0


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_siren_agrees_with_reference_luhn(digits: str) -> None:
    try:
        numbers.validate_siren(digits)
        accepted = True
    except numbers.InvalidNumberError:
        accepted = False
    assert accepted == reference_luhn(digits)


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_siret_agrees_with_reference_luhn(digits: str) -> None:
    try:
        numbers.validate_siret(digits)
        accepted = True
    except numbers.InvalidNumberError:
        accepted = False
    if digits.startswith(numbers.LA_POSTE_SIREN):
        expected = reference_luhn(digits) or sum(map(int, digits)) % 5 == 0
    else:
        expected = reference_luhn(digits) and reference_luhn(digits[:9])
    assert accepted == expected


@given(st.text(alphabet="0123456789", min_size=8, max_size=13))
def test_luhn_complete_always_passes(prefix: str) -> None:
    assert reference_luhn(numbers.luhn_complete(prefix))


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("120027016", "siren"),
        ("356000000", "siren"),
        ("35600000000048", "siret"),
        ("35600000049837", "siret"),
        ("35600000009075", "siret"),
        ("130 025 265", "siren"),
        ("130.025.265-00013", "siret"),
        ("552081317", "siren"),
        ("55208131766522", "siret"),
        ("380129866", "siren"),
        ("652014051", "siren"),
    ],
)
def test_real_numbers_are_detected(number: str, kind: str) -> None:
    assert numbers.detect(number).kind == kind


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("79237773100022", "checksum"),
        ("782377731", "checksum"),
        ("35600000049838", "La Poste"),
        ("1234567", "7 digits"),
        ("MC1234567", "digits only"),
        ("", "empty"),
    ],
)
def test_invalid_numbers_say_why(number: str, why: str) -> None:
    with pytest.raises(numbers.InvalidNumberError, match=why):
        numbers.detect(number)
