"""The full stack as processes on one machine, without Docker (``carnet stack up|down``).

The same processes as docker-compose.yml: gunicorn for records and for search,
one Celery worker per queue, beat and Flower, against the PostgreSQL, Redis and
Elasticsearch the settings name. ``up`` starts a supervisor in the background
(carnet/supervise.py) that starts them, restarts the one that dies and records
them all in a state file under the data directory; ``down`` asks the supervisor
to stop them gracefully (each one is the leader of its own process group, so
its children go with it).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from config import ConfigurationError, Settings
from workers.celery_app import QUEUES

#: the settings the full stack cannot run without
REQUIRED = (("CARNET_DATABASE_URL", "database_url"), ("CARNET_BROKER_URL", "broker_url"))


#: the gunicorn application factories (carnet/wsgi.py)
_RECORDS = "carnet.wsgi:records()"
_SEARCH = "carnet.wsgi:search()"


class StackError(RuntimeError):
    """The stack cannot start, or did not become ready."""


@dataclass(frozen=True)
class Ports:
    host: str = "127.0.0.1"
    records: int = 8001
    search: int = 8002
    flower: int = 5555


@dataclass
class Process:
    name: str
    argv: list[str]
    log: str
    pid: int = 0
    #: the kernel's start time of ``pid`` (clock ticks since boot): a reused pid differs
    started: int | None = None


@dataclass
class State:
    urls: dict[str, str]
    processes: list[Process] = field(default_factory=list)
    #: the process that started the others and restarts them (None: an older state file)
    supervisor: Process | None = None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_text(json.dumps(asdict(self), indent=2))
        os.replace(partial, path)  # readers never see half a file

    @classmethod
    def load(cls, path: Path) -> State | None:
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        supervisor = raw.get("supervisor")
        return cls(
            urls=raw["urls"],
            processes=[Process(**p) for p in raw["processes"]],
            supervisor=Process(**supervisor) if supervisor else None,
        )

    @property
    def everything(self) -> list[Process]:
        return [*([self.supervisor] if self.supervisor else []), *self.processes]


#: seconds ``down`` gives a process to finish its work (warm shutdown) before SIGKILL
STOP_TIMEOUT = 30.0


def urls(ports: Ports) -> dict[str, str]:
    base = f"http://{ports.host}"
    return {
        "records": f"{base}:{ports.records}",
        "search": f"{base}:{ports.search}",
        "flower": f"{base}:{ports.flower}",
    }


def myself() -> Process:
    """This process, as the state file records it (the supervisor)."""
    pid = os.getpid()
    return Process("supervisor", sys.argv, "", pid=pid, started=_start_time(pid))


def stack_dir(settings: Settings) -> Path:
    return settings.data_dir / "stack"


def state_path(settings: Settings) -> Path:
    return stack_dir(settings) / "state.json"


def plan(settings: Settings, ports: Ports) -> list[Process]:
    """The processes of the stack, in start order."""
    py = sys.executable
    logs = stack_dir(settings) / "logs"
    bind = f"{ports.host}"
    web = ["--config", "python:carnet.gunicorn_conf"]
    # --quiet: no start-up banner, so every line of the logs is JSON
    celery = [py, "-m", "celery", "-A", "workers.worker", "--quiet"]
    processes = [
        Process(
            "records",
            [py, "-m", "gunicorn", "--bind", f"{bind}:{ports.records}", *web, _RECORDS],
            str(logs / "records.log"),
        ),
        Process(
            "search",
            [py, "-m", "gunicorn", "--bind", f"{bind}:{ports.search}", *web, _SEARCH],
            str(logs / "search.log"),
        ),
    ]
    for queue in QUEUES:
        processes.append(
            Process(
                f"worker-{queue}",
                [
                    *celery,
                    "worker",
                    f"--queues={queue}",
                    f"--hostname={queue}@%h",
                    "--without-mingle",
                    "--task-events",  # for Flower
                ],
                str(logs / f"worker-{queue}.log"),
            )
        )
    processes.append(
        Process(
            "beat",
            [*celery, "beat", "--schedule", str(stack_dir(settings) / "celerybeat-schedule")],
            str(logs / "beat.log"),
        )
    )
    processes.append(
        Process(
            "flower",
            # --logging=none: Flower's lines go to the JSON handler of workers.worker
            [
                *celery,
                "flower",
                f"--address={ports.host}",
                f"--port={ports.flower}",
                "--logging=none",
            ],
            str(logs / "flower.log"),
        )
    )
    return processes


def check(settings: Settings) -> None:
    missing = [env for env, name in REQUIRED if not getattr(settings, name)]
    if missing:
        raise ConfigurationError("the full stack needs these settings: " + ", ".join(missing))
    settings.resolved_secret_key()


def environment(settings: Settings) -> dict[str, str]:
    """What every process reads: this environment, the full-stack mode, the secret."""
    env = dict(os.environ)
    env["CARNET_MODE"] = "full"
    env["CARNET_SECRET_KEY"] = settings.resolved_secret_key()
    env["CARNET_DATA_DIR"] = str(settings.data_dir.resolve())
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _start_time(pid: int) -> int | None:
    """The process's start time from /proc (None where there is no /proc, or no process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields follow the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has finished; nothing is left to stop
        return None
    return int(fields[19])


