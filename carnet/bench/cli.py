"""``carnet bench search``, ``pipeline``, ``lists``, ``writes``, ``imports`` and ``export``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from config import load_settings

QUICK_ENTRIES = 3000


@click.group()
def bench() -> None:
    """Benchmarks: search latency and the indexing pipeline's lag, on real servers."""


def _admin_url(given: str | None) -> str:
    return given or load_settings().bench_postgres_url


@bench.command("search")
@click.option("--entries", default=100_000, show_default=True, help="Directory size.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same data and queries.")
@click.option("--quick", is_flag=True, help=f"{QUICK_ENTRIES} entries, a short query log (CI).")
@click.option("--samples", default=None, type=int, help="Entries whose typing is replayed.")
@click.option("--baseline-queries", default=None, type=int, help="Queries per PG baseline.")
@click.option("--es-entries", default=None, type=int, help="Entries indexed in osmem-server.")
@click.option("--postgres-url", default=None, help="Admin URL (CARNET_BENCH_POSTGRES_URL).")
@click.option("--results-dir", default="bench/results", show_default=True, type=click.Path())
@click.option("--workdir", default=None, type=click.Path(), help="Where the index is built.")
def search(
    entries: int,
    seed: int,
    quick: bool,
    samples: int | None,
    baseline_queries: int | None,
    es_entries: int | None,
    postgres_url: str | None,
    results_dir: str,
    workdir: str | None,
) -> None:
    """Carnet's search beside the PostgreSQL approaches, on one generated directory."""
    from carnet.bench import report
    from carnet.bench import search as search_bench

    if quick:
        entries = QUICK_ENTRIES
    options = search_bench.Options(
        entries=entries,
        seed=seed,
        samples=samples or (40 if quick else 200),
        baseline_queries=baseline_queries or (60 if quick else 150),
        es_entries=es_entries if es_entries is not None else min(entries, 20_000),
        admin_url=_admin_url(postgres_url),
        workdir=Path(workdir) if workdir else None,
        family_queries=20 if quick else 200,
        baseline_family_queries=10 if quick else 40,
    )
    result = {"machine": report.machine()}
    result.update(search_bench.run(options, click.echo))
    result["machine_after"] = report.machine()
    click.echo("")
    build = result["index_build"]
    click.echo(
        f"{result['entries']} entries; index build {build['entries_per_s']:.0f} entries/s "
        f"({build['seconds']:.1f} s: fill {build['fill_seconds']:.1f} s, commit "
        f"{build['commit_seconds']:.1f} s; {build['file_mb']:.0f} MB, {build['processes']} "
        f"process(es), {build['entries_per_cpu_s']:.0f} entries per CPU second; "
        f"{build['ratio_to_sqlite_alone']:.2f}× the rate of writing SQLite alone, "
        f"{build['sqlite_alone_entries_per_s']:.0f}/s); search service "
        f"{result['search_service']['resident_mb']:.0f} MB resident "
        f"({result['search_service']['server']}), "
        f"{result['search_service']['cpu_ms_per_request']:.2f} ms CPU per request "
        f"({result['search_service']['cpu_ms_per_request_beyond_search']:.2f} beyond the search)"
    )
    for line in report.latency_table(result["backends"]):
        click.echo(line)
    for line in report.families_table(result["families"]):
        click.echo(line)
    for name, ratio in result["ratios"].items():
        click.echo(f"{name}: {ratio:.0f}×")
    for line in report.targets_table(result["targets"]):
        click.echo(line)
    click.echo(
        f"load average {result['machine']['load_average']} on {result['machine']['cpus']} CPUs"
    )
    path = report.write_json(result, Path(results_dir), "search")
    click.echo(f"results: {path}")


