"""One batch of an import: each row checked as the API checks it, matched, then written.

A row's body goes through the API's own request schema and the field library's
validation (``new_prospect``, ``new_contact``, ``update_account``…), so an import
rejects what the API rejects, with the same fields, codes and messages (a body of plain
texts takes the schema's shortcut, ``_PlainTexts``, which loads it as the schema does;
the field library is read once, as ``fields.rules``). Matching:
by ``id``, then SIRET, then ERP key (prospects); by ``id``, then e-mail within the
account (contacts, whose account is found by id, SIRET, ERP key or name). Each batch
reads what it may match in one query per key, never row by row.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, missing
from marshmallow import fields as schema_fields
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.validate import Length
from sqlalchemy import select
from sqlalchemy.orm import Session

from httpkit.error_codes import NOT_A_NUMBER, OUT_OF_RANGE, REQUIRED, field_error
from httpkit.problems import _webargs_errors
from records_svc.db import UnitOfWork
from records_svc.domain import access, accounts, bulk, contacts, duplicates, fields, numbers
from records_svc.domain import import_mapping as mapping_
from records_svc.domain import import_report as report
from records_svc.domain.errors import DomainError, FieldValidationError
from records_svc.domain.import_mapping import CONTACTS, PROSPECTS, Target
from records_svc.domain.models import Account, Contact, full_name


@dataclass
class ImportRun:
    """What every batch of one import shares."""

    job_id: str
    entity: str
    dry_run: bool
    update_existing: bool
    columns: list[str]
    mapping: dict[str, str]
    user_id: int | None
    policy: access.AccessPolicy
    known: dict[str, Target] = field(default_factory=dict)
    #: the field libraries by entity, read once (``fields.rules``)
    definitions: dict[str, tuple[fields.FieldRule, ...]] = field(default_factory=dict)
    #: matching keys seen in earlier rows of the file → their row number
    seen: dict[tuple[str, str], int] = field(default_factory=dict)
    #: the likely-duplicate keys of rows created (hashed) → their row number: the
    #: batch's, or every earlier one's in a dry run (see ``_flag_likely``)
    likely: dict[int, int] = field(default_factory=dict)
    #: the rows created that name likely duplicates
    flagged: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    done: int = 0
    total: int = 0


@dataclass
class Outcome:
    outcome: str
    message: str
    fields: list[dict[str, str]] = field(default_factory=list)
    record: Account | Contact | None = None
    #: the record a created row writes (or would, in a dry run)
    built: Account | Contact | None = None
    #: what a created row likely duplicates (``_flag_likely``)
    possible: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Prepared:
    """What a row needs of no database: its body, its matching keys, the body through the
    API's request schema and, for a prospect, the record built and validated from it.
    Each is kept with the refusal it raised, given back where the API would raise it
    (``loaded``, ``built``): checking a batch while the one before is written changes
    no row's outcome or message."""

    data: dict[str, Any]
    keys: dict[str, str]
    _loaded: dict[str, Any] | DomainError
    _built: Account | DomainError | None = None
    #: the fields the body took from another (``import_mapping.derived``)
    derived: tuple[str, ...] = ()

    def loaded(self) -> dict[str, Any]:
        if isinstance(self._loaded, DomainError):
            raise self._loaded
        return self._loaded

    def for_update(self) -> dict[str, Any]:
        """The body an update takes: without the fields taken from another (the file has
        no column for them, and a column left out changes nothing)."""
        loaded = self.loaded()
        if not self.derived:
            return loaded
        return {k: v for k, v in loaded.items() if k not in self.derived}

    def built(self) -> Account | None:
        if isinstance(self._built, DomainError):
            raise self._built
        return self._built

    def __getstate__(self) -> dict[str, Any]:
        # sent from the checking process: the prospect built as its values (pickling
        # a mapped object carries its whole ORM state, several times the cost)
        state = dict(self.__dict__)
        if isinstance(self._built, Account):
            state["_built"] = bulk.values_of(self._built)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("_built"), dict):
            state["_built"] = bulk.new_from_values(Account, state["_built"])
        self.__dict__.update(state)


