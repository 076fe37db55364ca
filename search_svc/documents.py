"""Record → search document: the only place that knows the document's shape.

Built from plain values (mappings of column values), never from ORM objects:
the records service's rows reach search through the indexing job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from search_svc import normalize
from search_svc.backends.base import SearchDocument

API = "/api/v1"


def doc_id(entity: str, entity_id: int) -> str:
    """'account:12' or 'contact:7' (a prospect that becomes a client keeps its document)."""
    return f"{entity}:{entity_id}"


def _terms(texts: Iterable[str | None], numbers: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for text in texts:
        for token in normalize.tokens(text):
            seen.setdefault(token, None)
    for number in numbers:
        value = normalize.digits(number)
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


def account_badges(account: Mapping[str, Any]) -> tuple[str, ...]:
    badges: list[str] = []
    if account.get("kind") == "prospect" and account.get("status"):
        badges.append(str(account["status"]))
    if account.get("closed"):
        badges.append("closed")
    return tuple(badges)


def account_document(account: Mapping[str, Any]) -> SearchDocument:
    """Searchable: trade name (*nom d'appel*), legal name, SIREN, SIRET, city."""
    name = str(account["name"])
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
            (name, account.get("legal_name"), account.get("city")),
            (account.get("siren"), account.get("siret")),
        ),
        sort_key=normalize.sort_text(name),
    )


def contact_label(contact: Mapping[str, Any]) -> str:
    parts = (contact.get("first_name"), contact.get("last_name"))
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())


def contact_document(contact: Mapping[str, Any], account: Mapping[str, Any]) -> SearchDocument:
    """Searchable: first and last name, e-mail; the account's name is the sub-label.

    The version is the contact's search version: the records service raises it
    whenever this document changes, its account's name or closed flag included.
    """
    label = contact_label(contact)
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
            (contact.get("first_name"), contact.get("last_name"), contact.get("email")), ()
        ),
        sort_key=normalize.sort_text(label),
    )