@bench.command("pipeline")
@click.option("--writes", default=2000, show_default=True, help="Writes of each steady run.")
@click.option(
    "--rate",
    "rates",
    multiple=True,
    type=float,
    help="Writes per second of a steady run; repeat for a sweep (default: 20, 50, 100).",
)
@click.option("--burst", default=5000, show_default=True, help="Writes of the burst (0: none).")
@click.option(
    "--runtime",
    "runtimes",
    multiple=True,
    type=click.Choice(["celery", "embedded"]),
    help="Runtime(s) measured (default: both).",
)
@click.option("--entries", default=10_000, show_default=True, help="Directory already indexed.")
@click.option("--seed", default=1, show_default=True)
@click.option("--quick", is_flag=True, help="100 writes at 20/s, a 200-write burst, 1000 entries.")
@click.option("--postgres-url", default=None, help="Admin URL (CARNET_BENCH_POSTGRES_URL).")
@click.option("--redis-url", default=None, help="Broker (CARNET_BENCH_REDIS_URL).")
@click.option("--results-dir", default="bench/results", show_default=True, type=click.Path())
@click.option("--workdir", default=None, type=click.Path(), help="Where the index is built.")
def pipeline(
    writes: int,
    rates: tuple[float, ...],
    burst: int,
    runtimes: tuple[str, ...],
    entries: int,
    seed: int,
    quick: bool,
    postgres_url: str | None,
    redis_url: str | None,
    results_dir: str,
    workdir: str | None,
) -> None:
    """Write→searchable lag at steady rates and a burst's drain time, on each runtime."""
    from carnet.bench import pipeline as pipeline_bench
    from carnet.bench import report

    if quick:
        writes, entries, burst, rates = 100, 1000, 200, rates or (20.0,)
    options = pipeline_bench.Options(
        writes=writes,
        rates=rates or (20.0, 50.0, 100.0),
        burst=burst,
        runtimes=runtimes or pipeline_bench.RUNTIMES,
        entries=entries,
        seed=seed,
        admin_url=_admin_url(postgres_url),
        redis_url=redis_url or load_settings().bench_redis_url,
        workdir=Path(workdir) if workdir else None,
    )
    result: dict[str, Any] = {"machine": report.machine()}
    result.update(pipeline_bench.run(options, click.echo))
    result["machine_after"] = report.machine()
    click.echo("")
    for run in result["runs"]:
        what = f"{run['rate_per_s']:g}/s" if run["mode"] == "steady" else run["mode"]
        drain = f", drained in {run['drain_s']} s" if "drain_s" in run else ""
        click.echo(
            f"{run['runtime']:>8} {what:>8}: {run['count']} of {run['writes']} found, "
            f"p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, "
            f"max {run['max_ms']:.1f} ms{drain} "
            f"({run['failed_writes']} failed, {run['never_found']} never found)"
        )
    for line in report.targets_table(result["targets"]):
        click.echo(line)
    click.echo(
        f"load average {result['machine']['load_average']} on {result['machine']['cpus']} CPUs"
    )
    path = report.write_json(result, Path(results_dir), "pipeline")
    click.echo(f"results: {path}")


@bench.command("lists")
@click.option("--entries", default=100_000, show_default=True, help="Accounts and contacts.")
@click.option("--pages", default=200, show_default=True, help="Pages walked per shape.")
@click.option("--seed", default=1, show_default=True)
@click.option("--quick", is_flag=True, help=f"{QUICK_ENTRIES} entries, 10 pages per shape (CI).")
@click.option("--postgres-url", default=None, help="Admin URL (CARNET_BENCH_POSTGRES_URL).")
@click.option("--results-dir", default="bench/results", show_default=True, type=click.Path())
@click.option("--workdir", default=None, type=click.Path(), help="Where the SQLite file goes.")
def lists(
    entries: int,
    pages: int,
    seed: int,
    quick: bool,
    postgres_url: str | None,
    results_dir: str,
    workdir: str | None,
) -> None:
    """List pages (filters, sorts, keyset cursors) beside OFFSET paging, in process."""
    import tempfile

    from carnet.bench import lists as lists_bench
    from carnet.bench import report

    if quick:
        entries, pages = QUICK_ENTRIES, 10
    result = {"machine": report.machine()}
    with tempfile.TemporaryDirectory() as scratch:
        options = lists_bench.Options(
            entries=entries,
            seed=seed,
            pages=pages,
            admin_url=_admin_url(postgres_url),
            workdir=Path(workdir or scratch),
        )
        result.update(lists_bench.run(options, click.echo))
    result["machine_after"] = report.machine()
    click.echo("")
    for line in report.targets_table(result["targets"]):
        click.echo(line)
    click.echo(
        f"load average {result['machine']['load_average']} on {result['machine']['cpus']} CPUs"
    )
    path = report.write_json(result, Path(results_dir), "lists")
    click.echo(f"results: {path}")


