"""``carnet backup PATH`` and ``carnet restore PATH``: the data, consistently, with checksums.

What is data: the records database (records, users and rights, the field
library, edition templates, jobs) and the files of the store (documents and
edition outputs). The search index is derived from the database and rebuilt
on restore; Redis holds nothing that must survive.

A backup is a directory:

    manifest.json       format, time, schema revision, and each file with size and SHA-256
    carnet.db           SQLite: a snapshot by SQLite's online backup API
    carnet.dump         PostgreSQL: ``pg_dump --format=custom`` (one transaction)
    files/…, editions/… the store's files, under their own keys

The database is copied first, then the files. Stored files are never rewritten
(each has a generated name), so every file the snapshot refers to is there,
unless it was deleted in between: the manifest lists those as ``missing``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, select

from config import Settings
from records_svc import migrate
from records_svc.db import Database
from records_svc.domain.models import Document, Job
from records_svc.files import DOCUMENTS, EDITIONS, FileStore

FORMAT = "carnet-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE, POSTGRES_FILE = "carnet.db", "carnet.dump"


class BackupError(RuntimeError):
    """The backup cannot be made, or a backup cannot be restored (nothing was changed)."""


@dataclass(frozen=True)
class Summary:
    database: str
    files: int
    bytes: int
    missing: list[str]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(root: Path, relative: str) -> dict[str, Any]:
    path = root / relative
    return {"path": relative, "size": path.stat().st_size, "sha256": _sha256(path)}


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore, the password passed in the environment (not argv)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str]) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupError(f"{argv[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()}")


def _snapshot_database(url: str, target: Path) -> str:
    """Copy the database into ``target`` (a directory); the name of the file written."""
    if _is_sqlite(url):
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target / SQLITE_FILE)
        try:
            source.backup(copy)  # in one step: a consistent snapshot, writers carry on (WAL)
        finally:
            copy.close()
            source.close()
        return SQLITE_FILE
    libpq, env = _libpq(url)
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(target / POSTGRES_FILE), libpq],
        env,
    )
    return POSTGRES_FILE


def _referenced_keys(url: str, target: Path, database_file: str) -> set[str]:
    """The store keys the snapshot refers to (documents and edition outputs)."""
    if database_file == SQLITE_FILE:
        url = f"sqlite:///{target / SQLITE_FILE}"
    db = Database(url)
    try:
        with db.read() as session:
            keys = set(session.scalars(select(Document.storage_key)))
            keys |= {k for k in session.scalars(select(Job.file_path)) if k}
    finally:
        db.dispose()
    return keys


def backup(settings: Settings, path: Path, say: Callable[[str], Any] = print) -> Summary:
    """Write a backup of the configured database and file store to ``path`` (a new directory)."""
    if path.exists() and any(path.iterdir()):
        raise BackupError(f"{path} exists and is not empty: give a new directory")
    url = settings.resolved_database_url
    db = Database(url)
    try:
        migrate.check_current(db.engine)
        revision = sorted(migrate.current(db.engine))
    finally:
        db.dispose()
    store = FileStore(settings.resolved_documents_dir)
    path.mkdir(parents=True, exist_ok=True)
    database_file = _snapshot_database(url, path)
    say(f"database copied to {path / database_file}")
    referenced = _referenced_keys(url, path, database_file)
    files = []
    for area in (DOCUMENTS, EDITIONS):
        for key, _mtime in store.keys(area):
            target = path / key
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(store.path(key), target)
            files.append(_entry(path, key))
    copied = {f["path"] for f in files}
    missing = sorted(referenced - copied)
    database = {"kind": "sqlite" if database_file == SQLITE_FILE else "postgresql"}
    database |= _entry(path, database_file)
    manifest = {
        "format": FORMAT,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "revision": revision,
        "database": database,
        "files": files,
        "missing": missing,
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    size = int(database["size"]) + sum(f["size"] for f in files)
    return Summary(database_file, len(files), size, missing)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the backup at ``path``, every checksum verified."""
    try:
        manifest: dict[str, Any] = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a Carnet backup: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    bad = []
    for entry in [manifest["database"], *manifest["files"]]:
        file = path / entry["path"]
        if not file.is_file() or _sha256(file) != entry["sha256"]:
            bad.append(entry["path"])
    if bad:
        raise BackupError(f"{path}: damaged or missing in the backup: {', '.join(bad[:10])}")
    return manifest


def restore(settings: Settings, path: Path, say: Callable[[str], Any] = print) -> dict[str, Any]:
    """Put the backup at ``path`` back: the database replaced, the files copied back.

    The caller rebuilds the search index afterwards. Run it with the service stopped.
    """
    manifest = read_manifest(path)
    url = settings.resolved_database_url
    kind = manifest["database"]["kind"]
    if (kind == "sqlite") != _is_sqlite(url):
        raise BackupError(f"a {kind} backup cannot be restored into {make_url(url).drivername}")
    if kind == "sqlite":
        _restore_sqlite(path / SQLITE_FILE, _sqlite_path(url))
    else:
        libpq, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                libpq,
                str(path / POSTGRES_FILE),
            ],
            env,
        )
    say(f"database restored from {path / manifest['database']['path']}")
    store = FileStore(settings.resolved_documents_dir)
    for entry in manifest["files"]:
        target = store.path(entry["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".restoring")
        shutil.copyfile(path / entry["path"], partial)
        os.replace(partial, target)
    say(f"{len(manifest['files'])} files restored to {store.root}")
    return manifest


def _restore_sqlite(source_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_file)
    live = sqlite3.connect(target, timeout=30)
    try:
        source.backup(live)  # page by page under SQLite's lock, WAL included
    finally:
        live.close()
        source.close()
