"""Look-up results kept for a while, so that a repeated look-up makes no second call.

Redis in the full stack (shared by the workers), a bounded dict embedded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol


class ResultCache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None: ...


class RedisResultCache:
    def __init__(self, client: Any, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.client.get(self.prefix + key)
        return None if raw is None else dict(json.loads(raw))

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        if ttl > 0:
            self.client.set(self.prefix + key, json.dumps(value, ensure_ascii=False), ex=ttl)


class MemoryResultCache:
    """In process, least recently used entries dropped past ``max_entries``."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