def prepare(session: Session, run: ImportRun, batch: list[tuple[int, list[Any]]]) -> list[Prepared]:
    """Check a batch's rows as far as no record is read: ``session`` is only read from,
    and never the one the batch is written with (this runs beside the writing)."""
    schema, plain = _loader(run.entity)
    derived = tuple(mapping_.derived(run.entity, run.mapping).items())
    prepared = []
    for _number, cells in batch:
        data, keys = mapping_.body(cells, run.columns, run.mapping, run.known)
        taken: tuple[str, ...] = ()
        for key, source in derived:  # no column for the field: its source's value
            if source in data:
                data[key] = data[source]
                taken += (key,)
        # a prospect's SIRET is a field, and its first matching key
        siret = _siret_key(data.get("siret")) if run.entity == PROSPECTS else None
        if siret:
            data["siret"] = keys["siret"] = siret
        try:
            row = Prepared(data, keys, _load(schema, data, plain), derived=taken)
        except DomainError as exc:
            row = Prepared(data, keys, exc, derived=taken)
        if run.entity == PROSPECTS and not isinstance(row._loaded, DomainError):
            try:
                row._built = accounts.new_prospect(
                    session, run.user_id, row._loaded, definitions=run.definitions["prospect"]
                )
            except DomainError as exc:
                row._built = exc
        prepared.append(row)
    return prepared


def process(
    uow: UnitOfWork, run: ImportRun, batch: list[tuple[int, list[Any]]], prepared: list[Prepared]
) -> list[Outcome]:
    keys = [row.keys for row in prepared]
    if run.entity == PROSPECTS:
        matcher: _Matcher = _ProspectMatcher(uow.session, run, keys)
    else:
        matcher = _ContactMatcher(uow.session, run, keys)
    outcomes = []
    for (number, _cells), row in zip(batch, prepared, strict=True):
        try:
            outcomes.append(matcher.row(uow, number, row))
        except DomainError as exc:  # a 422 (or 409, 404…) the API would have answered
            found = exc.errors or [{"field": "", "code": "invalid", "message": exc.detail}]
            errors = report.with_codes(found, run.known)
            outcomes.append(Outcome(report.ERROR, report.french(errors, run.known), errors))
    _flag_likely(uow.session, run, [number for number, _cells in batch], outcomes)
    uow.add_new(matcher.created)  # the batch's new records at once (COPY on PostgreSQL)
    return outcomes


# --- likely duplicates of the rows created -------------------------------------------------

#: the records, and the earlier rows, a created row names at most as its likely duplicates
POSSIBLE_LIMIT = 3


@dataclass(frozen=True)
class _Likeness:
    """How an entity's created rows are compared with its records and with each other."""

    #: a record built → what it is compared by
    probe: Callable[[Any], Any]
    #: the batch look-up of ``duplicates`` (one statement for every probe)
    candidates: Callable[..., list[list[duplicates.Candidate]]]
    #: a probe → the keys a later row finds it by, and the (reason, key) it looks up
    file_keys: Callable[[Any], duplicates.Keys]
    #: a candidate's record (a row of the look-up) → its ``id``, ``kind`` and ``name``
    named: Callable[[Any], dict[str, Any]]


_LIKENESS = {
    PROSPECTS: _Likeness(
        duplicates.AccountProbe.of,
        duplicates.account_candidates_of_batch,
        duplicates.account_keys,
        lambda row: {"id": row.id, "kind": row.kind, "name": row.name},
    ),
    CONTACTS: _Likeness(
        duplicates.ContactProbe.of,
        duplicates.contact_candidates_of_batch,
        duplicates.contact_keys,
        lambda row: {
            "id": row.id,
            "kind": "contact",
            "name": full_name(row.first_name, row.last_name),
        },
    ),
}


def _earlier_row(run: ImportRun, key: Any) -> list[SimpleNamespace]:
    """The earlier row of the file created under ``key``, as a record of its row number."""
    row = run.likely.get(hash(key))
    return [] if row is None else [SimpleNamespace(id=row)]


