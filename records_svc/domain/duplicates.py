"""Likely duplicates of an account or a contact: found by index, scored by similarity.

Candidates come from indexed look-ups on the keys ``dupkeys`` keeps (same SIRET,
same SIREN, the same folded name or the accounts of the same postal code or
city, the same phone, e-mail domain or web domain) — a few bounded queries,
never a scan of every account. Each candidate is then scored: every reason
weighs, reasons add up (``1 - Π(1 - weight)``), and a similar name counts by
its ``rapidfuzz`` similarity. The access policy applies as on every read: a
closed client is no candidate for a user who may not see it.

One establishment (SIRET) is one record: creating a prospect with the SIRET of
an existing account, or setting it on another, is refused
(:class:`DuplicateSiretError`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, joinedload

from records_svc.domain import access, dupkeys, numbers
from records_svc.domain.bulk import among
from records_svc.domain.errors import ConflictError
from records_svc.domain.models import Account, Contact
from search_svc.normalize import sort_text

SIRET, SIREN, NAME_CITY = "siret", "siren", "name_city"
PHONE, EMAIL_DOMAIN, WEBSITE = "phone", "email_domain", "website"
EMAIL, MOBILE, DIRECT_LINE, NAME_ACCOUNT = "email", "mobile", "direct_line", "name_account"
#: how much each reason alone says "the same record" (0–1)
WEIGHTS = {
    SIRET: 1.0,
    SIREN: 0.7,
    NAME_CITY: 0.8,
    PHONE: 0.6,
    EMAIL_DOMAIN: 0.5,
    WEBSITE: 0.6,
    EMAIL: 0.9,
    MOBILE: 0.8,
    DIRECT_LINE: 0.6,
    NAME_ACCOUNT: 0.7,
}
#: the least ``rapidfuzz`` similarity (0–100) of the words two names do not share: French
#: trade names differ by one letter of a surname (Faure, Fabre), so it is nearly exact
WORDS_SIMILARITY = 94
#: the most rows one look-up reads (the accounts of one postal code or city, say)
LOOKUP_LIMIT = 500
DEFAULT_LIMIT = 10


class DuplicateSiretError(ConflictError):
    """The SIRET belongs to another account already (one establishment, one record)."""

    def __init__(self, siret: str, existing_id: int, *, visible: bool):
        who = f"account {existing_id}" if visible else "a record you cannot see"
        super().__init__(
            f"The SIRET {siret} already belongs to {who}: one establishment is one record.",
            errors=[{"field": "siret", "code": "duplicate", "message": f"belongs to {who}"}],
        )
        self.siret = siret
        self.existing_id = existing_id
        self.visible = visible


@dataclass
class Candidate:
    record: Any  # an Account or a Contact
    reasons: list[str] = field(default_factory=list)
    #: a name's similarity (0–1) when it is one of the reasons
    similarity: float = 1.0

    @property
    def score(self) -> float:
        remaining = 1.0
        for reason in self.reasons:
            weight = WEIGHTS[reason] * (self.similarity if reason == NAME_CITY else 1.0)
            remaining *= 1.0 - weight
        return round(1.0 - remaining, 3)


def check_siret_free(session: Session, siret: str | None, *exclude_ids: int | None) -> None:
    """Refuse a SIRET another account holds (seen or not: the 409 only hides its data)."""
    if not siret:
        return
    stmt = select(Account).where(Account.siret == siret)
    ids = [i for i in exclude_ids if i is not None]
    if ids:
        stmt = stmt.where(Account.id.not_in(ids))
    with session.no_autoflush:
        existing = session.scalars(stmt.order_by(Account.id).limit(1)).first()
    if existing is not None:
        visible = access.of(session).can_see(existing)
        raise DuplicateSiretError(siret, existing.id, visible=visible)


# --- accounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountProbe:
    """What an account would be, reduced to the keys it is compared by."""

    siret: str | None = None
    siren: str | None = None
    name_key: str = ""
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None
    email_domain: str | None = None
    web_domain: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> AccountProbe:
        """From API-shaped values (``address`` nested), however loosely typed."""
        address = data.get("address") or {}
        siret = numbers.clean(str(data.get("siret") or ""))
        siren = numbers.clean(str(data.get("siren") or "")) or siret[:9]
        return cls(
            siret=siret if len(siret) == 14 and siret.isdigit() else None,
            siren=siren if len(siren) == 9 and siren.isdigit() else None,
            name_key=dupkeys.name_key(data.get("name")),
            postal_code=(str(address.get("postal_code") or "").strip() or None),
            city=sort_text(address.get("city")) or None,
            phone=dupkeys.phone_key(data.get("phone")),
            email_domain=dupkeys.email_domain(data.get("email")),
            web_domain=dupkeys.web_domain(data.get("website")),
        )

    @classmethod
    def of(cls, account: Account) -> AccountProbe:
        return cls(
            siret=account.siret,
            siren=account.siren or (account.siret or "")[:9] or None,
            name_key=account.name_key or dupkeys.name_key(account.name),
            postal_code=account.postal_code,
            city=account.sort_city or sort_text(account.city) or None,
            phone=account.phone,
            # computed by the record's hooks when it is ready to be written (an import's)
            email_domain=account.email_domain or dupkeys.email_domain(account.email),
            web_domain=account.web_domain or dupkeys.web_domain(account.website),
        )


def _same_place(probe: AccountProbe, account: Any) -> bool:
    if probe.postal_code and account.postal_code == probe.postal_code:
        return True
    return bool(probe.city and account.sort_city == probe.city)


def _account_lookups(probe: AccountProbe) -> Iterable[tuple[str | None, Any]]:
    """(reason, condition) of each indexed look-up; a None reason is the name's."""
    if probe.siret:
        yield SIRET, Account.siret == probe.siret
    if probe.siren:
        # SIRETs of the company: a range of the SIRET index, on both databases
        in_company = Account.siret.between(probe.siren + "00000", probe.siren + "99999")
        yield SIREN, or_(Account.siren == probe.siren, in_company)
    if probe.name_key and (probe.postal_code or probe.city):
        yield None, Account.name_key == probe.name_key
        if probe.postal_code:
            yield None, Account.postal_code == probe.postal_code
        if probe.city:
            yield None, Account.sort_city == probe.city
    if probe.phone:
        yield PHONE, Account.phone == probe.phone
    if probe.email_domain:
        yield EMAIL_DOMAIN, Account.email_domain == probe.email_domain
        yield EMAIL_DOMAIN, Account.web_domain == probe.email_domain
    if probe.web_domain:
        yield WEBSITE, Account.web_domain == probe.web_domain
        yield WEBSITE, Account.email_domain == probe.web_domain


