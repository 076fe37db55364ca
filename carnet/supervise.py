"""The supervisor of ``carnet stack up``: starts every process of the stack, restarts
the one that dies (with back-off, logged), stops them all gracefully on SIGTERM.

``carnet stack up`` starts it in the background (``python -m carnet.supervise``);
it writes the state file (its own pid and each process's) after every change,
so ``stack status`` and ``stack down`` always see the current pids.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from carnet import stack
from config import load_settings
from config.logs import capture_output, configure

log = logging.getLogger("carnet.supervise")

#: first restart delay, its ceiling, and how long a process must run to be "up" again
BACKOFF_FIRST, BACKOFF_MAX, HEALTHY_AFTER = 1.0, 30.0, 30.0


@dataclass
class Child:
    process: stack.Process
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(self, state: stack.State, path: Path, env: dict[str, str], cwd: Path) -> None:
        self.state, self.path, self.env, self.cwd = state, path, env, cwd
        self.children: list[Child] = []
        self.stopping = False

    def start(self, processes: list[stack.Process]) -> None:
        for process in processes:
            child = Child(process)
            self._spawn(child)
            self.children.append(child)
            self.state.processes.append(process)
        self.state.save(self.path)

    def _spawn(self, child: Child) -> None:
        child.popen = stack.spawn(child.process, self.env, self.cwd)
        child.started_at = time.monotonic()
        child.restart_at = None

    def watch(self, tick: float = 0.2) -> None:
        """Restart what dies until asked to stop."""
        while not self.stopping:
            try:
                self._check(time.monotonic())
            except Exception:  # the supervisor must outlive whatever goes wrong here
                log.exception("supervision round failed")
            time.sleep(tick)

    def _check(self, now: float) -> None:
        changed = False
        for child in self.children:
            if child.restart_at is None and child.popen and child.popen.poll() is not None:
                self._died(child, now)
            elif child.restart_at is not None and now >= child.restart_at:
                self._spawn(child)
                changed = True
                log.info(
                    "restarted %s (pid %d)",
                    child.process.name,
                    child.process.pid,
                    extra={"stack_process": child.process.name, "restarts": child.failures},
                )
        if changed:
            self.state.save(self.path)

    def _died(self, child: Child, now: float) -> None:
        # what it left behind (a Celery worker's pool processes) goes with it
        stack.signal_group(child.process.pid, signal.SIGKILL)
        ran = now - child.started_at
        child.failures = 1 if ran >= HEALTHY_AFTER else child.failures + 1
        delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (child.failures - 1))
        child.restart_at = now + delay
        code = child.popen.returncode if child.popen else None
        log.warning(
            "%s exited (status %s) after %.1f s; restarting in %.0f s",
            child.process.name,
            code,
            ran,
            delay,
            extra={"stack_process": child.process.name, "status": code, "restarts": child.failures},
        )

    def stop(self, timeout: float) -> None:
        running = [c.process for c in self.children if c.restart_at is None]
        stopped = stack.stop(running, timeout=timeout)
        for child in self.children:
            if child.popen is not None:
                child.popen.poll()  # reap
        log.info("stopped %s", ", ".join(stopped) or "nothing")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m carnet.supervise")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--records-port", type=int, default=8001)
    parser.add_argument("--search-port", type=int, default=8002)
    parser.add_argument("--flower-port", type=int, default=5555)
    args = parser.parse_args(argv)
    settings = load_settings()
    configure(settings, "supervisor")
    capture_output()
    ports = stack.Ports(args.host, args.records_port, args.search_port, args.flower_port)
    path = stack.state_path(settings)
    state = stack.State(urls=stack.urls(ports), supervisor=stack.myself())
    supervisor = Supervisor(state, path, stack.environment(settings), Path.cwd())

    def _stop(signum: int, _frame: FrameType | None) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    supervisor.start(stack.plan(settings, ports))
    log.info("supervising %d processes", len(supervisor.children))
    supervisor.watch()
    supervisor.stop(stack.STOP_TIMEOUT)
    path.unlink(missing_ok=True)


if __name__ == "__main__":  # pragma: no cover
    main()
