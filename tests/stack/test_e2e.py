"""End to end on the full stack as processes: the portal's day over HTTP, then ``stack down``.

One stack for the module (started by the ``stack`` fixture); the tests run in
file order and the last one stops it.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.sirene.fake_provider import DINUM_SIRET
from tests.stack.conftest import Portal, Stack, carnet
from tests.wait import WaitTimeoutError, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

T = TypeVar("T")
#: the type-ahead promise: a new record is found within this
FOUND_WITHIN = 2.0
#: what `carnet stack up` runs, in start order (the supervisor first)
PROCESSES = (
    "supervisor",
    "records",
    "search",
    "worker-indexing",
    "worker-sirene",
    "worker-editions",
    "worker-maintenance",
    "beat",
    "flower",
)
HTML = "<h1>Fiche {{ account.name }}</h1><p>{{ account.siret or '' }}</p>"


def eventually(check: Callable[[], T | None], within: float) -> T | None:
    """Poll ``check`` until it returns something truthy, for at most ``within`` seconds;
    None after that (the caller's assertion says what was missing)."""
    try:
        return wait_until(check, within, "the stack")
    except WaitTimeoutError:
        return None


def found(portal: Portal, q: str, kind: str, id_: int) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        return next((i for i in portal.search(q) if i["kind"] == kind and i["id"] == id_), None)

    return check


def gone(portal: Portal, q: str, kind: str, id_: int) -> Callable[[], bool]:
    return lambda: found(portal, q, kind, id_)() is None


def test_both_services_are_healthy_and_ready(stack: Stack) -> None:
    for base in (stack.records, stack.search):
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    records = requests.get(f"{stack.records}/readyz", timeout=5)
    assert records.status_code == 200
    assert records.json()["checks"] == {"database": "ok", "redis": "ok", "indexing_worker": "ok"}
    search = requests.get(f"{stack.search}/readyz", timeout=5)
    assert search.json()["checks"] == {"index": "ok"}


def test_a_salesperson_s_day(stack: Stack, alice: Portal, bruno: Portal) -> None:
    word = "Zephyrine"  # a name nobody else has in this fresh index
    # create a prospect; found by its first letters within 2 seconds
    reply = alice.records("POST", "/api/v1/prospects", json={"name": f"{word} Conseil"})
    assert reply.status_code == 201, reply.text
    prospect = reply.json()
    hit = eventually(found(alice, "zeph", "prospect", prospect["id"]), FOUND_WITHIN)
    assert hit, "the new prospect was not found within 2 seconds"
    assert hit["badges"] == ["draft"]

    # SIRENE auto-fill from its SIRET (the local fake of INSEE answers)
    reply = alice.records(
        "POST", f"/api/v1/prospects/{prospect['id']}/sirene", json={"number": DINUM_SIRET}
    )
    assert reply.status_code == 200, reply.text
    filled = reply.json()
    assert filled["siret"] == DINUM_SIRET and filled["siren"] == DINUM_SIRET[:9]
    assert filled["name"] == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert filled["address"]["city"]
    assert eventually(found(alice, "dir interm", "prospect", prospect["id"]), 10)

    # validate it
    reply = alice.records("POST", f"/api/v1/prospects/{prospect['id']}/validate")
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "validated"
    validated = eventually(
        lambda: (
            "validated"
            in (found(alice, "dir num", "prospect", prospect["id"])() or {}).get("badges", [])
        ),
        10,
    )
    assert validated

    # a contact, found by name with its account as sub-label
    reply = alice.records(
        "POST",
        f"/api/v1/accounts/{prospect['id']}/contacts",
        json={"first_name": "Hélène", "last_name": "Quérand", "email": "helene@numerique.fr"},
    )
    assert reply.status_code == 201, reply.text
    contact = reply.json()
    contact_hit = eventually(found(alice, "quer hel", "contact", contact["id"]), 10)
    assert contact_hit and contact_hit["sublabel"] == filled["name"]

    # a PDF edition, attached to the prospect
    reply = alice.records(
        "POST",
        "/api/v1/edition-templates",
        json={"name": "Fiche", "entity": "prospect", "format": "html", "body": HTML},
    )
    assert reply.status_code == 201, reply.text
    template_id = reply.json()["id"]
    reply = alice.records(
        "POST",
        f"/api/v1/prospects/{prospect['id']}/editions",
        json={"template_id": template_id, "attach": True},
    )
    assert reply.status_code == 202, reply.text
    location = reply.headers["Location"]
    job = eventually(
        lambda: (j := alice.records("GET", location).json())["state"] in ("done", "failed") and j,
        60,
    )
    assert job and job["state"] == "done", job
    pdf = alice.records("GET", job["links"]["download"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # upload and download a document
    base = f"/api/v1/prospects/{prospect['id']}/documents"
    note = f"Compte rendu {uuid.uuid4()}".encode()
    reply = alice.records("POST", base, files={"file": ("compte-rendu.txt", note)})
    assert reply.status_code == 201, reply.text
    uploaded = reply.json()["items"][0]
    assert alice.records("GET", uploaded["links"]["content"]).content == note
    documents = alice.records("GET", base).json()["items"]
    assert len(documents) == 2  # the printed edition and the upload
    assert stored_files(stack)

    # a client from the ERP, with a contact; closed, it leaves search but for bruno
    client_body = {"name": "Brasserie Quiberonnaise", "address": {"city": "Quiberon"}}
    reply = alice.records("PUT", "/api/v1/sync/clients/ERP-0042", json=client_body)
    assert reply.status_code == 201, reply.text
    client = reply.json()
    reply = alice.records(
        "POST",
        f"/api/v1/accounts/{client['id']}/contacts",
        json={"first_name": "Yannick", "last_name": "Le Quéré"},
    )
    assert reply.status_code == 201, reply.text
    client_contact = reply.json()
    assert eventually(found(alice, "quiberon", "client", client["id"]), 10)
    assert eventually(found(alice, "yann", "contact", client_contact["id"]), 10)
    reply = alice.records(
        "PUT", "/api/v1/sync/clients/ERP-0042", json={**client_body, "closed": True}
    )
    assert reply.status_code == 200 and reply.json()["closed"] is True
    assert eventually(gone(alice, "quiberon", "client", client["id"]), 10)
    assert eventually(gone(alice, "yann", "contact", client_contact["id"]), 10)
    closed = found(bruno, "quiberon", "client", client["id"])()
    assert closed and "closed" in closed["badges"]
    assert found(bruno, "yann", "contact", client_contact["id"])()

    # delete the prospect: its search entries, documents and files are gone
    reply = alice.records("DELETE", f"/api/v1/prospects/{prospect['id']}")
    assert reply.status_code == 204, reply.text
    assert eventually(gone(alice, "direction", "prospect", prospect["id"]), 10)
    assert eventually(gone(alice, "quer", "contact", contact["id"]), 10)
    assert alice.records("GET", f"/api/v1/documents/{uploaded['id']}").status_code == 404
    assert alice.records("GET", uploaded["links"]["content"]).status_code == 404
    assert eventually(lambda: not stored_files(stack), 10)


def stored_files(stack: Stack) -> list[Path]:
    root = stack.data_dir / "documents"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_flower_lists_the_workers(stack: Stack) -> None:
    queues = {"indexing", "sirene", "editions", "maintenance"}

    def workers() -> set[str] | None:
        reply = requests.get(f"{stack.flower}/api/workers", params={"refresh": 1}, timeout=10)
        assert reply.status_code == 200, reply.text
        names = {name.split("@", 1)[0] for name in reply.json()}
        return names if queues <= names else None

    assert eventually(workers, 20) == queues


def test_logs_are_json_lines_and_a_request_id_follows_into_its_job(
    stack: Stack, alice: Portal
) -> None:
    request_id = f"e2e-{uuid.uuid4().hex[:12]}"
    reply = alice.records(
        "POST",
        "/api/v1/prospects",
        json={"name": "Traçabilité Ouest"},
        headers={"X-Request-ID": request_id},
    )
    assert reply.status_code == 201
    assert reply.headers["X-Request-ID"] == request_id

    def job_logged() -> bool:
        return any(
            json.loads(line).get("request_id") == request_id
            and "carnet.indexing.process_events" in json.loads(line)["message"]
            for line in stack.log("worker-indexing")
        )

    assert eventually(job_logged, 15)
    _all_json_lines(stack)
    # one access line for the request, with its request id (none from gunicorn)
    entries = [json.loads(line) for line in stack.log("records")]
    mine = [e for e in entries if e.get("request_id") == request_id]
    assert [e["logger"] for e in mine] == ["carnet.http"]
    assert not [e for e in entries if e["logger"] == "gunicorn.access"]


def _all_json_lines(stack: Stack) -> None:
    for name in PROCESSES:
        for line in stack.log(name):
            entry = json.loads(line)  # every line is one JSON object
            assert {"ts", "level", "message", "request_id"} <= set(entry), (name, line)


def test_a_process_that_dies_is_restarted(stack: Stack, alice: Portal) -> None:
    before = {p["name"]: p["pid"] for p in stack.state()["processes"]}
    os.kill(before["worker-indexing"], signal.SIGKILL)

    def restarted() -> bool:
        now = {p["name"]: p["pid"] for p in stack.state()["processes"]}
        return now["worker-indexing"] != before["worker-indexing"]

    assert eventually(restarted, 20), "the supervisor did not restart the indexing worker"
    assert any(
        "worker-indexing exited (status -9)" in json.loads(line)["message"]
        for line in stack.log("supervisor")
    )
    # the pipeline works again: a new prospect is found, /readyz sees the new worker
    reply = alice.records("POST", "/api/v1/prospects", json={"name": "Xylophages Réunis"})
    assert reply.status_code == 201, reply.text
    assert eventually(found(alice, "xylo", "prospect", reply.json()["id"]), 60)
    ready = lambda: requests.get(f"{stack.records}/readyz", timeout=5).status_code == 200  # noqa: E731
    assert eventually(ready, 30)
    unchanged = {p["name"]: p["pid"] for p in stack.state()["processes"]}
    assert {k: v for k, v in unchanged.items() if k != "worker-indexing"} == {
        k: v for k, v in before.items() if k != "worker-indexing"
    }


def test_status_lists_the_processes_and_a_second_up_is_refused(stack: Stack) -> None:
    status = carnet(stack.env, "stack", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    running = [line.split()[0] for line in status.stdout.splitlines() if " running " in line]
    assert running == list(PROCESSES)
    again = carnet(stack.env, "stack", "up")
    assert again.returncode != 0
    assert "already runs" in again.stderr
    state = stack.state()
    assert [p["pid"] for p in [state["supervisor"], *state["processes"]]] == [
        int(line.split()[-1]) for line in status.stdout.splitlines()
    ]


def test_down_stops_exactly_what_up_started(stack: Stack) -> None:
    state = stack.state()
    pids = [p["pid"] for p in [state["supervisor"], *state["processes"]]]
    assert len(pids) == 9  # the supervisor and the eight processes
    stopped = carnet(stack.env, "stack", "down")
    assert stopped.returncode == 0, stopped.stderr
    for pid in pids:
        assert not _running(pid), f"process {pid} is still running"
        assert not _group_members(pid), f"children of {pid} are still running"
    assert not (stack.data_dir / "stack" / "state.json").exists()
    _all_json_lines(stack)  # the crash, the restart and the shutdowns too
    shutdown = [json.loads(line)["message"] for line in stack.log("worker-indexing")]
    assert any("Warm shutdown" in message for message in shutdown)
    again = carnet(stack.env, "stack", "down")
    assert "nothing to stop" in again.stdout


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members
