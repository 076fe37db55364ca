"""``carnet bench search``, ``pipeline``, ``lists``, ``writes``, ``imports`` and ``export``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from carnet.bench import report
from config import load_settings

QUICK_ENTRIES = 3000
F = TypeVar("F", bound=Callable[..., Any])
Echo = Callable[[str], None]


@click.group()
def bench() -> None:
    """Benchmarks: search latency and the indexing pipeline's lag, on real servers."""


# --- the options the benchmarks share ------------------------------------------------------


def _options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator (listed in ``--help`` in this order)."""

    def apply(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


def _entries(default: int, help: str) -> Callable[[F], F]:
    return click.option("--entries", default=default, show_default=True, help=help)


_results_dir = click.option(
    "--results-dir", default="bench/results", show_default=True, type=click.Path()
)


@dataclass(frozen=True)
class Run:
    """What every benchmark on a PostgreSQL server takes: ``--seed``, ``--quick``,
    ``--postgres-url``, ``--results-dir`` and ``--workdir``."""

    seed: int
    quick: bool
    postgres_url: str | None
    results_dir: str
    workdir: str | None

    @property
    def admin_url(self) -> str:
        return self.postgres_url or load_settings().bench_postgres_url


def _run_options(quick_help: str, workdir_help: str) -> Callable[[F], F]:
    """The shared options, handed to the command as one ``run: Run`` argument."""
    names = ("seed", "quick", "postgres_url", "results_dir", "workdir")

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def packed(**kwargs: Any) -> Any:
            run = Run(**{name: kwargs.pop(name) for name in names})
            if run.workdir:  # a directory named for the run is made, not refused
                Path(run.workdir).mkdir(parents=True, exist_ok=True)
            return command(run=run, **kwargs)

        return _options(
            click.option("--seed", default=1, show_default=True, help="Same seed, same data."),
            click.option("--quick", is_flag=True, help=quick_help),
            click.option(
                "--postgres-url", default=None, help="Admin URL (CARNET_BENCH_POSTGRES_URL)."
            ),
            _results_dir,
            click.option("--workdir", default=None, type=click.Path(), help=workdir_help),
        )(packed)  # type: ignore[return-value]

    return decorate


def _measured(run: Callable[[Echo], dict[str, Any]]) -> dict[str, Any]:
    """What ``run`` measured, with the machine's state before and after."""
    result: dict[str, Any] = {"machine": report.machine()}
    result.update(run(click.echo))
    result["machine_after"] = report.machine()
    return result


def _finish(result: dict[str, Any], results_dir: str, name: str, lines: Iterable[str]) -> None:
    """Print the summary ``lines`` and the load, and write the results' JSON file."""
    click.echo("")
    for line in lines:
        click.echo(line)
    click.echo(
        f"load average {result['machine']['load_average']} on {result['machine']['cpus']} CPUs"
    )
    click.echo(f"results: {report.write_json(result, Path(results_dir), name)}")


@bench.command("search")
@_entries(100_000, "Directory size.")
@click.option("--samples", default=None, type=int, help="Entries whose typing is replayed.")
@click.option("--baseline-queries", default=None, type=int, help="Queries per PG baseline.")
@click.option("--es-entries", default=None, type=int, help="Entries indexed in osmem-server.")
@_run_options(f"{QUICK_ENTRIES} entries, a short query log (CI).", "Where the index is built.")
def search(
    entries: int,
    samples: int | None,
    baseline_queries: int | None,
    es_entries: int | None,
    run: Run,
) -> None:
    """Carnet's search beside the PostgreSQL approaches, on one generated directory."""
    from carnet.bench import search as search_bench

    if run.quick:
        entries = QUICK_ENTRIES
    options = search_bench.Options(
        entries=entries,
        seed=run.seed,
        samples=samples or (40 if run.quick else 200),
        baseline_queries=baseline_queries or (60 if run.quick else 150),
        es_entries=es_entries if es_entries is not None else min(entries, 20_000),
        admin_url=run.admin_url,
        workdir=Path(run.workdir) if run.workdir else None,
        family_queries=20 if run.quick else 200,
        baseline_family_queries=10 if run.quick else 40,
    )
    result = _measured(lambda echo: search_bench.run(options, echo))
    build = result["index_build"]
    summary = [
        f"{result['entries']} entries; index build {build['entries_per_s']:.0f} entries/s "
        f"({build['seconds']:.1f} s: fill {build['fill_seconds']:.1f} s, commit "
        f"{build['commit_seconds']:.1f} s; {build['file_mb']:.0f} MB, {build['processes']} "
        f"process(es), {build['entries_per_cpu_s']:.0f} entries per CPU second; "
        f"{build['ratio_to_sqlite_alone']:.2f}× the rate of writing SQLite alone, "
        f"{build['sqlite_alone_entries_per_s']:.0f}/s); search service "
        f"{result['search_service']['resident_mb']:.0f} MB resident "
        f"({result['search_service']['server']}), "
        f"{result['search_service']['cpu_ms_per_request']:.2f} ms CPU per request "
        f"({result['search_service']['cpu_ms_per_request_beyond_search']:.2f} beyond the search)",
        *report.latency_table(result["backends"]),
        *report.families_table(result["families"]),
        *(f"{name}: {ratio:.0f}×" for name, ratio in result["ratios"].items()),
        *report.targets_table(result["targets"]),
    ]
    _finish(result, run.results_dir, "search", summary)


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
@_entries(10_000, "Directory already indexed.")
@click.option("--redis-url", default=None, help="Broker (CARNET_BENCH_REDIS_URL).")
@_run_options("100 writes at 20/s, a 200-write burst, 1000 entries.", "Where the index is built.")
def pipeline(
    writes: int,
    rates: tuple[float, ...],
    burst: int,
    runtimes: tuple[str, ...],
    entries: int,
    redis_url: str | None,
    run: Run,
) -> None:
    """Write→searchable lag at steady rates and a burst's drain time, on each runtime."""
    from carnet.bench import pipeline as pipeline_bench

    if run.quick:
        writes, entries, burst, rates = 100, 1000, 200, rates or (20.0,)
    options = pipeline_bench.Options(
        writes=writes,
        rates=rates or (20.0, 50.0, 100.0),
        burst=burst,
        runtimes=runtimes or pipeline_bench.RUNTIMES,
        entries=entries,
        seed=run.seed,
        admin_url=run.admin_url,
        redis_url=redis_url or load_settings().bench_redis_url,
        workdir=Path(run.workdir) if run.workdir else None,
    )
    result = _measured(lambda echo: pipeline_bench.run(options, echo))
    summary = []
    for one in result["runs"]:
        what = f"{one['rate_per_s']:g}/s" if one["mode"] == "steady" else one["mode"]
        drain = f", drained in {one['drain_s']} s" if "drain_s" in one else ""
        summary.append(
            f"{one['runtime']:>8} {what:>8}: {one['count']} of {one['writes']} found, "
            f"p50 {one['p50_ms']:.1f} ms, p99 {one['p99_ms']:.1f} ms, "
            f"max {one['max_ms']:.1f} ms{drain} "
            f"({one['failed_writes']} failed, {one['never_found']} never found)"
        )
    _finish(
        result, run.results_dir, "pipeline", [*summary, *report.targets_table(result["targets"])]
    )


