"""Every built-in skill is recognised from phrasings written for these tests."""

from __future__ import annotations

import pytest

from intents import Understander

PHRASES = [
    ("please reset the vpn on my laptop", "vpn.reset"),
    ("vpn keeps timing out, can you reset it", "vpn.reset"),
    ("rest my vpn", "vpn.reset"),
    ("i forgot my password again", "password.reset"),
    ("reset the password for bob", "password.reset"),
    ("my account got locked this morning", "account.unlock"),
    ("unlock carol's account please", "account.unlock"),
    ("i need access to grafana for 4 hours", "access.request"),
    ("grant me jenkins access", "access.request"),
    ("please revoke my jenkins access", "access.revoke"),
    ("take me off the aws-prod group", "access.revoke"),
    ("ship web v5.2.0 to production", "deploy"),
    ("deploy checkout 1.2.3 to staging", "deploy"),
    ("what version of billing is on prod", "deploy.status"),
    ("roll back checkout on staging", "deploy.rollback"),
    ("bounce checkout on stg", "service.restart"),
    ("restart the billing service in prod", "service.restart"),
    ("open a new ticket, my monitor flickers", "ticket.create"),
    ("create an incident: email is down", "ticket.create"),
    ("what's the status of INC0012345", "ticket.status"),
    ("list my tickets", "ticket.status"),
    ("change the priority of INC0012345 to high", "ticket.update"),
    ("close ticket INC0012345", "ticket.close"),
    ("please close change CHG0004321", "change.close"),
    ("search the knowledge base for printer drivers", "kb.search"),
    ("who is on call for payments-api", "oncall.who"),
    ("what can you help me with", "help"),
    ("who am i", "whoami"),
    ("let me talk to a real human", "handoff"),
    ("is anything on fire right now", "incident.list"),
    ("any open incidents?", "incident.list"),
    ("acknowledge inc-33", "incident.ack"),
    ("please ack INC-2", "incident.ack"),
    ("resolve inc-33 please", "incident.resolve"),
]


@pytest.mark.parametrize(("text", "skill"), PHRASES)
def test_recognises_builtin_skill(nlu: Understander, text: str, skill: str) -> None:
    got = nlu.parse(text)
    assert got.skill == skill, (text, got)
    assert 0.0 < got.confidence <= 1.0


def test_every_builtin_skill_is_covered(nlu: Understander) -> None:
    assert {s.name for s in nlu.skills} == {skill for _, skill in PHRASES}


@pytest.mark.parametrize(
    "text",
    [
        "what's the weather",
        "book a table for two tonight",
        "how much is a plane ticket to rome",
        "play some music",
        "tell me a joke about cats",
    ],
)
def test_out_of_scope_is_nothing(nlu: Understander, text: str) -> None:
    got = nlu.parse(text)
    assert got.skill is None and got.declined == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("don't restart billing", "negated"),
        ("do not deploy web to prod", "negated"),
        ("never reset my vpn", "negated"),
        ("did someone restart checkout?", "question"),
        ("who restarted billing in prod", "question"),
        ("the deploy went fine", None),
        ("i deployed web to staging yesterday", None),
    ],
)
def test_negations_and_questions_trigger_nothing(nlu: Understander, text: str, why: str) -> None:
    got = nlu.parse(text)
    side_effect = {s.name for s in nlu.skills if s.side_effect}
    assert got.skill is None or got.skill not in side_effect, got
    if why:
        assert got.skill is None and got.declined == why


def test_inability_is_still_a_request(nlu: Understander) -> None:
    assert nlu.parse("i can't unlock my account").skill == "account.unlock"
    assert nlu.parse("my vpn is not working").skill == "vpn.reset"


def test_dry_run_is_flagged_and_ignored_for_meaning(nlu: Understander) -> None:
    got = nlu.parse("restart billing in staging --dry-run")
    assert got.dry_run and got.skill == "service.restart"
    assert got.slot_values() == {"service": "billing", "env": "staging"}
    assert nlu.parse("dry run: deploy web 1.0.0 to dev").dry_run


def test_high_risk_needs_a_catalog_thing(nlu: Understander) -> None:
    """ "undo" or "release" alone names no service: no high-risk action is guessed."""
    for text in ("undo", "release the hounds", "revert to factory settings"):
        assert nlu.parse(text).skill is None


def test_alternatives_are_ranked(nlu: Understander) -> None:
    got = nlu.parse("update ticket INC0000001")
    scores = [c.confidence for c in got.alternatives]
    assert scores == sorted(scores, reverse=True)
    assert got.skill not in {c.skill for c in got.alternatives}
