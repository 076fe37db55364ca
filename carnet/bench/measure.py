"""Latency statistics, the search service as a real HTTP server, HTTP clients, memory."""

from __future__ import annotations

import http.client
import math
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy

from carnet.bench.queries import Query


def percentile(sorted_ms: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_ms:
        return math.nan
    rank = max(math.ceil(pct / 100 * len(sorted_ms)), 1)
    return sorted_ms[rank - 1]


def summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    values = sorted(latencies_ms)
    return {
        "count": len(values),
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "p99_ms": percentile(values, 99),
        "max_ms": values[-1] if values else math.nan,
    }


@dataclass
class Timings:
    """Latencies of one backend, overall and per query-length bucket."""

    samples: list[tuple[Query, float]] = field(default_factory=list)
    errors: int = 0
    wall_seconds: float = 0.0

    def add(self, query: Query, ms: float) -> None:
        self.samples.append((query, ms))

    def report(self) -> dict[str, Any]:
        buckets: dict[str, list[float]] = {}
        for query, ms in self.samples:
            buckets.setdefault(query.bucket, []).append(ms)
        out: dict[str, Any] = summary([ms for _, ms in self.samples])
        out["errors"] = self.errors
        if self.wall_seconds:
            out["qps"] = len(self.samples) / self.wall_seconds
        out["by_length"] = {name: summary(values) for name, values in sorted(buckets.items())}
        out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]  # a shared machine
        return out


def timed(run: Callable[[Query], object], log: Sequence[Query]) -> Timings:
    timings = Timings()
    started = time.perf_counter()
    for query in log:
        begin = time.perf_counter()
        run(query)
        timings.add(query, (time.perf_counter() - begin) * 1000)
    timings.wall_seconds = time.perf_counter() - started
    return timings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def resident_bytes(self) -> int:
        """Resident memory of the server: its master process and every worker."""
        return sum(_rss(pid) for pid in [self.process.pid, *_children(self.process.pid)])

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the master process and every worker so far."""
        return sum(_cpu(pid) for pid in [self.process.pid, *_children(self.process.pid)])


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_backends_cpu(engine: sqlalchemy.Engine) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL backend serving ``engine``'s database (client
    connections), or None when the server is not on this machine (its processes unseen).

    What a write costs PostgreSQL, which a busy machine's wall clock hides: difference two
    readings (a backend that appeared in between counts from zero; one that closed in
    between is missing, so the difference is a lower bound)."""
    with engine.connect() as conn:
        pids = list(
            conn.scalars(
                sqlalchemy.text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND backend_type = 'client backend'"
                )
            )
        )
    found: dict[int, float] = {}
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
                return None
        except OSError:
            return None
        found[pid] = _cpu(pid)
    return found


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def answers_ready(port: int, path: str = "/readyz") -> bool:
    """Whether the server on ``port`` answers 200 to ``path``; the answer is read and
    closed whatever its status (a 503 with ``Connection: close`` left its socket open)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        with conn.getresponse() as response:
            response.read()
            return response.status == 200
    finally:
        conn.close()


@contextmanager
def search_server(
    env: dict[str, str], log_path: Path, workers: int, threads: int
) -> Iterator[Server]:
    """The search service under gunicorn (gthread workers), as deployed, on a free port."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "search_svc:create_app()"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)]
    command += ["--worker-class", "gthread", "--keep-alive", "30", "--log-level", "warning"]
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=out)
    server = Server(process, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the search server stopped; see {log_path}")
            try:
                if answers_ready(port):
                    break
            except OSError:  # not listening yet, or too slow to answer on a busy machine
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class SearchClient:
    """One keep-alive HTTP connection, as a browser tab would hold."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}"}

    def search(self, text: str) -> int:
        path = "/api/v1/search?" + urllib.parse.urlencode({"q": text})
        try:
            self.conn.request("GET", path, headers=self.headers)
            with self.conn.getresponse() as reply:
                reply.read()
                return reply.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 0

    def close(self) -> None:
        self.conn.close()


Replay = tuple[list[float], list[bool], float, float]


def _replay(port: int, token: str, texts: Sequence[str], start_at: float) -> Replay:
    """One client: each query on its own keep-alive connection, timed from request to body.
    Clients start together at ``start_at`` (wall clock), once every process is up."""
    client = SearchClient(port, token)
    client.search(texts[0])  # connect before timing
    times: list[float] = []
    ok: list[bool] = []
    time.sleep(max(start_at - time.time(), 0))
    began = time.time()
    for text in texts:
        begin = time.perf_counter()
        status = client.search(text)
        times.append((time.perf_counter() - begin) * 1000)
        ok.append(status == 200)
    ended = time.time()
    client.close()
    return times, ok, began, ended


def http_timings(port: int, token: str, log: Sequence[Query], clients: int) -> Timings:
    """Each of ``clients`` client processes replays its share of the log on its own connection.

    Processes, not threads: clients sharing one interpreter lock would add their own
    waiting to the latency measured (browsers are separate programs).
    """
    shares = [list(log[i::clients]) for i in range(clients)]
    timings = Timings()
    if clients == 1:
        results = [_replay(port, token, [q.text for q in log], 0)]
    else:
        context = multiprocessing.get_context("spawn")
        with context.Pool(clients) as pool:
            start_at = time.time() + 3  # time enough for every process to start
            results = pool.starmap(
                _replay, [(port, token, [q.text for q in share], start_at) for share in shares]
            )
    timings.wall_seconds = max(r[3] for r in results) - min(r[2] for r in results)
    for share, (times, ok, _, _) in zip(shares, results, strict=True):
        for query, ms, good in zip(share, times, ok, strict=True):
            if good:
                timings.add(query, ms)
            else:
                timings.errors += 1
    return timings