@bench.command("export")
@click.option(
    "--size",
    "sizes",
    multiple=True,
    type=int,
    help="Entries (accounts and contacts) of a run; repeat (default: 100000 and 1000000).",
)
@click.option("--seed", default=1, show_default=True)
@click.option("--quick", is_flag=True, help="1000 and 10000 entries (CI).")
@click.option("--postgres-url", default=None, help="Admin URL (CARNET_BENCH_POSTGRES_URL).")
@click.option("--results-dir", default="bench/results", show_default=True, type=click.Path())
@click.option("--workdir", default=None, type=click.Path(), help="Unused (no local files).")
def export(
    sizes: tuple[int, ...],
    seed: int,
    quick: bool,
    postgres_url: str | None,
    results_dir: str,
    workdir: str | None,
) -> None:
    """Exports of whole lists (CSV, XLSX): rows/s and peak memory, beside loading all rows."""
    from carnet.bench import exports as exports_bench
    from carnet.bench import report

    if quick:
        sizes = (1_000, 10_000)
    options = exports_bench.Options(
        sizes=sizes or (100_000, 1_000_000), seed=seed, admin_url=_admin_url(postgres_url)
    )
    result = {"machine": report.machine()}
    result.update(exports_bench.run(options, click.echo))
    result["machine_after"] = report.machine()
    click.echo("")
    for line in exports_bench.table(result):
        click.echo(line)
    click.echo(
        f"load average {result['machine']['load_average']} on {result['machine']['cpus']} CPUs"
    )
    path = report.write_json(result, Path(results_dir), "export")
    click.echo(f"results: {path}")


@bench.command("writes")
@click.option(
    "--count", default=200, show_default=True, help="Prospects per round (4 writes each)."
)
@click.option("--rounds", default=4, show_default=True, help="Rounds of each mode, alternated.")
@click.option(
    "--database-url", default=None, help="A scratch database (default: SQLite in a temp dir)."
)
@click.option("--results-dir", default="bench/results", show_default=True, type=click.Path())
def writes(count: int, rounds: int, database_url: str | None, results_dir: str) -> None:
    """The write path's cost with the history on and off (the ratio)."""
    import tempfile

    from carnet.bench import report
    from carnet.bench import writes as writes_bench
    from records_svc import migrate
    from records_svc.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(database_url or f"sqlite:///{tmp}/bench.db")
        try:
            migrate.upgrade(db.engine)
            result = {"machine": report.machine(), "backend": db.engine.dialect.name}
            result.update(writes_bench.run(db, count=count, rounds=rounds, echo=click.echo))
        finally:
            db.dispose()
    click.echo(f"results: {report.write_json(result, Path(results_dir), 'writes')}")


@bench.command("imports")
@click.option("--rows", default=100_000, show_default=True, help="Rows of the generated file.")
@click.option("--baseline-rows", default=2000, show_default=True, help="API POSTs of the baseline.")
@click.option("--seed", default=1, show_default=True)
@click.option("--quick", is_flag=True, help="2,000 rows, a 200-POST baseline (CI).")
@click.option("--postgres-url", default=None, help="Admin URL (CARNET_BENCH_POSTGRES_URL).")
@click.option("--results-dir", default="bench/results", show_default=True, type=click.Path())
@click.option("--workdir", default=None, type=click.Path(), help="Where files are kept.")
def imports(
    rows: int,
    baseline_rows: int,
    seed: int,
    quick: bool,
    postgres_url: str | None,
    results_dir: str,
    workdir: str | None,
) -> None:
    """A lead file imported into PostgreSQL (rows/s) beside row-by-row API POSTs."""
    import tempfile

    from carnet.bench import imports as imports_bench
    from carnet.bench import report

    if quick:
        rows, baseline_rows = 2000, 200
    result = {"machine": report.machine()}
    with tempfile.TemporaryDirectory() as scratch:
        options = imports_bench.Options(
            rows=rows,
            baseline_rows=baseline_rows,
            seed=seed,
            admin_url=_admin_url(postgres_url),
            workdir=Path(workdir or scratch),
        )
        result.update(imports_bench.run(options, click.echo))
    result["machine_after"] = report.machine()
    click.echo("")
    for line in report.targets_table(result["targets"]):
        click.echo(line)
    click.echo(f"import / API POSTs: {result['ratios']['import_over_api_posts']:.1f}×")
    path = report.write_json(result, Path(results_dir), "imports")
    click.echo(f"results: {path}")