def _flag_likely(
    session: Session, run: ImportRun, numbers: list[int], outcomes: list[Outcome]
) -> None:
    """Name, beside each record created, what it likely duplicates without blocking it
    (as the 201 of ``POST /prospects`` or of a contact's create does): the records the
    importer sees that the entity's batch look-up (``duplicates.account_candidates_of_batch``,
    ``contact_candidates_of_batch``) finds for the whole batch at once, and the file's
    earlier rows created with the same keys. Those of earlier batches are written by
    then, and found as records, except in a dry run, which remembers every row's."""
    likeness = _LIKENESS[run.entity]
    created = [(n, o) for n, o in zip(numbers, outcomes, strict=True) if o.built is not None]
    if not run.dry_run:
        run.likely.clear()
    if not created:
        return
    probes = [likeness.probe(o.built) for _n, o in created]
    found = likeness.candidates(session, probes, limit=POSSIBLE_LIMIT)
    for (number, outcome), probe, candidates in zip(created, probes, found, strict=True):
        found_by, looked_up = likeness.file_keys(probe)
        earlier = duplicates.gathered(looked_up, lambda key: _earlier_row(run, key))
        for key in found_by:
            run.likely.setdefault(hash(key), number)
        outcome.possible = [
            {**likeness.named(c.record), "score": c.score, "reasons": c.reasons} for c in candidates
        ] + [
            {"row": c.record.id, "reasons": c.reasons}
            for c in duplicates.best(earlier, POSSIBLE_LIMIT)
        ]
        if outcome.possible:
            outcome.message += " " + report.possible_message(outcome.possible)
            run.flagged += 1


# --- checking a row as the API does -------------------------------------------------------


def _load(schema: Schema, data: dict[str, Any], plain: _PlainTexts | None) -> dict[str, Any]:
    """The body through the API's request schema (its 422s, its messages); a body of plain
    texts through its shortcut (``plain``), which loads it as the schema would."""
    loaded_plain = plain.load(data) if plain is not None else None
    if loaded_plain is not None:
        return loaded_plain
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise FieldValidationError(_webargs_errors({"json": exc.messages})) from None
    return loaded


#: the hooks that take part in a schema's loading
_LOAD_HOOKS = (PRE_LOAD, POST_LOAD, VALIDATES, VALIDATES_SCHEMA)


@dataclass(frozen=True)
class _PlainTexts:
    """A request schema's loading of a body of plain texts, as marshmallow does it, without
    its per-field machinery (a fifth of a row's checking, and a nested load for the address).

    The schema qualifies when it loads nothing by itself: no load hook, no field required or
    with a default, no ``data_key`` or ``attribute``, unknown keys refused (``RAISE``). Its
    plain fields are ``fields.String`` that allow null with at most ``Length(max=…)``
    validators (``nullable_text``), and ``Nested`` schemas of the same kind. ``load`` takes a
    body (a dict) whose every key is a plain field, holding None or a str within its limit
    for a text and such a dict for a nested one: marshmallow gives back the same values in
    the schema's order of fields, and so does ``load``. For any other body (an unknown key, a
    number, ``custom``, a text too long…) it answers None: the schema loads it, and words
    the refusal. ``tests/imports/test_plain_load.py`` holds the two side by side."""

    #: the plain fields in the schema's order: a text's longest length, or a nested schema's
    fields: dict[str, int | _PlainTexts]

    @classmethod
    def of(cls, schema: Schema) -> _PlainTexts | None:
        """The shortcut of ``schema``, or None when it loads more than plain texts."""
        if schema.many or schema.partial not in (None, False) or schema.unknown != RAISE:
            return None
        if any(schema._hooks.get(hook) for hook in _LOAD_HOOKS):
            return None
        plain: dict[str, int | _PlainTexts] = {}
        for name, field_ in schema.load_fields.items():
            if field_.required or field_.load_default is not missing:
                return None  # loaded even when the body leaves it out
            if field_.data_key is not None or field_.attribute is not None or "." in name:
                return None
            if field_.pre_load or field_.post_load:
                continue
            validators = field_.validators
            if type(field_) is schema_fields.String and field_.allow_none:
                if all(type(v) is Length and v.min is None and v.equal is None for v in validators):
                    limits = [
                        v.max for v in validators if isinstance(v, Length) and v.max is not None
                    ]
                    plain[name] = min(limits, default=sys.maxsize)
            elif type(field_) is schema_fields.Nested and not field_.many and not validators:
                nested = cls.of(field_.schema) if field_.unknown is None else None
                if nested is not None:
                    plain[name] = nested
        return cls(plain)

    def load(self, data: Any) -> dict[str, Any] | None:
        """``data`` as the schema loads it, or None (not a body of plain texts)."""
        if type(data) is not dict or not data.keys() <= self.fields.keys():
            return None
        loaded: dict[str, Any] = {}
        for name, rule in self.fields.items():
            if name not in data:
                continue
            value = data[name]
            if isinstance(rule, _PlainTexts):
                value = rule.load(value)
                if value is None:
                    return None
            elif value is not None and (type(value) is not str or len(value) > rule):
                return None
            loaded[name] = value
        return loaded


