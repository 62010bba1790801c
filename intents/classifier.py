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

NONE_LABEL = "__none__"
MODEL_VERSION = "textcat-bow-3"
EPOCHS = 12
SEED = 0
TEXTCAT_CONFIG = {
    "model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": True,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": 16384,
    }
}
POLITE = ("please ", "can you ", "i need to ", "could you ")


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Labelled texts (already normalized the way messages are)."""

    texts: tuple[tuple[str, str], ...]

    def digest(self) -> str:
        payload = json.dumps([MODEL_VERSION, spacy.__version__, EPOCHS, self.texts])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted({label for _, label in self.texts}))


def build_training_set(
    examples: Sequence[tuple[str, str]], negatives: Sequence[str], normalize: Callable[[str], str]
) -> TrainingSet:
    """Skill examples (with polite variants, which people add) plus our own negatives."""
    rows: list[tuple[str, str]] = []
    for text, label in examples:
        base = normalize(text)
        rows.append((base, label))
        rows.append((normalize(POLITE[len(rows) % len(POLITE)] + text), label))
    rows.extend((normalize(text), NONE_LABEL) for text in negatives)
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
    rng = random.Random(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=16):
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

    def scores(self, text: str) -> dict[str, float]:
        return dict(self._nlp(text).cats)


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
