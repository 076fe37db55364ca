"""``carnet search reindex`` and ``carnet search verify``."""

from __future__ import annotations

import click
from tqdm import tqdm

from carnet.cli_runtime import command_runtime
from search_svc.backends.base import SearchUnavailableError


@click.group()
def search() -> None:
    """The search index."""


@search.command("reindex")
@click.option("--batch-size", type=int, default=None, help="Rows read per batch.")
def reindex(batch_size: int | None) -> None:
    """Rebuild the index from the database into a new one, swapped in atomically."""
    from records_svc.domain import snapshots
    from workers import maintenance

    rt = command_runtime()
    try:
        with rt.db.read() as session:
            total = snapshots.counts(session)
        with tqdm(total=total, unit="doc", desc="reindex", disable=None) as bar:
            written = maintenance.reindex(
                rt.db,
                rt.search,
                batch_size=batch_size or rt.settings.reindex_batch_size,
                progress=bar.update,
            )
    except SearchUnavailableError as exc:
        raise click.ClickException(f"The search index is unavailable: {exc}.") from exc
    finally:
        rt.close()
    click.echo(f"Indexed {written} documents; the new index is live.")


@search.command("verify")
@click.option("--show", default=20, show_default=True, help="Differences listed per kind.")
def verify(show: int) -> None:
    """Compare the database with the index; exit status 1 on drift."""
    from workers import maintenance

    rt = command_runtime()
    try:
        if rt.search.health().state == "outdated":  # made by an earlier release
            raise click.ClickException(
                "The search index is outdated: run carnet search reindex "
                "(a worker or `carnet serve` rebuilds it by itself)."
            )
        drift = maintenance.verify(rt.db, rt.search)
    except SearchUnavailableError as exc:
        raise click.ClickException(f"The search index is unavailable: {exc}.") from exc
    finally:
        rt.close()
    if not drift:
        click.echo("No drift: the index matches the database.")
        return
    click.echo(
        f"Drift: {len(drift.missing)} missing, {len(drift.extra)} extra, {len(drift.stale)} stale."
    )
    for doc_id in drift.missing[:show]:
        click.echo(f"  missing {doc_id}")
    for doc_id in drift.extra[:show]:
        click.echo(f"  extra   {doc_id}")
    for doc_id, indexed, wanted in drift.stale[:show]:
        click.echo(f"  stale   {doc_id} (index version {indexed}, database {wanted})")
    raise SystemExit(1)
