"""The text classifier: spaCy textcat (bag of words and bigrams) trained from skill examples.

Trained once per skill set, never per message; cached on disk under a hash of everything that
shapes it (examples, our negatives, this module's settings, the spaCy version), so a changed
skill set retrains itself and an unchanged one loads in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import spacy
from numpy.typing import NDArray
from spacy.about import __version__ as SPACY_VERSION
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.training import Example
from thinc.api import fix_random_seed, set_dropout_rate

from intents.knn import NearestExamples

NONE_LABEL = "__none__"
MODEL_VERSION = "textcat-bow-4"  # 4: larger batches and steps for many skills
EPOCHS = 8
BATCH = 32
STEP_BUDGET = 1_400
MIN_STEPS = 20
MIN_EPOCHS = 4
PLATEAU = 0.85
LEARN_RATE = 0.01
SEED = 0
NEAREST_WEIGHT = 0.5
TEXTCAT_CONFIG = {
    "model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": True,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": 16384,
    }
}
POLITE = ("please ", "can you ", "i would like to ", "i want to ", "i need to ")
NOT_IMPERATIVE = frozenset(
    {
        "my",
        "i",
        "i'm",
        "im",
        "the",
        "a",
        "an",
        "what",
        "what's",
        "who",
        "who's",
        "how",
        "is",
        "are",
        "any",
        "which",
        "where",
        "why",
        "when",
        "do",
        "does",
        "can",
        "could",
        "please",
        "it",
        "this",
        "that",
        "there",
        "you",
        "your",
        "we",
        "our",
        "no",
        "yes",
        "hi",
        "hello",
    }
)


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Labelled texts (already normalized the way messages are)."""

    texts: tuple[tuple[str, str], ...]

    def digest(self) -> str:
        settings = [
            MODEL_VERSION,
            SPACY_VERSION,
            EPOCHS,
            BATCH,
            LEARN_RATE,
            STEP_BUDGET,
            MIN_STEPS,
            MIN_EPOCHS,
            PLATEAU,
        ]
        payload = json.dumps([settings, self.texts])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted({label for _, label in self.texts}))


def build_training_set(
    examples: Sequence[tuple[str, str]], negatives: Sequence[str], normalize: Callable[[str], str]
) -> TrainingSet:
    """Skill examples and our own negatives, each with the polite openings people add to a
    command ("please ...", "i would like to ..."), so those openings carry no label.

    `normalize` works word by word (typos, entities and placeholders never span the space
    after an opening), so a variant is the normalized opening joined to the normalized
    command: one normalization per example instead of six, which was most of the start-up
    time with a cached model (tests check the shortcut against normalizing the whole text)."""
    rows: list[tuple[str, str]] = []
    labelled = [*examples, *((text, NONE_LABEL) for text in negatives)]
    openings = [normalize(opening) for opening in POLITE]
    for text, label in labelled:
        base = normalize(text)
        rows.append((base, label))
        words = text.lower().split()
        if words and words[0] not in NOT_IMPERATIVE:
            rows.extend((" ".join(w for w in (opening, base) if w), label) for opening in openings)
    # Sorted: the same skills in another registry order are the same model (and digest); the
    # order used to change the model, and with it a point or two of accuracy.
    return TrainingSet(tuple(sorted(set(rows))))


def _blank(labels: Sequence[str]) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("textcat", config=TEXTCAT_CONFIG)
    textcat = _textcat(nlp)
    for label in labels:
        textcat.add_label(label)
    return nlp


def _textcat(nlp: Language) -> TextCategorizer:
    """The pipeline's text classifier, typed: spaCy's get_pipe returns any component."""
    pipe = nlp.get_pipe("textcat")
    if not isinstance(pipe, TextCategorizer):
        raise TypeError(f"the textcat pipe is a {type(pipe).__name__}, not a TextCategorizer")
    return pipe