def account_candidates(
    session: Session,
    probe: AccountProbe,
    *,
    exclude_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Candidate]:
    """The accounts the caller sees that are likely ``probe``'s duplicates, best first."""
    policy = access.of(session)
    found: dict[int, Candidate] = {}
    for reason, condition in _account_lookups(probe):
        stmt = policy.visible_accounts(select(Account).where(condition))
        if exclude_id is not None:
            stmt = stmt.where(Account.id != exclude_id)
        for account in session.scalars(stmt.order_by(Account.id.desc()).limit(LOOKUP_LIMIT)):
            candidate = found.setdefault(account.id, Candidate(account))
            if reason is not None and reason not in candidate.reasons:
                candidate.reasons.append(reason)
    for candidate in found.values():
        account = candidate.record
        if probe.name_key and _same_place(probe, account):
            similarity = name_similarity(probe.name_key, account.name_key or "")
            if similarity:
                candidate.reasons.append(NAME_CITY)
                candidate.similarity = similarity
    return best(found.values(), limit)


#: what a batch reads of an account: enough to place, score and name it
_BATCH_COLUMNS: tuple[Any, ...] = (
    Account.id,
    Account.kind,
    Account.name,
    Account.postal_code,
    Account.sort_city,
    Account.siren,
    Account.name_key,
    Account.phone,
    Account.email_domain,
    Account.web_domain,
)


def _name_place(probe: AccountProbe) -> tuple[str, str, str] | None:
    """Where a batch looks a probe's name up: with its postal code, else its city."""
    if not probe.name_key:
        return None
    if probe.postal_code:
        return ("postal_code", probe.name_key, probe.postal_code)
    if probe.city:
        return ("sort_city", probe.name_key, probe.city)
    return None


