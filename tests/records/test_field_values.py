"""The field library's value checks without a database: the e-mail and phone shortcuts
against email_validator and phonenumbers themselves, string for string; plain rules against
the definitions read."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from httpkit.error_codes import CodedValueError
from records_svc.domain import fields
from records_svc.domain.errors import FieldValidationError
from records_svc.domain.models import FieldDefinition


def _library(value: str) -> str:
    """What validate_email makes of ``value``: its normalised form, or its refusal."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        return f"refused: is not a valid e-mail address ({exc})"


def _ours(value: str) -> str:
    try:
        return fields.normalise_email(value)
    except CodedValueError as exc:
        assert exc.code == "invalid_email"
        return f"refused: {exc}"


def _same_as_the_library(value: str) -> None:
    expected = _library(value)
    assert _ours(value) == expected
    plain = fields._plain_email(value)
    assert plain is None or plain == expected  # the shortcut never accepts what it refuses


_LONG_LABEL = "a" * 63
EDGE_CASES = [
    # what the shortcut takes
    "contact@brasserie.fr",
    "Jean.Dupont@Exemple.FR",
    "JEAN@EXEMPLE.COM",
    "a@b.co",
    "a@b.c",
    "x_y+tag@sub.domain.example.org",
    "o'neil@exemple.ie",
    "!#$%&'*+-/=?^_`{|}~@exemple.fr",
    "a@1.fr",
    "a@123.456.fr",
    "a@a-b.fr",
    "a@a-b-c.d-e.fr",
    "a@x.b1c",
    "1@2.fr",
    f"a@{_LONG_LABEL}.fr",
    f"{'l' * 64}@exemple.fr",
    f"{'l' * 65}@exemple.fr",
    f"{'l' * 200}@exemple.fr",
    # the RFC 2142 role names, lower-cased by the library
    "Info@exemple.fr",
    "SALES@exemple.fr",
    "postmaster@exemple.fr",
    "Info.x@exemple.fr",
    # refused or changed by the library, left to it
    "",
    "@",
    "a",
    "a@",
    "@b.fr",
    "a@b",
    "a@localhost",
    "a@b.123",
    "a@b.fr1",
    "a@b.f-",
    "a@b.local",
    "a@b.LOCAL",
    "a@local",
    "a@x.test",
    "a@x.onion",
    "a@invalid",
    "a@x.invalid",
    "a@10.in-addr.arpa",
    "a@arpa.fr",
    "a@test.fr",
    "a..b@exemple.fr",
    ".a@exemple.fr",
    "a.@exemple.fr",
    "a@exemple..fr",
    "a@.exemple.fr",
    "a@exemple.fr.",
    "a@-exemple.fr",
    "a@exemple-.fr",
    "a@ex.-emple.fr",
    "a@ab--cd.fr",
    "a@a--b.fr",
    "a@xn--bcher-kva.ch",
    "a@XN--BCHER-KVA.CH",
    "a@xn--x.fr",
    "a@abxn--c.fr",
    "a@a_b.fr",
    f"a@{_LONG_LABEL}a.fr",
    "a@exemple.fr\n",
    " a@exemple.fr",
    "a@exemple.fr ",
    "a b@exemple.fr",
    "a@b@exemple.fr",
    '"a b"@exemple.fr',
    '"ab"@exemple.fr',
    '"a\\"b"@exemple.fr',
    '"a@b"@exemple.fr',
    '"info"@exemple.fr',
    "Jean <jean@exemple.fr>",
    "<jean@exemple.fr>",
    "jean@[192.168.0.1]",
    "jean@[IPv6:2001:db8::1]",
    "jean@[300.1.1.1]",
    "jean@exemple.fr>",
    "é@exemple.fr",
    "jean@exémple.fr",
    "jean@bücher.ch",
    "jean@EXÉMPLE.FR",
    "\u212a@exemple.fr",  # KELVIN SIGN, which [a-z] matches under re.IGNORECASE
    "jean@\u212aexemple.fr",
    "jean@exemple.\u017ffr",  # LATIN SMALL LETTER LONG S
    "jean\uff20exemple.fr",  # FULLWIDTH COMMERCIAL AT
    "jean@exemple\u3002fr",  # IDEOGRAPHIC FULL STOP
    "jean@exemple\uff0efr",
    "a\u0301@exemple.fr",
    "jean@exemple.fr\u200b",
    "jean\x00@exemple.fr",
    "jean\t@exemple.fr",
]


