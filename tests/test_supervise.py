"""The supervisor of ``carnet stack up`` restarts a process that dies, with back-off,
logs it, and stops everything gracefully (plain processes stand in for the stack's)."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from carnet import stack, supervise
from tests.wait import wait_until

#: a process that stops at once on SIGTERM (as a Celery worker does after its tasks)
SLEEPER = "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *_: sys.exit(0)); time.sleep(600)"


def _process(name: str, tmp_path: Path) -> stack.Process:
    return stack.Process(name, [sys.executable, "-c", SLEEPER], str(tmp_path / f"{name}.log"))


def test_a_dead_process_is_restarted_with_back_off_then_all_stop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervise, "BACKOFF_FIRST", 0.5)
    path = tmp_path / "state.json"
    state = stack.State(urls={}, supervisor=stack.myself())
    supervisor = supervise.Supervisor(state, path, dict(os.environ), tmp_path)
    supervisor.start([_process("worker-indexing", tmp_path), _process("beat", tmp_path)])
    watcher = threading.Thread(target=supervisor.watch, kwargs={"tick": 0.05})
    caplog.set_level(logging.INFO, logger="carnet.supervise")
    watcher.start()
    try:
        first = {p.name: p.pid for p in stack.State.load(path).processes}  # type: ignore[union-attr]
        delays = []
        for _ in range(2):  # it keeps dying: the delay doubles
            pid = {p.name: p.pid for p in stack.State.load(path).processes}["worker-indexing"]  # type: ignore[union-attr]
            killed_at = time.monotonic()
            os.kill(pid, signal.SIGKILL)

            def restarted(pid: int = pid) -> bool:
                saved = stack.State.load(path)
                now = {p.name: p for p in saved.processes} if saved else {}
                return now["worker-indexing"].pid != pid and stack.alive(now["worker-indexing"])

            wait_until(restarted, 15, "worker-indexing restarted")
            delays.append(time.monotonic() - killed_at)
        assert delays[1] > delays[0] >= 0.5
        now = {p.name: p.pid for p in stack.State.load(path).processes}  # type: ignore[union-attr]
        assert now["beat"] == first["beat"]  # the others were left alone
        messages = [r.getMessage() for r in caplog.records]
        assert "worker-indexing exited (status -9) after" in messages[0]
        assert any(m.startswith("restarted worker-indexing") for m in messages)
        assert json.loads(path.read_text())["supervisor"]["pid"] == os.getpid()
    finally:
        supervisor.stopping = True
        watcher.join()
    procs = stack.State.load(path).processes  # type: ignore[union-attr]
    supervisor.stop(timeout=10)
    assert not any(stack.alive(p) for p in procs)
    codes = {c.process.name: c.popen.returncode for c in supervisor.children if c.popen}
    # a graceful stop: SIGTERM, and they finished by themselves (the worker just restarted
    # may not have its handler yet: then SIGTERM's default), never SIGKILL
    assert codes["beat"] == 0
    assert codes["worker-indexing"] in (0, -signal.SIGTERM)
