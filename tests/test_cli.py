"""The `carnet` command as an operator uses it (section 9 of the architecture)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from carnet.cli import main
from tests.wait import WaitTimeoutError, wait_until


@pytest.fixture
def runner(tmp_path: Path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path / "var"))
    return CliRunner()


def test_users_create_grant_revoke_disable_list(runner: CliRunner) -> None:
    created = runner.invoke(
        main, ["users", "create", "alice", "--password", "s3cret-pass", "--right", "191515"]
    )
    assert created.exit_code == 0, created.output
    assert "validate_prospect" in created.output
    assert runner.invoke(main, ["users", "grant", "alice", "show_closed_accounts"]).exit_code == 0
    assert runner.invoke(main, ["users", "revoke", "alice", "validate_prospect"]).exit_code == 0
    assert runner.invoke(main, ["users", "disable", "alice"]).exit_code == 0
    listing = runner.invoke(main, ["users", "list"]).output
    assert "alice" in listing and "disabled" in listing and "show_closed_accounts" in listing
    assert "validate_prospect" not in listing


def test_users_create_with_the_name_owner_pickers_show(runner: CliRunner) -> None:
    args = ["users", "create", "amartin", "--password", "s3cret-pass"]
    created = runner.invoke(main, [*args, "--display-name", "Alice Martin"])
    assert created.exit_code == 0, created.output
    from config import load_settings
    from records_svc.db import Database
    from records_svc.domain import users

    db = Database(load_settings().resolved_database_url)
    try:
        with db.read() as session:
            assert users.get_by_username(session, "amartin").display_name == "Alice Martin"
    finally:
        db.dispose()


def test_bad_user_commands_fail_clearly(runner: CliRunner) -> None:
    short = runner.invoke(main, ["users", "create", "bob", "--password", "short"])
    assert short.exit_code != 0 and "password" in short.output
    unknown = runner.invoke(
        main, ["users", "create", "bob", "--password", "long enough", "--right", "god"]
    )
    assert unknown.exit_code != 0 and "unknown right" in unknown.output
    assert runner.invoke(main, ["users", "grant", "nobody", "erp_sync"]).exit_code != 0
    runner.invoke(main, ["users", "create", "bob", "--password", "long enough"])
    again = runner.invoke(main, ["users", "create", "bob", "--password", "long enough"])
    assert again.exit_code != 0 and "exists" in again.output


def test_demo_load_gives_a_realistic_french_data_set(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["demo", "load", "--count", "40"])
    assert result.exit_code == 0, result.output
    assert "Created user 'admin'" in result.output  # the first user can sign in
    from config import load_settings
    from records_svc.db import Database
    from records_svc.domain.models import Account, Contact

    db = Database(load_settings().resolved_database_url)
    with db.read() as session:
        accounts = session.query(Account).all()
        contacts = session.query(Contact).all()
    db.dispose()
    assert len(accounts) == 40
    assert {a.kind for a in accounts} == {"prospect", "client"}
    assert all(a.siren and a.siret and a.siret.startswith(a.siren) for a in accounts)
    assert any(not c.last_name.isascii() or "'" in c.last_name for c in contacts)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    """``carnet serve`` as an operator starts it; returns once it answers."""
    env = {**os.environ, "CARNET_DATA_DIR": str(tmp_path / "var")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "carnet.cli",
            "serve",
            "--port",
            str(port),
            "--admin-password",
            "first-admin-pw",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def state() -> str | None:
        if process.poll() is not None:
            return "exited"
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return "up"
        except (requests.ConnectionError, requests.Timeout):
            pass  # the socket is bound before the worker has loaded the app
        return None

    try:
        if wait_until(state, 60, "carnet serve answers /healthz", interval=0.1) == "up":
            return process
    except WaitTimeoutError:
        pass
    process.kill()
    pytest.fail("carnet serve did not start:\n" + process.communicate()[0])


def _sign_in(base: str) -> dict[str, str]:
    token = requests.post(
        f"{base}/api/v1/auth/token",
        json={"username": "admin", "password": "first-admin-pw"},
        timeout=5,
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_serve_runs_the_embedded_default(tmp_path: Path) -> None:
    port = _free_port()
    process = _serve(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        headers = _sign_in(base)
        created = requests.post(
            f"{base}/api/v1/prospects", json={"name": "L'Oréal"}, headers=headers, timeout=5
        )
        assert created.status_code == 201, created.text
        # a production server, not Werkzeug's development one
        assert "Werkzeug" not in created.headers.get("Server", "")
        assert (tmp_path / "var" / "carnet.db").exists()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=40)
    assert "admin" in output
    # no access log by default: the request lines stay out of the output
    assert "/api/v1/prospects" not in output


def test_serve_finishes_the_requests_in_flight_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    process = _serve(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        headers = _sign_in(base)
        body = json.dumps({"name": "Dupré & Fils"}).encode()
        head = (
            "POST /api/v1/prospects HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Authorization: {headers['Authorization']}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
            conn.sendall(head + body[:5])  # the request is in flight: half its body sent
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert process.poll() is None  # still serving the request in flight
            conn.sendall(body[5:])
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
        output, _ = process.communicate(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "shutdown hooks run" in output
    # what was acknowledged is there after a restart
    process = _serve(tmp_path, port)
    try:
        prospects = requests.get(f"{base}/api/v1/prospects", headers=_sign_in(base), timeout=5)
        assert [p["name"] for p in prospects.json()["items"]] == ["Dupré & Fils"]
    finally:
        process.terminate()
        process.communicate(timeout=40)


def test_the_runtime_runs_its_shutdown_hooks_last_registered_first(tmp_path: Path) -> None:
    """What `carnet serve` runs once its requests are finished (e.g. flushing an outbox)."""
    from carnet import embedded
    from config import load_settings

    rt = embedded.runtime(load_settings(data_dir=tmp_path / "var"))
    calls: list[str] = []

    def failing() -> None:
        raise RuntimeError("a hook that fails does not stop the others")

    rt.on_shutdown += [lambda: calls.append("first"), failing, lambda: calls.append("last")]
    rt.shutdown()
    assert calls == ["last", "first"]
    assert rt.on_shutdown == []


def test_passwords_are_read_from_standard_input_not_the_command_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    created = runner.invoke(main, ["users", "create", "carole"], input="first-secret\n")
    assert created.exit_code == 0, created.output
    assert "first-secret" not in created.output
    changed = runner.invoke(main, ["users", "set-password", "carole"], input="second-secret\n")
    assert changed.exit_code == 0, changed.output
    short = runner.invoke(main, ["users", "set-password", "carole"], input="short\n")
    assert short.exit_code != 0 and "password" in short.output
    unknown = runner.invoke(main, ["users", "set-password", "nobody"], input="third-secret\n")
    assert unknown.exit_code != 0

    from records_svc.db import Database
    from records_svc.domain import users

    database = Database(f"sqlite:///{tmp_path / 'var' / 'carnet.db'}")
    try:
        with database.read() as session:
            assert users.authenticate(session, "carole", "second-secret") is not None
            assert users.authenticate(session, "carole", "first-secret") is None
    finally:
        database.dispose()
