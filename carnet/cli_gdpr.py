"""``carnet gdpr purge``: the retention of prospects (personal data, GDPR)."""

from __future__ import annotations

import json

import click

from config import ConfigurationError, load_settings


@click.group()
def gdpr() -> None:
    """Personal data: retention."""


@gdpr.command("purge")
@click.option(
    "--inactive-months",
    type=click.IntRange(min=1, max=1200),
    required=True,
    help="Delete the prospects (and their contacts) untouched for this many months.",
)
@click.option("--dry-run", is_flag=True, help="List what would go; delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="The report as one JSON object.")
def purge(inactive_months: int, dry_run: bool, as_json: bool) -> None:
    """Delete prospects with no change, action or opportunity for that long, with a report."""
    from carnet import embedded
    from records_svc.domain import retention
    from records_svc.domain.models import utcnow

    try:
        rt = embedded.runtime(load_settings())
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        report = retention.purge_inactive(
            rt.db, months=inactive_months, now=utcnow(), dry_run=dry_run
        )
    finally:
        rt.close()
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(
        f"{verb} {len(report.prospect_ids)} prospect(s) and {len(report.contact_ids)} "
        f"contact(s) untouched since {report.cutoff:%Y-%m-%d}."
    )
    if report.prospect_ids:
        click.echo("prospects: " + " ".join(map(str, report.prospect_ids)))
    if report.contact_ids:
        click.echo("contacts: " + " ".join(map(str, report.contact_ids)))