def _newest_of_each(
    session: Session,
    columns: Sequence[Any],
    visible: Callable[[Select[Any]], Select[Any]],
    keys: Sequence[Any],
    values: Collection[tuple[Any, ...]],
    limit: int,
) -> Select[Any]:
    """``columns`` of the newest ``limit`` rows (by their ``id``) of each of ``values``
    (a tuple of the ``keys`` columns' values each) that ``visible`` keeps: a key shared
    by thousands of rows (a platform's web domain, a common name in a town) reads a few,
    and every other key still gets its own. On PostgreSQL each value's range of its
    index, read backwards (``LATERAL`` over the values unnested side by side); elsewhere a
    window over the values' rows. The same rows either way."""
    id_column = columns[0]
    values = sorted(values)
    if session.get_bind().dialect.name == "postgresql":
        table = (
            func.unnest(
                *(literal([v[n] for v in values], ARRAY(k.type)) for n, k in enumerate(keys))
            )
            .table_valued(*(k.key for k in keys))
            .render_derived()
        )
        newest = (
            visible(select(*columns))
            .where(*(k == table.c[k.key] for k in keys))
            .order_by(id_column.desc())
            .limit(limit)
            .lateral()
        )
        return select(newest).select_from(table).join(newest, true())
    rank = func.row_number().over(partition_by=list(keys), order_by=id_column.desc())
    if len(keys) == 1:
        condition = among(session, keys[0], {v[0] for v in values})
    else:
        condition = _both_among(session, keys[0], keys[1], values)
    ranked = visible(select(*columns, rank.label("carnet_rank")).where(condition)).subquery()
    return select(*(ranked.c[c.key] for c in columns)).where(ranked.c.carnet_rank <= limit)


def _both_among(
    session: Session, first: Any, second: Any, pairs: Collection[tuple[Any, ...]]
) -> ColumnElement[bool]:
    """``first`` among the pairs' first values and ``second`` among their second: one
    search of an index on the two columns (SQLite reads a row-value ``IN`` by scanning
    the whole index). Rows of other combinations are read too, and are under no probe's
    key."""
    return and_(
        among(session, first, {a for a, _b in pairs}),
        among(session, second, {b for _a, b in pairs}),
    )


def _candidates_of_batch(
    session: Session,
    parts: Sequence[Select[Any]],
    row_keys: Callable[[Any], Iterable[Hashable]],
    probe_keys: Iterable[Iterable[tuple[str, Hashable]]],
    limit: int,
) -> list[list[Candidate]]:
    """Each probe's candidates, best first, from a batch's look-ups: ``parts`` run as one
    statement, each row found kept under the keys it is found by (``row_keys``), then
    each probe given the rows under its keys, for the reason of each key (``probe_keys``:
    a probe's (reason, key) pairs)."""
    wanted = list(probe_keys)
    if not parts:
        return [[] for _probe in wanted]
    # one statement, one round trip: a part per kind of key, each through its own index
    # (OR'ed in one WHERE, a planner would rather read the whole table)
    stmt = union(*parts) if len(parts) > 1 else parts[0]
    found: dict[Hashable, list[Any]] = {}
    for row in session.execute(stmt):
        for key in row_keys(row):
            found.setdefault(key, []).append(row)
    return [best(gathered(keys, lambda key: found.get(key, ())), limit) for keys in wanted]


def gathered(
    keys: Iterable[tuple[str, Hashable]], under: Callable[[Hashable], Iterable[Any]]
) -> list[Candidate]:
    """A candidate of each record ``under`` one of ``keys``, with the reason of each key
    it is under (``keys``: (reason, key) pairs; ``record.id`` tells records apart)."""
    candidates: dict[Any, Candidate] = {}
    for reason, key in keys:
        for record in under(key):
            candidate = candidates.setdefault(record.id, Candidate(record))
            if reason not in candidate.reasons:
                candidate.reasons.append(reason)
    return list(candidates.values())