def batch_size(rows: int, labels: int) -> int:
    """BATCH rows, or more with many skills. Every optimizer step costs the whole weight
    table (hashed features x labels: Adam, weight decay and the gradient are dense), so with
    more rows AND more labels the time grew with the square of the skill count (40 s for
    200). Steps per epoch are capped to STEP_BUDGET / labels (at least MIN_STEPS): the
    built-in catalog keeps its batches of 32, 200 skills take batches of about 256."""
    steps = max(MIN_STEPS, STEP_BUDGET // max(labels, 1))
    return max(BATCH, -(-rows // steps))


def train(data: TrainingSet) -> Language:
    """Deterministic: fixed seeds, fixed order of shuffles.

    The loop drives the textcat model directly (begin_update, the squared-error gradient
    spaCy's TextCategorizer.get_loss computes, finish_update) instead of `nlp.update` with
    `Example`s: the same updates, but the one-hot truths are built once as an array instead
    of per batch with a Python loop over every label, which with 200 skills was a fifth
    of the training time."""
    fix_random_seed(SEED)
    nlp = _blank(data.labels)
    textcat = _textcat(nlp)
    labels = data.labels
    docs = [nlp.make_doc(text) for text, _ in data.texts]
    column = {label: j for j, label in enumerate(labels)}
    truths = textcat.model.ops.alloc2f(len(docs), len(labels))  # zeros, typed as thinc's
    for row, (_, label) in enumerate(data.texts):
        truths[row, column[label]] = 1.0
    sample = [  # what initialize infers shapes from, as spaCy would take it
        Example.from_dict(doc, {"cats": {lb: float(lb == label) for lb in labels}})
        for doc, (_, label) in zip(docs[:10], data.texts, strict=False)
    ]
    optimizer = nlp.initialize(lambda: sample)
    size = batch_size(len(docs), len(labels))
    # Larger batches take fewer steps: a larger step (square-root scaling) reaches the same
    # loss in fewer epochs (200 skills: 6 instead of 8). Batches of BATCH keep LEARN_RATE.
    optimizer.learn_rate = LEARN_RATE * math.sqrt(size / BATCH)
    optimizer.averages = None  # spaCy's parameter averages: never used here, a pass per step
    model = textcat.model
    set_dropout_rate(model, 0.0)
    order = list(range(len(docs)))
    rng = random.Random(SEED)
    last = float("inf")
    for epoch in range(1, EPOCHS + 1):
        rng.shuffle(order)
        loss = 0.0
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            batch_docs = [docs[i] for i in batch]
            if not any(len(doc) for doc in batch_docs):
                continue
            scores, backprop = model.begin_update(batch_docs)
            d_scores = scores - model.ops.asarray(truths[batch])
            loss += float((d_scores**2).sum())
            backprop(d_scores)
            model.finish_update(optimizer)
        loss /= len(docs)
        if epoch >= MIN_EPOCHS and loss > PLATEAU * last:
            break  # the loss has levelled off: more epochs cost time and teach nothing
        last = loss
    return nlp


class Classifier:
    """Scores a normalized text against every skill label (and NONE_LABEL)."""

    def __init__(self, data: TrainingSet, cache_dir: Path | None) -> None:
        self.digest = data.digest()
        self.trained = False
        path = cache_dir / f"textcat-{self.digest}" if cache_dir is not None else None
        nlp = _load(path) if path is not None else None
        if nlp is None:
            nlp = train(data)
            self.trained = True
            if path is not None:
                _save(nlp, path)
        self._nlp = nlp
        self._textcat = _textcat(nlp)
        self._model = self._textcat.model
        self._labels = tuple(self._textcat.labels)
        self._nearest = NearestExamples(data.texts, self._labels)

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels, in the order of the score vectors."""
        return self._labels

    def scores(self, text: str) -> dict[str, float]:
        """Half the classifier's probability, half the nearest example's overlap."""
        return dict(zip(self._labels, self.vectors_of([text])[0].tolist(), strict=True))

    def vectors_of(self, texts: Sequence[str]) -> list[NDArray[np.float64]]:
        """`scores` of each text as a vector in `labels` order, the classifier run once for
        all of them (a message and the command before its payload): one pass through the
        model instead of one per text.

        The model's `predict` on the Docs, not `nlp(text).cats`: the same numbers without
        building a dict on the Doc first (nor TextCategorizer.predict's look for a batch
        without words: empty texts never reach the model here). A text without words scores
        zero, as `predict` gives a batch of only such texts; in a batch with others the model
        would score it, so it is left out of the batch."""
        if len(texts) == 1:  # most messages: no payload, one text
            (text,) = texts
            doc = self._nlp.make_doc(text)
            scores = self._nearest.scores(text)
            scores *= NEAREST_WEIGHT
            if len(doc):
                scores += (1 - NEAREST_WEIGHT) * self._model.predict([doc])[0]
            return [scores]
        docs = [self._nlp.make_doc(text) for text in texts]
        full = [doc for doc in docs if len(doc)]
        cats = self._model.predict(full) if full else ()
        out = []
        row = 0
        for text, doc in zip(texts, docs, strict=True):
            # In place on the nearest scores (a new array each time): the same numbers as
            # (1 - w) * probs + w * nearest, two arrays fewer.
            scores = self._nearest.scores(text)
            scores *= NEAREST_WEIGHT
            if len(doc):
                scores += (1 - NEAREST_WEIGHT) * cats[row]
                row += 1
            out.append(scores)
        return out


def _load(path: Path) -> Language | None:
    if not (path / "config.cfg").exists():
        return None
    try:
        return spacy.load(path)
    except (OSError, ValueError):
        return None  # a damaged cache is retrained, not fatal


def _save(nlp: Language, path: Path) -> None:
    """Write to a temporary folder, then rename: a reader never sees half a model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".textcat-", dir=path.parent))
    try:
        nlp.to_disk(tmp)
        tmp.rename(path)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