def _not_found(field_: str) -> FieldValidationError:
    return FieldValidationError(
        [{"field": field_, "code": "not_found", "message": "no such record"}]
    )


class _Matcher:
    """Finds a row's existing record, then creates, updates or reports it."""

    def __init__(self, session: Session, run: ImportRun) -> None:
        self.session = session
        self.run = run
        #: the records this batch creates, written together after its last row
        self.created: list[Any] = []

    def row(self, uow: UnitOfWork, number: int, prepared: Prepared) -> Outcome:
        raise NotImplementedError

    def _earlier(self, keys: Sequence[tuple[str, str]]) -> int | None:
        """The earlier row of the file created with one of these keys."""
        return next((self.run.seen[k] for k in keys if k in self.run.seen), None)

    def _note(self, keys: Sequence[tuple[str, str]], number: int) -> None:
        """This row was created (or will be, in a dry run): later ones with its keys repeat it."""
        for key in keys:
            self.run.seen.setdefault(key, number)

    def _duplicate(
        self, match: tuple[str, str], record: Account | Contact | None, label: str
    ) -> Outcome:
        key, why = match
        what = f"« {label} » (n° {record.id})" if record is not None else "une fiche existante"
        return Outcome(
            report.DUPLICATE,
            f"Doublon : {why} que {what} ; rien n'a été écrit.",
            [{"field": key, "code": "duplicate", "message": "matches an existing record"}],
            record,
        )


def _siret_key(value: str | None) -> str | None:
    if not value:
        return None
    cleaned = numbers.clean(value)
    return cleaned if len(cleaned) == 14 and cleaned.isdigit() else None


