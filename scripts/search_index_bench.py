"""Latency of the SQLite search index alone, in process, at N generated entries.

    .venv/bin/python scripts/search_index_bench.py 1000000 /tmp/bench1m.db

Builds the index through rebuild() (skipped when the file exists), then runs
each query 300 times and prints p50/p99. The product benchmark is
``carnet bench search``; this isolates the index.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from search_svc import documents
from search_svc.backends.base import SearchDocument, SearchQuery
from search_svc.backends.sqlite_fts import SqliteFtsBackend

FIRST = ["Jean", "Marie", "Pierre", "Hélène", "Agnès", "Luc", "Émile", "Zoé", "Noël", "Anaïs"]
FIRST += ["Théo", "Chloé", "Hugo", "Léa", "Paul", "Inès", "Louis", "Manon", "Jules", "Camille"]
LAST = ["Dupré", "Martin", "Bernard", "d'Estienne", "Müller", "Lefèvre", "Girard", "Bonnet"]
LAST += ["Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Leroy", "Moreau"]
LAST += ["Simon", "Laurent", "Michel", "Garcia"]
TRADE = ["Société", "Boulangerie", "Atelier", "Cabinet", "Garage", "Librairie", "Œuvres"]
TRADE += ["Pharmacie", "Hôtel", "Brasserie", "Agence", "Transports", "Menuiserie", "Imprimerie"]
PLACE = ["Générale", "du Centre", "de la Gare", "Lumière", "Saint-Michel", "Belle-Île"]
PLACE += ["des Écoles", "du Port", "Montmartre", "de Bretagne", "L'Oréal", "Vallée", "Côte d'Azur"]
CITIES = ["Paris", "Lyon", "Marseille", "Nantes", "Rennes", "Lille", "Caen", "Annecy", "Brest"]
QUERIES = ["a", "b", "s", "z", "e", "m", "ma", "du", "so", "le", "5", "55", "12", "jean", "dupr"]
QUERIES += ["dupre", "soc gen", "gen soc", "boul cen", "jean dupre", "paris", "552 1", "xyz"]
QUERIES += ["q", "oe", "straße", "l'o", "mont", "belle ile"]


def entry(rng: random.Random, i: int) -> SearchDocument:
    if i % 3:
        last = rng.choice(LAST) + ("" if rng.random() < 0.5 else f"-{rng.choice(LAST)}")
        person = {"id": i, "first_name": rng.choice(FIRST), "last_name": last, "version": 1}
        person["email"] = f"x{i}@example.fr"
        owner = {"id": i, "name": "Acme", "version": 1, "closed": rng.random() < 0.03}
        return documents.contact_document(person, owner)
    name = f"{rng.choice(TRADE)} {rng.choice(PLACE)} {rng.randrange(1000)}"
    return documents.account_document(
        {
            "id": i,
            "kind": rng.choice(["prospect", "client"]),
            "name": name,
            "siren": f"{rng.randrange(10**9):09d}",
            "city": rng.choice(CITIES),
            "status": "draft",
            "closed": rng.random() < 0.03,
            "version": 1,
        }
    )


def build(backend: SqliteFtsBackend, count: int) -> None:
    rng = random.Random(1)
    started = time.perf_counter()
    rebuild = backend.rebuild()
    batch: list[SearchDocument] = []
    for i in range(1, count + 1):
        batch.append(entry(rng, i))
        if len(batch) == 5000:
            rebuild.write(batch)
            batch = []
    rebuild.write(batch)
    rebuild.commit()
    print(f"built {count} entries in {time.perf_counter() - started:.0f} s")


def main(count: int, path: Path) -> None:
    exists = path.exists()
    backend = SqliteFtsBackend(path)
    if not exists:
        build(backend, count)
    every: list[float] = []
    for q in QUERIES:
        query = SearchQuery(q, limit=10)
        backend.search(query)
        times = []
        for _ in range(300):
            start = time.perf_counter()
            backend.search(query)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        every += times
        print(f"{q!r:14} p50 {times[150]:.3f} ms  p99 {times[297]:.3f} ms")
    every.sort()
    print(f"all: p50 {every[len(every) // 2]:.3f} ms  p99 {every[int(len(every) * 0.99)]:.3f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
