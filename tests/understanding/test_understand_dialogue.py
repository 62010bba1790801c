"""Replies to a pending question, and answers to "Which ...?"."""

from __future__ import annotations

import pytest

from chatbot.types import ReplyIntent
from intents import Understander
from skills.api import SlotSpec, SlotType

YES = [
    "yes",
    "yeah go ahead",
    "do it",
    "sure thing",
    "ok",
    "yep, confirmed",
    "sounds good",
    "of course",
    "no problem",
    "yess",
]
NO = ["no", "nope", "no thanks", "not now", "i don't want that", "negative", "nah, leave it"]
CANCEL = [
    "never mind",
    "cancel",
    "forget about it",
    "stop",
    "just abort",
    "cancle that",
    "no, cancel it",
]
UNSURE = [
    "maybe",
    "hmm",
    "yes but only in staging",
    "ok?",
    "wait",
    "yes no",
    "what?",
    "",
    "which one is safer",
    "deploy web to prod",
]


@pytest.mark.parametrize("text", YES)
def test_yes(nlu: Understander, text: str) -> None:
    assert nlu.read_reply(text) is ReplyIntent.YES


@pytest.mark.parametrize("text", NO)
def test_no(nlu: Understander, text: str) -> None:
    assert nlu.read_reply(text) is ReplyIntent.NO


@pytest.mark.parametrize("text", CANCEL)
def test_cancel(nlu: Understander, text: str) -> None:
    assert nlu.read_reply(text) is ReplyIntent.CANCEL


@pytest.mark.parametrize("text", UNSURE)
def test_unsure_is_never_yes(nlu: Understander, text: str) -> None:
    assert nlu.read_reply(text) is not ReplyIntent.YES


def test_parse_reports_reply(nlu: Understander) -> None:
    got = nlu.parse("yes please")
    assert got.reply is ReplyIntent.YES and got.skill is None


SERVICE = SlotSpec("service", SlotType.SERVICE)
ENV = SlotSpec("env", SlotType.ENV)


def test_read_slot_accepts_names_and_aliases(nlu: Understander) -> None:
    assert nlu.read_slot(SERVICE, "checkout").value == "checkout"
    assert nlu.read_slot(SERVICE, "the payments api").value == "payments-api"
    assert nlu.read_slot(ENV, "production").value == "prod"
    assert nlu.read_slot(ENV, "stg").value == "staging"
    assert nlu.read_slot(SlotSpec("t", SlotType.TICKET), "inc0000042").value == "INC0000042"
    assert nlu.read_slot(SlotSpec("p", SlotType.PRIORITY), "urgent").value == "critical"
    assert nlu.read_slot(SlotSpec("s", SlotType.TEXT), " printer jam ").value == "printer jam"


def test_read_slot_suggests_for_typos(nlu: Understander) -> None:
    got = nlu.read_slot(SERVICE, "chekout")
    assert got.value is None
    assert got.error == "I don't know 'chekout'."
    assert got.suggestions == ("checkout",)


def test_read_slot_unknown(nlu: Understander) -> None:
    got = nlu.read_slot(ENV, "mars")
    assert got.value is None and got.error and got.suggestions


def test_choices(nlu: Understander) -> None:
    assert nlu.choices(ENV) == ("dev", "staging", "prod")
    assert "checkout" in nlu.choices(SERVICE)
    assert nlu.choices(SlotSpec("p", SlotType.PRIORITY)) == ("low", "medium", "high", "critical")
