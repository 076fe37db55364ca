"""Whatever sequence of API operations, once the outbox drains the index shows the database.

A hypothesis state machine over create / edit / convert / close / reopen /
validate / delete of accounts and contacts, on both records databases and both
search backends. After every step the pending events are processed (what the
worker does), then ``verify`` must report no drift *and* every document must
show what the database says (label, sub-label, badges, link, visibility): a
version check alone would pass if a change were never versioned at all.
"""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from records_svc.db import Database
from records_svc.domain import rights
from search_svc.backends.base import SearchBackend, SearchQuery
from tests.conftest import Api, make_user
from tests.search.test_pipeline import drain
from workers import maintenance

WORDS = ("Dupré", "Müller", "Lenôtre", "Société", "Œuvre", "Garçon")
FIELDS_NOT_SHOWN = ("phone", "website", "ape_code")


def tag_of(number: int) -> str:
    """A word no other record holds ('qa', 'qb', …): finds exactly one record."""
    letters = ""
    while True:
        number, rest = divmod(number, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[rest] + letters
        if not number:
            return "qz" + letters


def check_index_shows_the_database(database: Database, backend: SearchBackend) -> None:
    assert not maintenance.verify(database, backend)
    for docs in maintenance.expected_documents(database):
        for doc in docs:
            tag = next(t for t in doc.terms if t.startswith("qz"))
            found = {
                (h.kind, h.id): h
                for h in backend.search(SearchQuery(tag, show_closed=True, limit=50))
            }
            hit = found[(doc.kind, doc.entity_id)]
            shown = (hit.label, hit.sublabel, hit.badges, hit.link)
            assert shown == (doc.label, doc.sublabel, doc.badges, doc.link)
            hidden = backend.search(SearchQuery(tag, show_closed=False, limit=50))
            assert ((doc.kind, doc.entity_id) in {(h.kind, h.id) for h in hidden}) == (
                not doc.closed
            )


def machine_for(api: Api, database: Database, backend: SearchBackend) -> type:
    numbers = itertools.count(1)

    def name(word: str) -> str:
        return f"{word} {tag_of(next(numbers))}"

    class IndexFollowsTheDatabase(RuleBasedStateMachine):
        prospects = Bundle("prospects")
        clients = Bundle("clients")
        contacts = Bundle("contacts")

        def _edit(self, path: str, data: dict[str, Any]) -> None:
            reply = api.edit(path, data)
            assert reply.status_code == 200, reply.json

        def _delete(self, path: str) -> None:
            etag = api.get(path).headers["ETag"]
            assert api.delete(path, headers={"If-Match": etag}).status_code == 204

        # Each example starts with accounts that have contacts (renames, closing and
        # conversion then have dependants to carry along).
        @initialize(target=clients)
        def client_with_contacts(self) -> tuple[int, str]:
            client = self.create_client("Œuvre")
            for word in ("Léa", "Zoé"):
                self.create_contact(client, word)
            return client

        @initialize(target=prospects)
        def prospect_with_a_contact(self) -> int:
            prospect = self.create_prospect("Garçon")
            self.create_contact(prospect, "Hélène")
            return prospect

        @rule(target=prospects, word=st.sampled_from(WORDS))
        def create_prospect(self, word: str) -> int:
            reply = api.post("/api/v1/prospects", json={"name": name(word)})
            assert reply.status_code == 201, reply.json
            return int(reply.json["id"])

        @rule(target=clients, word=st.sampled_from(WORDS))
        def create_client(self, word: str) -> tuple[int, str]:
            ref = f"ERP-{tag_of(next(numbers))}"
            reply = api.put(f"/api/v1/sync/clients/{ref}", json={"name": name(word)})
            assert reply.status_code == 201, reply.json
            return int(reply.json["id"]), ref

        @rule(target=contacts, account=prospects | clients, word=st.sampled_from(WORDS))
        def create_contact(self, account: int | tuple[int, str], word: str) -> int:
            account_id = account if isinstance(account, int) else account[0]
            reply = api.post(
                f"/api/v1/accounts/{account_id}/contacts",
                json={"first_name": word, "last_name": tag_of(next(numbers))},
            )
            assert reply.status_code == 201, reply.json
            return int(reply.json["id"])

        @rule(prospect=prospects, word=st.sampled_from(WORDS))
        def rename_prospect(self, prospect: int, word: str) -> None:
            self._edit(f"/api/v1/prospects/{prospect}", {"name": name(word)})

        @rule(prospect=prospects, field=st.sampled_from(FIELDS_NOT_SHOWN))
        def edit_prospect_unshown(self, prospect: int, field: str) -> None:
            value = {"phone": "0142142000", "website": "https://ex.fr", "ape_code": "6201Z"}
            self._edit(f"/api/v1/prospects/{prospect}", {field: value[field]})

        @rule(prospect=prospects)
        def validate(self, prospect: int) -> None:
            reply = api.post(f"/api/v1/prospects/{prospect}/validate")
            assert reply.status_code in (200, 409), reply.json

        @rule(target=clients, prospect=consumes(prospects))
        def convert(self, prospect: int) -> tuple[int, str]:
            ref = f"ERP-{tag_of(next(numbers))}"
            reply = api.put(f"/api/v1/sync/clients/{ref}", json={"prospect_id": prospect})
            assert reply.status_code == 200, reply.json
            return prospect, ref

        @rule(client=clients, closed=st.booleans(), rename=st.sampled_from((None, *WORDS)))
        def sync_client(self, client: tuple[int, str], closed: bool, rename: str | None) -> None:
            client_id, ref = client
            current = api.get(f"/api/v1/clients/{client_id}").json
            data = {"name": name(rename) if rename else current["name"], "closed": closed}
            reply = api.put(f"/api/v1/sync/clients/{ref}", json=data)
            assert reply.status_code == 200, reply.json

        @rule(client=clients)
        def edit_client_phone(self, client: tuple[int, str]) -> None:
            client_id, ref = client
            current = api.get(f"/api/v1/clients/{client_id}").json
            reply = api.put(
                f"/api/v1/sync/clients/{ref}", json={"name": current["name"], "phone": "0601020304"}
            )
            assert reply.status_code == 200, reply.json

        @rule(contact=contacts, word=st.sampled_from(WORDS), shown=st.booleans())
        def edit_contact(self, contact: int, word: str, shown: bool) -> None:
            path = f"/api/v1/contacts/{contact}"
            if api.get(path).status_code == 404:
                return  # its account was deleted meanwhile
            self._edit(path, {"first_name": word} if shown else {"job_title": word})

        @rule(contact=consumes(contacts))
        def delete_contact(self, contact: int) -> None:
            path = f"/api/v1/contacts/{contact}"
            if api.get(path).status_code == 200:
                self._delete(path)

        @rule(prospect=consumes(prospects))
        def delete_prospect(self, prospect: int) -> None:
            self._delete(f"/api/v1/prospects/{prospect}")

        @rule(client=consumes(clients))
        def delete_client(self, client: tuple[int, str]) -> None:
            self._delete(f"/api/v1/clients/{client[0]}")

        @invariant()
        def once_drained_the_index_shows_the_database(self) -> None:
            drain(database, backend)
            check_index_shows_the_database(database, backend)

    return IndexFollowsTheDatabase


def test_verify_is_always_zero_once_the_queue_drains(
    app: Flask, database: Database, backend: SearchBackend
) -> None:
    api = make_user(app, database, "machine", *rights.ALL_RIGHTS)
    run_state_machine_as_test(
        machine_for(api, database, backend),
        settings=settings(
            max_examples=6,
            stateful_step_count=16,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
