"""The shortcuts `parse` takes for speed answer what the full work they skip would answer.

Each cheap first look (a set of the text's words before a regex, phrases looked up without a
Doc, Matchers run only for the words a message has, one classifier pass for two texts) is
checked here against the full work it replaces, on texts made to hit their edge cases.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import Matcher
from spacy.tokens import Doc

from intents import Understander, cues, entities, replies
from intents.dates import HINT_RE, may_name_a_date, word_runs
from intents.decide import round4
from intents.entities import (
    CHANGE_RE,
    DURATION_RE,
    HALF_HOUR_RE,
    INCIDENT_RE,
    TICKET_RE,
    VERSION_RE,
    may_name_a_duration,
)
from intents.rules import SkillRules, plain
from intents.text import Token
from skills.builtin.catalog import BUILTIN_SPECS

PIECES = (
    "in",
    "and",
    "an",
    "a",
    "am",
    "ad",
    "one",
    "hour",
    "hours",
    "-",
    "twelve",
    "h",
    "d",
    "on",
    "fri",
    "friday",
    "tonight",
    "noon",
    "at",
    "2",
    "10:30",
    "9pm",
    "_",
    "thanks",
    "thank",
    "you",
    "if",
    "possible",
    "dry",
    "run",
    "--dry-run",
    "half",
    "Half",
    "K",
    "\u212a",  # Kelvin sign: a case-blind regex reads it as "k"
    "\u017f",  # long s: read as "s"
    "ı",
    ",",
    ".",
    "?",
    "reset",
    "my",
    "vpn",
    "Hello",
    "THX",
)
SEPARATORS = ("", " ", "  ", "-", "\n", ",")
texts = st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=8).map(
    lambda parts: "".join(p + s for p, s in parts)
)


@settings(max_examples=400, deadline=None)
@given(texts)
@example("when should i go in and have my tires changed")  # once read as "in an d(ay)"
@example("i am here")  # once read as "a m(inute)"
@example("ship it ad hoc")
def test_word_checks_never_skip_a_regex_that_matches(text: str) -> None:
    if HINT_RE.search(text):
        assert may_name_a_date(text)
    if DURATION_RE.search(text):
        assert may_name_a_duration(text)
    if HALF_HOUR_RE.search(text):
        words = word_runs(text)
        assert words is None or "half" in words
    assert cues.without_filler(text) == cues.FILLER_RE.sub(lambda m: " " * len(m[0]), text)
    assert cues.dry_run(text)[0] == bool(cues.DRY_RUN_RE.search(text))


def _about_something_else_in_full(words: list[str]) -> bool:
    """The reply check without its first look: blank every phrase, count what is left."""
    rest = " " + " ".join(words) + " "
    for phrase, needs in replies.PHRASE_WORDS:
        if needs <= set(words):
            rest = rest.replace(phrase, " ")
    other = [w for w in rest.split() if w not in replies.REPLY_WORDS and w not in STOP_WORDS]
    cancel = replies.CANCEL_WORDS & set(words)
    return len(other) > (replies.MAX_OTHER_WORDS_CANCEL if cancel else replies.MAX_OTHER_WORDS)


REPLY_PIECES = ("yes", "no", "go", "ahead", "please", "stop", "talking", "printer", "wifi", "not")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(REPLY_PIECES), max_size=6))
def test_reply_first_look_agrees_with_blanking_every_phrase(words: list[str]) -> None:
    assert replies._about_something_else(words) == _about_something_else_in_full(words)


def _tokens(words: list[str]) -> list[Token]:
    out, at = [], 0
    for word in words:
        out.append(Token(word, at, at + len(word), word))
        at += len(word) + 1
    return out


CATALOG_WORDS: tuple[str, ...] = (
    "payments",
    "api",
    "payments-api",
    "search",
    "prod",
    "staging",
    "stg",
    "web",
)
CATALOG_WORDS += ("checkout", "grafana", "on", "call", "bob", "p1", "critical", "db", "the", "-")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CATALOG_WORDS), min_size=1, max_size=7))
def test_catalog_phrases_without_a_doc_match_as_the_phrase_matcher(
    nlu: Understander, words: list[str]
) -> None:
    finder = nlu._entities
    assert finder._spans(words) == finder._matched(words)


def test_catalog_phrases_are_found_longest_first(nlu: Understander) -> None:
    words = ["restart", "payments", "-", "api", "in", "prod"]
    assert nlu._entities._spans(words) == [("SERVICE:payments-api", 1, 4), ("ENV:prod", 5, 6)]


def _all_in_one_matcher(nlu: Understander, tokens: list[Token]) -> dict[str, int]:
    """The rules as they were: one Matcher of every pattern, run on every message."""
    vocab = nlu._nlp.vocab
    matcher = Matcher(vocab)
    for spec in BUILTIN_SPECS:
        if spec.patterns:
            matcher.add(spec.name, [plain(p) for p in spec.patterns])
    found: dict[str, int] = {}
    for key, start, _ in matcher(Doc(vocab, words=[t.norm for t in tokens])):
        name = vocab.strings[key]
        found[name] = min(start, found.get(name, start))
    return found


RULE_WORDS: tuple[str, ...] = (
    "roll",
    "it",
    "back",
    "revoke",
    "access",
    "open",
    "a",
    "new",
    "ticket",
    "what",
)
RULE_WORDS += ("is", "on", "fire", "unlock", "bob", "incidents", "active", "bounce", "the")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(RULE_WORDS), min_size=1, max_size=6))
def test_matchers_per_word_find_what_one_matcher_of_all_patterns_finds(
    nlu: Understander, words: list[str]
) -> None:
    tokens = _tokens(words)
    rules = SkillRules(nlu._nlp.vocab, BUILTIN_SPECS)
    # No entities: patterns that need one (ENT_TYPE) match in neither.
    assert rules.match(tokens, []) == _all_in_one_matcher(nlu, tokens)


@pytest.mark.parametrize(
    "texts",
    [
        ["open ticket : printer jam", "open ticket"],
        ["reset vpn", ""],
        ["", ""],
        ["deploy web versionnumber to production"],
    ],
)
def test_one_classifier_pass_scores_each_text_as_alone(nlu: Understander, texts: list[str]) -> None:
    classifier = nlu._classifier
    together = [v.tolist() for v in classifier.vectors_of(texts)]
    assert together == [classifier.vectors_of([text])[0].tolist() for text in texts]
    alone = [dict(zip(classifier.labels, v, strict=True)) for v in together]
    assert alone == [classifier.scores(text) for text in texts]


def _joined_pair_by_pair(vocabulary: frozenset[str], tokens: list[Token]) -> list[Token]:
    """Joining split words without the first look: every adjacent pair tried."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        here = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        joined = here.norm + after.norm if after is not None else ""
        if (
            after is not None
            and len(joined) >= 6
            and joined.isalpha()
            and joined in vocabulary
            and after.start - here.end <= 1
        ):
            out.append(Token(f"{here.text} {after.text}", here.start, after.end, joined))
            i += 2
        else:
            out.append(here)
            i += 1
    return out


