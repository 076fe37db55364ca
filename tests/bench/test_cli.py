"""The options of every ``carnet bench`` command (docs/performance.md names them)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from carnet.bench import report
from carnet.bench.cli import Run, _run_options, bench

ON_POSTGRES = {"--seed", "--quick", "--postgres-url", "--results-dir", "--workdir"}
OPTIONS = {
    "search": {"--entries", "--samples", "--baseline-queries", "--es-entries", *ON_POSTGRES},
    "pipeline": {"--writes", "--rate", "--burst", "--runtime", "--entries", "--redis-url"}
    | ON_POSTGRES,
    "lists": {"--entries", "--pages", *ON_POSTGRES},
    "export": {"--size", *ON_POSTGRES},
    "imports": {"--rows", "--baseline-rows", *ON_POSTGRES},
    "writes": {"--count", "--rounds", "--database-url", "--results-dir"},
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_each_bench_command_takes_its_options(name: str) -> None:
    command = bench.commands[name]
    assert {o for p in command.params for o in p.opts} == OPTIONS[name]
    shown = CliRunner().invoke(bench, [name, "--help"])
    assert shown.exit_code == 0, shown.output
    for option in OPTIONS[name]:
        assert option in shown.output, option


def test_the_shared_options_mean_the_same_everywhere() -> None:
    for name in ("search", "pipeline", "lists", "export", "imports"):
        params = {p.opts[0]: p for p in bench.commands[name].params}
        assert params["--results-dir"].default == "bench/results", name
        assert params["--seed"].default == 1, name
        assert params["--quick"].is_flag, name  # type: ignore[attr-defined]
        assert params["--postgres-url"].default is None, name


def test_a_workdir_that_does_not_exist_yet_is_made(tmp_path: Path) -> None:
    seen: list[Run] = []

    @click.command()
    @_run_options("quick", "workdir")
    def probe(run: Run) -> None:
        seen.append(run)

    workdir = tmp_path / "not" / "yet"
    result = CliRunner().invoke(probe, ["--workdir", str(workdir)])
    assert result.exit_code == 0, result.output
    assert workdir.is_dir() and seen[0].workdir == str(workdir)


@pytest.mark.parametrize(
    ("result", "size"),
    [({"entries": 3000}, "3000"), ({"writes": 50}, "50"), ({"rows": 2000}, "2000"), ({}, None)],
)
def test_a_results_file_is_named_by_the_runs_size(
    tmp_path: Path, result: dict[str, int], size: str | None
) -> None:
    path = report.write_json(result, tmp_path, "bench")
    parts = path.stem.split("-")
    assert parts[0] == "bench" and "None" not in parts
    assert (parts[1] if len(parts) == 3 else None) == size
