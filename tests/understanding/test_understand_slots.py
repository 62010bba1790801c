"""Slot values come out canonical for typed, aliased and misspelled forms."""

from __future__ import annotations

import pytest

from intents import Understander
from intents.entities import DURATION_RE

ENV_ALIASES = [
    ("dev", "dev"),
    ("development", "dev"),
    ("staging", "staging"),
    ("stage", "staging"),
    ("stg", "staging"),
    ("prod", "prod"),
    ("production", "prod"),
    ("prd", "prod"),
    ("live", "prod"),
    ("stagign", "staging"),
    ("prodution", "prod"),
    ("developmnet", "dev"),
]


@pytest.mark.parametrize(("typed", "env"), ENV_ALIASES)
def test_env_aliases_and_typos(nlu: Understander, typed: str, env: str) -> None:
    got = nlu.parse(f"restart billing in {typed}")
    assert got.skill == "service.restart"
    assert got.slots["env"].value == env
    assert got.slots["env"].text == typed


SERVICES = [
    ("checkout", "checkout", False),
    ("chekout", "checkout", True),
    ("biling", "billing", True),
    ("payments-api", "payments-api", False),
    ("payments api", "payments-api", False),
    ("payment api", "payments-api", False),
    ("paymnets-api", "payments-api", True),
    ("api-gateway", "api-gateway", False),
    ("api gateway", "api-gateway", False),
    ("gateway", "api-gateway", False),
    ("search", "search", False),
    ("web", "web", False),
]


@pytest.mark.parametrize(("typed", "service", "corrected"), SERVICES)
def test_services_typed_and_misspelled(
    nlu: Understander, typed: str, service: str, corrected: bool
) -> None:
    text = f"bounce {typed} on dev"
    got = nlu.parse(text)
    assert got.skill == "service.restart", got
    slot = got.slots["service"]
    assert (slot.value, slot.corrected) == (service, corrected)
    assert text[slot.start : slot.end] == slot.text


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("deploy web v5.2.0 to prod", "5.2.0"),
        ("deploy web 5.2 to prod", "5.2"),
        ("deploy web V1.0.0-rc.1 to dev", "1.0.0-rc.1"),
    ],
)
def test_version_without_v(nlu: Understander, text: str, version: str) -> None:
    got = nlu.parse(text)
    assert got.skill == "deploy" and got.slots["version"].value == version


@pytest.mark.parametrize(
    ("typed", "ticket"),
    [
        ("INC0012345", "INC0012345"),
        ("inc0012345", "INC0012345"),
        ("INC 0012345", "INC0012345"),
        ("inc-42", "INC0000042"),
    ],
)
def test_ticket_ids_upper_case(nlu: Understander, typed: str, ticket: str) -> None:
    got = nlu.parse(f"close ticket {typed}")
    assert got.skill == "ticket.close" and got.slots["ticket"].value == ticket


def test_change_ids_upper_case(nlu: Understander) -> None:
    got = nlu.parse("close change chg0001234 please")
    assert got.skill == "change.close" and got.slots["change"].value == "CHG0001234"


@pytest.mark.parametrize(
    ("word", "priority"),
    [
        ("low", "low"),
        ("minor", "low"),
        ("medium", "medium"),
        ("normal", "medium"),
        ("high", "high"),
        ("critical", "critical"),
        ("urgent", "critical"),
        ("p1", "critical"),
    ],
)
def test_priority_aliases(nlu: Understander, word: str, priority: str) -> None:
    got = nlu.parse(f"set INC0012345 to {word} priority")
    assert got.skill == "ticket.update" and got.slots["priority"].value == priority


@pytest.mark.parametrize(
    ("typed", "duration"),
    [
        ("2 hours", "2h"),
        ("2h", "2h"),
        ("30 minutes", "30m"),
        ("1 day", "1d"),
        ("a week", "7d"),
        ("two hours", "2h"),
        ("half an hour", "30m"),
        ("2 wks", "14d"),
        ("1 wk", "7d"),
    ],
)
def test_durations_canonical(nlu: Understander, typed: str, duration: str) -> None:
    got = nlu.parse(f"give me access to grafana for {typed}")
    assert got.skill == "access.request"
    assert got.slots["resource"].value == "grafana" and got.slots["duration"].value == duration


@pytest.mark.parametrize(
    ("typed", "resource"),
    [
        ("grafana", "grafana"),
        ("jenkins", "jenkins"),
        ("github", "github"),
        ("aws-prod", "aws-prod"),
        ("aws prod", "aws-prod"),
        ("prod-db", "prod-db"),
        ("prod db", "prod-db"),
        ("grafanna", "grafana"),
        ("jenkns", "jenkins"),
    ],
)
def test_resources(nlu: Understander, typed: str, resource: str) -> None:
    got = nlu.parse(f"i need access to {typed}")
    assert got.skill == "access.request" and got.slots["resource"].value == resource


def test_user_is_a_person_and_me_is_absent(nlu: Understander) -> None:
    assert nlu.parse("reset the vpn for bob").slot_values() == {"user": "bob"}
    assert nlu.parse("reset my vpn").slot_values() == {}
    assert nlu.parse("reset vpn for me").slot_values() == {}


def test_summary_is_the_rest_of_the_sentence(nlu: Understander) -> None:
    got = nlu.parse("open a ticket: the printer on floor 3 is jammed")
    assert got.skill == "ticket.create"
    assert got.slots["summary"].value == "the printer on floor 3 is jammed"
    got = nlu.parse("create a high priority ticket about the broken projector")
    assert got.slot_values() == {"summary": "the broken projector", "priority": "high"}


def test_query_for_kb_search(nlu: Understander) -> None:
    got = nlu.parse("search the knowledge base for vpn setup on mac")
    assert got.skill == "kb.search" and got.slots["query"].value == "vpn setup on mac"


def test_ordinary_words_are_not_turned_into_catalog_names(nlu: Understander) -> None:
    got = nlu.parse("restart billing in prod")
    assert not got.slots["service"].corrected
    assert nlu.parse("i need some rest").skill is None


@pytest.mark.parametrize(
    ("text", "durations"),
    [
        ("i am locked out of my account", []),
        ("add me to the ad group", []),
        ("give me access for an hour", ["an hour"]),
        ("grant it for 2h", ["2h"]),
        ("a one-day pass", ["one-day"]),
    ],
)
def test_a_count_word_glued_to_a_letter_is_no_duration(text: str, durations: list[str]) -> None:
    """ "am" is not "a m(inute)", "ad" not "a d(ay)": only a number may touch its unit."""
    assert [m.group(0) for m in DURATION_RE.finditer(text)] == durations
