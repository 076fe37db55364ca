"""``carnet bench imports``: a generated lead file imported into PostgreSQL, in rows/s.

The file is what a trade show or a purchased list gives: French companies with a
SIRET, an address, a phone, an e-mail and a website, 1 % of rows with a wrong SIRET
and 1 % repeating an earlier row (duplicates), as a UTF-8 CSV with ``;`` (about 2 % of
the generated phone numbers are not valid numbers either: errors too).
It goes through the import job exactly as ``POST /imports`` runs it (rows checked as
the API checks them, batches committed with their history, outbox and report), dry
run first, then for real. Beside it, in the same run and on the same database, the
baseline: the same rows created one ``POST /prospects`` at a time through the API
(in process, no network), which is what a script does without an import.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carnet.bench import measure
from carnet.bench.data import scratch_database
from carnet.fakedata import companies
from config import Settings, load_settings
from httpkit.tokens import issue_token
from records_svc import create_app, migrate
from records_svc.composition import records_database
from records_svc.db import Database
from records_svc.domain import imports, users
from records_svc.job_queue import NullJobQueue

HEADER = ("Raison sociale", "Nom", "Adresse", "Code postal", "Ville", "Tél.", "E-mail",
          "Site web", "SIRET", "Code APE")  # fmt: skip
TARGET_ROWS_PER_S = 2000.0
#: the same target as a ratio to this run's baseline (rows created one API POST at a
#: time), which a slower or busier machine divides too: 2,000 rows/s where the API
#: created 54 prospects a second (the quiet run of 2026-12-01, docs/performance.md)
BASELINE_WHEN_SET = 54.0
TARGET_OVER_API_POSTS = TARGET_ROWS_PER_S / BASELINE_WHEN_SET


@dataclass
class Options:
    rows: int
    baseline_rows: int
    seed: int
    admin_url: str
    workdir: Path


def lead_file(rows: int, seed: int) -> bytes:
    """``rows`` generated leads; every 100th a wrong SIRET, every 100th (+50) a repeat."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    written: list[list[str]] = []
    for n, c in enumerate(companies(rows, seed, contacts_per_company=(0, 0))):
        row = [c.legal_name, c.name, c.line1, c.postal_code, c.city, c.phone, c.email,
               c.website, c.siret, c.ape_code]  # fmt: skip
        if n % 100 == 99:
            row[8] = row[8][:-1] + str((int(row[8][-1]) + 1) % 10)  # fails its checksum
        if n % 100 == 50 and written:
            row = written[n // 2]
        written.append(row)
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


def _body(row: list[str]) -> dict[str, Any]:
    legal, name, line1, postal_code, city, phone, email, website, siret, ape = row
    return {
        "legal_name": legal,
        "name": name,
        "address": {"line1": line1, "postal_code": postal_code, "city": city},
        "phone": phone,
        "email": email,
        "website": website,
        "siret": siret,
        "ape_code": ape,
    }


def baseline(db: Database, settings: Settings, options: Options, user_id: int) -> dict[str, Any]:
    """The same kind of rows, one API POST each (in process): rows/s."""
    app = create_app(settings, database=db, job_queue=NullJobQueue())
    token = issue_token(
        settings.resolved_secret_key(),
        user_id=user_id,
        username="bench-importer",
        rights=[],
        ttl_seconds=3600,
    )
    headers = {"Authorization": f"Bearer {token}"}
    content = lead_file(options.baseline_rows, options.seed + 1).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))[1:]
    client = app.test_client()
    statuses: dict[int, int] = {}
    backends = measure.postgres_backends_cpu(db.engine)
    started, cpu = time.perf_counter(), time.process_time()
    for row in rows:
        reply = client.post("/api/v1/prospects", json=_body(row), headers=headers)
        statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
        reply.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    postgres_ms = _postgres_ms(db, backends)
    return {"rows": len(rows), "seconds": seconds, "rows_per_s": len(rows) / seconds,
            "cpu_ms_per_row": cpu * 1000 / len(rows), "statuses": statuses,
            "postgres_cpu_ms_per_row": postgres_ms / len(rows) if postgres_ms is not None else None,
            }  # fmt: skip


