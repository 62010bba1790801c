"""The text classifier: spaCy textcat (bag of words and bigrams) trained from skill examples.

Trained once per skill set, never per message; cached on disk under a hash of everything that
shapes it (examples, our negatives, this module's settings, the spaCy version), so a changed
skill set retrains itself and an unchanged one loads in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from intents.knn import NearestExamples

NONE_LABEL = "__none__"
MODEL_VERSION = "textcat-bow-3"
EPOCHS = 8
BATCH = 32
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
NOT_IMPERATIVE = frozenset({
    "my", "i", "i'm", "im", "the", "a", "an", "what", "what's", "who", "who's", "how", "is",
    "are", "any", "which", "where", "why", "when", "do", "does", "can", "could", "please",
    "it", "this", "that", "there", "you", "your", "we", "our", "no", "yes", "hi", "hello",
})


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Labelled texts (already normalized the way messages are)."""

    texts: tuple[tuple[str, str], ...]

    def digest(self) -> str:
        settings = [MODEL_VERSION, spacy.__version__, EPOCHS, BATCH, LEARN_RATE, NEAREST_WEIGHT]
        payload = json.dumps([settings, self.texts])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted({label for _, label in self.texts}))


def build_training_set(
    examples: Sequence[tuple[str, str]], negatives: Sequence[str], normalize: Callable[[str], str]
) -> TrainingSet:
    """Skill examples and our own negatives, each with the polite openings people add to a
    command ("please ...", "i would like to ..."), so those openings carry no label."""
    rows: list[tuple[str, str]] = []
    labelled = [*examples, *((text, NONE_LABEL) for text in negatives)]
    for text, label in labelled:
        rows.append((normalize(text), label))
        words = text.lower().split()
        if words and words[0] not in NOT_IMPERATIVE:
            rows.extend((normalize(opening + text), label) for opening in POLITE)
    return TrainingSet(tuple(dict.fromkeys(rows)))


def _blank(labels: Sequence[str]) -> Language:
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat", config=TEXTCAT_CONFIG)
    for label in labels:
        textcat.add_label(label)
    return nlp


def train(data: TrainingSet) -> Language:
    """Deterministic: fixed seeds, fixed order of shuffles."""
    fix_random_seed(SEED)
    nlp = _blank(data.labels)
    labels = data.labels
    examples = [
        Example.from_dict(nlp.make_doc(text), {"cats": {lb: float(lb == label) for lb in labels}})
        for text, label in data.texts
    ]
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = LEARN_RATE
    rng = random.Random(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=BATCH):
            nlp.update(batch, sgd=optimizer, drop=0.0)
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
        self._textcat = nlp.get_pipe("textcat")
        self._labels = tuple(self._textcat.labels)
        self._nearest = NearestExamples(data.texts, self._labels)

    def scores(self, text: str) -> dict[str, float]:
        """Half the classifier's probability, half the nearest example's overlap.

        `predict` on the Doc, not `nlp(text).cats`: the same numbers without building a dict
        on the Doc first, and both halves stay numpy vectors until the one dict at the end."""
        cats = self._textcat.predict([self._nlp.make_doc(text)])[0]
        mixed = (1 - NEAREST_WEIGHT) * cats + NEAREST_WEIGHT * self._nearest.scores(text)
        return dict(zip(self._labels, mixed.tolist(), strict=True))


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
