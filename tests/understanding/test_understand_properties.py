"""Any text up to the message limit parses, and the same text always parses the same way."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from intents import Understander

LIMIT = 4000
WORDS = st.sampled_from(
    [
        "restart",
        "deploy",
        "chekout",
        "prod",
        "vpn",
        "don't",
        "INC0012345",
        "v1.2.3",
        "ticket",
        "yes",
        "no",
        "--dry-run",
        "for",
        "bob",
        "2h",
        "?",
        ":",
        "é",
        "🚀",
        "\u200b",
        "",
        " ",
        "tomorrow",
        "at",
        "10pm",
        "in",
        "on",
        "sat",
        "next",
        "friday",
        "2026-02-30",
        "٢٠٢٦-١٢-٠١",
        "23:59",
        "9999",
        "weeks",
        "bounce",
        "roll",
        "back",
        "raise",
        "issue",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=LIMIT),
    st.lists(WORDS, max_size=40).map(" ".join),
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(TEXTS)
@example("TICKE--DRY-RUN:0000")  # a slot spanning the blanked dry-run marker
def test_any_text_parses(nlu: Understander, text: str) -> None:
    got = nlu.parse(text)
    assert got.text == text
    assert 0.0 <= got.confidence <= 1.0
    for slot in got.slots.values():
        assert slot.start < 0 or text[slot.start : slot.end] == slot.text
    nlu.read_reply(text)


@SETTINGS
@given(TEXTS)
def test_same_text_same_interpretation(nlu: Understander, text: str) -> None:
    assert nlu.parse(text) == nlu.parse(text)
    assert nlu.read_reply(text) == nlu.read_reply(text)


def test_long_message_parses(nlu: Understander) -> None:
    text = ("restart checkout in prod please " * 200)[:LIMIT]
    assert nlu.parse(text).text == text
