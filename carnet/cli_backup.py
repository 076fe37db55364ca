"""``carnet backup PATH`` and ``carnet restore PATH`` (see carnet/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click

from carnet.cli_runtime import command_runtime, command_settings


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
def backup_command(path: Path) -> None:
    """Write a consistent backup (database, documents, edition files) to the new directory PATH.

    Safe while the service runs. PostgreSQL needs pg_dump (postgresql-client).
    """
    from carnet import backup

    rt = command_runtime()  # refuses a database that is not at this release's schema
    rt.close()
    try:
        summary = backup.backup(rt.settings, path, say=click.echo)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Backup written to {path}: {summary.database} and {summary.files} files, "
        f"{summary.bytes / 1e6:.1f} MB, checksums in {backup.MANIFEST}."
    )
    for key in summary.missing:
        click.echo(f"  warning: {key} was deleted while the backup ran", err=True)


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@click.pass_context
def restore_command(ctx: click.Context, path: Path, yes: bool) -> None:
    """Replace the database and files with the backup at PATH, then rebuild the search index.

    Stop the service first. Records written since the backup are lost.
    """
    from carnet import backup
    from carnet.cli_search import reindex
    from records_svc import migrate

    settings = command_settings()
    try:
        manifest = backup.read_manifest(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    where = settings.resolved_database_url.split("@")[-1]
    if not yes:
        click.confirm(
            f"Replace the database at {where} and the files under "
            f"{settings.resolved_documents_dir} with the backup of {manifest['created_at']}?",
            abort=True,
        )
    try:
        backup.restore(settings, path, say=click.echo)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if set(manifest["revision"]) != migrate.heads():
        click.echo(
            f"The backup's schema ({', '.join(manifest['revision'])}) is older than this "
            "release's: run `carnet db upgrade`, then `carnet search reindex`."
        )
        return
    ctx.invoke(reindex)