class _ProspectMatcher(_Matcher):
    def __init__(self, session: Session, run: ImportRun, keys: list[dict[str, str]]) -> None:
        super().__init__(session, run)
        self.by_id = self._accounts(Account.id, {_int(k.get("id")) for k in keys} - {None})
        self.by_siret = self._accounts(Account.siret, {k.get("siret") for k in keys} - {None})
        self.by_ref = self._accounts(
            Account.external_ref, {k.get("external_ref") for k in keys} - {None}
        )

    def _accounts(self, column: Any, values: set[Any]) -> dict[Any, Account]:
        if not values:
            return {}
        rows = self.session.scalars(
            select(Account).where(bulk.among(self.session, column, values)).order_by(Account.id)
        )
        found: dict[Any, Account] = {}
        for account in rows:
            found.setdefault(getattr(account, column.key), account)
        return found

    def row(self, uow: UnitOfWork, number: int, prepared: Prepared) -> Outcome:
        keys = prepared.keys
        prepared.loaded()  # the API's refusal, before any matching
        found, match = self._match(keys)
        if found is None:
            file_keys = [(k, str(keys[k])) for k in ("siret", "external_ref") if keys.get(k)]
            earlier = self._earlier(file_keys)
            if earlier is not None:
                return Outcome(
                    report.DUPLICATE,
                    f"Doublon de la ligne {earlier} (même SIRET ou référence ERP) ; "
                    "rien n'a été écrit.",
                    [{"field": file_keys[0][0], "code": "duplicate", "message": "earlier row"}],
                )
            account = prepared.built()
            assert account is not None
            self._note(file_keys, number)
            if not self.run.dry_run:
                self.created.append(account)
            return Outcome(
                report.CREATED,
                report.created_message(PROSPECTS, self.run.dry_run),
                record=None if self.run.dry_run else account,
                built=account,
            )
        if not self.run.policy.can_see(found):  # one establishment, one record, unnamed
            return self._duplicate(match, None, "")
        if self.run.update_existing:
            return self._update(uow, found, prepared.for_update())
        return self._duplicate(match, found, found.name)

    def _match(self, keys: dict[str, str]) -> tuple[Account | None, tuple[str, str]]:
        account_id = _record_id(keys, "id")
        if account_id is not None:
            if account_id in self.by_id:
                return self.by_id[account_id], ("id", "même identifiant")
            raise _not_found("id")
        if keys.get("siret") in self.by_siret:
            return self.by_siret[keys["siret"]], ("siret", "même SIRET")
        if keys.get("external_ref") in self.by_ref:
            return self.by_ref[keys["external_ref"]], ("external_ref", "même référence ERP")
        return None, ("", "")

    def _update(self, uow: UnitOfWork, account: Account, loaded: dict[str, Any]) -> Outcome:
        definitions = self.run.definitions[account.kind]
        if self.run.dry_run:  # check as the edit would, change nothing
            self.run.policy.check_account_edit(account, loaded)
            fields.validate(
                definitions, fields.flatten(loaded), loaded.get("custom"), creating=False
            )
        else:
            accounts.update_account(
                uow, account.id, loaded, expected_version=None, definitions=definitions
            )
        return Outcome(report.UPDATED, report.updated_message(self.run.dry_run), record=account)


