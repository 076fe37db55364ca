"""A contact as a vCard 4.0 (RFC 6350), for a phone's address book.

FN, N (with the civility as prefix), ORG (the account's trade name), TITLE, EMAIL,
TEL (``TYPE=work``: the direct line, ``TYPE=cell``: the mobile), ADR (the account's
address, when it has one), NOTE (a person who objected to being contacted), UID
(stable: the same contact is the same card on every export) and REV (last change).

Values are escaped as the RFC says (``\\``, ``,``, ``;`` and line breaks in text; the
``;`` between the parts of N, ADR and ORG left as is), lines end with CRLF and are
folded at 75 octets without cutting a UTF-8 character.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from records_svc.domain.models import Account, Contact, full_name

MEDIA_TYPE = "text/vcard; charset=utf-8"
#: the namespace of the contacts' UIDs (uuid5 of the contact's id in it)
UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://carnet.dev/contacts")
DO_NOT_CONTACT_NOTE = "Ne pas contacter : cette personne s'est opposée à être démarchée (RGPD)."
LINE_OCTETS = 75


def escape(text: str | None) -> str:
    """A text value escaped per RFC 6350 §3.4."""
    if not text:
        return ""
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line, folded: no physical line longer than 75 octets (RFC 6350 §3.2)."""
    data = line.encode("utf-8")
    if len(data) <= LINE_OCTETS:
        return line + "\r\n"
    parts: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
            limit = LINE_OCTETS - 1  # a continuation line starts with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts) + "\r\n"


def uid(contact_id: int) -> str:
    return f"urn:uuid:{uuid.uuid5(UID_NAMESPACE, f'contact:{contact_id}')}"


def _stamp(value: datetime | None) -> str:
    moment = value or datetime.now(UTC)
    if moment.tzinfo is None:  # SQLite hands back naive UTC datetimes
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _address(account: Account) -> str | None:
    street = "\n".join(line for line in (account.address_line1, account.address_line2) if line)
    parts = (street, account.city, account.postal_code, account.country)
    if not any(parts):
        return None
    # post office box; extended address; street; locality; region; postal code; country
    return ";".join(
        (
            "",
            "",
            escape(street),
            escape(account.city),
            "",
            escape(account.postal_code),
            escape(account.country),
        )
    )


def vcard(contact: Contact) -> str:
    """The vCard of ``contact`` (its account loaded with it)."""
    account = contact.account
    name = full_name(contact.first_name, contact.last_name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "PRODID:-//Carnet//Carnet//FR",
        f"UID:{uid(contact.id)}",
        "KIND:individual",
        f"FN:{escape(name)}",
        "N:"
        + ";".join(
            (
                escape(contact.last_name),
                escape(contact.first_name),
                "",
                escape(contact.civility),
                "",
            )
        ),
    ]
    if account is not None and account.name:
        lines.append(f"ORG:{escape(account.name)}")
    if contact.job_title:
        lines.append(f"TITLE:{escape(contact.job_title)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=work:{escape(contact.email)}")
    if contact.direct_line:
        lines.append(f"TEL;TYPE=work,voice:{escape(contact.direct_line)}")
    if contact.mobile:
        lines.append(f"TEL;TYPE=cell,voice:{escape(contact.mobile)}")
    address = _address(account) if account is not None else None
    if address is not None:
        lines.append(f"ADR;TYPE=work:{address}")
    if contact.do_not_contact:
        lines.append(f"NOTE:{escape(DO_NOT_CONTACT_NOTE)}")
    lines.append(f"REV:{_stamp(contact.updated_at)}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def vcard_chunks(batches: Iterable[Iterable[Contact]]) -> Iterator[bytes]:
    """One file of the contacts' vCards, one chunk per batch."""
    for contacts in batches:
        yield "".join(vcard(contact) for contact in contacts).encode("utf-8")
