"""``carnet bench export``: exports of whole lists (CSV, XLSX), rows per second and memory.

For each size, a scratch PostgreSQL database is filled with a generated directory of
that many entries (accounts and contacts, ``COPY``), then every account and every
contact is exported, sorted by name, as a seller sees them, through the code the API
runs (keyset batches, the CSV writer, openpyxl's write-only workbook into a temporary
file). Each export runs in a fresh process whose resident memory is sampled while it
runs: the peak less what the process held before it began is the export's own.
Beside it, in the same run, the baseline a naive export would be: every row loaded
at once, then written.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from carnet.bench.data import load_directory, scratch_database
from carnet.bench.lists import fill_list_columns
from records_svc.db import Database
from records_svc.domain import access, exports
from records_svc.domain.listing import ListQuery
from records_svc.domain.models import Account, Contact

SELLER = access.AccessPolicy(show_closed=False, erp_sync=False)
FORMATS = (exports.CSV, exports.XLSX)
ENTITIES = ("accounts", "contacts")
#: beyond this many entries the naive baseline is not run (it would hold them all)
NAIVE_LIMIT = 200_000


@dataclass
class Options:
    sizes: tuple[int, ...]
    seed: int
    admin_url: str


def _rss_mb() -> float:
    """This process's resident memory now (Linux: /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakSampler:
    """The highest resident memory seen while the block runs (sampled every 5 ms)."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _batches(session: Any, entity: str, naive: bool) -> Iterator[list[Any]]:
    query = ListQuery(sort="name")
    if not naive:
        if entity == "accounts":
            yield from exports.account_batches(session, None, query)
        else:
            yield from exports.contact_batches(session, query)
        return
    if entity == "accounts":
        stmt: Any = SELLER.visible_accounts(select(Account)).order_by(Account.sort_name, Account.id)
    else:
        stmt = SELLER.visible_accounts(
            select(Contact).join(Contact.account).options(contains_eager(Contact.account))
        ).order_by(Contact.sort_name, Contact.id)
    yield list(session.scalars(stmt).unique())  # every row at once: what is avoided


def _export(url: str, entity: str, fmt: str, naive: bool) -> dict[str, Any]:
    """One export in this (fresh) process: rows, seconds, bytes, memory growth."""
    db = Database(url)
    db.current_policy = lambda: SELLER
    try:
        with db.read() as session:  # connect and import everything before the baseline
            session.execute(select(Account.id).limit(1)).all()
        before = _rss_mb()
        rows = 0

        def counted(batches: Iterator[list[Any]]) -> Iterator[list[Any]]:
            nonlocal rows
            for batch in batches:
                rows += len(batch)
                yield batch

        started = time.perf_counter()
        with PeakSampler() as sampler, db.read() as session:
            columns = (
                exports.account_columns(session, None)
                if entity == "accounts"
                else exports.contact_columns(session)
            )
            batches = counted(_batches(session, entity, naive))
            if fmt == exports.CSV:
                size = sum(len(chunk) for chunk in exports.csv_chunks(columns, batches))
            else:
                with tempfile.TemporaryFile() as handle:
                    exports.write_xlsx(handle, columns, batches, title="Export")
                    size = handle.tell()
        seconds = time.perf_counter() - started
        return {
            "rows": rows,
            "seconds": seconds,
            "rows_per_s": rows / seconds if seconds else 0.0,
            "file_mb": size / 1e6,
            "peak_growth_mb": sampler.peak - before,
        }
    finally:
        db.dispose()


def _in_child(url: str, entity: str, fmt: str, naive: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(_export, (url, entity, fmt, naive))
    return result


def run(options: Options, say: Callable[[str], None]) -> dict[str, Any]:
    result: dict[str, Any] = {"sizes": {}}
    for entries in options.sizes:
        runs: dict[str, Any] = {}
        with scratch_database(options.admin_url, "export") as url:
            db = Database(url)
            try:
                say(f"PostgreSQL: loading {entries} entries…")
                totals = load_directory(db.engine, entries, options.seed)
                fill_list_columns(db.engine)
            finally:
                db.dispose()
            for entity in ENTITIES:
                for fmt in FORMATS:
                    for naive in (False, True):
                        if naive and entries > NAIVE_LIMIT:
                            continue
                        label = f"{entity} {fmt}{' (naive: all rows at once)' if naive else ''}"
                        run_result = _in_child(url, entity, fmt, naive)
                        runs[label] = run_result
                        say(
                            f"{entries} entries, {label}: {run_result['rows']} rows, "
                            f"{run_result['rows_per_s']:.0f} rows/s, "
                            f"peak +{run_result['peak_growth_mb']:.1f} MB, "
                            f"{run_result['file_mb']:.1f} MB file"
                        )
        result["sizes"][str(entries)] = {"directory": totals, "runs": runs}
    return result


def table(result: dict[str, Any]) -> list[str]:
    lines = [f"{'entries':>9} {'export':<44} {'rows':>9} {'rows/s':>8} {'peak +MB':>9}"]
    for entries, found in result["sizes"].items():
        for label, run_result in found["runs"].items():
            lines.append(
                f"{entries:>9} {label:<44} {run_result['rows']:>9} "
                f"{run_result['rows_per_s']:>8.0f} {run_result['peak_growth_mb']:>9.1f}"
            )
    return lines
