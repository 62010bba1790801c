"""The trained TextCatBOW model run on a message's words, without spaCy's per-call overhead.

`TextCategorizer.predict([nlp.make_doc(text)])` tokenizes the text again (the words are
tokens already), builds a Doc, copies its ORTH column out and counts the n-grams with
`numpy.unique`: for a message of a dozen words most of that is overhead around the model.
Here each word's ORTH ids are remembered (the tokenizer splits on spaces first and treats
each piece alone, so a text's tokens are its words' tokens one after the other), the n-gram
keys come from the same `ops.ngrams`, are counted in Python and sorted as `unique` sorts them,
and go through the model's own sparse linear and softmax layers: the same numbers.

When the model is not the layout this expects (a spaCy version that builds TextCatBOW
otherwise), `predict` falls back to the pipe's own predict on the joined text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from thinc.api import Model
from thinc.types import Ints1d

MEMO_LIMIT = 50_000
LAYOUT = ("extract_ngrams", "resizable(sparse_linear)", "softmax_activation")


class BagOfWords:
    def __init__(self, nlp: Language, textcat: TextCategorizer) -> None:
        self._nlp = nlp
        self._textcat = textcat
        self._size = len(textcat.labels)
        self._orths: dict[str, tuple[int, ...]] = {}
        self._layers = _layers(textcat.model)

    def predict(self, words: Sequence[str]) -> NDArray[np.floating]:
        """The class probabilities of the text `" ".join(words)`, in the pipe's label order."""
        if self._layers is None:
            doc = self._nlp.make_doc(" ".join(words))
            return self._textcat.predict([doc])[0]  # type: ignore[no-any-return]
        extract, linear, output = self._layers
        orths = [orth for word in words for orth in self._word_orths(word)]
        if not orths:
            empty: NDArray[np.floating] = np.zeros((1, self._size))[0]
            return empty  # what predict gives an empty Doc
        ops = linear.ops
        unigrams: Ints1d = ops.asarray1i(orths, dtype="uint64")
        ngrams = [unigrams]
        for n in range(2, extract.attrs["ngram_size"] + 1):
            ngrams.append(ops.ngrams(n, unigrams))
        counts: Counter[int] = Counter(ops.xp.concatenate(ngrams).tolist())
        keys = sorted(counts)
        batch = (
            np.array(keys, dtype=np.uint64),
            np.array([counts[k] for k in keys], dtype="f"),
            ops.asarray([len(keys)], dtype="int32"),
        )
        return output.predict(linear.predict(batch))[0]  # type: ignore[no-any-return]

    def _word_orths(self, word: str) -> tuple[int, ...]:
        found = self._orths.get(word)
        if found is None:
            found = tuple(t.orth for t in self._nlp.make_doc(word))
            if len(self._orths) >= MEMO_LIMIT:
                self._orths.clear()
            self._orths[word] = found
        return found


def _layers(model: Model) -> tuple[Model, Model, Model] | None:  # type: ignore[type-arg]
    """extract_ngrams, the sparse linear layer and the softmax of spaCy's TextCatBOW.v3."""
    found: dict[str, Model] = {}  # type: ignore[type-arg]
    for node in model.walk():
        if node.name in LAYOUT:
            found.setdefault(node.name, node)
    if len(found) != len(LAYOUT) or found["extract_ngrams"].attrs.get("attr") != ORTH:
        return None
    return found[LAYOUT[0]], found[LAYOUT[1]], found[LAYOUT[2]]