SPLIT_WORDS: tuple[str, ...] = ("pass", "word", "pa", "ssword", "check", "out", "my", "reset")
SPLIT_WORDS += ("grafa", "na", "p", "assword", "deploy", "x")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SPLIT_WORDS), max_size=6))
def test_split_words_join_as_when_every_pair_was_tried(nlu: Understander, words: list[str]) -> None:
    tokens = _tokens(words)
    wording = nlu._wording
    assert wording.joined(tokens) == _joined_pair_by_pair(wording.vocabulary, tokens)


def _ids_by_every_regex(text: str) -> list[tuple[str, str, int, int]]:
    """Ids and versions with each regex run on the text, whatever it contains."""
    found = [
        ("INCIDENT", f"INC-{int(m[1])}", m.start(), m.end()) for m in INCIDENT_RE.finditer(text)
    ]
    for label, regex in (("TICKET", TICKET_RE), ("CHANGE", CHANGE_RE)):
        prefix = "INC" if label == "TICKET" else "CHG"
        found += [(label, prefix + m[1].zfill(7), m.start(), m.end()) for m in regex.finditer(text)]
    found += [("VERSION", m[1].lower(), m.start(), m.end()) for m in VERSION_RE.finditer(text)]
    return found


ID_PIECES = ("inc", "INC", "inc-", "Inc#", "chg", "CHG ", "ch", "g", "1", "42", "1.2", "v5.2.0")
ID_PIECES += ("1234567", ".", "-", " ", "\u0130nc", "\u0131nc", "\u212a", "close", "ticket")
id_texts = st.lists(st.sampled_from(ID_PIECES), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(id_texts)
@example("close INC0012345")
@example("deploy web v1.2.3-rc.1")
@example("\u0131nc-42")
def test_id_regexes_are_skipped_only_when_they_cannot_match(text: str) -> None:
    found = [(e.label, e.value, e.start, e.end) for e in entities._ids(text)]
    assert found == _ids_by_every_regex(text)


def _in_context_every_target(nlu: Understander, tokens: list[Token]) -> list[Token]:
    """The second typo look without the per-word table: every target compared."""
    wording = nlu._wording
    present = {t.norm for t in tokens}
    sets = [ws for p in present for ws in wording._neighbours.get(p, ())]
    targets = frozenset().union(*sets) - present if sets else frozenset()
    out = []
    for tok in tokens:
        word = tok.norm
        if targets and not tok.corrected and len(word) >= 4 and word.isalpha():
            near = [k for k in targets if k[0] == word[0] and OSA.distance(word, k) <= 1]
            if near:
                tok = Token(tok.text, tok.start, tok.end, min(near), True)
        out.append(tok)
    return out


CONTEXT_WORDS = ("rest", "reset", "my", "vpn", "vpnn", "pasword", "password", "unlcok", "unlock")
CONTEXT_WORDS += ("acount", "account", "restat", "restart", "checkout", "chekout", "the", "rset")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CONTEXT_WORDS), max_size=6))
@example(["rest", "my", "vpn"])
def test_typo_targets_by_word_correct_as_comparing_every_target(
    nlu: Understander, words: list[str]
) -> None:
    tokens = _tokens(words)
    assert nlu._wording.in_context(tokens) == _in_context_every_target(nlu, tokens)


