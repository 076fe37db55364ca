"""``carnet bench pipeline``'s burst and backlog runs: lags read from the outbox.

A burst: several writers create prospects through the records API as fast as
they can; each write's lag runs from its request's start to its event's
``processed_at`` (the index write has committed by then). ``drain_s`` runs from
the first request's start to the last event processed, ``after_last_write_s``
from the last request's end to it: how long the backlog outlives the burst.

A backlog: the same number of prospects written with no job queue (their
events pending, as after a worker outage or a crash), then sent to the
indexing at once; ``drain_s`` runs from the first send to the last event
processed: the indexing's own throughput.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from carnet.bench import measure
from records_svc.domain import outbox
from records_svc.domain.models import IndexEvent

if TYPE_CHECKING:
    from carnet.bench.pipeline import Chain

WRITERS = 4


def _write_all(
    app: Any, headers: dict[str, str], writes: int, word: str
) -> tuple[dict[int, datetime], list[int], float]:
    """``writes`` prospects from WRITERS threads: (id → request start, failures, end)."""
    started: dict[int, datetime] = {}
    failed: list[int] = []
    share = -(-writes // WRITERS)
    ended = [0.0]

    def writer(n: int) -> None:
        client = app.test_client()
        for i in range(max(0, min(share, writes - n * share))):
            at = datetime.now(UTC)
            reply = client.post(
                "/api/v1/prospects", json={"name": f"{word} {n} {i}"}, headers=headers
            )
            if reply.status_code == 201:
                started[int(reply.get_json()["id"])] = at
            else:
                failed.append(reply.status_code)
        ended[0] = max(ended[0], time.time())

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return started, failed, ended[0]


def _processed(chain: Chain, ids: Sequence[int], timeout: float = 300) -> dict[int, datetime]:
    """Each account's first processed_at, waiting until all are processed (or timeout)."""
    processed: dict[int, datetime] = {}
    deadline = time.monotonic() + timeout
    while len(processed) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.2)
        with chain.db.read() as session:
            rows = session.execute(
                select(IndexEvent.entity_id, func.min(IndexEvent.processed_at))
                .where(
                    IndexEvent.entity == "account",
                    IndexEvent.entity_id.in_(ids),
                    IndexEvent.processed_at.is_not(None),
                )
                .group_by(IndexEvent.entity_id)
            )
            processed = {int(i): aware(at) for i, at in rows if at is not None}
    return processed


def burst(chain: Chain, writes: int) -> dict[str, Any]:
    began = time.time()
    started, failed, ended = _write_all(chain.app, chain.headers, writes, "Rafale")
    ids = sorted(started)
    processed = _processed(chain, ids)
    lags = [(processed[i] - started[i]).total_seconds() * 1000 for i in ids if i in processed]
    first = min(started.values(), default=datetime.now(UTC))
    last = max(processed.values(), default=first)
    return _report(
        chain,
        "burst",
        (writes, failed, ids, processed),
        lags,
        writes_per_s=round(len(ids) / (ended - began), 1) if ended > began else None,
        drain_s=round((last - first).total_seconds(), 2),
        after_last_write_s=round(last.timestamp() - ended, 2),
    )


def backlog(chain: Chain, writes: int) -> dict[str, Any]:
    # The jobs still queued (a burst's, which find nothing left to do) would take the
    # backlog's events along as they are written: wait for an empty queue first.
    deadline = time.monotonic() + 300
    while chain.queued() and time.monotonic() < deadline:
        time.sleep(0.5)
    started, failed, _ = _write_all(chain.offline, chain.headers, writes, "Reliquat")
    ids = sorted(started)
    with chain.db.read() as session:
        pending = outbox.due(session, older_than=outbox.ahead(3600), limit=writes * 2)
    sent_at = datetime.now(UTC)
    chain.send(pending)
    processed = _processed(chain, ids)
    lags = [(at - sent_at).total_seconds() * 1000 for at in processed.values()]
    last = max(processed.values(), default=sent_at)
    return _report(
        chain,
        "backlog",
        (writes, failed, ids, processed),
        lags,
        drain_s=round((last - sent_at).total_seconds(), 2),
    )


def _report(
    chain: Chain,
    mode: str,
    outcome: tuple[int, list[int], list[int], dict[int, datetime]],
    lags: list[float],
    **figures: Any,
) -> dict[str, Any]:
    """The run's figures; ``outcome``: writes asked, failures, ids written, ids processed."""
    writes, failed, ids, processed = outcome
    report: dict[str, Any] = measure.summary(lags)
    report.update(
        runtime=chain.name,
        mode=mode,
        writes=writes,
        failed_writes=len(failed),
        never_found=len(ids) - len(processed),
        chain=chain.description,
        **figures,
    )
    return report


def aware(value: datetime) -> datetime:
    """SQLite gives naive UTC datetimes back; PostgreSQL aware ones."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
