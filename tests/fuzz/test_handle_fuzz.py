"""Property-based fuzz of `Assistant.handle` (hypothesis): whatever anyone types or clicks,
in whatever order, the pipeline answers with replies, never with an internal error, and every
button it offers carries a value `ButtonValue.parse` reads back.

Steps are typed texts (free text, control characters, near-requests), forged button values
(`approve:²`, `approve:-1`, 70-bit ids, unknown verbs) and presses of the buttons the last
answer offered, so conversations reach confirmations, approvals and slot questions. Examples
are bounded by CHATOPS_FUZZ_EXAMPLES (12 by default); `make fuzz` runs many more.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from hypothesis import HealthCheck, example, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from chatbot import texts
from chatbot.config import Settings
from chatbot.testing import chat_harness
from chatbot.types import ButtonValue, ButtonVerb, Reply
from intents import Understander

EXAMPLES = int(os.environ.get("CHATOPS_FUZZ_EXAMPLES", "12"))
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "mallory", "ALICE", "dave@example.com"]
PHRASES = [
    "reset my vpn",
    "deploy payments-api 2.3.1 to prod",
    "deploy web 5.2.0 to dev",
    "grant me access to grafana for 2 hours",
    "create ticket printer broken <!channel>",
    "reset the password for bob",
    "yes",
    "no",
    "cancel",
    "help",
    "who is on call for checkout",
]
INTERNAL = texts.INTERNAL.split("{")[0]


@dataclass(frozen=True)
class Say:
    who: str
    text: str


@dataclass(frozen=True)
class Press:
    who: str
    value: str


@dataclass(frozen=True)
class Offered:
    """Press the n-th button of the last answer (as whoever is named)."""

    who: str
    n: int


people = st.sampled_from(PEOPLE)
typed = st.one_of(
    st.sampled_from(PHRASES),
    st.text(max_size=200),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(PHRASES), st.text(max_size=30)),
)
ids = st.one_of(
    st.integers(min_value=-5, max_value=2**70).map(str),
    st.sampled_from(["²", "2**70", "-1", "0", "01", "", " 1", "1\n"]),
    st.text(max_size=8),
)
forged = st.one_of(
    st.builds(lambda v, a: f"{v}:{a}", st.sampled_from([*map(str, ButtonVerb), "x"]), ids),
    st.text(max_size=40),
)
steps = st.lists(
    st.one_of(
        st.builds(Say, people, typed),
        st.builds(Press, people, forged),
        st.builds(Offered, people, st.integers(min_value=0, max_value=3)),
    ),
    min_size=1,
    max_size=5,
)


def check(replies: list[Reply]) -> None:
    assert isinstance(replies, list)
    for reply in replies:
        assert not reply.text.startswith(INTERNAL), reply.text
        for button in reply.buttons:
            assert ButtonValue.parse(button.value) is not None, button.value


def test_handle_answers_anything_without_an_internal_error(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    runner = asyncio.Runner()
    harness = chat_harness(settings, database_url, understander)
    chat = runner.run(harness.__aenter__())
    try:

        @settings_for_fuzz
        @given(steps)
        @example([Press("alice", "approve:²")])
        @example([Press("dave", f"approve:{2**70}")])
        @example([Press("carol", "approve:-1")])
        @example([Say("alice", "reset my vpn"), Press("alice", "confirm:99999999999999999999")])
        def conversation(script: list[Say | Press | Offered]) -> None:
            last: list[Reply] = []
            for step in script:
                if isinstance(step, Say):
                    replies = runner.run(chat.say(step.who, step.text))
                elif isinstance(step, Press):
                    replies = runner.run(chat.press(step.who, step.value))
                else:
                    offered = [b.value for r in last for b in r.buttons]
                    if not offered:
                        continue
                    value = offered[step.n % len(offered)]
                    replies = runner.run(chat.press(step.who, value))
                check(replies)
                last = replies

        conversation()
    finally:
        runner.run(harness.__aexit__(None, None, None))
        runner.close()


settings_for_fuzz = fuzz_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
