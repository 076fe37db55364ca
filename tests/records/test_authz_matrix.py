"""The authorization matrix: every operation of /openapi.json × every kind of caller.

The expected statuses are data, in ``authz_matrix.csv`` beside this file: one
row per operation (service, method, path), one column per caller:

- ``anonymous``: no token;
- ``seller``: signed in, no right;
- one column per right (a user holding that right alone);
- ``disabled``: a disabled user's token; ``revoked``: a token issued before the
  user's sessions were ended (sign-out, password change, right revoked);
- ``closed``: the seller on the same operation aimed at a closed client's
  record (``-`` where the operation names no record of a client).

An operation served without a row fails the test, and so does a row left for an
operation that is gone. The data set is built once per database; an operation
that changes or removes its target gets targets of its own (built directly in
the database, not through the API under test).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import Settings
from httpkit.tokens import issue_token
from records_svc.db import Database
from records_svc.domain import (
    accounts,
    actions,
    calendar_feeds,
    imports,
    opportunities,
    rights,
    tracked_jobs,
    users,
    views,
)
from records_svc.domain import contacts as contacts_domain
from records_svc.domain import fields as fields_domain
from records_svc.domain.documents import Owner, Upload, add_documents
from records_svc.editions import templates as templates_domain
from records_svc.files import EDITIONS
from records_svc.job_queue import NullJobQueue
from search_svc import create_app as create_search_app
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.conftest import PASSWORD, TEST_HASHING
from tests.documents.editing import docx_template

MATRIX = Path(__file__).with_name("authz_matrix.csv")
ROLES = ("anonymous", "seller", *rights.ALL_RIGHTS, "disabled", "revoked", "closed")
#: the caller of each column (``closed``: the seller, aimed at a closed client)
USERS = {
    "seller": ("alice", ()),
    **{right: (f"holder-of-{right}", (right,)) for right in rights.ALL_RIGHTS},
    "disabled": ("dora", ()),
    "revoked": ("remi", ()),
}
RECORD_PARAMS = {"account_id", "owner_id", "record_id", "contact_id", "document_id"}
RECORD_PARAMS |= {"action_id", "opportunity_id", "job_id"}
FORMAT = "application/json"


def read_matrix() -> dict[tuple[str, str, str], dict[str, str]]:
    with MATRIX.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["service", "method", "path", *ROLES], "columns"
    return {(r["service"], r["method"], r["path"]): r for r in rows}


def served_operations(records: FlaskClient, search: FlaskClient) -> list[tuple[str, str, str]]:
    found = []
    for service, client, url in (
        ("records", records, "/api/v1/openapi.json"),
        ("search", search, "/api/v1/search/openapi.json"),
    ):
        spec = client.get(url).json
        for path, operations in spec["paths"].items():
            for method in operations:
                if method in ("get", "post", "put", "patch", "delete"):
                    found.append((service, method.upper(), path))
    return found


@dataclass
class World:
    """The records the requests aim at; ``fresh`` ones for operations that change them."""

    database: Database
    actor: int
    shared: dict[tuple[str, bool], int] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def get(self, what: str, closed: bool, fresh: bool) -> int:
        if fresh:
            return self.make(what, closed)
        if (what, closed) not in self.shared:
            self.shared[(what, closed)] = self.make(what, closed)
        return self.shared[(what, closed)]

    def make(self, what: str, closed: bool) -> int:
        n = next(self.counter)
        with self.database.unit_of_work() as uow:
            if what == "prospect":
                return accounts.create_prospect(uow, self.actor, {"name": f"Prospect {n}"}).id
            if what == "client":
                client, _ = accounts.sync_client(
                    uow, f"REF-{n}", {"name": f"Client {n}", "closed": closed}
                )
                return client.id
            if what == "view":  # the seller's, shared: others see it, only she changes it
                data = {"name": f"Vue {n}", "entity": "accounts", "shared": True}
                return views.create_view(uow.session, self.actor, data).id
        account = self.get("client" if closed else "prospect", closed, fresh=False)
        kind = "client" if closed else "prospect"
        with self.database.unit_of_work() as uow:
            s = uow.session
            if what == "contact":
                return contacts_domain.create_contact(uow, account, {"last_name": f"C{n}"}).id
            if what == "document":
                upload = Upload("note.txt", io.BytesIO(b"hello"))
                owner = Owner(kind, account)
                return add_documents(uow, owner, [upload], uploaded_by=None, max_bytes=10**6)[0].id
            if what == "action":
                data = {"type": "call", "subject": "Appel"}
                return actions.create_on_record(uow, self.actor, kind, account, data).id
            if what == "opportunity":
                contact = contacts_domain.create_contact(uow, account, {"last_name": "O"})
                s.flush()
                data = {
                    "account_id": account,
                    "title": "Affaire",
                    "amount": Decimal("10.00"),
                    "expected_signing_date": date(2027, 1, 15),
                    "contact_ids": [contact.id],
                }
                return opportunities.create_opportunity(uow, self.actor, data).id
            if what == "definition":
                return fields_domain.add_custom_field(
                    s, entity="prospect", key=f"k{n}", label=f"K{n}", type="text"
                ).id
        raise AssertionError(f"no way to make a {what}")

    def feed(self, user_id: int) -> str:
        """A calendar feed of ``user_id``: its secret token."""
        with self.database.unit_of_work() as uow:
            return calendar_feeds.create_feed(uow.session, user_id)[1]

    def template(self, entity: str) -> int:
        key = (f"template-{entity}", False)
        if key not in self.shared:
            with self.database.unit_of_work() as uow:
                data = templates_domain.TemplateInput(
                    name=f"Fiche {entity}", entity=entity, format="html", body="<p>Fiche</p>"
                )
                self.shared[key] = templates_domain.create_template(uow, data).id
        return self.shared[key]

    def docx_template(self) -> int:
        key = ("template-docx", False)
        if key not in self.shared:
            with self.database.unit_of_work() as uow:
                data = templates_domain.TemplateInput(
                    name="Fiche Word",
                    entity="prospect",
                    format="docx",
                    docx=docx_template("Fiche"),
                    docx_name="fiche.docx",
                )
                self.shared[key] = templates_domain.create_template(uow, data).id
        return self.shared[key]

    def import_job(self, user_id: int) -> str:
        """A done import of ``user_id`` (one prospect)."""
        request = imports.ImportRequest("prospects", "leads.csv", b"Nom\r\nMartin\r\n")
        with self.database.unit_of_work() as uow:
            job_id = imports.start_import(uow, NullJobQueue(), request, user_id=user_id).id
        imports.run_import(self.database, job_id)
        return job_id

    def job(self, user_id: int, closed: bool) -> str:
        """A done edition job of ``user_id`` about an account, with its file."""
        account = self.get("client" if closed else "prospect", closed, fresh=False)
        assert self.database.files is not None
        stored = self.database.files.write_bytes(b"%PDF-1.4 fiche", area=EDITIONS)
        with self.database.unit_of_work() as uow:
            job = tracked_jobs.create_job(
                uow.session,
                "edition",
                created_by=user_id,
                target_kind="client" if closed else "prospect",
                target_id=account,
            )
            tracked_jobs.mark_done(
                uow.session,
                job.id,
                None,
                file_path=stored.key,
                file_name="fiche.pdf",
                media_type="application/pdf",
            )
            return job.id


#: what a path parameter names, by the segment before it
PARAM_KIND = {
    "contacts": "contact",
    "prospects": "prospect",
    "clients": "client",
    "accounts": "client",
    "documents": "document",
    "actions": "action",
    "opportunities": "opportunity",
    "field-definitions": "definition",
    "views": "view",
}
#: a valid body for each operation that takes one (``t`` resolves ids)
Body = Callable[["Target"], Any]
BODIES: dict[str, Body] = {
    "POST /api/v1/auth/token": lambda t: {"username": t.username, "password": PASSWORD},
    "POST /api/v1/auth/session": lambda t: {"username": t.username, "password": PASSWORD},
    "POST /api/v1/auth/password": lambda t: {
        "current_password": PASSWORD,
        "new_password": PASSWORD,
    },
    "POST /api/v1/prospects": lambda t: {"name": "Nouveau prospect"},
    "PUT /api/v1/prospects/{account_id}": lambda t: {"name": "Renommé"},
    "PATCH /api/v1/prospects/{account_id}": lambda t: {"name": "Renommé"},
    "POST /api/v1/clients": lambda t: {"name": "Client du portail"},
    # an ERP-owned field: only the ERP's service account may change it
    "PUT /api/v1/clients/{account_id}": lambda t: {"name": "Renommé"},
    "PATCH /api/v1/clients/{account_id}": lambda t: {"name": "Renommé"},
    "PUT /api/v1/accounts/{account_id}": lambda t: {"name": "Renommé"},
    "PATCH /api/v1/accounts/{account_id}": lambda t: {"name": "Renommé"},
    "POST /api/v1/accounts/{account_id}/contacts": lambda t: {"last_name": "Martin"},
    "PUT /api/v1/contacts/{contact_id}": lambda t: {"last_name": "Martin"},
    "PATCH /api/v1/contacts/{contact_id}": lambda t: {"last_name": "Martin"},
    "POST /api/v1/field-definitions": lambda t: {
        "entity": "prospect",
        "key": f"cle{t.serial}",
        "label": "Clé",
        "type": "text",
    },
    "PATCH /api/v1/field-definitions/{definition_id}": lambda t: {"label": "Autre"},
    "PUT /api/v1/sync/clients/{external_ref}": lambda t: {"name": "Client de l'ERP"},
    "POST /api/v1/edition-templates": lambda t: {
        "name": "Fiche",
        "entity": "prospect",
        "format": "html",
        "body": "<p>Fiche</p>",
    },
    "PUT /api/v1/edition-templates/{template_id}": lambda t: {
        "name": "Fiche",
        "entity": "prospect",
        "format": "html",
        "body": "<p>Fiche</p>",
    },
    "POST /api/v1/contacts/{record_id}/editions": lambda t: {"template_id": t.template("contact")},
    "POST /api/v1/prospects/{record_id}/editions": lambda t: {
        "template_id": t.template("prospect")
    },
    "POST /api/v1/clients/{record_id}/editions": lambda t: {"template_id": t.template("client")},
    "POST /api/v1/opportunities": lambda t: {
        "account_id": t.account(),
        "title": "Affaire",
        "amount": "100.00",
        "expected_signing_date": "2027-01-15",
    },
    "PUT /api/v1/opportunities/{opportunity_id}": lambda t: {"title": "Autre"},
    "PATCH /api/v1/opportunities/{opportunity_id}": lambda t: {"title": "Autre"},
    "POST /api/v1/opportunities/{opportunity_id}/contacts": lambda t: {
        "contact_id": t.contact_of_opportunity()
    },
    "POST /api/v1/opportunities/{opportunity_id}/actions": lambda t: {
        "type": "call",
        "subject": "Appel",
    },
    "POST /api/v1/contacts/{record_id}/actions": lambda t: {"type": "call", "subject": "Appel"},
    "POST /api/v1/prospects/{record_id}/actions": lambda t: {"type": "call", "subject": "Appel"},
    "POST /api/v1/clients/{record_id}/actions": lambda t: {"type": "call", "subject": "Appel"},
    "PUT /api/v1/actions/{action_id}": lambda t: {"subject": "Rappel"},
    "PATCH /api/v1/actions/{action_id}": lambda t: {"subject": "Rappel"},
    "POST /api/v1/sirene/lookup": lambda t: {"number": "13002526500013"},
    "POST /api/v1/views": lambda t: {"name": "Gironde", "entity": "accounts"},
    "PUT /api/v1/views/{view_id}": lambda t: {"name": "Gironde"},
    "PATCH /api/v1/views/{view_id}": lambda t: {"name": "Gironde"},
    "POST /api/v1/prospects/{account_id}/sirene": lambda t: {"number": "13002526500013"},
    "POST /api/v1/accounts/duplicates": lambda t: {"name": "Client 1", "siren": "552120222"},
    "POST /api/v1/contacts/duplicates": lambda t: {"last_name": "C1", "email": "c1@example.fr"},
    # into a client: needs merge_accounts and erp_sync, which no single right gives
    "POST /api/v1/accounts/{account_id}/merge": lambda t: {
        "source_id": t.world.get("prospect", False, fresh=True)
    },
    "POST /api/v1/contacts/{contact_id}/merge": lambda t: {
        "source_id": t.world.get("contact", t.closed, fresh=True)
    },
}
UPLOADS = {
    f"POST /api/v1/{kind}/{{owner_id}}/documents" for kind in ("contacts", "prospects", "clients")
}
#: a valid multipart form for each operation that takes one
FORMS: dict[str, Callable[[], dict[str, Any]]] = {
    "POST /api/v1/imports": lambda: {
        "file": (io.BytesIO(b"Nom\r\nMartin\r\n"), "leads.csv"),
        "entity": "prospects",
        "dry_run": "true",
    },
}
#: operations on the caller's calendar feed, which must exist first
WITH_FEED = {"GET /api/v1/calendar/feeds/me", "DELETE /api/v1/calendar/feeds/me"}
QUERIES = {
    "GET /api/v1/field-definitions": {"entity": "prospect"},
    "GET /api/v1/opportunities/signature-calendar": {
        "from": "2027-01-01",
        "to": "2027-01-31",
        "owner": "all",
    },
    "GET /api/v1/search": {"q": "client"},
}


@dataclass
class Target:
    """One request of the matrix: the path filled in, its body and its headers."""

    world: World
    method: str
    path: str
    role: str
    user_id: int | None
    username: str
    serial: int
    ids: dict[str, Any] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.role == "closed"

    @property
    def fresh(self) -> bool:
        return self.method != "GET"

    def template(self, entity: str) -> int:
        return self.world.template(entity)

    def account(self) -> int:
        return self.world.get("client", self.closed, fresh=False)

    def contact_of_opportunity(self) -> int:
        """Another contact of the opportunity's account, not on it yet."""
        with self.world.database.read() as session:
            account_id = opportunities.get_opportunity(
                session, self.ids["opportunity_id"]
            ).account_id
        with self.world.database.unit_of_work() as uow:
            return contacts_domain.create_contact(uow, account_id, {"last_name": "Ajouté"}).id

    def resolve(self) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            before = self.path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            self.ids[name] = self.value(name, before)
            return str(self.ids[name])

        return re.sub(r"\{(\w+)\}", fill, self.path)

    def value(self, name: str, before: str) -> Any:
        if name == "external_ref":
            return f"ERP-{self.serial}"
        if name == "token":  # the calendar feed's secret: the caller's own feed
            return self.world.feed(self.user_id or 0)
        if name == "job_id" and self.path.startswith("/api/v1/imports/"):
            return self.world.import_job(self.user_id or 0)
        if name == "job_id":
            return self.world.job(self.user_id or 0, self.closed)
        if name == "template_id":
            return self._template() if self.fresh else self.world.docx_template()
        if name == "contact_id" and "opportunity_id" in self.ids:  # …/{o}/contacts/{c}
            return self._contact_of(self.ids["opportunity_id"])
        kind = PARAM_KIND[before]
        if kind == "prospect" and self.closed:
            raise AssertionError("a prospect is never closed")
        return self.world.get(kind, self.closed, self.fresh)

    def _template(self) -> int:
        with self.world.database.unit_of_work() as uow:
            data = templates_domain.TemplateInput(
                name="Jetable", entity="prospect", format="html", body="<p>x</p>"
            )
            return templates_domain.create_template(uow, data).id

    def _contact_of(self, opportunity_id: int) -> int:
        with self.world.database.read() as session:
            return opportunities.get_opportunity(session, opportunity_id).contacts[0].id


