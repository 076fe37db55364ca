"""The normalised keys duplicates are looked up by: one function per key, no database.

The keys are stored beside the values they come from (``models``: kept on every
insert and update) and indexed, so that finding the likely duplicates of a record
is a handful of index look-ups, never a scan of every account.

- a company name folds like search does (``search_svc.normalize``: case,
  accents, punctuation, ``&``/``et``), loses its legal forms and particles
  (SARL, SAS, de, la…) and sorts its words: "SARL Martin & Fils" and
  "Fils et Martin" have the same key;
- an e-mail address gives its domain, unless it is a mailbox provider's (a
  gmail address says nothing about the company);
- a web address gives its host without ``www.``;
- an e-mail address compared with another is lowercased whole.

Phone numbers need no key: the field library stores them as E.164 already.
"""

from __future__ import annotations

import re

import phonenumbers

from search_svc.normalize import WEAK, tokens

#: mailbox providers: two addresses there say nothing about being the same company
WEBMAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "hotmail.com",
        "hotmail.fr",
        "live.fr",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.fr",
        "outlook.com",
        "outlook.fr",
        "laposte.net",
        "sfr.fr",
        "neuf.fr",
        "bbox.fr",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.fr",
        "proton.me",
        "protonmail.com",
    ]
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def name_key(name: str | None) -> str:
    """The folded, sorted significant words of a company name ("" when none)."""
    words = [w for w in tokens(name) if w not in WEAK]
    return " ".join(sorted(words))[:200]


def email_domain(email: str | None) -> str | None:
    """The domain of a company address; None for a mailbox provider's or no address."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    if not domain or domain in WEBMAIL_DOMAINS:
        return None
    return domain.removeprefix("www.")[:254] or None


def web_domain(website: str | None) -> str | None:
    """The host of a web address without ``www.`` ("https://www.dupont.fr/contact" → dupont.fr)."""
    if not website or not website.strip():
        return None
    rest = _SCHEME.sub("", website.strip()).lower()
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0].rstrip(".")
    host = host.rsplit("@", 1)[-1].removeprefix("www.")
    return host[:254] or None


def email_key(email: str | None) -> str | None:
    """An e-mail address compared case aside."""
    value = (email or "").strip().lower()
    return value[:254] or None


def phone_key(phone: str | None) -> str | None:
    """A phone number as stored (E.164), however it was typed; None when it is not one."""
    if not phone or not phone.strip() or len(phone) > 32:
        return None
    try:
        parsed = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
