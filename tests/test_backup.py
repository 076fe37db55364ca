"""``carnet backup`` / ``carnet restore``: backup while writes go on, delete, restore;
the records and files are back as they were, and the index matches (verify = 0)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from werkzeug.test import Client

from carnet import embedded
from carnet.cli import main
from config import load_settings
from records_svc.db import Database
from tests.services import scratch_postgres_database
from workers import maintenance

SECRET = "backup-test-secret-" * 3
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
#: the tables compared row for row before the backup and after the restore
TABLES = ("accounts", "contacts", "documents", "users", "field_definitions", "edition_templates")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def environment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CARNET_SECRET_KEY", SECRET)
    if request.param == "sqlite":
        yield
        return
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    with scratch_postgres_database() as url:
        monkeypatch.setenv("CARNET_DATABASE_URL", url)
        yield


def _runtime() -> embedded.Runtime:
    return embedded.runtime(load_settings(), upgrade=True)


def _sign_in(client: Client) -> dict[str, str]:
    reply = client.post(
        "/api/v1/auth/token", json={"username": "admin", "password": "admin password"}
    )
    return {"Authorization": f"Bearer {reply.json['access_token']}"}


def _rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in TABLES
        }


def test_backup_while_writing_then_delete_then_restore(environment: None, tmp_path: Path) -> None:
    rt = _runtime()
    embedded.ensure_admin(rt, "admin password")
    client = Client(embedded.wsgi_app(rt))
    auth = _sign_in(client)
    created = [
        client.post("/api/v1/prospects", json={"name": name}, headers=auth).json
        for name in ("Dupré SARL", "L'Oréal", "Boulangerie Saint-Honoré")
    ]
    account = created[0]
    contact = client.post(
        f"/api/v1/accounts/{account['id']}/contacts",
        json={"first_name": "Zoé", "last_name": "N'Diaye"},
        headers=auth,
    )
    assert contact.status_code == 201, contact.json
    upload = client.post(
        f"/api/v1/prospects/{account['id']}/documents",
        data={"file": (io.BytesIO(PDF), "Kbis.pdf")},
        headers=auth,
    )
    assert upload.status_code == 201, upload.json
    document = upload.json["items"][0]

    # the service keeps writing while the backup runs
    stop, written = threading.Event(), []

    def write() -> None:
        writer = Client(embedded.wsgi_app(rt))
        while not stop.is_set():
            reply = writer.post(
                "/api/v1/prospects", json={"name": f"Client {len(written)}"}, headers=auth
            )
            written.append(reply.status_code)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while len(written) < 3 and thread.is_alive():
            stop.wait(0.01)
        backed_up = CliRunner().invoke(main, ["backup", str(tmp_path / "backup")])
    finally:
        stop.set()
        thread.join()
    assert backed_up.exit_code == 0, backed_up.output
    assert written and set(written) == {201}
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert [f["path"] for f in manifest["files"]] == [f"files/{_key(rt, document['id'])}"]
    assert manifest["missing"] == []

    # the state the backup holds: everything acknowledged before it began, consistent
    with rt.db.engine.connect() as conn:
        before = {row[0] for row in conn.execute(text("SELECT id FROM accounts"))}
    rt.close()
    snapshot = _restored_rows(tmp_path, manifest)
    assert {a["id"] for a in created} <= {row[0] for row in snapshot["accounts"]}
    assert {row[0] for row in snapshot["accounts"]} <= before

    # a bad day: the account with the document and another one are deleted
    rt = _runtime()
    client = Client(embedded.wsgi_app(rt))
    for gone in created[:2]:
        assert client.delete(f"/api/v1/prospects/{gone['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/documents/{document['id']}", headers=auth).status_code == 404
    rt.close()

    refused = CliRunner().invoke(main, ["restore", str(tmp_path / "backup")], input="n\n")
    assert refused.exit_code != 0  # asked, and answered no: nothing changed
    restored = CliRunner().invoke(main, ["restore", str(tmp_path / "backup"), "--yes"])
    assert restored.exit_code == 0, restored.output

    rt = _runtime()
    try:
        assert _rows(rt.db) == snapshot
        client = Client(embedded.wsgi_app(rt))
        content = client.get(f"/api/v1/documents/{document['id']}/content", headers=auth)
        assert content.status_code == 200
        data = content.get_data()
        content.close()
        assert hashlib.sha256(data).hexdigest() == document["sha256"]
        assert not maintenance.verify(rt.db, rt.search)
        found = client.get("/api/v1/search?q=dupre", headers=auth).json["items"]
        assert [item["id"] for item in found] == [account["id"]]
    finally:
        rt.close()


def _key(rt: embedded.Runtime, document_id: int) -> str:
    with rt.db.engine.connect() as conn:
        key = conn.execute(
            text("SELECT storage_key FROM documents WHERE id = :id"), {"id": document_id}
        ).scalar_one()
    return str(key).split("/", 1)[1]


def _restored_rows(tmp_path: Path, manifest: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows the backup holds (restored into a scratch database of its own kind)."""
    backup = tmp_path / "backup"
    if manifest["database"]["kind"] == "sqlite":
        assert sqlite3.connect(backup / "carnet.db").execute(
            "PRAGMA integrity_check"
        ).fetchone() == ("ok",)
        peek = shutil.copy(backup / "carnet.db", tmp_path / "peek.db")  # leave the backup as is
        db = Database(f"sqlite:///{peek}")
        try:
            return _rows(db)
        finally:
            db.dispose()
    from carnet import backup as backup_mod

    with scratch_postgres_database() as url:
        settings = load_settings(database_url=url, data_dir=tmp_path / "scratch")
        backup_mod.restore(settings, backup, say=lambda _: None)
        db = Database(url)
        try:
            return _rows(db)
        finally:
            db.dispose()


def test_a_damaged_backup_is_refused_before_anything_changes(
    environment: None, tmp_path: Path
) -> None:
    rt = _runtime()
    embedded.ensure_admin(rt, "admin password")
    rt.close()
    runner = CliRunner()
    assert runner.invoke(main, ["backup", str(tmp_path / "b")]).exit_code == 0
    again = runner.invoke(main, ["backup", str(tmp_path / "b")])
    assert again.exit_code != 0 and "not empty" in again.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    damaged = tmp_path / "b" / manifest["database"]["path"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"!")
    refused = runner.invoke(main, ["restore", str(tmp_path / "b"), "--yes"])
    assert refused.exit_code != 0 and "damaged" in refused.output
