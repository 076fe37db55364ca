"""``carnet documents …`` and ``carnet templates …``: document files and edition templates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from carnet.cli_runtime import command_runtime

if TYPE_CHECKING:
    from carnet.embedded import Runtime


@click.group()
def documents() -> None:
    """Document files."""


@documents.command("gc")
@click.option(
    "--grace-minutes",
    default=60,
    show_default=True,
    help="Leave unreferenced files younger than this (uploads in flight).",
)
@click.option("--dry-run", is_flag=True, help="Report only; remove nothing.")
def documents_gc(grace_minutes: int, dry_run: bool) -> None:
    """Remove orphan files (no document or job refers to them); report missing ones."""
    from records_svc.domain import record_files

    rt = command_runtime()
    with rt.db.read() as session:
        report = record_files.collect_garbage(
            session, rt.files, grace_seconds=grace_minutes * 60, dry_run=dry_run
        )
    verb = "would remove" if dry_run else "removed"
    for key in report.orphans:
        click.echo(f"orphan {key} ({verb})")
    for doc_id, name in report.missing:
        click.echo(f"missing file of document {doc_id} ({name})")
    click.echo(
        f"{len(report.orphans)} orphan file(s) {verb}, {len(report.missing)} missing, "
        f"{report.kept_recent} recent file(s) left alone"
    )
    if report.missing:
        raise SystemExit(1)


@click.group()
def templates() -> None:
    """Edition templates."""


@templates.command("install-defaults")
def templates_install_defaults() -> None:
    """Add the default templates (Fiche prospect, Fiche client, Fiche contact) if missing."""
    click.echo(install_defaults(command_runtime()))


def install_defaults(rt: Runtime) -> str:
    from records_svc.editions import templates as templates_domain

    with rt.db.unit_of_work() as uow:
        created = templates_domain.install_defaults(uow)
        names = [f"{t.name} ({t.entity})" for t in created]
    return f"installed {len(names)} template(s)" + (": " + ", ".join(names) if names else "")