def _batch_parts(
    session: Session, probes: Sequence[AccountProbe], limit: int
) -> Iterable[Select[Any]]:
    """One indexed look-up per kind of key for every probe of the batch at once, each
    reading the newest ``limit`` accounts of each value (``_newest_of_each``)."""
    policy = access.of(session)

    def part(keys: Sequence[Any], values: Collection[tuple[Any, ...]]) -> Select[Any]:
        return _newest_of_each(
            session, _BATCH_COLUMNS, policy.visible_accounts, keys, values, limit
        )

    sirens = {(p.siren,) for p in probes if p.siren}
    if sirens:
        yield part((Account.siren,), sirens)
    places = [place for place in map(_name_place, probes) if place is not None]
    for where, column in (("postal_code", Account.postal_code), ("sort_city", Account.sort_city)):
        pairs = {(name, value) for kind, name, value in places if kind == where}
        if pairs:
            yield part((Account.name_key, column), pairs)
    phones = {(p.phone,) for p in probes if p.phone}
    if phones:
        yield part((Account.phone,), phones)
    domains = {(d,) for p in probes for d in (p.email_domain, p.web_domain) if d}
    if domains:  # an e-mail's domain is compared with a website's too, and back
        yield part((Account.email_domain,), domains)
        yield part((Account.web_domain,), domains)


def _account_found_by(
    siren: str | None,
    name_key: str | None,
    postal_code: str | None,
    city: str | None,
    phone: str | None,
    email_domain: str | None,
    web_domain: str | None,
) -> list[Hashable]:
    """The keys a batch finds an account by (those of ``_batch_keys``)."""
    keys: list[Hashable] = []
    if siren:
        keys.append(("siren", siren))
    if name_key:
        if postal_code:
            keys.append(("postal_code", name_key, postal_code))
        if city:
            keys.append(("sort_city", name_key, city))
    if phone:
        keys.append(("phone", phone))
    if email_domain:
        keys.append(("domain", email_domain))
    if web_domain and web_domain != email_domain:
        keys.append(("domain", web_domain))
    return keys


def _row_keys(row: Any) -> list[Hashable]:
    """The keys of an account's row read by a batch."""
    return _account_found_by(
        row.siren,
        row.name_key,
        row.postal_code,
        row.sort_city,
        row.phone,
        row.email_domain,
        row.web_domain,
    )


def _batch_keys(probe: AccountProbe) -> Iterable[tuple[str, tuple[str, ...]]]:
    """(reason, key) of each look-up of a probe in a batch."""
    keys: list[tuple[str, tuple[str, ...] | None]] = [
        (SIREN, ("siren", probe.siren) if probe.siren else None),
        (NAME_CITY, _name_place(probe)),
        (PHONE, ("phone", probe.phone) if probe.phone else None),
        (EMAIL_DOMAIN, ("domain", probe.email_domain) if probe.email_domain else None),
        (WEBSITE, ("domain", probe.web_domain) if probe.web_domain else None),
    ]
    return [(reason, key) for reason, key in keys if key is not None]


#: the keys another row is found by, and the (reason, key) pairs a probe looks up
Keys = tuple[list[Hashable], list[tuple[str, Hashable]]]


def account_keys(probe: AccountProbe) -> Keys:
    """What two rows of a file are compared by, as a batch compares a row with the
    accounts it reads: the keys an account like ``probe`` is found by (``_row_keys``),
    and the (reason, key) pairs ``probe`` looks up (``_batch_keys``)."""
    found_by = _account_found_by(
        probe.siren,
        probe.name_key,
        probe.postal_code,
        probe.city,
        probe.phone,
        probe.email_domain,
        probe.web_domain,
    )
    return found_by, list(_batch_keys(probe))


def account_candidates_of_batch(
    session: Session, probes: Sequence[AccountProbe], *, limit: int = DEFAULT_LIMIT
) -> list[list[Candidate]]:
    """Each probe's likely duplicates among the accounts the caller sees, best first, for
    many probes at once (an import's batch): one indexed query per kind of key, not per
    probe. The same reasons and scores as :func:`account_candidates`, but for a name only
    the same one (folded) in the same postal code (the same city for a probe without
    one), and the newest ``limit`` accounts of each key; each candidate's ``record`` is a
    row with the account's ``id``, ``kind``, ``name`` and keys, not the account."""
    parts = list(_batch_parts(session, probes, limit))
    return _candidates_of_batch(session, parts, _row_keys, map(_batch_keys, probes), limit)


