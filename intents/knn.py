"""Nearest examples: IDF-weighted word overlap between a text and every labelled example.

A bag-of-words classifier trained on a dozen examples a skill is unsure of short commands
("close a ticket" leans towards "open a ticket" because both say "ticket"). The nearest
example, weighing rare words ("close", "resolve") above common ones ("ticket"), is sure; the
two together are steadier than either. Our negatives are examples too, so small talk finds
its own neighbours.

Everything per example is worked out at load time into numpy arrays (an inverted index of
example rows per word, the examples' weights, label boundaries), so a message costs a few
vector operations over the examples instead of a Python loop over every example it shares a
word with: with 200 skills that loop was a large part of a message's time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations
from typing import NamedTuple, cast

import numpy as np
from numpy.typing import NDArray

COMMON_SHARE = 0.1  # a word in more than this share of the examples is common (see _core)


class _Rows(NamedTuple):
    """Example rows as arrays: weights, an inverted index of rows per word (with each
    word's idf once per row it is in), and label boundaries."""

    weights: NDArray[np.float64]
    by_word: dict[str, NDArray[np.intp]]
    idfs: dict[str, NDArray[np.float64]]
    starts: NDArray[np.intp]
    slots: NDArray[np.intp]
    whole: bool  # every label has rows, in label order: the reduced scores are the vector


class NearestExamples:
    def __init__(self, rows: Sequence[tuple[str, str]], labels: Sequence[str]) -> None:
        """`labels` fixes the order of the score vector (the classifier's label order)."""
        docs = sorted(
            ((frozenset(text.split()), label) for text, label in rows if text.strip()),
            key=lambda d: d[1],
        )
        df: dict[str, int] = defaultdict(int)
        for words, _ in docs:
            for word in words:
                df[word] += 1
        total = len(docs) or 1
        self._unknown = math.log(1 + total)
        self._idf = {w: math.log(1 + total / n) for w, n in df.items()}
        weights = [self._weight(words) for words, _ in docs]
        self._size = len(labels)
        order = {label: i for i, label in enumerate(labels)}
        # Every word is looked up, common ones too: skipping words found under most labels
        # saved time in the former Python loop but cost accuracy (requests-dev 95.96% ->
        # 94.95%); as a vector addition a common word costs next to nothing.
        self._all = self._rows(docs, weights, order)
        self._common = frozenset(w for w, n in df.items() if n > COMMON_SHARE * total)
        core = _core(docs, weights, self._common)
        self._core = self._rows([docs[i] for i in core], [weights[i] for i in core], order)

    def _rows(
        self,
        docs: Sequence[tuple[frozenset[str], str]],
        weights: Sequence[float],
        order: dict[str, int],
    ) -> _Rows:
        index: dict[str, list[int]] = defaultdict(list)
        for i, (words, _) in enumerate(docs):
            for word in words:
                index[word].append(i)
        doc_labels = [label for _, label in docs]
        starts = [i for i, label in enumerate(doc_labels) if i == 0 or doc_labels[i - 1] != label]
        slots = np.array([order[doc_labels[i]] for i in starts], dtype=np.intp)
        return _Rows(
            np.array(weights, dtype=np.float64),
            {w: np.array(rows, dtype=np.intp) for w, rows in index.items()},
            # The rows' shared weight is then one np.bincount over a message's words.
            {w: np.full(len(rows), self._idf[w]) for w, rows in index.items()},
            np.array(starts, dtype=np.intp),
            slots,
            slots.tolist() == list(range(self._size)),
        )

    def _weight(self, words: frozenset[str]) -> float:
        return sum(self._idf.get(w, self._unknown) for w in sorted(words))

    def scores(self, text: str) -> NDArray[np.float64]:
        """Per label (in the order given at load), the best of: half weighted Dice overlap,
        half the share of this text's weight that the example covers (short commands are
        covered by longer examples). Zero for labels that share no word."""
        return self.word_scores(text.split())

    def word_scores(self, words: Sequence[str]) -> NDArray[np.float64]:
        """`scores` of the text these words make."""
        words = sorted(set(words))  # sorted: the same sums in every process
        # A text without a common word scores the same on the rows _core keeps.
        rows = self._core if self._common.isdisjoint(words) else self._all
        index, idfs, weights = rows.by_word, rows.idfs, rows.weights
        found = [w for w in words if w in index]
        if not found:
            return np.zeros(self._size)
        idf, unknown = self._idf, self._unknown
        own = sum([idf.get(w, unknown) for w in words])  # _weight, sorted already
        if len(found) == 1:
            shared = np.zeros(len(weights))
            shared[index[found[0]]] = idfs[found[0]]
        else:
            # Per row, 0.0 plus the idf of each of its words in sorted order, as adding them
            # one word at a time did: bincount adds its weights in the order given.
            shared = cast(  # float64 with weights; numpy's stubs only know the int case
                "NDArray[np.float64]",
                np.bincount(
                    np.concatenate([index[w] for w in found]),
                    weights=np.concatenate([idfs[w] for w in found]),
                    minlength=len(weights),
                ),
            )
        # shared / (own + weights) + 0.5 * shared / own, in place: the same numbers (halving
        # is exact, so dividing by twice `own` rounds as halving then dividing did).
        score = own + weights
        np.divide(shared, score, out=score)
        shared /= 2 * own
        score += shared
        best: NDArray[np.float64] = np.maximum.reduceat(score, rows.starts)
        if rows.whole:
            return best
        out = np.zeros(self._size)
        out[rows.slots] = best
        return out


def _core(
    docs: Sequence[tuple[frozenset[str], str]], weights: Sequence[float], common: frozenset[str]
) -> list[int]:
    """The rows that can be best for a text without a common word: a row is left out when
    its label has a row of its words less some common ones ("reset vpn" for "i want to
    reset vpn") weighing no more. For such a text both rows share the same words, so the
    same idf sum, and the lighter one scores at least as much; the lighter row is kept, or
    left out for a lighter one still, down to a kept row."""
    lightest: dict[tuple[frozenset[str], str], float] = {}
    for (words, label), weight in zip(docs, weights, strict=True):
        key = (words, label)
        lightest[key] = min(weight, lightest.get(key, weight))
    kept = []
    for i, ((words, label), weight) in enumerate(zip(docs, weights, strict=True)):
        shared = sorted(words & common)
        lighter = any(
            (words - cut, label) in lightest and lightest[(words - cut, label)] <= weight
            for size in range(1, len(shared) + 1)
            for cut in map(frozenset, combinations(shared, size))
            if words - cut
        )
        if not lighter:
            kept.append(i)
    return kept
