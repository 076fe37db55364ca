"""The query log: what people type, key stroke by key stroke."""

from __future__ import annotations

import random
from dataclasses import dataclass

from carnet.fakedata import directory
from search_svc import normalize

#: queries that match nothing in a generated directory (no such words or numbers)
NO_MATCH = ("zyx", "qwv", "xkcd", "wxq", "zzz", "kwyj", "pfft", "brrzt", "0000000", "jqx")
#: latency is reported per query length, in these buckets (characters typed)
LENGTH_BUCKETS = ((1, 1), (2, 2), (3, 3), (4, 5), (6, 8), (9, 100))


@dataclass(frozen=True)
class Query:
    text: str
    shape: str  # prefix | two_words | digits | no_match

    @property
    def bucket(self) -> str:
        length = len(self.text)
        for low, high in LENGTH_BUCKETS:
            if low <= length <= high:
                return str(low) if low == high else f"{low}-{high if high < 100 else '+'}"
        return "long"


def _prefixes(word: str) -> list[str]:
    return [word[:n] for n in range(1, len(word) + 1)]


def query_log(entries: int, seed: int, samples: int) -> list[Query]:
    """For ``samples`` entries spread over the directory: the successive prefixes of the
    name's first word as typed (with its accents), two-word queries in both orders, the
    SIREN's digit prefixes (with and without a space), and queries that match nothing."""
    rng = random.Random(seed * 7919 + 1)
    every = max(entries // max(samples, 1), 1)
    log: list[Query] = []
    for index, (account, people) in enumerate(directory(entries, seed)):
        if index % max(every // 3, 1):  # about one account in `every / 3` (and its contacts)
            continue
        if people and rng.random() < 0.7:
            person = rng.choice(people)
            name = f"{person.first_name} {person.last_name}"
        else:
            name = account.name
        words = [w for w in name.replace("'", " ").replace("-", " ").split() if len(w) > 1]
        first, *rest = words or [name]
        log += [Query(p, "prefix") for p in _prefixes(first)]
        if rest:
            other = max(rest, key=len)
            a, b = first[: rng.randint(1, len(first))], other[: rng.randint(2, len(other))]
            log += [Query(f"{a} {b}", "two_words"), Query(f"{b} {a}", "two_words")]
        if rng.random() < 0.3:
            cut = rng.randint(1, 9)
            log.append(Query(account.siren[:cut], "digits"))
            if cut > 3:
                log.append(Query(f"{account.siren[:3]} {account.siren[3:cut]}", "digits"))
        if len(log) >= samples * 9:
            break
    log += [Query(q, "no_match") for q in NO_MATCH for _ in range(max(samples // 50, 1))]
    rng.shuffle(log)
    return [q for q in log if normalize.query_tokens(q.text)]