def name_similarity(key: str, other: str) -> float:
    """How alike two names' keys are (0–1); 0 unless they name the same company.

    The words both share count for nothing against the ones that differ: "Garage
    Dupont" and "Garage Durand" share "garage" and are two companies. Alike: the
    same words (any order), a name whose words (two or more) are all in the other
    ("Boulangerie Martin" in "Boulangerie Martin et Fils"), or words that differ by
    a slip of the keyboard in a long word.
    """
    words, others = set(key.split()), set(other.split())
    if not words or not others:
        return 0.0
    if words == others:
        return 1.0
    mine, theirs = words - others, others - words
    if not mine or not theirs:
        return 0.9 if min(len(words), len(others)) >= 2 else 0.0
    rest = fuzz.ratio(" ".join(sorted(mine)), " ".join(sorted(theirs)))
    if rest < WORDS_SIMILARITY:
        return 0.0
    return float(fuzz.token_sort_ratio(key, other)) / 100


def best(candidates: Iterable[Candidate], limit: int) -> list[Candidate]:
    """The ``limit`` candidates of highest score (ties: the lowest ``record.id`` first),
    each with its reasons strongest first."""
    kept = [c for c in candidates if c.reasons]
    for candidate in kept:
        candidate.reasons.sort(key=lambda r: -WEIGHTS[r])
    kept.sort(key=lambda c: (-c.score, c.record.id))
    return kept[:limit]


# --- contacts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactProbe:
    email: str | None = None
    mobile: str | None = None
    direct_line: str | None = None
    names: tuple[str, ...] = ()
    account_id: int | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any], account_id: int | None) -> ContactProbe:
        return cls(
            email=dupkeys.email_key(data.get("email")),
            mobile=dupkeys.phone_key(data.get("mobile")),
            direct_line=dupkeys.phone_key(data.get("direct_line")),
            names=_names(data.get("first_name"), data.get("last_name")),
            account_id=account_id,
        )

    @classmethod
    def of(cls, contact: Contact) -> ContactProbe:
        """A contact checked by the field library: its numbers are stored as keys are
        (E.164), not parsed again."""
        return cls(
            email=dupkeys.email_key(contact.email),
            mobile=contact.mobile or None,
            direct_line=contact.direct_line or None,
            names=_names(contact.first_name, contact.last_name),
            account_id=contact.account_id,
        )


def _names(first_name: str | None, last_name: str | None) -> tuple[str, ...]:
    """A person's name folded both ways round (last first, first last)."""
    first, last = first_name or "", last_name or ""
    if not (first or last):
        return ()
    return tuple(n for n in {sort_text(f"{last} {first}"), sort_text(f"{first} {last}")} if n)


def _contact_lookups(probe: ContactProbe) -> Iterable[tuple[str, Any]]:
    if probe.email:
        yield EMAIL, Contact.email_key == probe.email
    for number in dict.fromkeys(n for n in (probe.mobile, probe.direct_line) if n):
        yield MOBILE, Contact.mobile == number
        yield DIRECT_LINE, Contact.direct_line == number
    if probe.names and probe.account_id is not None:
        yield (
            NAME_ACCOUNT,
            (Contact.account_id == probe.account_id) & Contact.sort_name.in_(probe.names),
        )


def contact_candidates(
    session: Session,
    probe: ContactProbe,
    *,
    exclude_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Candidate]:
    """The contacts the caller sees that are likely ``probe``'s duplicates, best first."""
    policy = access.of(session)
    found: dict[int, Candidate] = {}
    for reason, condition in _contact_lookups(probe):
        stmt = select(Contact).where(condition).options(joinedload(Contact.account))
        stmt = policy.visible_by_account(stmt, Contact.account_id)
        if exclude_id is not None:
            stmt = stmt.where(Contact.id != exclude_id)
        for contact in session.scalars(stmt.order_by(Contact.id.desc()).limit(LOOKUP_LIMIT)):
            candidate = found.setdefault(contact.id, Candidate(contact))
            if reason not in candidate.reasons:
                candidate.reasons.append(reason)
    return best(found.values(), limit)


