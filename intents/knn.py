"""Nearest examples: IDF-weighted word overlap between a text and every labelled example.

A bag-of-words classifier trained on a dozen examples a skill is unsure of short commands
("close a ticket" leans towards "open a ticket" because both say "ticket"). The nearest
example, weighing rare words ("close", "resolve") above common ones ("ticket"), is sure; the
two together are steadier than either. Our negatives are examples too, so small talk finds
its own neighbours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

COMMON_FLOOR = 8
COMMON_SHARE = 0.4


class NearestExamples:
    def __init__(self, rows: Sequence[tuple[str, str]]) -> None:
        docs = [(frozenset(text.split()), label) for text, label in rows if text.strip()]
        df: dict[str, int] = defaultdict(int)
        for words, _ in docs:
            for word in words:
                df[word] += 1
        total = len(docs) or 1
        self._unknown = math.log(1 + total)
        self._idf = {w: math.log(1 + total / n) for w, n in df.items()}
        self._docs = [(words, label, self._weight(words)) for words, label in docs]
        index: dict[str, list[int]] = defaultdict(list)
        for i, (words, _, _) in enumerate(self._docs):
            for word in words:
                index[word].append(i)
        # Words found under most labels ("to", "you") say little and cost much: they count in
        # the weights but are not looked up.
        labels = {label for _, label in docs}
        spread: dict[str, set[str]] = defaultdict(set)
        for words, label in docs:
            for word in words:
                spread[word].add(label)
        common = max(COMMON_FLOOR, int(len(labels) * COMMON_SHARE))
        self._index = {w: rows for w, rows in index.items() if len(spread[w]) <= common}

    def _weight(self, words: frozenset[str]) -> float:
        return sum(self._idf.get(w, self._unknown) for w in words)

    def scores(self, text: str) -> dict[str, float]:
        """Per label, the best of: half weighted Dice overlap, half the share of this text's
        weight that the example covers (short commands are covered by longer examples)."""
        words = frozenset(text.split())
        if not words:
            return {}
        own = self._weight(words)
        shared: dict[int, float] = defaultdict(float)
        for word in words:
            idf = self._idf.get(word)
            if idf is None or word not in self._index:
                continue
            for i in self._index[word]:
                shared[i] += idf
        best: dict[str, float] = {}
        for i, common in shared.items():
            _, label, weight = self._docs[i]
            score = common / (own + weight) + 0.5 * common / own
            if score > best.get(label, 0.0):
                best[label] = score
        return best
