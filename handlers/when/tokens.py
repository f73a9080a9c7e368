"""Tokens in a text: every rule's matches, the best non-overlapping cover, and the runs of
adjacent tokens (separated only by spaces and commas) that may form one phrase.
"""

from __future__ import annotations

import re

from handlers.when.grammar import Grammar
from handlers.when.readings import Token

# Time words that are also names: Polish surnames ("Marta Sobota", "Jan Niedziela": Polish
# writes weekdays in lower case) and company names ("Noon Industries", "Evening Post").
NAME_WORDS = frozenset(
    {"poniedzialek", "wtorek", "sroda", "czwartek", "piatek", "sobota", "niedziela",
     "noon", "morning", "evening", "afternoon", "midnight", "poludnie", "polnoc"}
)  # fmt: skip
_WORD_BEFORE = re.compile(r"(\w+) $")
_WORD_AFTER = re.compile(r" (\w+)")


def find_tokens(folded: str, grammar: Grammar, text: str | None = None) -> list[Token]:
    """All rule matches, then the non-overlapping set that covers the most text.

    Taking the leftmost match would let "o 15" hide "15 grudnia"; maximising the covered
    characters (weighted interval scheduling over a handful of matches) does not. With the
    original `text`, a capitalised name word next to another capitalised word is a name.
    """
    found: list[Token] = []
    for rule in grammar.rules:
        for m in rule.pattern.finditer(folded):
            built = rule.build(m)
            if built is not None and m.end() > m.start():
                found.append(Token(m.start(), m.end(), built[0], built[1]))
    cover = _best_cover(found)
    if text is None:
        return cover
    return [t for t in cover if not _is_name(text, folded, t, cover)]


def _is_name(text: str, folded: str, tok: Token, tokens: list[Token]) -> bool:
    word = text[tok.start : tok.end]
    if folded[tok.start : tok.end] not in NAME_WORDS or not word[:1].isupper() or word.isupper():
        return False
    before = _WORD_BEFORE.search(text, 0, tok.start)
    after = _WORD_AFTER.match(text, tok.end)
    return any(
        m is not None
        and m.group(1)[:1].isupper()
        and not any(t.start <= m.start(1) < t.end for t in tokens)
        for m in (before, after)
    )


def _best_cover(found: list[Token]) -> list[Token]:
    if len(found) <= 1:
        return found
    found.sort(key=lambda t: (t.end, t.start))
    ends = [t.end for t in found]
    best: list[tuple[int, int, tuple[int, ...]]] = [(0, 0, ())]  # (covered, -count, picks)
    for i, tok in enumerate(found):
        # last token ending at or before tok.start
        j = _bisect_right(ends, tok.start, i)
        covered, neg, picks = best[j]
        take = (covered + tok.end - tok.start, neg - 1, (*picks, i))
        skip = best[i]
        best.append(take if take[:2] > skip[:2] else skip)
    return [found[i] for i in best[-1][2]]


def _bisect_right(ends: list[int], value: int, hi: int) -> int:
    lo = 0
    while lo < hi:
        mid = (lo + hi) // 2
        if ends[mid] <= value:
            lo = mid + 1
        else:
            hi = mid
    return lo


_GAP = re.compile(r"[\s,]*")


def token_clusters(folded: str, tokens: list[Token]) -> list[list[Token]]:
    """Tokens separated only by spaces or commas form one phrase ("friday, 10:30")."""
    groups: list[list[Token]] = []
    for tok in sorted(tokens, key=lambda t: t.start):
        if groups and _GAP.fullmatch(folded, groups[-1][-1].end, tok.start):
            groups[-1].append(tok)
        else:
            groups.append([tok])
    return groups