def one_import(db: Database, content: bytes, user_id: int, *, dry_run: bool) -> dict[str, Any]:
    request = imports.ImportRequest("prospects", "salon.csv", content, dry_run=dry_run)
    started = time.perf_counter()
    with db.unit_of_work() as uow:
        job_id = imports.start_import(uow, NullJobQueue(), request, user_id=user_id).id
    backends = measure.postgres_backends_cpu(db.engine)
    children = _children_cpu()
    checked, cpu = time.perf_counter(), time.process_time()
    state = imports.run_import(db, job_id)
    ended, cpu = time.perf_counter(), time.process_time() - cpu
    children = _children_cpu() - children
    postgres_ms = _postgres_ms(db, backends)
    with db.read() as session:
        job, _spec = imports.get_import(session, job_id, user_id=None)
        result = dict(job.result or {})
    rows = int(result["progress"]["done"])
    return {
        "state": state,
        "rows": rows,
        "counts": result["counts"],
        "start_seconds": checked - started,
        "run_seconds": ended - checked,
        "seconds": ended - started,
        "rows_per_s": rows / (ended - started),
        #: this process's CPU (not PostgreSQL's): what a busy machine leaves out of rows/s
        "cpu_ms_per_row": cpu * 1000 / rows,
        #: the checking process's CPU (a large import on PostgreSQL is checked in a process
        #: of its own, joined at the end: counted in this process's children's times)
        "checking_process_cpu_ms_per_row": children * 1000 / rows,
        #: PostgreSQL's CPU (its backends', on this machine), None when it runs elsewhere
        "postgres_cpu_ms_per_row": postgres_ms / rows if postgres_ms is not None else None,
    }


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _postgres_ms(db: Database, before: dict[int, float] | None) -> float | None:
    after = measure.postgres_backends_cpu(db.engine)
    if before is None or after is None:
        return None
    return 1000 * sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def run(options: Options, say: Callable[[str], None]) -> dict[str, Any]:
    content = lead_file(options.rows, options.seed)
    result: dict[str, Any] = {"rows": options.rows, "file_bytes": len(content)}
    with scratch_database(options.admin_url, "imports") as url:
        settings = load_settings(
            data_dir=options.workdir / "var",
            database_url=url,
            secret_key="bench-secret-" + secrets.token_hex(16),
        )
        db = records_database(settings, NullJobQueue())
        try:
            migrate.upgrade(db.engine)
            with db.unit_of_work() as uow:
                user_id = users.create_user(
                    uow.session, "bench-importer", secrets.token_urlsafe(16)
                ).id
            say(f"baseline: {options.baseline_rows} prospects, one API POST each…")
            result["baseline_api_posts"] = baseline(db, settings, options, user_id)
            say(f"dry run of {options.rows} rows…")
            result["dry_run"] = one_import(db, content, user_id, dry_run=True)
            say(f"import of {options.rows} rows…")
            result["import"] = one_import(db, content, user_id, dry_run=False)
        finally:
            db.dispose()
    for name in ("baseline_api_posts", "dry_run", "import"):
        report = result[name]
        postgres = report.get("postgres_cpu_ms_per_row")
        checking = report.get("checking_process_cpu_ms_per_row")
        say(
            f"{name:20} {report['rows']:>8} rows  {report['rows_per_s']:10.0f} rows/s  "
            f"{report['cpu_ms_per_row']:6.2f} ms of CPU per row"
            + (f" (+ checking process {checking:.2f} ms)" if checking else "")
            + (f" (+ PostgreSQL {postgres:.2f} ms)" if postgres is not None else "")
        )
    speed = result["import"]["rows_per_s"]
    ratio = speed / result["baseline_api_posts"]["rows_per_s"]
    result["ratios"] = {"import_over_api_posts": ratio}
    result["targets"] = {
        "import_rows_per_s": {
            "measured": speed,
            "target": TARGET_ROWS_PER_S,
            "met": speed >= TARGET_ROWS_PER_S,
        },
        "import_over_api_posts": {
            "measured": ratio,
            "target": TARGET_OVER_API_POSTS,
            "met": ratio >= TARGET_OVER_API_POSTS,
        },
    }
    return result
