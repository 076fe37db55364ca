"""How long a new prospect takes to be found by search on a running stack.

    .venv/bin/python scripts/stack_latency.py --records http://127.0.0.1:8001 \\
        --search http://127.0.0.1:8002 --username alice --password '…' -n 50

Creates N prospects one after the other (named ``Latence <random> <i>``), polls
search by the first letters of the name until each is found, prints the
distribution, then deletes them.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="http://127.0.0.1:8001")
    parser.add_argument("--search", default="http://127.0.0.1:8002")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args()
    http = requests.Session()
    token = http.post(
        f"{args.records}/api/v1/auth/token",
        json={"username": args.username, "password": args.password},
        timeout=10,
    ).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    word = "Lat" + uuid.uuid4().hex[:8]
    delays, created = [], []
    for i in range(args.n):
        reply = http.post(
            f"{args.records}/api/v1/prospects", json={"name": f"{word} {i}"}, timeout=10
        )
        reply.raise_for_status()
        started = time.perf_counter()
        prospect_id = reply.json()["id"]
        created.append(prospect_id)
        while True:
            items = http.get(
                f"{args.search}/api/v1/search", params={"q": f"{word[:7]} {i}"}, timeout=10
            ).json()["items"]
            if any(item["id"] == prospect_id for item in items):
                break
            time.sleep(0.01)
        delays.append(time.perf_counter() - started)
    for prospect_id in created:
        http.delete(f"{args.records}/api/v1/prospects/{prospect_id}", timeout=10)
    delays.sort()
    p95 = delays[min(len(delays) - 1, round(0.95 * len(delays)) - 1)]
    print(
        f"n={len(delays)} created→found: median {statistics.median(delays) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
