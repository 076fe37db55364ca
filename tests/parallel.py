"""How a parallel run (``pytest -n N``, pytest-xdist) shares the suite among its workers.

A test is a unit of work of its own, which any worker may take, except:

- the browser tests, one unit: they share one ``carnet serve`` with the demo data and
  one Chromium (session fixtures of ``tests/browser/conftest.py``);
- the files of ``TOGETHER``, one unit each: their module-scoped fixtures (the full stack,
  a real Celery worker, a child process) start once for the file. A file that gains a
  module-scoped fixture worth sharing joins the list (outside it, the fixture still
  works: it starts once per worker that runs tests of the file).

A worker takes the next unit when it is nearly done with its own; the units of ``FIRST``
go first (the browser unit, then the files whose tests run for a minute or more), so
that no long test starts last and keeps one worker busy while the others wait.

(pytest-xdist's own ``--dist loadgroup`` reads ``xdist_group`` marks through a node id
that pytest 9.2 no longer lets a plugin change; the controller sees node ids only, so
the units here are drawn from them.)
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from xdist.scheduler import LoadScopeScheduling

BROWSER = "tests/browser/"

#: files whose tests share module-scoped fixtures: one unit each
TOGETHER = frozenset(
    {
        "tests/stack/test_e2e.py",
        "tests/stack/test_compose.py",
        "tests/search/test_worker.py",
        "tests/imports/test_worker.py",
        "tests/documents/test_worker.py",
    }
)

#: what starts first, in this order (path prefixes)
FIRST = (
    BROWSER,
    "tests/bench/test_bench.py",
    "tests/records/test_authz_matrix.py",
    "tests/stack/",
    "tests/history/test_history.py",
    "tests/records/test_exports.py",
    "tests/test_openapi_fuzz.py",
    "tests/test_cli.py",
)


def unit_of(nodeid: str) -> str:
    """The unit of work of a test: the browser tests, its file, or the test alone."""
    path = nodeid.split("::", 1)[0]
    if path.startswith(BROWSER):
        return BROWSER
    return path if path in TOGETHER else nodeid


def rank_of(unit: str) -> int:
    return next((rank for rank, prefix in enumerate(FIRST) if unit.startswith(prefix)), len(FIRST))


class _FirstThingsFirst(OrderedDict[str, Any]):
    """The queue of units: xdist fills it (most tests first) and takes from the front;
    the front here is the unit of best rank, in filling order among equals."""

    def __init__(self) -> None:
        super().__init__()
        self._ranks: dict[str, int] = {}

    def popitem(self, last: bool = True) -> tuple[str, Any]:
        if last or not self:
            return super().popitem(last)
        ranks = self._ranks
        unit = min(self, key=lambda u: ranks[u] if u in ranks else ranks.setdefault(u, rank_of(u)))
        return unit, self.pop(unit)


class UnitScheduling(LoadScopeScheduling):
    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        self.workqueue = _FirstThingsFirst()

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)
