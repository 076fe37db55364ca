"""``carnet import FILE --entity prospects|contacts``: an import from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

ENTITIES = ("prospects", "contacts")
#: rejected rows listed after an import (all of them go to --errors)
SHOWN = 20


def _mapping(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"The mapping {path} cannot be read: {exc}") from exc
    if not isinstance(value, dict):
        raise click.ClickException(f"The mapping {path} is not a JSON object (column → field).")
    return value


def _rows(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary(total: int, counts: dict[str, int], *, dry_run: bool) -> str:
    """``1200 rows: 1150 were created, 0 were updated, 30 duplicates, 20 rejected``
    (``1 row: 1 was created``; ``would be`` in a dry run)."""

    def verb(count: int) -> str:
        return "would be" if dry_run else "was" if count == 1 else "were"

    created, updated = counts.get("created", 0), counts.get("updated", 0)
    return (
        f"{_rows(total, 'row')}: {created} {verb(created)} created, "
        f"{updated} {verb(updated)} updated, {_rows(counts.get('duplicate', 0), 'duplicate')}, "
        f"{counts.get('error', 0)} rejected"
    )


class _Progress:
    """A bar on a terminal; otherwise a plain line as each batch (500 rows) is written,
    at most one a tenth of the file (a file of one batch: one line, at its end)."""

    def __init__(self, total: int) -> None:
        self.total, self.shown, self.tenth = total, 0, 0
        self.bar = tqdm(total=total, unit="row", desc="import") if sys.stderr.isatty() else None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.shown)
        elif total and (tenth := done * 10 // total) > self.tenth:
            self.tenth = tenth
            click.echo(f"{done}/{total} rows")
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--entity", type=click.Choice(ENTITIES), required=True)
@click.option("--mapping", "mapping_path", type=click.Path(dir_okay=False), default=None,
              help="A JSON file: column → field key (guessed from the headers when absent).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option(
    "--update-existing", is_flag=True, help="Update the records matched (else: duplicates)."
)
@click.option("--user", "username", default=None,
              help="Import as this user (owner of the prospects; their rights apply).")  # fmt: skip
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False), default=None,
              help="Write the rejected rows (and why) to this CSV file.")  # fmt: skip
def import_command(
    file: Path,
    entity: str,
    mapping_path: str | None,
    dry_run: bool,
    update_existing: bool,
    username: str | None,
    errors_path: str | None,
) -> None:
    """Import prospects or contacts from a CSV or XLSX file, with a report."""
    from carnet.cli_runtime import command_runtime, fail
    from records_svc.domain import import_mapping, import_report, imports, tracked_jobs, users
    from records_svc.domain.errors import DomainError
    from records_svc.domain.import_models import Import
    from records_svc.job_queue import NullJobQueue

    try:
        content = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{file} cannot be read: {exc.strerror or exc}") from exc
    request = imports.ImportRequest(
        entity=entity,
        file_name=file.name,
        content=content,
        mapping=_mapping(mapping_path),
        dry_run=dry_run,
        update_existing=update_existing,
    )
    rt = command_runtime()
    try:
        try:
            with rt.db.unit_of_work() as uow:
                user_id = users.get_by_username(uow.session, username).id if username else None
                job = imports.start_import(uow, NullJobQueue(), request, user_id=user_id)
                job_id, total = job.id, (job.result or {})["progress"]["total"]
                mapping = uow.session.get(Import, job_id).mapping  # type: ignore[union-attr]
        except DomainError as exc:
            fail(exc)
        for column, key in mapping.items():
            click.echo(f"  {column} → {key}")
        for key, source in import_mapping.derived(entity, mapping).items():
            click.echo(f"  (no column) → {key}: each row's {source}")
        progress = _Progress(total)
        try:
            state = imports.run_import(rt.db, job_id, on_progress=progress)
        finally:
            progress.close()
        with rt.db.read() as session:
            job_row = tracked_jobs.get_job(session, job_id)
            counts, error = (job_row.result or {}).get("counts", {}), job_row.error
            flagged = int((job_row.result or {}).get("possible_duplicates", 0))
            rejected, _ = imports.report_page(
                session, job_id, outcome=import_report.ERROR, after=None, limit=SHOWN
            )
            for row in rejected:
                click.echo(f"row {row.row}: {row.message}")
            spec = session.get(Import, job_id)
            if errors_path and spec is not None and counts.get("error"):
                with open(errors_path, "wb") as out:
                    for chunk in import_report.error_file(session, job_id, spec.columns):
                        out.write(chunk)
    finally:
        rt.close()
    click.echo(f"{summary(total, counts, dry_run=dry_run)} (job {job_id}).")
    if flagged:
        click.echo(
            f"{_rows(flagged, 'row')} created {'looks' if flagged == 1 else 'look'} like a record "
            "already there "
            f"(GET /api/v1/imports/{job_id}?possible_duplicates=true lists them)."
        )
    if errors_path and counts.get("error"):
        click.echo(f"Rejected rows: {errors_path}")
    if state != tracked_jobs.DONE:
        raise click.ClickException(error or "The import stopped.")