class _ContactMatcher(_Matcher):
    def __init__(self, session: Session, run: ImportRun, keys: list[dict[str, str]]) -> None:
        super().__init__(session, run)
        mapped = set(run.mapping.values())
        #: what a row with no account cell lacks: the first account key the mapping reads
        self.account_key = next((k for k in mapping_.ACCOUNT_KEYS if k in mapped), "account.id")
        self.accounts: dict[tuple[str, Any], list[Account]] = {}
        wanted: dict[str, tuple[Any, set[Any]]] = {
            "account.id": (Account.id, {_int(k.get("account.id")) for k in keys} - {None}),
            "account.siret": (
                Account.siret,
                {_siret_key(k.get("account.siret")) for k in keys} - {None},
            ),
            "account.external_ref": (
                Account.external_ref,
                {k.get("account.external_ref") for k in keys} - {None},
            ),
            "account.name": (Account.name, {k.get("account.name") for k in keys} - {None}),
        }
        for key, (column, values) in wanted.items():
            if values:
                stmt = run.policy.visible_accounts(select(Account).where(column.in_(values)))
                for account in self.session.scalars(stmt.order_by(Account.id)):
                    self.accounts.setdefault((key, getattr(account, column.key)), []).append(
                        account
                    )
        contact_ids = {_int(k.get("id")) for k in keys} - {None}
        self.by_id = {
            c.id: c
            for c in self.session.scalars(select(Contact).where(Contact.id.in_(contact_ids)))
        }
        account_ids = {a.id for found in self.accounts.values() for a in found}
        self.by_email: dict[tuple[int, str], Contact] = {}
        if account_ids:
            by_account = select(Contact).where(
                Contact.account_id.in_(account_ids), Contact.email.is_not(None)
            )
            for contact in self.session.scalars(by_account.order_by(Contact.id)):
                email = (contact.email or "").lower()
                self.by_email.setdefault((contact.account_id, email), contact)

    def _account(self, keys: dict[str, str]) -> Account:
        for key in mapping_.ACCOUNT_KEYS:
            value = keys.get(key)
            if value is None:
                continue
            lookup: Any = _record_id(keys, key) if key == "account.id" else value
            if key == "account.siret":
                lookup = _siret_key(value)
            found = self.accounts.get((key, lookup), [])
            if len(found) > 1 and key == "account.name":
                raise FieldValidationError(
                    [{"field": key, "code": "ambiguous", "message": "several accounts"}]
                )
            if found:
                return found[0]
            raise _not_found(key)
        # the row's account cells are empty: the (first) column the mapping reads it from
        raise FieldValidationError([field_error(self.account_key, REQUIRED, "is required")])

    def row(self, uow: UnitOfWork, number: int, prepared: Prepared) -> Outcome:
        data, keys = prepared.data, prepared.keys
        account = self._account(keys)
        loaded = prepared.loaded()
        contact_id = _record_id(keys, "id")
        if contact_id is not None:
            found = self.by_id.get(contact_id)
            if found is None or not self.run.policy.can_see(found.account):
                raise _not_found("id")
            return self._existing(uow, found, loaded, ("id", "même identifiant"))
        email = str(data.get("email") or "").strip().lower()
        file_keys = [("email", f"{account.id}:{email}")] if email else []
        if email:
            found = self.by_email.get((account.id, email))
            if found is not None:
                return self._existing(uow, found, loaded, ("email", "même e-mail"))
            earlier = self._earlier(file_keys)
            if earlier is not None:
                return Outcome(
                    report.DUPLICATE,
                    f"Doublon de la ligne {earlier} (même e-mail) ; rien n'a été écrit.",
                    [{"field": "email", "code": "duplicate", "message": "earlier row"}],
                )
        contact = contacts.new_contact(
            self.session, account, loaded, definitions=self.run.definitions["contact"]
        )
        self._note(file_keys, number)
        if not self.run.dry_run:
            self.created.append(contact)
        return Outcome(
            report.CREATED,
            report.created_message(CONTACTS, self.run.dry_run),
            record=None if self.run.dry_run else contact,
            built=contact,
        )

    def _existing(
        self, uow: UnitOfWork, contact: Contact, loaded: dict[str, Any], match: tuple[str, str]
    ) -> Outcome:
        if not self.run.update_existing:
            name = full_name(contact.first_name, contact.last_name)
            return self._duplicate(match, contact, name)
        definitions = self.run.definitions["contact"]
        if self.run.dry_run:
            fields.validate(
                definitions, fields.flatten(loaded), loaded.get("custom"), creating=False
            )
        else:
            contacts.update_contact(
                uow, contact.id, loaded, expected_version=None, definitions=definitions
            )
        return Outcome(report.UPDATED, report.updated_message(self.run.dry_run), record=contact)


#: the largest record id (a PostgreSQL ``bigint``)
MAX_ID = 2**63 - 1


def _record_id(keys: dict[str, str], key: str) -> int | None:
    """The record id in the row's ``key`` cell (None when it is empty); 422 on ``key`` when
    the cell holds no record id (``abc``, ``1.5``, ``-5``): never dropped, which would
    create the record the row names."""
    value = keys.get(key)
    if value is None:
        return None
    text = value.strip()
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise FieldValidationError([field_error(key, NOT_A_NUMBER, "Not a valid integer.")])
    number = int(text)
    if not 0 < number <= MAX_ID:
        raise FieldValidationError(
            [field_error(key, OUT_OF_RANGE, f"Must be between 1 and {MAX_ID}.")]
        )
    return number


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 2**63 else None


@functools.cache
def _loader(entity: str) -> tuple[Schema, _PlainTexts | None]:
    """The API's request schema of ``entity`` and its shortcut, built once per process
    (loading keeps no state in the schema)."""
    schema = _account_schema() if entity == PROSPECTS else _contact_schema()
    return schema, _PlainTexts.of(schema)


def _account_schema() -> Schema:
    from records_svc.api.schemas import AccountWriteSchema  # the API's own request schema

    return AccountWriteSchema()


def _contact_schema() -> Schema:
    from records_svc.api.schemas import ContactWriteSchema

    return ContactWriteSchema()
