"""`carnet bench search --quick` and `carnet bench pipeline --quick` run end to end, so the
benchmark never rots. They assert that every part ran and answered, never how fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from carnet.bench import lists as lists_bench
from carnet.cli import main as carnet
from tests.services import PG_ADMIN_URL, redis_url, scratch_postgres_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def run_bench(tmp_path: Path, *args: str) -> dict[str, Any]:
    results = tmp_path / "results"
    reply = CliRunner().invoke(
        carnet,
        [
            *("bench", *args, "--quick", "--postgres-url", PG_ADMIN_URL),
            *("--results-dir", str(results), "--workdir", str(tmp_path)),
        ],
        catch_exceptions=False,
    )
    assert reply.exit_code == 0, reply.output
    (written,) = results.glob("*.json")
    assert f"results: {written}" in reply.output
    return json.loads(written.read_text())  # type: ignore[no-any-return]


def test_bench_search_quick_measures_every_backend(tmp_path: Path) -> None:
    with scratch_postgres_database():  # PostgreSQL is there (skip outside CI, else fail)
        pass
    result = run_bench(tmp_path, "search")
    assert result["entries"] == 3000
    assert result["directory"]["accounts"] + result["directory"]["contacts"] == 3000
    build = result["index_build"]
    assert build["entries"] == 3000
    assert build["sqlite_alone_entries_per_s"] > 0 and build["ratio_to_sqlite_alone"] > 0
    assert build["entries_per_cpu_s"] > 0
    assert build["fill_seconds"] > 0 and build["commit_seconds"] > 0
    assert build["fill_seconds"] < build["seconds"]  # the commit is part of the build too
    assert result["families"]["carnet_sqlite"]["shared_prefix"]["count"] > 0
    backends = result["backends"]
    assert set(backends) == {
        "sqlite_in_process",
        "sqlite_http_1_client",
        "sqlite_http_8_clients",
        "elasticsearch_osmem",
        "postgres_trgm_ilike",
        "postgres_tsvector_prefix",
    }
    for name, report in backends.items():
        assert report["errors"] == 0, name
        assert report["count"] > 0, name
        assert report["by_length"]["1"]["count"] > 0, name
    assert (
        backends["sqlite_http_8_clients"]["count"] == 2 * backends["sqlite_http_1_client"]["count"]
    )
    assert "not representative" in backends["elasticsearch_osmem"]["note"]
    assert result["search_service"]["resident_mb"] > 0
    assert "best_baseline_p99_over_sqlite_in_process_p99" in result["ratios"]
    assert set(result["targets"]) >= {
        "in_process_p99_ms",
        "http_p99_ms",
        "http_8_clients_p99_ms",
        "ratio_to_best_baseline",
        "index_build_entries_per_s",
        "resident_memory_mb",
    }


@pytest.mark.redis
def test_bench_pipeline_quick_finds_every_write(tmp_path: Path) -> None:
    broker = redis_url()
    result = run_bench(tmp_path, "pipeline", "--redis-url", broker)
    runs = {(r["runtime"], r["mode"]): r for r in result["runs"]}
    modes = ("steady", "burst", "backlog")
    assert set(runs) == {(rt, mode) for rt in ("celery", "embedded") for mode in modes}
    for (_, mode), run in runs.items():
        assert run["writes"] == (100 if mode == "steady" else 200)
        assert run["failed_writes"] == 0
        assert run["never_found"] == 0
        assert run["count"] == run["writes"]
        assert run["p50_ms"] <= run["p99_ms"] <= run["max_ms"]
    assert runs[("celery", "burst")]["drain_s"] > 0
    assert runs[("celery", "backlog")]["drain_s"] > 0


def test_bench_lists_quick_pages_every_shape_on_both_databases(tmp_path: Path) -> None:
    with scratch_postgres_database():  # PostgreSQL is there (skip outside CI, else fail)
        pass
    result = run_bench(tmp_path, "lists")
    assert result["entries"] == 3000
    assert set(result["databases"]) == {"postgresql", "sqlite"}
    for database, shapes in result["databases"].items():
        assert set(shapes) == {label for label, _entity, _query in lists_bench.SHAPES}, database
        for label, shape in shapes.items():
            assert shape["pages"] >= 1, (database, label)
            assert shape["keyset"]["count"] == shape["pages"], (database, label)
            assert shape["offset"]["count"] >= 1, (database, label)
        assert shapes["all by name"]["pages"] == 10, database  # walked past the first page
    assert "list page p99 (ms)" in result["targets"]


def test_bench_imports_quick_imports_the_file_and_its_baseline(tmp_path: Path) -> None:
    with scratch_postgres_database():  # PostgreSQL is there (skip outside CI, else fail)
        pass
    result = run_bench(tmp_path, "imports")
    assert result["rows"] == 2000
    baseline = result["baseline_api_posts"]
    assert baseline["rows"] == 200
    # a wrong SIRET every 100 rows (422), a SIRET given twice every 100 (409: one establishment)
    assert set(baseline["statuses"]) == {"201", "409", "422"}
    for name in ("dry_run", "import"):
        run = result[name]
        assert run["state"] == "done", name
        assert run["rows"] == 2000, name
        counts = run["counts"]
        assert counts["duplicate"] == 20 and counts["error"] >= 20 and counts["updated"] == 0
        assert sum(counts.values()) == 2000
        assert run["postgres_cpu_ms_per_row"] is not None, name  # PostgreSQL runs here
        # 2,000 rows: under CHECK_PROCESS_FROM, checked in a thread, no checking process
        assert run["checking_process_cpu_ms_per_row"] == 0, name
    assert result["dry_run"]["counts"] == result["import"]["counts"]
    assert result["import"]["postgres_cpu_ms_per_row"] > 0  # its writes cost the server
    assert result["ratios"]["import_over_api_posts"] > 0
    assert set(result["targets"]) == {"import_rows_per_s", "import_over_api_posts"}


def test_bench_export_quick_exports_every_list_in_both_formats(tmp_path: Path) -> None:
    with scratch_postgres_database():  # PostgreSQL is there (skip outside CI, else fail)
        pass
    result = run_bench(tmp_path, "export")
    assert set(result["sizes"]) == {"1000", "10000"}
    for entries, found in result["sizes"].items():
        runs = found["runs"]
        assert set(runs) == {
            f"{entity} {fmt}{naive}"
            for entity in ("accounts", "contacts")
            for fmt in ("csv", "xlsx")
            for naive in ("", " (naive: all rows at once)")
        }, entries
        directory = found["directory"]
        for label, run in runs.items():
            entity = label.split()[0]
            hidden = directory["closed_clients"] if entity == "accounts" else None
            if hidden is not None:  # a seller's export: every account but the closed clients
                assert run["rows"] == directory["accounts"] - hidden, (entries, label)
            assert run["rows"] > 0 and run["rows_per_s"] > 0 and run["file_mb"] > 0, label
