"""The one text normalisation of Carnet search, shared by both backends and the tests.

Case and accents fold (é→e, ç→c, œ→oe, æ→ae, ß→ss); anything that is not a
letter or a digit separates words (spaces, hyphens, apostrophes, punctuation),
and "&" is the word "et". Each folded word keeps the offsets of the original
characters it came from, so that matches can be highlighted in the text the
user sees.

The forgiving rules live here too, applied to documents and queries alike:
joined forms of elided, hyphenated and particle names (:func:`joined_forms`),
the synonyms st/saint and ste/sainte (:data:`SYNONYMS`), and the weak words
(particles and legal forms) that never decide the ranking (:data:`WEAK`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from search_svc import typos

_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ẞ": "ss", "ø": "o", "Ø": "o"}
#: a character that is a word of its own ("Dupont & Fils" is "dupont et fils")
_WORD_CHARS = {"&": "et"}
#: the one list of synonyms: each word also finds the other (documents carry both)
SYNONYMS = {"st": "saint", "saint": "st", "ste": "sainte", "sainte": "ste"}
#: name particles: "Le Goff" is also indexed as "legoff", "de la Tour" as "delatour", "latour"
PARTICLES = frozenset(
    [
        "d",
        "l",
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "van",
        "von",
        "der",
        "den",
        "ten",
        "ter",
        "di",
        "da",
        "del",
        "della",
        "dos",
        "das",
        "el",
        "al",
        "ben",
        "mac",
        "mc",
    ]
)
#: legal forms: searchable, but never a name's first word for the ranking
LEGAL_FORMS = frozenset(
    [
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sci",
        "snc",
        "scop",
        "scp",
        "scm",
        "selarl",
        "selas",
        "sca",
        "scs",
        "gie",
        "ei",
        "eirl",
        "earl",
        "gaec",
        "sem",
    ]
)
WEAK = PARTICLES | LEGAL_FORMS | {"et"}


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
        if char in _WORD_CHARS:
            if folded:
                out.append(Word("".join(folded), start, tuple(ends)))
                folded, ends = [], []
            word = _WORD_CHARS[char]
            out.append(Word(word, index, (index + 1,) * len(word)))
            continue
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
        char = chr(code)
        value = f" {_WORD_CHARS[char]} " if char in _WORD_CHARS else fold_char(char) or " "
        self[code] = value
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


def joined_forms(text: str | None) -> list[str]:
    """The joined forms a name is also found by, as typed on a phone without the
    apostrophe, hyphen or space: "L'Oréal" → loreal, "Jean-Pierre" → jeanpierre,
    "Le Goff" → legoff, "de la Tour" → delatour, latour."""
    if not text:
        return []
    out: list[str] = []
    flat: list[str] = []
    for chunk in text.split():
        parts = tokens(chunk)
        if len(parts) > 1:
            out.append("".join(parts))
        flat += parts
    for index, word in enumerate(flat):
        if word in PARTICLES:
            end = index
            while end < len(flat) and flat[end] in PARTICLES:
                end += 1
            if end < len(flat) and end > index:
                out.append("".join(flat[index : end + 1]))
    return list(dict.fromkeys(out))


def with_synonyms(words: list[str]) -> list[str]:
    """``words`` and the synonyms of those that have one ("st" → st, saint)."""
    return words + [SYNONYMS[w] for w in words if w in SYNONYMS]


def head_word(words: list[str]) -> str:
    """The word that counts as a name's first for the ranking: the first that is not weak."""
    return next((w for w in words if w not in WEAK), words[0] if words else "")


def sort_text(text: str | None) -> str:
    """The folded words joined by single spaces: the order of names, and their prefix test."""
    return " ".join(tokens(text))


@lru_cache(maxsize=65536)
def _label_words(label: str) -> tuple[Word, ...]:
    """Labels repeat (names do): their words are computed once per process."""
    return tuple(words(label))


def highlight(label: str, query: list[str], *, typos: bool = False) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of ``label`` whose words begin with a query word (or its
    synonym), or whose run of words joined begins with one ("loreal" → "L'Oréal");
    with ``typos``, also the words a mistyped query word stands for ("lefebre")."""
    ranges: list[tuple[int, int]] = []
    query = with_synonyms(query)
    label_words = _label_words(label)
    covered = -1
    for index, word in enumerate(label_words):
        if word.start < covered:
            continue
        longest = max((len(q) for q in query if word.text.startswith(q)), default=0)
        if not longest and typos:
            longest = _typo_length(word.text, query)
        if longest:
            ranges.append((word.start, word.original_end(longest)))
            continue
        end = _joined_end(label_words[index:], query)
        if end:
            ranges.append((word.start, end))
            covered = end
    return ranges


def _typo_length(word: str, query: list[str]) -> int:
    """How much of ``word`` a mistyped query word stands for (0: none)."""
    for q in query:
        limit = typos.allowed_typos(q)
        length = typos.best_prefix_length(q, word, limit) if limit else 0
        if length:
            return length
    return 0


def _joined_end(run: tuple[Word, ...], query: list[str]) -> int:
    """Where a query word typed without the apostrophe or hyphen ends in the label, when
    the words of ``run`` joined begin with it; 0 when none does."""
    for q in query:
        rest = q
        for word in run:
            if not rest.startswith(word.text):
                if word.text.startswith(rest) and rest != q:
                    return word.original_end(len(rest))
                break
            rest = rest[len(word.text) :]
            if not rest:
                return word.original_end(len(word.text)) if word is not run[0] else 0
    return 0