#: what a batch reads of a contact: enough to key, score and name it
_CONTACT_COLUMNS: tuple[Any, ...] = (
    Contact.id,
    Contact.account_id,
    Contact.first_name,
    Contact.last_name,
    Contact.email_key,
    Contact.mobile,
    Contact.direct_line,
    Contact.sort_name,
)


def _contact_parts(
    session: Session, probes: Sequence[ContactProbe], limit: int
) -> Iterable[Select[Any]]:
    """The look-ups of ``_contact_lookups`` for every probe of the batch at once, one per
    index, each reading the newest ``limit`` contacts of each value (``_newest_of_each``)."""
    policy = access.of(session)

    def visible(stmt: Select[Any]) -> Select[Any]:
        return policy.visible_by_account(stmt, Contact.account_id)

    def part(keys: Sequence[Any], values: Collection[tuple[Any, ...]]) -> Select[Any]:
        return _newest_of_each(session, _CONTACT_COLUMNS, visible, keys, values, limit)

    emails = {(p.email,) for p in probes if p.email}
    if emails:
        yield part((Contact.email_key,), emails)
    numbers_ = {(n,) for p in probes for n in (p.mobile, p.direct_line) if n}
    if numbers_:  # a mobile is compared with a direct line too, and back
        for column in (Contact.mobile, Contact.direct_line):
            yield part((column,), numbers_)
    pairs = {(p.account_id, name) for p in probes if p.account_id is not None for name in p.names}
    if pairs:
        yield part((Contact.account_id, Contact.sort_name), pairs)


def _contact_found_by(
    email: str | None,
    mobile: str | None,
    direct_line: str | None,
    account_id: int | None,
    names: Iterable[str],
) -> list[Hashable]:
    """The keys a batch finds a contact by (those of ``_contact_batch_keys``)."""
    keys: list[Hashable] = []
    if email:
        keys.append((EMAIL, email))
    if mobile:
        keys.append((MOBILE, mobile))
    if direct_line:
        keys.append((DIRECT_LINE, direct_line))
    if account_id is not None:
        keys.extend((NAME_ACCOUNT, account_id, name) for name in names if name)
    return keys


def _contact_row_keys(row: Any) -> list[Hashable]:
    """The keys of a contact's row read by a batch."""
    return _contact_found_by(
        row.email_key, row.mobile, row.direct_line, row.account_id, (row.sort_name,)
    )


def _contact_batch_keys(probe: ContactProbe) -> Iterable[tuple[str, tuple[Any, ...]]]:
    """(reason, key) of each look-up of a probe in a batch: a number of the probe is a
    ``mobile`` when it is the contact's mobile, a ``direct_line`` when its direct line."""
    keys: list[tuple[str, tuple[Any, ...]]] = []
    if probe.email:
        keys.append((EMAIL, (EMAIL, probe.email)))
    for number in dict.fromkeys(n for n in (probe.mobile, probe.direct_line) if n):
        keys.append((MOBILE, (MOBILE, number)))
        keys.append((DIRECT_LINE, (DIRECT_LINE, number)))
    if probe.account_id is not None:
        for name in probe.names:
            keys.append((NAME_ACCOUNT, (NAME_ACCOUNT, probe.account_id, name)))
    return keys


def contact_keys(probe: ContactProbe) -> Keys:
    """What two rows of a file are compared by, as ``account_keys`` for contacts (a row
    is found by its name either way round, as a probe looks names up)."""
    found_by = _contact_found_by(
        probe.email, probe.mobile, probe.direct_line, probe.account_id, probe.names
    )
    return found_by, list(_contact_batch_keys(probe))


def contact_candidates_of_batch(
    session: Session, probes: Sequence[ContactProbe], *, limit: int = DEFAULT_LIMIT
) -> list[list[Candidate]]:
    """Each probe's likely duplicates among the contacts the caller sees, best first, for
    many probes at once (an import's batch): one query of one indexed part per kind of
    key, not per probe. The same reasons and scores as :func:`contact_candidates`; each
    candidate's ``record`` is a row with the contact's ``id``, ``account_id``,
    ``first_name``, ``last_name`` and keys, not the contact."""
    parts = list(_contact_parts(session, probes, limit))
    return _candidates_of_batch(
        session, parts, _contact_row_keys, map(_contact_batch_keys, probes), limit
    )
