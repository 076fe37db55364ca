"""The benchmark's data: a scratch PostgreSQL database filled in bulk (COPY) with a
generated French directory, and the two PostgreSQL baselines' table and indexes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from carnet.fakedata import directory
from records_svc import migrate

ACCOUNT_COLUMNS = (
    "id, kind, name, legal_name, siren, siret, ape_code, address_line1, postal_code, city, "
    "country, phone, email, status, closed, external_ref, custom, version, created_at, updated_at"
)
CONTACT_COLUMNS = (
    "id, account_id, civility, first_name, last_name, job_title, direct_line, mobile, email, "
    "custom, version, created_at, updated_at"
)


@contextmanager
def scratch_database(admin_url: str, purpose: str) -> Iterator[str]:
    """A new PostgreSQL database (dropped at the end, whatever happens) and its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"carnet_bench_{purpose}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def load_directory(engine: Engine, entries: int, seed: int) -> dict[str, int]:
    """Migrate, then COPY ``entries`` generated accounts and contacts (not through the API:
    a million rows through HTTP would measure the API, not search)."""
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    totals = {"accounts": 0, "contacts": 0, "clients": 0, "closed_clients": 0}
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        with conn.cursor() as cur:
            contacts: list[tuple[Any, ...]] = []
            with cur.copy(f"COPY accounts ({ACCOUNT_COLUMNS}) FROM STDIN") as copy:
                for a, people in directory(entries, seed):
                    copy.write_row(
                        (a.id, a.kind, a.name, a.legal_name, a.siren, a.siret, a.ape_code,
                         a.line1, a.postal_code, a.city, "France", a.phone, a.email,
                         a.status, a.closed, a.external_ref, "{}", 1, now, now)
                    )  # fmt: skip
                    totals["accounts"] += 1
                    totals["clients"] += a.kind == "client"
                    totals["closed_clients"] += a.closed
                    for c in people:
                        contacts.append(
                            (c.id, c.account_id, c.civility, c.first_name, c.last_name,
                             c.job_title, c.direct_line, c.mobile, c.email, "{}", 1, now, now)
                        )  # fmt: skip
            with cur.copy(f"COPY contacts ({CONTACT_COLUMNS}) FROM STDIN") as copy:
                for row in contacts:
                    copy.write_row(row)
            totals["contacts"] = len(contacts)
            for table in ("accounts", "contacts"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            cur.execute("ANALYZE accounts")
            cur.execute("ANALYZE contacts")
        conn.commit()
    finally:
        raw.close()
    return totals


# The baselines search one table built from the records tables, the way a CRM
# searches its own rows: `body` holds the searchable text (architecture §5),
# `name` the label. unaccent() is only STABLE, so indexes use an IMMUTABLE
# wrapper (the usual recipe). The tsvector is a stored generated column, as
# Twenty CRM keeps its search vector.
BASELINE_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE OR REPLACE FUNCTION bench_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
CREATE TABLE bench_search (
    doc_id text PRIMARY KEY,
    kind text NOT NULL,
    closed boolean NOT NULL,
    name text NOT NULL,
    body text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', bench_unaccent(body))) STORED
);
INSERT INTO bench_search (doc_id, kind, closed, name, body)
    SELECT 'account:' || id, kind, closed, name,
           concat_ws(' ', name, legal_name, city, postal_code, siren, siret)
    FROM accounts;
INSERT INTO bench_search (doc_id, kind, closed, name, body)
    SELECT 'contact:' || c.id, 'contact', a.closed, concat_ws(' ', c.first_name, c.last_name),
           concat_ws(' ', c.first_name, c.last_name, c.email, a.city, a.postal_code)
    FROM contacts c JOIN accounts a ON a.id = c.account_id;
CREATE INDEX bench_search_trgm ON bench_search USING gin (bench_unaccent(body) gin_trgm_ops);
CREATE INDEX bench_search_tsv ON bench_search USING gin (tsv);
ANALYZE bench_search;
"""


def create_baselines(engine: Engine) -> None:
    with engine.begin() as conn:
        for statement in BASELINE_SCHEMA.split(";\n"):
            if statement.strip():
                conn.execute(text(statement))