@bench.command("lists")
@_entries(100_000, "Accounts and contacts.")
@click.option("--pages", default=200, show_default=True, help="Pages walked per shape.")
@_run_options(f"{QUICK_ENTRIES} entries, 10 pages per shape (CI).", "Where the SQLite file goes.")
def lists(
    entries: int,
    pages: int,
    run: Run,
) -> None:
    """List pages (filters, sorts, keyset cursors) beside OFFSET paging, in process."""
    import tempfile

    from carnet.bench import lists as lists_bench

    if run.quick:
        entries, pages = QUICK_ENTRIES, 10
    with tempfile.TemporaryDirectory() as scratch:
        options = lists_bench.Options(
            entries=entries,
            seed=run.seed,
            pages=pages,
            admin_url=run.admin_url,
            workdir=Path(run.workdir or scratch),
        )
        result = _measured(lambda echo: lists_bench.run(options, echo))
    _finish(result, run.results_dir, "lists", report.targets_table(result["targets"]))


@bench.command("export")
@click.option(
    "--size",
    "sizes",
    multiple=True,
    type=int,
    help="Entries (accounts and contacts) of a run; repeat (default: 100000 and 1000000).",
)
@_run_options("1000 and 10000 entries (CI).", "Unused (no local files).")
def export(
    sizes: tuple[int, ...],
    run: Run,
) -> None:
    """Exports of whole lists (CSV, XLSX): rows/s and peak memory, beside loading all rows."""
    from carnet.bench import exports as exports_bench

    if run.quick:
        sizes = (1_000, 10_000)
    options = exports_bench.Options(
        sizes=sizes or (100_000, 1_000_000), seed=run.seed, admin_url=run.admin_url
    )
    result = _measured(lambda echo: exports_bench.run(options, echo))
    _finish(result, run.results_dir, "export", exports_bench.table(result))


@bench.command("writes")
@click.option(
    "--count", default=200, show_default=True, help="Prospects per round (4 writes each)."
)
@click.option("--rounds", default=4, show_default=True, help="Rounds of each mode, alternated.")
@click.option(
    "--database-url", default=None, help="A scratch database (default: SQLite in a temp dir)."
)
@_results_dir
def writes(count: int, rounds: int, database_url: str | None, results_dir: str) -> None:
    """The write path's cost with the history on and off (the ratio)."""
    import tempfile

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
@_run_options("2,000 rows, a 200-POST baseline (CI).", "Where files are kept.")
def imports(
    rows: int,
    baseline_rows: int,
    run: Run,
) -> None:
    """A lead file imported into PostgreSQL (rows/s) beside row-by-row API POSTs."""
    import tempfile

    from carnet.bench import imports as imports_bench

    if run.quick:
        rows, baseline_rows = 2000, 200
    with tempfile.TemporaryDirectory() as scratch:
        options = imports_bench.Options(
            rows=rows,
            baseline_rows=baseline_rows,
            seed=run.seed,
            admin_url=run.admin_url,
            workdir=Path(run.workdir or scratch),
        )
        result = _measured(lambda echo: imports_bench.run(options, echo))
    ratio = f"import / API POSTs: {result['ratios']['import_over_api_posts']:.1f}×"
    _finish(result, run.results_dir, "imports", [*report.targets_table(result["targets"]), ratio])
