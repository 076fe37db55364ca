"""Record → search document: the only place that knows the document's shape.

Built from plain values (mappings of column values), never from ORM objects:
the records service's rows reach search through the indexing job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from search_svc import normalize
from search_svc.backends.base import SearchDocument

API = "/api/v1"
_LETTERS_DIGITS = re.compile(r"[^\W\d_]+|\d+")


def doc_id(entity: str, entity_id: int) -> str:
    """'account:12' or 'contact:7' (a prospect that becomes a client keeps its document)."""
    return f"{entity}:{entity_id}"


@lru_cache(maxsize=65536)
def _text_words(text: str) -> tuple[str, ...]:
    """One text's folded words and joined forms. Names, cities and company names repeat
    (a million entries hold some 20,000 distinct ones): a rebuild folds each once."""
    return (*normalize.tokens(text), *normalize.joined_forms(text))


@lru_cache(maxsize=65536)
def _sort_text(text: str) -> str:
    return normalize.sort_text(text)


def _words(texts: Iterable[str | None]) -> list[str]:
    """The folded words of ``texts``, their joined forms ("L'Oréal" → loreal) and synonyms."""
    out: list[str] = []
    for text in texts:
        if text:
            out += _text_words(text)
    return normalize.with_synonyms(out)


def _email_words(email: str | None) -> list[str]:
    """An e-mail address's words, letters and digits apart ("dupont42" → dupont, 42): a
    number glued to a name would make every name a prefix of thousands of words."""
    return [part for word in normalize.tokens(email) for part in _LETTERS_DIGITS.findall(word)]


def _terms(*groups: Iterable[str], numbers: Iterable[str | None] = ()) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for word in group:
            seen.setdefault(word, None)
    for number in numbers:
        value = normalize.digits(number)
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


def _postal_code(values: Mapping[str, Any]) -> list[str]:
    """A postal code is a word of its own: "75008" finds the accounts there, "33" a
    department (Corsica's "2A004" is "2a004", found by "2a")."""
    value = "".join(normalize.tokens(values.get("postal_code")))
    return [value] if value else []


def account_badges(account: Mapping[str, Any]) -> tuple[str, ...]:
    badges: list[str] = []
    if account.get("kind") == "prospect" and account.get("status"):
        badges.append(str(account["status"]))
    if account.get("closed"):
        badges.append("closed")
    return tuple(badges)


#: the values an account's document matches by their words, and as numbers (the records
#: service passes its declared searchable fields: domain/field_declarations.py)
ACCOUNT_WORDS = ("legal_name", "city")
ACCOUNT_NUMBERS = ("siren", "siret")


def account_document(
    account: Mapping[str, Any],
    *,
    words: Sequence[str] = ACCOUNT_WORDS,
    numbers: Sequence[str] = ACCOUNT_NUMBERS,
) -> SearchDocument:
    """Searchable: trade name (*nom d'appel*), postal code, and the values named by
    ``words`` (legal name, city) and ``numbers`` (SIREN, SIRET).

    The name's words and the postal code are its primary words (the ranking's
    "matches the name" tier); the other words and numbers only match.
    """
    name = str(account["name"])
    primary = _terms(_words([name]), _postal_code(account))
    return SearchDocument(
        doc_id=doc_id("account", int(account["id"])),
        kind=str(account["kind"]),
        entity_id=int(account["id"]),
        version=int(account["version"]),
        label=name,
        sublabel=account.get("city") or account.get("legal_name") or None,
        badges=account_badges(account),
        link=f"{API}/{account['kind']}s/{account['id']}",
        closed=bool(account.get("closed")),
        terms=_terms(
            primary,
            _words([account.get(key) for key in words]),
            numbers=[account.get(key) for key in numbers],
        ),
        sort_key=_sort_text(name),
        primary=primary,
    )


def contact_label(contact: Mapping[str, Any]) -> str:
    parts = (contact.get("first_name"), contact.get("last_name"))
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())


def contact_document(
    contact: Mapping[str, Any],
    account: Mapping[str, Any],
    *,
    words: Sequence[str] = (),
    numbers: Sequence[str] = (),
) -> SearchDocument:
    """Searchable: first and last name (primary), e-mail, the account's city and postal
    code, and the contact's values named by ``words`` and ``numbers`` (none by default:
    the records service passes its declared searchable contact fields); the account's
    name is the sub-label.

    The version is the contact's search version: the records service raises it
    whenever this document changes, its account's name or closed flag included.
    """
    label = contact_label(contact)
    primary = _terms(_words([label]))
    return SearchDocument(
        doc_id=doc_id("contact", int(contact["id"])),
        kind="contact",
        entity_id=int(contact["id"]),
        version=int(contact["version"]),
        label=label,
        sublabel=str(account["name"]),
        badges=("closed",) if account.get("closed") else (),
        link=f"{API}/contacts/{contact['id']}",
        closed=bool(account.get("closed")),
        terms=_terms(
            primary,
            _email_words(contact.get("email")),
            _words([account.get("city")]),
            _postal_code(account),
            _words([contact.get(key) for key in words]),
            numbers=[contact.get(key) for key in numbers],
        ),
        sort_key=_sort_text(label),
        primary=primary,
    )
