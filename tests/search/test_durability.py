"""Nothing acknowledged is lost: kill -9 during a burst of writes, restart, and the index catches up.

``carnet serve`` runs as a subprocess on a data directory of its own; writers
post prospects from several threads; the server is killed with SIGKILL in the
middle of the burst and started again. Within 10 s ``carnet search verify``
reports no drift and every prospect whose 201 a writer received is in the index,
without a reindex. Before the burst, prospects are also written with no job
queue at all (a records process that died between commit and indexing), so
the restart has pending events to replay whatever the timing of the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from carnet import embedded
from config import load_settings
from records_svc import create_app
from records_svc.composition import records_database
from records_svc.domain import outbox
from records_svc.job_queue import NullJobQueue
from tests.conftest import make_user
from tests.search.conftest import SECRET
from tests.search.test_worker import eventually, free_port

pytestmark = pytest.mark.slow
CARNET = str(Path(sys.executable).parent / "carnet")
PASSWORD = "admin password for the crash test"


def carnet_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "CARNET_DATA_DIR": str(data_dir), "CARNET_SECRET_KEY": SECRET}


def serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [CARNET, "serve", "--port", str(port), "--admin-password", PASSWORD]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=carnet_env(data_dir), stdout=out, stderr=out)

    def up() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return requests.get(f"http://127.0.0.1:{port}/api/v1/healthz", timeout=2).ok
        except (requests.ConnectionError, requests.Timeout):
            return False  # not listening yet, or slow to answer on a busy machine

    try:
        eventually(up, "carnet serve answers", timeout=60)
    except BaseException:
        process.kill()  # not left running (and collected unwaited) into the next test
        process.wait()
        raise
    return process


def verify(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CARNET, "search", "verify"],
        env=carnet_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )


class Writers:
    """Threads posting prospects until told to stop or the server goes away."""

    def __init__(self, base: str, token: str, count: int) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.created: list[int] = []
        self.stopped = threading.Event()
        self.threads = [
            threading.Thread(target=self._write, args=(n,), daemon=True) for n in range(count)
        ]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(30)

    def _write(self, writer: int) -> None:
        session = requests.Session()
        n = 0
        while not self.stopped.is_set():
            n += 1
            try:
                reply = session.post(
                    f"{self.base}/api/v1/prospects",
                    json={"name": f"Rafale {writer} {n}"},
                    headers=self.headers,
                    timeout=10,
                )
            except requests.RequestException:
                return  # the server died
            if reply.status_code == 201:
                self.created.append(int(reply.json()["id"]))


def test_kill_9_mid_burst_then_restart_loses_no_index_update(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    settings = load_settings(data_dir=data_dir, secret_key=SECRET)
    rt = embedded.runtime(settings)
    try:
        embedded.ensure_admin(rt, PASSWORD)
        # Written with no job queue: committed, their events pending (a crash before indexing).
        offline_db = records_database(settings, NullJobQueue())
        offline = make_user(create_app(settings, database=offline_db), rt.db, "offline")
        orphans = [
            offline.post("/api/v1/prospects", json={"name": f"Orpheline {n}"}).json["id"]
            for n in range(5)
        ]
        offline_db.dispose()
        with rt.db.read() as session:
            assert outbox.pending_count(session) == 5
    finally:
        rt.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    server = serve(data_dir, port, log)
    try:
        token = requests.post(
            f"{base}/api/v1/auth/token",
            json={"username": "admin", "password": PASSWORD},
            timeout=10,
        ).json()["access_token"]
        with Writers(base, token, count=4) as writers:
            eventually(lambda: len(writers.created) >= 60, "the burst is under way", timeout=60)
            server.send_signal(signal.SIGKILL)
            server.wait(10)
        acknowledged = [*orphans, *writers.created]

        server = serve(data_dir, port, log)
        # Within 10 s of the restarted service answering, without a reindex.
        eventually(lambda: verify(data_dir).returncode == 0, "verify reports no drift", timeout=10)
    finally:
        server.kill()
        server.wait(10)

    rt = embedded.runtime(settings)
    try:
        indexed = {doc_id for doc_id, _ in rt.search.versions()}
    finally:
        rt.close()
    assert {f"account:{i}" for i in acknowledged} <= indexed
