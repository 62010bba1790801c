"""The way people type (issue 11): politeness, slang verbs, split words, typos, long-winded
requests, opposites and negations. Every phrasing quoted in the issue is here."""

from __future__ import annotations

import pytest

from intents import Understander

UNDERSTOOD = [
    (
        "Hello! Could you kindly reset my password? I'm travelling and can't log in. Thanks a lot!",
        "password.reset",
        {},
    ),
    ("yo bump billing to 3.1.0 on dev", "deploy", {"service": "billing", "version": "3.1.0"}),
    ("reset vpm", "vpn.reset", {}),
    ("pass word reset", "password.reset", {}),
    ("push web 2.4.1 to staging", "deploy", {"env": "staging"}),
    ("ship payments-api 1.2.0 to prod", "deploy", {"env": "prod"}),
    ("bounce checkout in staging", "service.restart", {"service": "checkout"}),
    ("deploy web 4.1.0 to staging at 8pm tonight", "deploy", {"version": "4.1.0"}),
    ("restart search in staging in 10 minutes", "service.restart", {"service": "search"}),
    ("revoke my grafana access", "access.revoke", {"resource": "grafana"}),
    ("remove me from the github group", "access.revoke", {"resource": "github"}),
    ("end my prod-db access", "access.revoke", {"resource": "prod-db"}),
    ("unlock my acount please", "account.unlock", {}),
    (
        "hey team, quick one: could you bump search to 2.0.1 in dev when you get a chance",
        "deploy",
        {"service": "search", "env": "dev"},
    ),
    (
        "hi there, hope you are well. so I was in a meeting this morning and my account got "
        "locked out after I typed my password wrong a few times, could you please unlock it? "
        "thanks",
        "account.unlock",
        {},
    ),
]


@pytest.mark.parametrize(("text", "skill", "slots"), UNDERSTOOD)
def test_understood(nlu: Understander, text: str, skill: str, slots: dict[str, str]) -> None:
    got = nlu.parse(text)
    assert got.skill == skill, (text, got.skill, got.alternatives)
    assert slots.items() <= got.slot_values().items()


@pytest.mark.parametrize(
    "text",
    [
        "don't restart checkout",
        "my vpn works again, no need to reset it",
        "my outlook keeps crashing when I open attachments",
        "I need a new monitor, mine is flickering",
        "is the email server down?",
        "thanks!",
        "i need some rest",
        "restart checkout in staging. actually no, don't restart checkout",
    ],
)
def test_nothing_runs(nlu: Understander, text: str) -> None:
    got = nlu.parse(text)
    spec = next((s for s in nlu.skills if s.name == got.skill), None)
    assert spec is None or not spec.side_effect, (text, got.skill)


def test_two_different_actions_in_one_message_are_not_guessed(nlu: Understander) -> None:
    got = nlu.parse("Hi. Please reset my vpn. Also restart checkout in dev. Thanks")
    assert got.skill is None