def _applies_to_closed(path: str) -> bool:
    names = set(re.findall(r"\{(\w+)\}", path))
    return bool(names & RECORD_PARAMS) and "/prospects/" not in path


@dataclass
class Matrix:
    settings: Settings
    database: Database
    records: FlaskClient
    search: FlaskClient
    world: World
    user_ids: dict[str, int]

    def token(self, role: str) -> str | None:
        if role == "anonymous":
            return None
        username, _ = USERS["seller" if role == "closed" else role]
        with self.database.read() as session:
            user = users.get_by_username(session, username)
            version = user.token_version - (1 if role == "revoked" else 0)
            user_id = user.id
        return issue_token(
            self.settings.resolved_secret_key(),
            user_id=user_id,
            username=username,
            rights=[],
            ttl_seconds=600,
            token_version=version,
        )

    def status(self, service: str, method: str, path: str, role: str, serial: int) -> int:
        username = USERS.get("seller" if role in ("closed", "anonymous") else role, ("", ()))[0]
        target = Target(
            self.world, method, path, role, self.user_ids.get(username), username, serial
        )
        # callers that a token check stops never reach their target: build nothing for them
        stopped = role in ("anonymous", "disabled", "revoked") and "{" in path
        url = re.sub(r"\{\w+\}", "1", path) if stopped else target.resolve()
        operation = f"{method} {path}"
        if operation in WITH_FEED and target.user_id is not None and not stopped:
            self.world.feed(target.user_id)  # something to read or revoke
        token = self.token(role)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method in ("PUT", "PATCH", "DELETE") or path.endswith(("/validate", "/done", "/merge")):
            headers["If-Match"] = "*"
        kwargs: dict[str, Any] = {"headers": headers, "query_string": QUERIES.get(operation)}
        if operation in UPLOADS:
            kwargs["data"] = {"file": (io.BytesIO(b"hello"), "note.txt")}
        elif operation in FORMS:
            kwargs["data"] = {} if stopped else FORMS[operation]()
        elif operation in BODIES:
            kwargs["json"] = {} if stopped else BODIES[operation](target)
        client = self.search if service == "search" else self.records
        reply = client.open(url, method=method, **kwargs)
        reply.close()
        return reply.status_code


