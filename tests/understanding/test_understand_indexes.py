"""The per-message indexes built at load time give what the plain loops they replace gave.

Speed moved work from `parse` to `reload` (keywords indexed by first word, nearest examples
as numpy arrays); these tests keep the straightforward versions as the reference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intents import Understander
from intents.classifier import BATCH, POLITE, batch_size
from intents.decide import Hit, SkillTable
from intents.entities import Entity
from intents.knn import NearestExamples
from intents.text import Token, plain_forms
from skills.api import SkillSpec, SlotSpec, SlotType
from skills.builtin.catalog import BUILTIN_SPECS

WORDS = (
    "reset",
    "resets",
    "vpn",
    "ticket",
    "close",
    "closed",
    "the",
    "deploy",
    "deployed",
    "roll",
    "back",
    "rolled",
    "be",
    "on",
    "call",
    "who",
    "is",
    "my",
    "restart",
)


def _reference_hit(tokens: Sequence[Token], keywords: Sequence[tuple[str, ...]]) -> Hit | None:
    norms = [t.norm for t in tokens]
    for i, norm in enumerate(norms):
        forms = plain_forms(norm)
        for words in keywords:
            if words[0] not in forms or tuple(norms[i + 1 : i + len(words)]) != words[1:]:
                continue
            past = norm != words[0] and norm.endswith(("ed", "d")) and not norm.endswith("ied")
            passive = i > 0 and norms[i - 1] in {"be", "get", "been", "got"}
            return Hit(i, past and not passive and len(words) == 1)
    return None


def _tokens(words: Sequence[str]) -> list[Token]:
    out, at = [], 0
    for word in words:
        out.append(Token(word, at, at + len(word), word))
        at += len(word) + 1
    return out


def _keywords(specs: Sequence[SkillSpec]) -> dict[str, tuple[tuple[str, ...], ...]]:
    return {s.name: tuple(tuple(k.lower().split()) for k in s.keywords if k.strip()) for s in specs}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=8))
def test_keyword_index_matches_the_plain_scan(words: list[str]) -> None:
    keywords = _keywords(BUILTIN_SPECS)
    table = SkillTable(BUILTIN_SPECS, keywords)
    tokens = _tokens(words)
    hits = table.hits(tokens, [])
    for spec in BUILTIN_SPECS:
        assert hits.get(spec.name) == _reference_hit(tokens, keywords[spec.name])


def test_ids_count_as_hits_only_for_skills_that_take_them() -> None:
    spec = SkillSpec(
        name="t.close",
        description="",
        keywords=("shut",),
        slots=(SlotSpec("ticket", SlotType.TICKET),),
    )
    other = SkillSpec(name="other", description="", keywords=("zap",))
    table = SkillTable((spec, other), _keywords((spec, other)))
    tokens = _tokens(["please", "inc1234567"])
    ticket = Entity("TICKET", "INC1234567", "inc1234567", 7, 17)
    assert table.hits(tokens, [ticket]) == {"t.close": Hit(1, False)}


def _reference_nearest(rows: Sequence[tuple[str, str]], text: str) -> dict[str, float]:
    docs = [(frozenset(t.split()), label) for t, label in rows if t.strip()]
    df: dict[str, int] = {}
    for words, _ in docs:
        for w in words:
            df[w] = df.get(w, 0) + 1
    idf = {w: math.log(1 + len(docs) / n) for w, n in df.items()}
    unknown = math.log(1 + len(docs))
    words = frozenset(text.split())
    own = sum(idf.get(w, unknown) for w in words)
    best: dict[str, float] = {}
    for ex, label in docs:
        common = sum(idf[w] for w in words & ex)
        if common:
            score = common / (own + sum(idf[w] for w in ex)) + 0.5 * common / own
            best[label] = max(best.get(label, 0.0), score)
    return best


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from((*WORDS, "zebra")), max_size=6))
def test_nearest_vectors_match_the_plain_loop(words: list[str]) -> None:
    rows = [
        ("reset vpn", "vpn"),
        ("reset my vpn", "vpn"),
        ("close the ticket", "close"),
        ("closed ticket", "close"),
        ("who is on call", "oncall"),
        ("the weather", "none"),
        ("   ", "none"),
    ]
    labels = ("close", "none", "oncall", "vpn")
    text = " ".join(words)
    got = dict(zip(labels, NearestExamples(rows, labels).scores(text).tolist(), strict=True))
    want = _reference_nearest(rows, text)
    for label in labels:
        assert got[label] == pytest.approx(want.get(label, 0.0), abs=1e-12)


def test_batches_grow_only_for_large_skill_sets() -> None:
    assert batch_size(2_190, 19) == BATCH  # the built-in catalog trains as it always did
    assert batch_size(5_102, 201) > 4 * BATCH  # 200 skills: few, large steps per epoch
    assert batch_size(10, 500) == BATCH


def test_polite_variants_normalize_word_by_word(nlu: Understander) -> None:
    """build_training_set joins a normalized opening to a normalized command; that must be
    what normalizing the whole sentence gives, for every example of every built-in skill."""
    normalize = nlu._class_text
    for spec in BUILTIN_SPECS:
        for text in spec.examples:
            for opening in POLITE:
                joined = " ".join(w for w in (normalize(opening), normalize(text)) if w)
                assert normalize(opening + text) == joined, (opening, text)


def test_skill_order_does_not_change_the_model(nlu: Understander) -> None:
    """The registry's order is incidental; the model (and its cache key) must not follow it."""
    people = nlu.people
    flipped = Understander(nlu.catalog, people, tuple(reversed(BUILTIN_SPECS)))
    assert flipped.model_digest == nlu.model_digest
    text = "open a ticket: printer on fire"
    assert flipped.parse(text).skill == nlu.parse(text).skill