REPLY_WORDS = ("no", "problem", "not", "a", "go", "ahead", "do", "it", "never", "mind", "sure")
REPLY_WORDS += ("thing", "don't", "want", "yes", "i", "know", "shut", "up", "why", "printer")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(REPLY_WORDS), min_size=1, max_size=6))
@example(["no", "problem", "no", "problem"])
def test_reply_phrases_in_a_text_are_among_its_possible_ones(words: list[str]) -> None:
    joined = " " + " ".join(words) + " "
    every = (
        replies.SPACED_UNSURE
        | replies.SPACED_CANCEL
        | replies.OVERRIDES
        | replies.SPACED_NO
        | replies.SPACED_YES
    )
    assert {p for p in every if p in joined} <= replies._possible(set(words))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_nearest_examples_score_alike_on_the_rows_kept_for_texts_without_common_words(
    nlu: Understander, data: st.DataObject
) -> None:
    nearest = nlu._classifier._nearest
    every = copy.copy(nearest)
    every._core = every._all  # the full work: every example row
    vocabulary = sorted(nearest._all.by_word)
    words = data.draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=6))
    assert np.array_equal(nearest.word_scores(words), every.word_scores(words))
    rare = [w for w in words if w not in nearest._common] or ["reset"]
    assert np.array_equal(nearest.word_scores(rare), every.word_scores(rare))


def _near_ties() -> list[float]:
    """Floats a few ulps either side of every tie k/10^4 + 0.00005 below 1, and the ties."""
    out = []
    for k in range(10_000):
        x = k / 10_000 + 0.00005
        for _ in range(3):
            x = math.nextafter(x, 0.0)
        for _ in range(7):
            out.append(x)
            x = math.nextafter(x, 1.0)
    return out


@settings(max_examples=2000)
@given(st.floats(allow_nan=False) | st.floats(min_value=0.0, max_value=1.0))
@example(-0.0)
@example(0.0)
@example(5e-05)
@example(1e6)
def test_round4_is_round_to_four_places(x: float) -> None:
    assert math.copysign(1.0, round4(x)) == math.copysign(1.0, round(x, 4))
    assert round4(x) == round(x, 4)


def test_round4_near_ties_is_round_to_four_places() -> None:
    values = _near_ties()
    assert [round4(x) for x in values] == [round(x, 4) for x in values]
