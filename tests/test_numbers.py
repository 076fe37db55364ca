"""SIREN/SIRET validation against a reference Luhn, and the real numbers of the register."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records_svc.domain import numbers


def reference_luhn(digits: str) -> bool:
    """Luhn as the standard states it: double every second digit from the right, sum digits."""
    total = 0
    for position, char in enumerate(digits[::-1], start=1):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += sum(int(d) for d in str(value))
    return total % 10 == 0


def _accepts(validate: object, digits: str) -> bool:
    try:
        validate(digits)  # type: ignore[operator]
    except numbers.InvalidNumberError:
        return False
    return True


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_siren_is_accepted_exactly_when_luhn_holds(digits: str) -> None:
    assert _accepts(numbers.validate_siren, digits) == reference_luhn(digits)
    if reference_luhn(digits):
        assert numbers.detect(digits) == numbers.CompanyNumber("siren", digits)
    else:
        with pytest.raises(numbers.InvalidNumberError, match="checksum"):
            numbers.detect(digits)


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_a_siret_is_accepted_exactly_when_luhn_holds_on_both(digits: str) -> None:
    if digits.startswith(numbers.LA_POSTE_SIREN):
        expected = reference_luhn(digits) or sum(map(int, digits)) % 5 == 0
    else:
        expected = reference_luhn(digits[:9]) and reference_luhn(digits)
    assert _accepts(numbers.validate_siret, digits) == expected
    if expected:
        assert numbers.detect(digits).kind == "siret"
    else:
        with pytest.raises(numbers.InvalidNumberError):
            numbers.detect(digits)


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_la_poste_sirets_follow_the_digit_sum_rule(nic: str) -> None:
    siret = numbers.LA_POSTE_SIREN + nic
    expected = reference_luhn(siret) or sum(map(int, siret)) % 5 == 0
    if expected:
        assert numbers.detect(siret).value == siret
    else:
        with pytest.raises(numbers.InvalidNumberError, match="La Poste"):
            numbers.detect(siret)


@given(st.text(alphabet="0123456789", min_size=8, max_size=13))
def test_luhn_complete_always_passes(prefix: str) -> None:
    assert reference_luhn(numbers.luhn_complete(prefix))


@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9).filter(reference_luhn),
    st.lists(st.sampled_from([" ", ".", "-", "\u00a0"]), min_size=8, max_size=8),
)
def test_separators_between_digits_are_ignored(siren: str, separators: list[str]) -> None:
    typed = "".join(d + s for d, s in zip(siren, [*separators, ""], strict=True))
    assert numbers.detect(typed).value == siren


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("120027016", "siren"),  # INSEE
        ("356000000", "siren"),  # La Poste
        ("35600000000048", "siret"),  # La Poste, head office
        ("35600000049837", "siret"),  # La Poste, digit sum rule
        ("35600000009075", "siret"),
        ("130025265", "siren"),  # DINUM
        ("13002526500013", "siret"),
        ("130 025 265", "siren"),
        ("130.025.265-00013", "siret"),
        ("552081317", "siren"),  # EDF
        ("55208131766522", "siret"),
        ("380129866", "siren"),  # Orange
        ("652014051", "siren"),  # Carrefour
        ("552 081 317 66522", "siret"),
    ],
)
def test_real_numbers_are_accepted(number: str, kind: str) -> None:
    assert numbers.detect(number).kind == kind


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("35600000049838", "La Poste"),
        ("79237773100022", "checksum"),
        ("782377731", "checksum"),
        ("1234567", "7 digits"),
        ("1300252650", "10 digits"),
        ("MC1234567", "digits only"),
        ("MC1234567890", "digits only"),  # a Monaco pseudo-SIRET
        ("", "empty"),
    ],
)
def test_invalid_numbers_say_why(number: str, reason: str) -> None:
    with pytest.raises(numbers.InvalidNumberError, match=reason):
        numbers.detect(number)
