"""`carnet templates install-defaults` and `carnet documents gc` as an operator runs them."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from carnet import embedded
from carnet.cli import main
from config import load_settings
from records_svc.domain import accounts, documents, users
from records_svc.domain.documents import Owner, Upload
from records_svc.files import DOCUMENTS
from tests.conftest import TEST_HASHING


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path / "var"))
    return CliRunner()


def test_install_defaults_is_idempotent(runner: CliRunner) -> None:
    first = runner.invoke(main, ["templates", "install-defaults"])
    assert first.exit_code == 0, first.output
    assert "installed 3 template(s)" in first.output
    for name in ("Fiche prospect", "Fiche client", "Fiche contact"):
        assert name in first.output
    again = runner.invoke(main, ["templates", "install-defaults"])
    assert "installed 0 template(s)" in again.output


def test_demo_load_installs_the_default_templates(runner: CliRunner) -> None:
    loaded = runner.invoke(main, ["demo", "load", "--count", "4"])
    assert loaded.exit_code == 0, loaded.output
    assert "installed 3 template(s)" in loaded.output


def test_gc_removes_orphans_and_reports_missing_files(runner: CliRunner, tmp_path: Path) -> None:
    rt = embedded.runtime(load_settings(data_dir=tmp_path / "var"))
    with rt.db.unit_of_work() as uow:
        user = users.create_user(uow.session, "alice", "long enough", (), hashing=TEST_HASHING)
        prospect = accounts.create_prospect(uow, user.id, {"name": "Dupré SARL"})
        kept, lost = documents.add_documents(
            uow,
            Owner("prospect", prospect.id),
            [Upload("kept.txt", io.BytesIO(b"kept")), Upload("lost.txt", io.BytesIO(b"lost"))],
            uploaded_by=user.id,
            max_bytes=1000,
        )
        kept_key, lost_key, lost_id = kept.storage_key, lost.storage_key, lost.id
    rt.files.path(lost_key).unlink()
    old = rt.files.write_bytes(b"left behind by a crash", area=DOCUMENTS)
    hour_ago = time.time() - 7200
    os.utime(rt.files.path(old.key), (hour_ago, hour_ago))
    recent = rt.files.write_bytes(b"an upload in flight", area=DOCUMENTS)

    dry = runner.invoke(main, ["documents", "gc", "--dry-run"])
    assert f"orphan {old.key} (would remove)" in dry.output
    assert rt.files.exists(old.key)

    result = runner.invoke(main, ["documents", "gc"])
    assert result.exit_code == 1  # a document lost its file
    assert f"missing file of document {lost_id} (lost.txt)" in result.output
    assert "1 orphan file(s) removed, 1 missing, 1 recent file(s) left alone" in result.output
    assert not rt.files.exists(old.key)
    assert rt.files.exists(recent.key)
    assert rt.files.exists(kept_key)
    rt.db.dispose()