@pytest.fixture
def matrix(settings: Settings, database: Database, app: Flask, tmp_path: Path) -> Iterator[Matrix]:
    search_backend = SqliteFtsBackend(tmp_path / "search.db")
    states = app.extensions["carnet.records"].user_states
    search = create_search_app(settings, backend=search_backend, user_states=states)
    user_ids = {}
    with database.unit_of_work() as uow:
        for username, granted in USERS.values():
            user = users.create_user(uow.session, username, PASSWORD, granted, hashing=TEST_HASHING)
            user_ids[username] = user.id
        users.set_disabled(uow.session, "dora", True)
        users.end_sessions(users.get_by_username(uow.session, "remi"))
    world = World(database, actor=user_ids["alice"])
    # no cookie jar: a session cookie one row signs in with must not sign in the next
    records, finder = app.test_client(use_cookies=False), search.test_client(use_cookies=False)
    yield Matrix(settings, database, records, finder, world, user_ids)
    search_backend.close()


def test_every_operation_has_a_row_and_every_row_an_operation(matrix: Matrix) -> None:
    served = set(served_operations(matrix.records, matrix.search))
    rows = set(read_matrix())
    assert sorted(served - rows) == [], "operations without a row in authz_matrix.csv"
    assert sorted(rows - served) == [], "rows of authz_matrix.csv for no operation"


def test_the_authorization_matrix(matrix: Matrix) -> None:
    expected = read_matrix()
    mismatches = []
    serial = itertools.count()
    for (service, method, path), row in sorted(expected.items()):
        for role in ROLES:
            want = row[role]
            if role == "closed" and not _applies_to_closed(path):
                assert want == "-", f"{method} {path}: no closed client's record to aim at"
                continue
            got = matrix.status(service, method, path, role, next(serial))
            if str(got) != want:
                mismatches.append(f"{service} {method} {path} as {role}: {got}, expected {want}")
    assert mismatches == [], "\n".join(mismatches)
