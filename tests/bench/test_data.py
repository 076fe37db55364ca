"""The benchmark's generated directory and query log: realistic and deterministic."""

from __future__ import annotations

from collections import Counter

from carnet.bench.queries import query_log
from carnet.fakedata import directory
from records_svc.domain import numbers


def test_the_directory_is_deterministic_for_a_seed_and_has_the_size_asked() -> None:
    first = list(directory(2000, seed=7))
    assert list(directory(2000, seed=7)) == first
    assert list(directory(2000, seed=8)) != first
    assert sum(1 + len(people) for _, people in first) == 2000


def test_the_directory_looks_like_a_french_one() -> None:
    accounts = []
    people = []
    for account, contacts in directory(20_000, seed=3):
        accounts.append(account)
        people += contacts
    for account in accounts:
        assert numbers.validate_siren(account.siren) == account.siren
        assert numbers.validate_siret(account.siret) == account.siret
        assert account.siret.startswith(account.siren)
        assert account.legal_name.split()[-1] in ("SAS", "SARL", "SA", "EURL", "SASU", "SCI", "SNC")
    kinds = Counter(a.kind for a in accounts)
    assert kinds["client"] and kinds["prospect"]
    closed = sum(a.closed for a in accounts) / kinds["client"]
    assert 0.03 < closed < 0.07  # about 5 % of clients are closed
    assert not any(a.closed for a in accounts if a.kind == "prospect")
    names = " ".join(f"{p.first_name} {p.last_name}" for p in people)
    for sign in ("é", "è", "ç", "-", "'", "œ"):
        assert sign in names.lower()
    assert len({a.id for a in accounts}) == len(accounts)
    assert len({p.id for p in people}) == len(people)


def test_the_query_log_imitates_typing() -> None:
    log = query_log(5000, seed=1, samples=40)
    assert log == query_log(5000, seed=1, samples=40)
    shapes = Counter(q.shape for q in log)
    assert set(shapes) == {"prefix", "two_words", "digits", "no_match"}
    texts = {q.text for q in log}
    # a word typed letter by letter: every prefix of it is in the log
    word = max((q.text for q in log if q.shape == "prefix"), key=len)
    assert all(word[:n] in texts for n in range(1, len(word) + 1))
    assert {q.bucket for q in log} >= {"1", "2", "3", "4-5", "6-8"}