@pytest.mark.parametrize("value", EDGE_CASES)
def test_an_address_normalises_as_email_validator_does(value: str) -> None:
    _same_as_the_library(value)


def _domain(length: int) -> str:
    """A domain of ``length`` characters: labels of 63 ``b`` and a last one, then ``.fr``."""
    body = "".join("." if i % 64 == 63 else "b" for i in range(length - 3))
    assert not body.endswith(".")
    return body + ".fr"


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("domain_length", [250, 252, 253, 254])
def test_long_domains_and_addresses_are_the_library_s(domain_length: int, upper: bool) -> None:
    domain = _domain(domain_length)
    assert len(domain) == domain_length
    if upper:
        domain = domain.upper()
    _same_as_the_library(f"a@{domain}")
    for address_length in (253, 254, 255):
        local = "l" * (address_length - 1 - domain_length)
        if local:
            _same_as_the_library(f"{local}@{domain}")
    for address_length in (253, 254, 255):
        _same_as_the_library("l" * (address_length - len("@exemple.fr")) + "@exemple.fr")


def test_the_usual_addresses_take_the_shortcut() -> None:
    assert fields._plain_email("contact@Brasserie-Bellevue.FR") == "contact@brasserie-bellevue.fr"
    assert fields._plain_email("Jean.Dupont@exemple.com") == "Jean.Dupont@exemple.com"
    assert fields._plain_email("jean@exémple.fr") is None
    assert fields._plain_email("Info@exemple.fr") is None


_ATEXT = "abcXYZ0189!#$%&'*+-/=?^_`{|}~"
_ODD = '.@"\\<>[]() \t\n,;:\u212a\u017fé\u0301\uff20\u3002\u200b\x00'
_LABEL_CHARS = "abzAZ019-_"


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=_ATEXT + _ODD + _LABEL_CHARS, max_size=40))
def test_any_string_normalises_as_email_validator_does(value: str) -> None:
    _same_as_the_library(value)


