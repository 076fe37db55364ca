"""``carnet bench search``: Carnet's search beside the PostgreSQL approaches, one run, one data set."""

from __future__ import annotations

import math
import os
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carnet.bench import baselines, data, families, measure
from carnet.bench.queries import Query, query_log
from httpkit.tokens import issue_token
from records_svc.db import Database
from records_svc.domain import snapshots
from search_svc.backends.base import TOTAL_CAP, SearchQuery
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from workers import indexing, maintenance

SECRET = uuid.uuid4().hex * 2


@dataclass
class Options:
    entries: int
    seed: int
    samples: int  # entries whose typing the query log imitates
    baseline_queries: int
    es_entries: int
    admin_url: str
    workdir: Path | None
    batch_size: int = 5000
    #: queries per family (recall@10), and per family for each PostgreSQL baseline
    family_queries: int = 200
    baseline_family_queries: int = 40
    #: gunicorn: processes serve CPU-bound requests in parallel (threads share one GIL)
    server_workers: int = 3
    server_threads: int = 2


def _stratified(log: list[Query], total: int, seed: int) -> list[Query]:
    """About ``total`` queries with every length bucket equally represented."""
    by_bucket: dict[str, list[Query]] = {}
    for query in log:
        by_bucket.setdefault(query.bucket, []).append(query)
    share = max(total // max(len(by_bucket), 1), 1)
    rng = random.Random(seed)
    picked = [q for qs in by_bucket.values() for q in rng.sample(qs, min(share, len(qs)))]
    rng.shuffle(picked)
    return picked


def run(options: Options, say: Callable[[str], object]) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="carnet-bench-", dir=options.workdir))
    try:
        return _run(options, workdir, say)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(options: Options, workdir: Path, say: Callable[[str], object]) -> dict[str, Any]:
    result: dict[str, Any] = {"entries": options.entries, "seed": options.seed, "backends": {}}
    backends: dict[str, Any] = result["backends"]
    with data.scratch_database(options.admin_url, "search") as url:
        db = Database(url)
        try:
            say(f"generating {options.entries} entries into a scratch PostgreSQL database…")
            started = time.perf_counter()
            result["directory"] = data.load_directory(db.engine, options.entries, options.seed)
            result["directory"]["load_seconds"] = time.perf_counter() - started

            say("building the SQLite FTS5 index from the database…")
            index_path = workdir / "search.db"
            backend = SqliteFtsBackend(index_path)
            processes = maintenance._default_processes(db)
            # The last batch handed to the writer ends the fill (reading, building, staging):
            # what follows is the serial commit (sort, FTS5 fill, swap).
            started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            filled = [started]
            built = maintenance.reindex(
                db,
                backend,
                batch_size=options.batch_size,
                progress=lambda _n: filled.__setitem__(0, time.perf_counter()),
            )
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu + _children_cpu() - children
            say("writing the same documents into SQLite alone (built beforehand)…")
            alone = _sqlite_alone(db, workdir / "search-alone.db", options.batch_size)
            result["index_build"] = {
                "entries": built,
                "seconds": seconds,
                "entries_per_s": built / seconds,
                "processes": processes,
                "cpu_seconds": cpu_seconds,
                "fill_seconds": filled[0] - started,
                "commit_seconds": started + seconds - filled[0],
                "entries_per_cpu_s": built / cpu_seconds,
                "file_mb": index_path.stat().st_size / 2**20,
                # what the build cannot go faster than: its SQLite part, the same run
                "sqlite_alone_seconds": alone,
                "sqlite_alone_entries_per_s": built / alone,
                "ratio_to_sqlite_alone": alone / seconds,
            }

            say("building the PostgreSQL baselines (pg_trgm and tsvector GIN indexes)…")
            started = time.perf_counter()
            data.create_baselines(db.engine)
            result["baselines_build_seconds"] = time.perf_counter() - started

            log = query_log(options.entries, options.seed, options.samples)
            result["queries"] = len(log)
            say(f"replaying {len(log)} queries in process…")
            run_in_process = _in_process(backend)
            measure.timed(run_in_process, log[:200])  # warm the page cache, as a live service is
            backends["sqlite_in_process"] = measure.timed(run_in_process, log).report()
            # What the endpoint asks of the index per request: the page, and the total when
            # more follow (the HTTP figure below is measured beyond this).
            result["search_cpu_ms_per_query"] = _search_cpu_ms(index_path, log)
            say("query families: recall@10 and latency per family…")
            asked = families.family_queries(options.entries, options.seed, options.family_queries)
            recall: dict[str, Any] = {}
            result["families"] = recall
            recall["carnet_sqlite"] = families.report(asked, _family_run(backend))
            backend.close()

            _over_http(options, workdir, index_path, log, backends, result, say)
            _elasticsearch(options, db, log, backends, say)

            sample = _stratified(log, options.baseline_queries, options.seed)
            with db.engine.connect() as conn:
                for name, make in (
                    ("postgres_trgm_ilike", baselines.trgm),
                    ("postgres_tsvector_prefix", baselines.tsvector),
                ):
                    say(f"replaying {len(sample)} queries on {name}…")
                    fetch = make(conn)
                    measure.timed(fetch, sample[:5])
                    backends[name] = measure.timed(fetch, sample).report()
                    few = _per_family(asked, options.baseline_family_queries)
                    recall[name] = families.report(few, _baseline_family_run(fetch))
        finally:
            db.dispose()
    result["ratios"] = _ratios(backends)
    result["targets"] = _targets(result)
    return result


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _sqlite_alone(db: Database, path: Path, batch_size: int) -> float:
    """Seconds the SQLite part of a rebuild takes alone: the staging writes and the commit
    of the same documents, built beforehand (untimed)."""
    backend = SqliteFtsBackend(path)
    rebuild = backend.rebuild()
    seconds = 0.0
    with db.read() as session:
        for accounts, contacts in snapshots.batches(session, batch_size):
            rows = rebuild.prepare(indexing.documents_of(accounts, contacts))
            started = time.perf_counter()
            rebuild.write_prepared(rows)
            seconds += time.perf_counter() - started
    started = time.perf_counter()
    rebuild.commit()
    seconds += time.perf_counter() - started
    backend.close()
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    return seconds


