"""``carnet bench writes``: the write path's cost with the history on and off.

The same writes — a prospect created, a contact added, both edited — through
the domain functions and units of work the API uses, in rounds alternating
history on and off (so a warm cache or a busy machine favours neither).
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from typing import Any

from records_svc.db import Database
from records_svc.domain import accounts, contacts, users


def _round(db: Database, owner_id: int, count: int, tag: str) -> float:
    """Seconds per write (4 writes per prospect) for one round."""
    started = time.perf_counter()
    for n in range(count):
        with db.unit_of_work() as uow:
            prospect = accounts.create_prospect(uow, owner_id, {"name": f"Bench {tag} {n}"})
        with db.unit_of_work() as uow:
            contact = contacts.create_contact(uow, prospect.id, {"last_name": f"Durand {n}"})
        with db.unit_of_work() as uow:
            accounts.update_account(
                uow,
                prospect.id,
                {"phone": "0140000001", "website": "https://ex.fr"},
                expected_version=None,
            )
        with db.unit_of_work() as uow:
            contacts.update_contact(uow, contact.id, {"job_title": "DAF"}, expected_version=None)
    return (time.perf_counter() - started) / (count * 4)


def run(db: Database, *, count: int, rounds: int, echo: Callable[[str], object]) -> dict[str, Any]:
    with db.unit_of_work() as uow:
        owner_id = users.create_user(uow.session, "bench-writer", secrets.token_urlsafe(16)).id
    timings: dict[str, list[float]] = {"on": [], "off": []}
    for r in range(rounds):
        for mode in ("on", "off") if r % 2 == 0 else ("off", "on"):
            db.record_history(mode == "on")
            timings[mode].append(_round(db, owner_id, count, f"{r}{mode}"))
    db.record_history(True)
    on, off = statistics.median(timings["on"]), statistics.median(timings["off"])
    echo(f"history on : {on * 1000:.2f} ms per write (median of {rounds} rounds)")
    echo(f"history off: {off * 1000:.2f} ms per write")
    echo(f"ratio on/off: {on / off:.2f}")
    return {
        "writes": count * 4,
        "count": count,
        "rounds": rounds,
        "ms_on": on * 1000,
        "ms_off": off * 1000,
        "ratio": on / off,
    }