@st.composite
def _addresses(draw: st.DrawFn) -> str:
    """Addresses near the shortcut's edges: labels of 0 to 70 characters, hyphens, digits,
    upper case, special-use and role names, now and then an odd character anywhere."""
    local = draw(
        st.one_of(
            st.text(alphabet=_ATEXT + ".", min_size=0, max_size=70),
            st.sampled_from(["info", "Info", "SALES", "www", "x.info", '"a"', '"a b"']),
        )
    )
    labels = draw(
        st.lists(
            st.one_of(
                st.text(alphabet=_LABEL_CHARS, min_size=0, max_size=70),
                st.sampled_from(["xn--bcher-kva", "local", "test", "arpa", "Onion", "fr", "1"]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    address = f"{local}@{'.'.join(labels)}"
    if draw(st.booleans()) and address:
        at = draw(st.integers(min_value=0, max_value=len(address)))
        address = address[:at] + draw(st.sampled_from(_ODD)) + address[at:]
    return address


@settings(max_examples=1500, deadline=None)
@given(_addresses())
def test_generated_addresses_normalise_as_email_validator_does(value: str) -> None:
    _same_as_the_library(value)


def _definitions(entity: str) -> list[FieldDefinition]:
    """The standard library of ``entity`` as the database holds it, and a custom choice."""
    rows = [row for row in fields.standard_rows() if row["entity"] == entity]
    custom = {"entity": entity, "key": "size", "label": "Taille", "type": "choice"}
    custom |= {"tab": "Informations", "position": 999, "required": True, "standard": False}
    return [FieldDefinition(**row) for row in [*rows, custom | {"choices": ["S", "M"]}]]


def _outcome(definitions: fields.Definitions, body: dict, creating: bool) -> object:
    try:
        return fields.validate(
            definitions, fields.flatten(body), body.get("custom"), creating=creating
        )
    except FieldValidationError as exc:
        return exc.errors


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize(
    "body",
    [
        {"name": "Brasserie", "custom": {"size": "S"}},
        {
            "name": " Brasserie ",
            "legal_name": "BRASSERIE SAS",
            "address": {"line1": "1 rue X", "postal_code": "69002", "city": "Lyon"},
            "phone": "04 72 00 00 00",
            "email": "Contact@Brasserie.FR",
            "website": "www.brasserie.fr",
            "siret": "73282932000074",
            "siren": "732829320",
            "ape_code": "5610a",
            "custom": {"size": "M"},
        },
        {
            "name": "",
            "legal_name": "a\x07b",
            "address": {"city": "x" * 121, "zip": "1"},
            "phone": "12",
            "email": "info@",
            "website": "pas une adresse",
            "siret": "73282932000075",
            "siren": "552100554",
            "ape_code": "ABC",
            "nope": 1,
            "custom": {"size": "XL", "other": 1},
        },
        {"email": 3, "siret": "73282932000074", "siren": "552100554"},
        {},
    ],
)
def test_plain_rules_validate_as_the_definitions_read(body: dict, creating: bool) -> None:
    definitions = _definitions("prospect")
    rules = fields.rules(definitions)
    assert _outcome(rules, body, creating) == _outcome(definitions, body, creating)


def test_a_text_refuses_the_control_characters_but_tab_and_line_feed() -> None:
    (legal_name,) = (d for d in _definitions("prospect") if d.key == "legal_name")
    for code in [*range(0x250), 0x7F, 0x85, 0x2028, 0x200B, 0xFEFF]:
        text = f"a{chr(code)}b"
        refused = any(ord(c) < 32 and c not in "\t\n" for c in text)  # the rule as it was
        try:
            assert fields._clean_value(legal_name, text) == text
            assert not refused
        except CodedValueError as exc:
            assert refused and exc.code == "control_characters", code


def _phone_by_the_library(value: str) -> str:
    """normalise_phone as it was, all through phonenumbers: E.164, or the refusal."""
    if len(value) > 32:
        return "refused: is too long for a phone number"
    try:
        parsed = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return "refused: is not a phone number"
    if not phonenumbers.is_valid_number(parsed):
        return "refused: is not a valid phone number"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _phone_same_as_the_library(value: str) -> None:
    try:
        ours = fields.normalise_phone(value)
    except CodedValueError as exc:
        assert exc.code == "invalid_phone"
        ours = f"refused: {exc}"
    assert ours == _phone_by_the_library(value)
    shortcut = fields._french_number(value)
    assert shortcut is None or shortcut == phonenumbers.parse(value, "FR")


PHONES = [
    "02 01 66 13 18",
    "0142685300",
    "01.42.68.53.00",
    "01-42-68-53-00",
    "01 42.68-53 00",
    "06 12 34 56 78",
    "07 00 00 00 00",
    "08 00 12 34 56",
    "09 12 34 56 78",
    "05 00 00 00 00",
    "0 142685300",
    "00 33 1 42 68 53 00",
    "0033142685300",
    "0012345678",  # 00: the international prefix, not 0 then nine digits
    "00 33 61 23 45",
    "01 42 68 53 0",
    "01 42 68 53 000",
    "01  42 68 53 00",
    "01/42/68/53/00",
    "(01) 42 68 53 00",
    "01 42 68 53 00 poste 12",
    "+33 1 42 68 53 00",
    "+33 (0)1 42 68 53 00",
    "+44 20 7946 0958",
    "10 42 68 53 00",
    "0١ 42 68 53 00",  # ARABIC-INDIC DIGIT ONE, which \d would match
    "01 42 68 53 00",
    "٠١٤٢٦٨٥٣٠٠",
    "01 42 68 53 00\n",
    "tel:+33142685300",
    "",
    "0",
    "12",
]


@pytest.mark.parametrize("value", PHONES)
def test_a_phone_normalises_as_phonenumbers_does(value: str) -> None:
    _phone_same_as_the_library(value)


def test_every_french_prefix_normalises_as_phonenumbers_does() -> None:
    """Each two-digit area after the 0, valid and not, in each way of typing it."""
    draw = random.Random(20)
    for area in range(10, 100):
        for _ in range(6):
            digits = f"0{area}{draw.randrange(10**7):07d}"
            pairs = [digits[:2], *(digits[i : i + 2] for i in range(2, 10, 2))]
            for separator in ("", " ", ".", "-"):
                _phone_same_as_the_library(separator.join(pairs))
            mixed = "".join(p + draw.choice(["", " ", ".", "-"]) for p in pairs)
            _phone_same_as_the_library(mixed.rstrip(" .-"))


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789 .-+()/x\u00a0\u0661", max_size=20),
        st.lists(
            st.tuples(st.text("0123456789", min_size=1, max_size=3), st.sampled_from(" .-")),
            min_size=1,
            max_size=7,
        ).map(lambda parts: "0" + "".join(d + s for d, s in parts)),
    )
)
def test_any_phone_normalises_as_phonenumbers_does(value: str) -> None:
    _phone_same_as_the_library(value)
