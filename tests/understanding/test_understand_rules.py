"""Rule matchers that skills declare (spaCy Matcher patterns): evidence, score, validation."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from chatbot.config import Catalog
from intents import Understander
from intents.rules import pattern_problem, pattern_words
from skills.api import Risk, SkillSpec, SlotSpec, SlotType
from skills.builtin.catalog import BUILTIN_SPECS
from skills.manifest.load import ManifestError, parse_manifest
from skills.manifest.skill import spec_of
from tests.understanding.conftest import NOW

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
# Examples never say "purge": only the declared pattern knows that phrasing.
CACHE_FLUSH = SkillSpec(
    name="cache.flush",
    description="Flush the cache of a service.",
    examples=(
        "flush the cache of web",
        "clear the checkout cache",
        "empty the billing cache",
        "flush search caches in prod",
        "wipe the cache for payments-api",
    ),
    keywords=("flush", "cache"),
    patterns=(
        ({"LOWER": "purge"}, {"ENT_TYPE": "SERVICE", "OP": "+"}, {"LOWER": "cache"}),
        ({"LOWER": {"IN": ("flush", "clear")}}, {"LOWER": "cache"}),
    ),
    slots=(SlotSpec("service", SlotType.SERVICE),),
    risk=Risk.MEDIUM,
)


@pytest.fixture(scope="module")
def ruled(demo_catalog: Catalog) -> Understander:
    return Understander(demo_catalog, PEOPLE, (*BUILTIN_SPECS, CACHE_FLUSH), clock=lambda: NOW)


def test_a_pattern_counts_like_a_keyword(ruled: Understander) -> None:
    without = replace(CACHE_FLUSH, patterns=())
    got = ruled.parse("purge checkout cache")
    assert got.skill == "cache.flush"
    assert got.slots["service"].value == "checkout"
    assert "purge" not in {w for k in without.keywords for w in k.split()}


def test_a_pattern_raises_the_score(ruled: Understander, demo_catalog: Catalog) -> None:
    plain = Understander(
        demo_catalog, PEOPLE, (*BUILTIN_SPECS, replace(CACHE_FLUSH, patterns=())), clock=lambda: NOW
    )
    text = "clear cache on web"
    assert ruled.parse(text).confidence > plain.parse(text).confidence


def test_negated_and_questions_still_decline(ruled: Understander) -> None:
    assert ruled.parse("don't purge checkout cache").skill is None
    assert ruled.parse("did someone purge checkout cache?").skill is None


def test_builtin_patterns(nlu: Understander) -> None:
    got = nlu.parse("roll checkout back in prod")
    assert got.skill == "deploy.rollback"
    assert got.slots["service"].value == "checkout" and got.slots["env"].value == "prod"
    assert nlu.parse("bounce the payments-api on stg").skill == "service.restart"
    assert nlu.parse("raise an incident").skill == "ticket.create"
    assert nlu.parse("don't roll checkout back").skill is None


def test_builtin_patterns_are_valid() -> None:
    patterns = [p for spec in BUILTIN_SPECS for p in spec.patterns]
    assert patterns and all(pattern_problem(p) is None for p in patterns)


def test_patterns_leave_small_talk_alone(nlu: Understander) -> None:
    for text in ("the ball will bounce back", "let's roll", "open a bottle of wine"):
        assert nlu.parse(text).skill is None, text


@pytest.mark.parametrize(
    "pattern",
    [
        ({"LOWER": "x", "BOGUS": 1},),
        ({"LOWER": {"IN": "x"}},),
        (),
        ({},),
        ({"LOWER": "flush", "OP": "?"},),
        "flush cache",
    ],
)
def test_bad_patterns_are_named(pattern: object) -> None:
    assert pattern_problem(pattern)


def test_good_pattern_and_its_words() -> None:
    pattern = ({"LOWER": {"IN": ("Flush", "clear")}}, {"ENT_TYPE": "SERVICE"})
    assert pattern_problem(pattern) is None
    assert pattern_words([pattern]) == {"flush", "clear"}


def test_a_bad_python_pattern_is_left_out(
    demo_catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    bad = replace(CACHE_FLUSH, patterns=(({"LOWER": "purge", "NOPE": 1},),))
    with caplog.at_level(logging.WARNING):
        nlu = Understander(demo_catalog, PEOPLE, (bad,))
    assert "cache.flush" in caplog.text and "left out" in caplog.text
    assert nlu.parse("flush the cache of web").skill == "cache.flush"


def test_spec_stays_hashable() -> None:
    assert hash(CACHE_FLUSH) == hash(replace(CACHE_FLUSH, patterns=()))
    assert replace(CACHE_FLUSH, patterns=()) != CACHE_FLUSH


MANIFEST = """
name = "cache.flush"
description = "Flush a cache."
examples = ["flush the cache of web"]
keywords = ["flush"]
patterns = [[{LOWER = "purge"}, {ENT_TYPE = "SERVICE"}]]
[[slots]]
name = "service"
type = "service"
[action]
url = "https://ops.example.com/flush"
"""


def test_manifest_patterns_reach_the_spec() -> None:
    spec = spec_of(parse_manifest(MANIFEST, "flush.toml"))
    assert spec.patterns == (({"LOWER": "purge"}, {"ENT_TYPE": "SERVICE"}),)


def test_manifest_bad_pattern_names_the_field() -> None:
    bad = MANIFEST.replace('{ENT_TYPE = "SERVICE"}', '{ENT_TYPE = "SERVICE", WAT = 1}')
    with pytest.raises(ManifestError) as caught:
        parse_manifest(bad, "flush.toml")
    assert "flush.toml:6: patterns" in str(caught.value)
    assert "pattern 0" in str(caught.value)


def test_manifest_yaml_patterns() -> None:
    text = (
        "name: cache.flush\ndescription: Flush a cache.\nexamples: [flush the cache]\n"
        "patterns:\n  - [{LOWER: purge}, {LOWER: cache}]\n"
        "action: {url: 'https://ops.example.com/flush'}\n"
    )
    assert spec_of(parse_manifest(text, "f.yaml")).patterns[0][0] == {"LOWER": "purge"}