def _search_cpu_ms(index_path: Path, log: list[Query]) -> float:
    """CPU per query of what the endpoint asks: the page, and the count when more follow;
    on a connection of its own, warmed as the server's are (its caches hold what the first
    200 queries asked, as the server's do after their warm-up)."""
    backend = SqliteFtsBackend(index_path)

    def ask(queries: list[Query]) -> None:
        for query in queries:
            asked = SearchQuery(query.text)
            if backend.page(asked).more:
                backend.count(asked, TOTAL_CAP + 1)

    ask(log[:200])
    cpu = time.thread_time()
    ask(log)
    spent = time.thread_time() - cpu
    backend.close()
    return spent * 1000 / max(len(log), 1)


def _per_family(asked: list[families.FamilyQuery], count: int) -> list[families.FamilyQuery]:
    taken: dict[str, int] = {}
    out = []
    for query in asked:
        if taken.get(query.family, 0) < count:
            taken[query.family] = taken.get(query.family, 0) + 1
            out.append(query)
    return out


def _family_run(backend: SqliteFtsBackend) -> families.Run:
    def run(query: families.FamilyQuery) -> tuple[list[str], float, float]:
        begin, cpu = time.perf_counter(), time.thread_time()
        hits = backend.search(SearchQuery(query.text))
        ms, cpu_ms = (time.perf_counter() - begin) * 1000, (time.thread_time() - cpu) * 1000
        kinds = ("contact" if h.kind == "contact" else "account" for h in hits)
        return [f"{kind}:{h.id}" for kind, h in zip(kinds, hits, strict=True)], ms, cpu_ms

    return run


def _baseline_family_run(fetch: Callable[[Query], list[Any]]) -> families.Run:
    def run(query: families.FamilyQuery) -> tuple[list[str], float, float]:
        begin = time.perf_counter()
        rows = fetch(Query(query.text, query.family))
        ms = (time.perf_counter() - begin) * 1000
        return [row[0] for row in rows], ms, math.nan  # the work is the server's

    return run


def _in_process(backend: SqliteFtsBackend) -> Callable[[Query], object]:
    def run(query: Query) -> object:
        return backend.search(SearchQuery(query.text))

    return run


