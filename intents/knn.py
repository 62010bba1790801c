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
from typing import cast

import numpy as np
from numpy.typing import NDArray


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
        self._weights = np.array([self._weight(words) for words, _ in docs], dtype=np.float64)
        # Every word is looked up, common ones too: skipping words found under most labels
        # saved time in the former Python loop but cost accuracy (requests-dev 95.96% ->
        # 94.95%); as a vector addition a common word costs next to nothing.
        index: dict[str, list[int]] = defaultdict(list)
        for i, (words, _) in enumerate(docs):
            for word in words:
                index[word].append(i)
        self._index = {w: np.array(rows, dtype=np.intp) for w, rows in index.items()}
        # Each word's idf once per example row it is in: the rows' shared weight is then one
        # np.bincount over a message's words instead of a numpy call per word.
        self._idfs = {w: np.full(len(rows), self._idf[w]) for w, rows in index.items()}
        order = {label: i for i, label in enumerate(labels)}
        doc_labels = [label for _, label in docs]
        starts = [i for i, label in enumerate(doc_labels) if i == 0 or doc_labels[i - 1] != label]
        self._starts = np.array(starts, dtype=np.intp)
        self._slots = np.array([order[doc_labels[i]] for i in starts], dtype=np.intp)
        self._size = len(labels)
        # Every label has examples, in label order: the reduced scores are the vector itself.
        self._whole = self._slots.tolist() == list(range(self._size))

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
        found = [w for w in words if w in self._index]
        if not found:
            return np.zeros(self._size)
        idf, unknown = self._idf, self._unknown
        own = sum([idf.get(w, unknown) for w in words])  # _weight, sorted already
        if len(found) == 1:
            shared = np.zeros(len(self._weights))
            shared[self._index[found[0]]] = self._idfs[found[0]]
        else:
            # Per row, 0.0 plus the idf of each of its words in sorted order, as adding them
            # one word at a time did: bincount adds its weights in the order given.
            rows = np.concatenate([self._index[w] for w in found])
            idfs = np.concatenate([self._idfs[w] for w in found])
            shared = cast(  # float64 with weights; numpy's stubs only know the int case
                "NDArray[np.float64]", np.bincount(rows, weights=idfs, minlength=len(self._weights))
            )
        # shared / (own + weights) + 0.5 * shared / own, in place: the same numbers (halving
        # is exact, so dividing by twice `own` rounds as halving then dividing did).
        score = own + self._weights
        np.divide(shared, score, out=score)
        shared /= 2 * own
        score += shared
        best: NDArray[np.float64] = np.maximum.reduceat(score, self._starts)
        if self._whole:
            return best
        out = np.zeros(self._size)
        out[self._slots] = best
        return out