def alive(process: Process) -> bool:
    """Is the process we started still there (and not another one under a reused pid)?"""
    if process.pid <= 0:
        return False
    started = _start_time(process.pid)
    if Path("/proc").is_dir():
        return started is not None and started == process.started
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if Path("/proc").is_dir():
        return any(_in_group(entry.name, pgid) for entry in Path("/proc").iterdir())
    return True


def _in_group(name: str, pgid: int) -> bool:
    if not name.isdigit():
        return False
    try:
        stat = Path(f"/proc/{name}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0] != "Z" and int(fields[2]) == pgid


def spawn(process: Process, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    Path(process.log).parent.mkdir(parents=True, exist_ok=True)
    with open(process.log, "ab") as log:
        child = subprocess.Popen(
            process.argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group: down stops it and its children
        )
    process.pid = child.pid
    process.started = _start_time(child.pid)
    return child


def stop(processes: list[Process], timeout: float = STOP_TIMEOUT) -> list[str]:
    """A graceful stop: SIGTERM to each process we started (its main process only: a
    Celery worker then finishes its running tasks, gunicorn its requests), wait for its
    whole group to end, SIGKILL what is left after ``timeout``; the names stopped."""
    ours = [p for p in processes if alive(p)]
    for process in ours:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_group_alive(p.pid) for p in ours):
        time.sleep(0.1)
    for process in ours:
        if _group_alive(process.pid):
            signal_group(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_group_alive(p.pid) for p in ours):
        time.sleep(0.1)
    return [p.name for p in ours]


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except Exception:
        return False


def _workers_answer(settings: Settings, expected: set[str]) -> bool:
    from workers.celery_app import create_celery

    app = create_celery(settings)
    try:
        replies = app.control.ping(timeout=1.0)
    except Exception:
        return False
    finally:
        app.close()
    names = {name.split("@", 1)[0] for reply in replies for name in reply}
    return expected <= names


def readiness(settings: Settings, ports: Ports) -> dict[str, Callable[[], bool]]:
    base = f"http://{ports.host}"
    return {
        "records": lambda: _http_ok(f"{base}:{ports.records}/readyz"),
        "search": lambda: _http_ok(f"{base}:{ports.search}/readyz"),
        "workers": lambda: _workers_answer(settings, set(QUEUES)),
        "flower": lambda: _http_ok(f"{base}:{ports.flower}/healthcheck"),
    }


def up(
    settings: Settings,
    ports: Ports,
    *,
    timeout: float = 90.0,
    say: Callable[[str], Any] = print,
) -> State:
    """Start the supervisor, which starts every process; wait until each answers.

    The database must be at this release's schema (``carnet db upgrade``). On
    failure everything started is stopped.
    """
    check(settings)
    path = state_path(settings)
    previous = State.load(path)
    if previous and any(alive(p) for p in previous.everything):
        raise StackError(f"the stack already runs (see {path}); run `carnet stack down` first")
    _check_schema(settings)
    path.unlink(missing_ok=True)
    supervisor = Process(
        "supervisor",
        [
            sys.executable,
            "-m",
            "carnet.supervise",
            f"--host={ports.host}",
            f"--records-port={ports.records}",
            f"--search-port={ports.search}",
            f"--flower-port={ports.flower}",
        ],
        str(stack_dir(settings) / "logs" / "supervisor.log"),
    )
    spawn(supervisor, environment(settings), Path.cwd())
    say(f"started the supervisor (pid {supervisor.pid}), log {supervisor.log}")
    try:
        state = _wait_started(path, supervisor, len(plan(settings, ports)), timeout)
        for process in state.processes:
            say(f"started {process.name} (pid {process.pid}), log {process.log}")
        _wait_ready(path, readiness(settings, ports), timeout, say)
    except BaseException:
        down(settings, say=lambda _: None)
        stop([supervisor])
        raise
    return state


def _check_schema(settings: Settings) -> None:
    from records_svc import migrate
    from records_svc.db import Database

    db = Database(settings.resolved_database_url)
    try:
        migrate.check_current(db.engine)
    except migrate.SchemaOutOfDateError as exc:
        raise StackError(str(exc)) from exc
    finally:
        db.dispose()


def _wait_started(path: Path, supervisor: Process, count: int, timeout: float) -> State:
    deadline = time.monotonic() + timeout
    while True:
        state = State.load(path)
        if state and state.supervisor and len(state.processes) == count:
            return state
        if not alive(supervisor):
            raise StackError(f"the supervisor exited at start (see {supervisor.log})")
        if time.monotonic() > deadline:
            raise StackError(f"the supervisor did not start the stack in {timeout:.0f} s")
        time.sleep(0.1)


def _wait_ready(
    path: Path, checks: dict[str, Callable[[], bool]], timeout: float, say: Callable[[str], Any]
) -> None:
    pending = dict(checks)
    deadline = time.monotonic() + timeout
    while pending:
        state = State.load(path)
        if state is None or state.supervisor is None or not alive(state.supervisor):
            raise StackError("the supervisor exited at start (see its log)")
        for name, ready in list(pending.items()):
            if ready():
                say(f"{name} ready")
                del pending[name]
        if pending and time.monotonic() > deadline:
            raise StackError(
                f"not ready after {timeout:.0f} s: {', '.join(pending)} (see the logs)"
            )
        if pending:
            time.sleep(0.3)


def down(
    settings: Settings, say: Callable[[str], Any] = print, timeout: float = STOP_TIMEOUT
) -> list[str]:
    """Stop what ``up`` started (nothing else), gracefully, and forget it.

    The supervisor stops the processes (warm shutdown: running tasks and requests
    finish); whatever is still there afterwards (a supervisor killed with -9) is
    stopped here.
    """
    path = state_path(settings)
    state = State.load(path)
    if state is None:
        return []
    running = [p.name for p in state.processes if alive(p)]
    if state.supervisor is not None and alive(state.supervisor):
        os.kill(state.supervisor.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout + 10
        while alive(state.supervisor) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop([state.supervisor], timeout=1)
        state = State.load(path) or state  # the pids of processes it restarted
    stop(state.processes, timeout=timeout)
    for name in running:
        say(f"stopped {name}")
    path.unlink(missing_ok=True)
    return running


def status(settings: Settings) -> list[tuple[Process, bool]]:
    state = State.load(state_path(settings))
    return [(p, alive(p)) for p in state.everything] if state else []
