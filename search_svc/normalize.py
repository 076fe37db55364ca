"""The one text normalisation of Carnet search, shared by both backends and the tests.

Case and accents fold (é→e, ç→c, œ→oe, æ→ae, ß→ss); anything that is not a
letter or a digit separates words (spaces, hyphens, apostrophes, punctuation).
Each folded word keeps the offsets of the original characters it came from,
so that matches can be highlighted in the text the user sees.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ẞ": "ss", "ø": "o", "Ø": "o"}


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """The folded form of one character: '' when it separates words."""
    if char in _LIGATURES:
        return _LIGATURES[char]
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c for c in kept if c.isalnum())


@dataclass(frozen=True)
class Word:
    """A folded word and, for each folded character, the end offset in the original text."""

    text: str
    start: int
    ends: tuple[int, ...]

    def original_end(self, folded_length: int) -> int:
        """End offset (exclusive) in the original text of the first ``folded_length`` chars."""
        return self.ends[min(folded_length, len(self.ends)) - 1]


def words(text: str) -> list[Word]:
    """The folded words of ``text`` with their positions in it."""
    out: list[Word] = []
    folded: list[str] = []
    ends: list[int] = []
    start = 0
    for index, char in enumerate(text):
        piece = fold_char(char)
        if not piece:
            if folded:
                out.append(Word("".join(folded), start, tuple(ends)))
                folded, ends = [], []
            continue
        if not folded:
            start = index
        folded.append(piece)
        ends.extend([index + 1] * len(piece))
    if folded:
        out.append(Word("".join(folded), start, tuple(ends)))
    return out


class _FoldTable(dict[int, str]):
    """``str.translate`` table: each character to its folded form, or a space when it
    separates words; filled on first sight of a character (a few hundred in practice)."""

    def __missing__(self, code: int) -> str:
        value = self[code] = fold_char(chr(code)) or " "
        return value


_FOLD = _FoldTable()


def tokens(text: str | None) -> list[str]:
    """The folded words of ``text``: ``"Jean-Pierre d'Estienne"`` → jean, pierre, d, estienne.

    The same words as :func:`words`, without the offsets: one ``str.translate`` in C
    instead of a loop in Python, since indexing a million entries calls it millions of times.
    """
    return text.translate(_FOLD).split() if text else []


def digits(text: str | None) -> str:
    """Only the digits: SIREN/SIRET are indexed whole, whatever the spacing they were typed with."""
    return "".join(c for c in (text or "") if c.isdigit())


def query_tokens(text: str) -> list[str]:
    """The words of a query; consecutive all-digit words join ("552 120 222" → "552120222"),
    so that numbers match by prefix with or without spaces."""
    out: list[str] = []
    previous_digits = False
    for token in tokens(text):
        is_digits = token.isdigit()
        if is_digits and previous_digits:
            out[-1] += token
        else:
            out.append(token)
        previous_digits = is_digits
    return out


def sort_text(text: str | None) -> str:
    """The folded words joined by single spaces: the order of names, and their prefix test."""
    return " ".join(tokens(text))


@lru_cache(maxsize=65536)
def _label_words(label: str) -> tuple[Word, ...]:
    """Labels repeat (names do): their words are computed once per process."""
    return tuple(words(label))


def highlight(label: str, query: list[str]) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of ``label`` whose words begin with a query word."""
    ranges: list[tuple[int, int]] = []
    for word in _label_words(label):
        longest = max((len(q) for q in query if word.text.startswith(q)), default=0)
        if longest:
            ranges.append((word.start, word.original_end(longest)))
    return ranges
