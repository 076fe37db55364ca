"""Query families: what a salesperson types on a phone, each query with the entries it
must find, so that ``carnet bench search`` reports recall@10 per family.

Each query is made from one entry of the generated directory (its label transformed
as the family says: without accents, without the apostrophe, with a typo, …); the
entries it should find are every visible entry with the same folded label (names
repeat), or, for postal codes and departments, every visible account there.
recall@10 = |top 10 ∩ relevant| / min(10, |relevant|).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from carnet.fakedata import DIRECTORY_LAST_NAMES, directory
from search_svc import normalize, typos

TOP = 10
FAMILIES = (
    "accent_free",
    "elision",
    "joined_hyphen",
    "particle",
    "saint_st",
    "and_et",
    "typo_1",
    "typo_2",
    "postal_code",
    "department",
    "last_name_first",
    "shared_prefix",
)
#: families whose queries carry typos (target recall 0.90; the others 0.98)
TYPO_FAMILIES = frozenset({"typo_1", "typo_2"})
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class FamilyQuery:
    family: str
    text: str
    #: doc ids ("account:12", "contact:7") that count as found
    relevant: frozenset[str]


def _fold(text: str) -> str:
    return " ".join(normalize.tokens(text))


def _elision(label: str) -> str | None:
    joined = re.sub(r"(\w)['’](\w)", r"\1\2", label)
    return _fold(joined) if joined != label else None


def _hyphen(label: str) -> str | None:
    joined = re.sub(r"(\w)-(\w)", r"\1\2", label)
    return _fold(joined) if joined != label else None


def _particle(label: str) -> str | None:
    joined = re.sub(r"\b(le|la|de|du|da|des|van|von) (\w)", r"\1\2", label, flags=re.IGNORECASE)
    return _fold(joined) if joined != label else None


def _saint(label: str) -> str | None:
    short = re.sub(r"\bSainte\b", "ste", re.sub(r"\bSaint\b", "st", label))
    return _fold(short) if short != label else None


def _and_et(label: str) -> str | None:
    if "&" in label:
        return _fold(label.replace("&", " et "))
    if " et " in label:
        return _fold(label).replace(" et ", " & ")
    return None


def _accent_free(label: str) -> str | None:
    return _fold(label) if any(ord(c) > 127 for c in label) else None


def _typo(word: str, edits: int, rng: random.Random) -> str:
    """``word`` with ``edits`` random edits (insert, delete, substitute, swap neighbours),
    never on the first letter, keeping the length a query needs to be allowed them."""
    shortest = typos.TWO_TYPOS if edits == 2 else typos.ONE_TYPO
    for _ in range(100):
        typed = word
        for _ in range(edits):
            kind = rng.choice(("insert", "delete", "substitute", "swap"))
            at = rng.randrange(1, len(typed))
            if kind == "insert":
                typed = typed[:at] + rng.choice(LETTERS) + typed[at:]
            elif kind == "delete" and len(typed) > shortest:
                typed = typed[:at] + typed[at + 1 :]
            elif kind == "swap" and at + 1 < len(typed):
                typed = typed[:at] + typed[at + 1] + typed[at] + typed[at + 2 :]
            else:
                typed = typed[:at] + rng.choice(LETTERS.replace(typed[at], "")) + typed[at + 1 :]
        if typed != word and typos.distance(typed, word, edits) == edits:
            return typed
    return word


def _typo_query(label: str, edits: int, rng: random.Random) -> str | None:
    words = normalize.tokens(label)
    shortest = typos.TWO_TYPOS if edits == 2 else typos.ONE_TYPO
    candidates = [i for i, w in enumerate(words) if len(w) >= shortest and w.isalpha()]
    if not candidates:
        return None
    at = rng.choice(candidates)
    words[at] = _typo(words[at], edits, rng)
    return " ".join(words)


def _shared_prefix_pairs() -> list[tuple[str, str]]:
    """Pairs of last names sharing their first three letters (``moreau morel``, ``girard
    giraud``): both words fall back to the same 3-letter doclist, the slow case of a
    two-word query."""
    by_start: dict[str, list[str]] = {}
    for name in sorted({_fold(n) for n in DIRECTORY_LAST_NAMES}):
        if " " not in name and len(name) >= 5:
            by_start.setdefault(name[:3], []).append(name)
    return [(a, b) for names in by_start.values() for a in names for b in names if a != b]


@dataclass
class _Entry:
    doc_id: str
    label: str
    postal_code: str | None
    contact: tuple[str, str] | None  # first, last


def _entries(entries: int, seed: int) -> Iterable[tuple[_Entry, bool]]:
    """Every entry of the directory, and whether a seller sees it."""
    for account, people in directory(entries, seed):
        yield (
            _Entry(f"account:{account.id}", account.name, account.postal_code, None),
            (not account.closed),
        )
        for c in people:
            label = f"{c.first_name} {c.last_name}"
            yield (
                _Entry(f"contact:{c.id}", label, None, (c.first_name, c.last_name)),
                (not account.closed),
            )


def family_queries(entries: int, seed: int, per_family: int) -> list[FamilyQuery]:
    """Up to ``per_family`` queries of each family, from entries spread over the directory."""
    rng = random.Random(seed * 104729 + 7)
    by_label: dict[str, list[str]] = {}
    by_postal: dict[str, list[str]] = {}
    targets: list[_Entry] = []
    pairs = _shared_prefix_pairs()
    paired: dict[str, set[str]] = {}  # first 3 letters -> the paired names starting so
    for a, _ in pairs:
        paired.setdefault(a[:3], set()).add(a)
    by_word: dict[str, set[str]] = {}  # paired name -> entries with a label word starting so
    for entry, visible in _entries(entries, seed):
        if not visible:
            continue
        folded = _fold(entry.label)
        by_label.setdefault(folded, []).append(entry.doc_id)
        for word in folded.split():
            for name in paired.get(word[:3], ()):
                if word.startswith(name):
                    by_word.setdefault(name, set()).add(entry.doc_id)
        if entry.postal_code:
            by_postal.setdefault(entry.postal_code, []).append(entry.doc_id)
        if rng.random() < 0.05:
            targets.append(entry)
    rng.shuffle(targets)
    made: dict[str, list[FamilyQuery]] = {f: [] for f in FAMILIES}

    def add(family: str, text: str | None, relevant: Iterable[str]) -> None:
        if text and len(made[family]) < per_family and normalize.query_tokens(text):
            made[family].append(FamilyQuery(family, text[:100], frozenset(relevant)))

    # (frozensets are shared, not copied, by the postal code and department queries)

    makers: dict[str, Callable[[str], str | None]] = {
        "accent_free": _accent_free,
        "elision": _elision,
        "joined_hyphen": _hyphen,
        "particle": _particle,
        "saint_st": _saint,
        "and_et": _and_et,
        "typo_1": lambda label: _typo_query(label, 1, rng),
        "typo_2": lambda label: _typo_query(label, 2, rng),
    }
    postal = {code: frozenset(ids) for code, ids in by_postal.items()}
    departments: dict[str, frozenset[str]] = {}
    for code, ids in postal.items():
        departments[code[:2]] = departments.get(code[:2], frozenset()) | ids
    for entry in targets:
        same = by_label[_fold(entry.label)]
        for family, make in makers.items():
            add(family, make(entry.label), same)
        if entry.postal_code:
            add("postal_code", entry.postal_code, postal[entry.postal_code])
            add("department", entry.postal_code[:2], departments[entry.postal_code[:2]])
        if entry.contact:
            first, last = entry.contact
            add("last_name_first", _fold(f"{last} {first}"), same)
    # Latency first: what must be found is every entry whose name holds both words.
    for index in range(per_family):
        a, b = pairs[index % len(pairs)]
        typed = b[: rng.randint(4, len(b))] if index >= len(pairs) else b
        both = by_word.get(a, set()) & {
            d for name, ids in by_word.items() if name.startswith(typed) for d in ids
        }
        add("shared_prefix", f"{a} {typed}", both)
    return [q for family in FAMILIES for q in made[family]]


def recall(found: Sequence[str], relevant: frozenset[str]) -> float:
    if not relevant:
        return 1.0
    return len(set(found[:TOP]) & relevant) / min(TOP, len(relevant))


Run = Callable[[FamilyQuery], tuple[list[str], float, float]]


def report(queries: Sequence[FamilyQuery], run: Run) -> dict[str, Any]:
    """recall@10 and latency per family; ``run`` answers doc ids, wall milliseconds and
    CPU milliseconds of the calling thread (on a shared machine, the wall clock also
    counts the other processes' turns)."""
    from carnet.bench.measure import summary

    out: dict[str, Any] = {}
    for family in FAMILIES:
        mine = [q for q in queries if q.family == family]
        if not mine:
            out[family] = {"count": 0, "note": "no such names in the generated directory"}
            continue
        recalls, times, cpu = [], [], []
        for query in mine:
            found, ms, cpu_ms = run(query)
            recalls.append(recall(found, query.relevant))
            times.append(ms)
            cpu.append(cpu_ms)
        out[family] = {"recall_at_10": sum(recalls) / len(recalls), **summary(times)}
        if not any(math.isnan(c) for c in cpu):
            out[family].update({f"cpu_{k}": v for k, v in summary(cpu).items() if k != "count"})
    return out
