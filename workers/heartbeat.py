"""Worker liveness without Flower: each worker writes a Redis key per queue it consumes,
with a time to live; the records service's ``/readyz`` reads the indexing one.

A worker that dies (killed, or ended by an unrecoverable error) stops writing,
and its key expires after ``ttl`` seconds: ``/readyz`` answers 503 naming it.
The key (``Settings.worker_heartbeat_key``) lives beside Celery's own (same
Redis, same key prefix).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time

import redis

from config import Settings

log = logging.getLogger(__name__)


class Heartbeat:
    """A daemon thread that writes the key of each queue every few seconds, with a TTL."""

    def __init__(self, settings: Settings, queues: list[str]) -> None:
        self.url = settings.broker_url or ""
        self.keys = [settings.worker_heartbeat_key(queue) for queue in queues]
        self.interval = settings.worker_heartbeat_seconds
        self.ttl = settings.worker_heartbeat_ttl
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._value = json.dumps({"host": socket.gethostname(), "pid": os.getpid()})

    def beat(self, client: redis.Redis) -> None:
        value = json.dumps({**json.loads(self._value), "at": time.time()})
        pipe = client.pipeline(transaction=False)
        for name in self.keys:
            pipe.set(name, value, ex=self.ttl)
        pipe.execute()

    def _run(self) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
        failing = False
        try:
            while not self._stop.is_set():
                try:
                    self.beat(client)
                    if failing:
                        log.info("heartbeat written again")
                    failing = False
                except redis.RedisError as exc:
                    if not failing:  # once per outage, not every beat
                        log.warning("could not write the heartbeat: %s", exc)
                    failing = True
                self._stop.wait(self.interval)
        finally:
            client.close()

    def start(self) -> None:
        if self.url.startswith(("redis://", "rediss://")) and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="carnet-heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