def _over_http(
    options: Options,
    workdir: Path,
    index_path: Path,
    log: list[Query],
    backends: dict[str, Any],
    result: dict[str, Any],
    say: Callable[[str], object],
) -> None:
    env = {
        "CARNET_DATA_DIR": str(workdir / "var"),
        "CARNET_SECRET_KEY": SECRET,
        "CARNET_SEARCH_BACKEND": "sqlite",
        "CARNET_SEARCH_SQLITE_PATH": str(index_path),
    }
    token = issue_token(SECRET, user_id=1, username="bench", rights=(), ttl_seconds=24 * 3600)
    server_log = workdir / "server.log"
    with measure.search_server(
        env, server_log, options.server_workers, options.server_threads
    ) as server:
        say(f"replaying {len(log)} queries over HTTP, one client…")
        measure.http_timings(server.port, token, log[:200], clients=1)
        cpu_before = server.cpu_seconds()
        backends["sqlite_http_1_client"] = measure.http_timings(
            server.port, token, log, clients=1
        ).report()
        cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(len(log), 1)
        say(f"replaying {len(log) * 2} queries over HTTP, 8 concurrent clients…")
        backends["sqlite_http_8_clients"] = measure.http_timings(
            server.port, token, log + log[::-1], clients=8
        ).report()
        result["search_service"] = {
            "server": f"gunicorn, {options.server_workers} gthread workers × "
            f"{options.server_threads} threads",
            "resident_mb": server.resident_bytes() / 2**20,
            "cpu_ms_per_request": cpu_ms,
            # the search's own CPU, in process, subtracted: what HTTP, the token and JSON cost
            "cpu_ms_per_request_beyond_search": cpu_ms - result["search_cpu_ms_per_query"],
        }


def _elasticsearch(
    options: Options,
    db: Database,
    log: list[Query],
    backends: dict[str, Any],
    say: Callable[[str], object],
) -> None:
    from carnet.bench import elastic

    if not options.es_entries:
        return
    say(f"Elasticsearch backend on osmem-server ({options.es_entries} entries)…")
    backends["elasticsearch_osmem"] = elastic.measure_backend(
        db, log[: max(len(log) // 4, 50)], options.es_entries
    )


def _ratios(backends: dict[str, Any]) -> dict[str, float]:
    pg = [backends[n]["p99_ms"] for n in backends if n.startswith("postgres_")]
    if not pg:
        return {}
    best = min(pg)
    return {
        f"best_baseline_p99_over_{name}_p99": best / backends[name]["p99_ms"]
        for name in ("sqlite_in_process", "sqlite_http_1_client", "sqlite_http_8_clients")
        if name in backends and backends[name]["p99_ms"] > 0
    }


def _worst_bucket_p99(report: dict[str, Any]) -> float:
    return max((b["p99_ms"] for b in report["by_length"].values()), default=report["p99_ms"])


def _targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    b = result["backends"]
    checks: dict[str, tuple[float, float, bool]] = {}  # measured, target, lower is better
    if "sqlite_in_process" in b:
        checks["in_process_p99_ms"] = (_worst_bucket_p99(b["sqlite_in_process"]), 3.0, True)
    if "sqlite_http_1_client" in b:
        checks["http_p99_ms"] = (_worst_bucket_p99(b["sqlite_http_1_client"]), 10.0, True)
    if "sqlite_http_8_clients" in b:
        checks["http_8_clients_p99_ms"] = (b["sqlite_http_8_clients"]["p99_ms"], 30.0, True)
        checks["http_8_clients_errors"] = (b["sqlite_http_8_clients"]["errors"], 0, True)
    ratio = result["ratios"].get("best_baseline_p99_over_sqlite_in_process_p99")
    if ratio is not None:
        checks["ratio_to_best_baseline"] = (ratio, 20.0, False)
    checks["index_build_entries_per_s"] = (result["index_build"]["entries_per_s"], 20_000, False)
    if "search_service" in result:
        checks["resident_memory_mb"] = (result["search_service"]["resident_mb"], 300.0, True)
        beyond = result["search_service"]["cpu_ms_per_request_beyond_search"]
        checks["http_cpu_ms_beyond_search"] = (beyond, 1.0, True)
    mine = result.get("families", {}).get("carnet_sqlite", {})
    for family, report in mine.items():
        if report.get("count"):
            target = 0.90 if family in families.TYPO_FAMILIES else 0.98
            checks[f"recall_at_10_{family}"] = (report["recall_at_10"], target, False)
            checks[f"in_process_p99_ms_{family}"] = (report["p99_ms"], 3.0, True)
            checks[f"in_process_cpu_p99_ms_{family}"] = (report["cpu_p99_ms"], 3.0, True)
    return {
        name: {"measured": m, "target": t, "met": m <= t if lower else m >= t}
        for name, (m, t, lower) in checks.items()
    }
