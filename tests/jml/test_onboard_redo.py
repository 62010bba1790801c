"""Issue 18 item 2: an onboarding that stops at a failed step in the middle (Okta, faked from
its contract, refuses the second item) sends the one who asked a card saying which step
failed and what was granted, with Retry and Undo buttons. Undo removes exactly what was
granted; Retry, once Okta accepts, grants only the steps left. A second click does nothing
and says so; someone who neither asked nor may onboard people is refused. Clicks go through
Assistant.handle as buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from chatbot.config import Bundle, BundleItem, JmlSettings, Person, Settings
from chatbot.governance import audit
from chatbot.jml import grants
from chatbot.testing import Chat, chat_harness, text_of
from chatbot.types import ButtonValue, ButtonVerb, Reply
from intents import Understander
from skills.kv import StoreKeyValue
from tests.skills.skill_fakes import CONNECTORS, SECRETS, Exchange, FakeSystem, transport

OKTA = {"Authorization": "SSWS okta-s3cret-123", "Accept": "application/json"}
BOB = Exchange("GET", "/api/v1/users/bob@example.com", 200, {"id": "00u1bob"})
ONCALL = "/api/v1/groups/00g-oncall/users/00u1bob"
REFUSED = {"errorCode": "E0000006", "errorSummary": "You do not have permission"}
BUNDLES = {
    "dev": Bundle(
        roles=("developer",),
        items=(
            BundleItem(resource="grafana"),
            BundleItem(resource="pagerduty", backend="okta", grant="oncall"),
            BundleItem(resource="jenkins"),
        ),
    )
}

Made = Callable[[FakeSystem], AbstractAsyncContextManager[Chat]]


@pytest.fixture
def onboarding(
    settings: Settings,
    database_url: str,
    understander: Understander,
    monkeypatch: pytest.MonkeyPatch,
) -> Made:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    okta = {**CONNECTORS["okta"], "groups": {"oncall": "00g-oncall"}}
    real = settings.model_copy(
        update={
            "connectors": {**CONNECTORS, "okta": okta},
            "bundles": BUNDLES,
            "jml": JmlSettings(onboard_as="dave"),
            "people": {
                **settings.people,
                "bob": Person(email="bob@example.com", roles=("developer",), manager="carol"),
            },
        }
    )

    @asynccontextmanager
    async def make(fake: FakeSystem) -> AsyncIterator[Chat]:
        async with chat_harness(real, database_url, understander, transport(fake)) as chat:
            yield chat
        fake.done()

    return make


async def _failed_in_the_middle(chat: Chat) -> Reply:
    """dave asks for bob's bundle, carol (his manager) approves, Okta refuses step 2."""
    a = chat.assistant
    dave = a.directory.find("dave")
    assert dave is not None
    asked = await a.jml.joiners.onboard(dave, "bob", None, chat.message("dave"))
    cards = [r for r in await a.approvals.deliver("carol") if r.buttons]
    done = text_of(await chat.click("carol", cards, "Approve"))
    assert "stopped at step 2 of 3 (pagerduty)" in done and "Granted so far: grafana" in done
    assert "chatops employee" not in done and "{" not in done  # buttons, not commands
    [card] = [r for r in await a.approvals.deliver("dave") if r.buttons]
    assert [b.label for b in card.buttons] == ["Retry", "Undo"]
    assert "Okta refused (403)" in card.text and "Not tried yet: jenkins" in card.text
    assert {ButtonValue.parse(b.value) for b in card.buttons} == {
        ButtonValue(ButtonVerb.ONBOARD_RETRY, str(asked.action_id)),
        ButtonValue(ButtonVerb.ONBOARD_UNDO, str(asked.action_id)),
    }
    _rendered_on_slack_and_teams(card, asked.action_id or 0)
    return card


def _rendered_on_slack_and_teams(card: Reply, action_id: int) -> None:
    """The same two buttons in Block Kit and in an Adaptive Card; people read words only."""
    from chatbot.adapters.slack import blocks
    from chatbot.adapters.teams import cards as teams

    values = [f"onboard-retry:{action_id}", f"onboard-undo:{action_id}"]
    text, rendered = blocks.render(card)
    assert [e["value"] for e in rendered[-1]["elements"]] == values
    assert [e["text"]["text"] for e in rendered[-1]["elements"]] == ["Retry", "Undo"]
    adaptive = teams.card(card.text, card)
    assert [teams.pressed(a["data"]) for a in adaptive["actions"]] == values
    assert "onboard-" not in text and "onboard-" not in adaptive["body"][0]["text"]


async def _members(chat: Chat, group: str) -> list[str]:
    kv = StoreKeyValue(chat.runtime.store, "access")
    return list(await kv.get(f"members:{group}", []))


async def _states(chat: Chat) -> dict[str, str]:
    async with chat.runtime.store.transaction() as tx:
        return {r.resource: r.state for r in await grants.of(tx, "bob")}


async def test_undo_removes_exactly_what_was_granted(onboarding: Made) -> None:
    okta = FakeSystem("acme.okta.com", [BOB, Exchange("PUT", ONCALL, 403, REFUSED)], OKTA)
    async with onboarding(okta) as chat:
        card = await _failed_in_the_middle(chat)
        assert await _members(chat, "grafana") == ["bob"]
        refused = text_of(await chat.click("alice", [card], "Undo"))
        assert "Only dave" in refused and await _members(chat, "grafana") == ["bob"]
        undone = text_of(await chat.click("dave", [card], "Undo"))
        assert "removed grafana, pagerduty, jenkins" in undone, undone
        assert await _members(chat, "grafana") == []
        assert await _members(chat, "jenkins") == []
        assert await _states(chat) == {
            "grafana": "removed",
            "pagerduty": "removed",
            "jenkins": "removed",
        }
        again = text_of(await chat.click("dave", [card], "Undo"))
        assert "already undone" in again
        later = text_of(await chat.click("dave", [card], "Retry"))
        assert "nothing left to retry" in later
        async with chat.runtime.store.transaction() as tx:
            events = [(e.event, e.actor, e.outcome) async for e in audit.entries(tx)]
        assert ("onboard.undone", "alice", "refused") in events
        assert ("onboard.undone", "dave", "ok") in events
        assert ("onboard.undone", "dave", "nothing") in events
    assert [r.method for r in okta.seen] == ["GET", "PUT"]  # Undo never called Okta


async def test_retry_after_the_back_end_recovers_grants_only_the_steps_left(
    onboarding: Made,
) -> None:
    okta = FakeSystem(
        "acme.okta.com",
        [BOB, Exchange("PUT", ONCALL, 403, REFUSED), BOB, Exchange("PUT", ONCALL, 204)],
        OKTA,
    )
    async with onboarding(okta) as chat:
        card = await _failed_in_the_middle(chat)
        done = text_of(await chat.click("dave", [card], "Retry"))  # Okta accepts now
        assert "bob now has pagerduty, jenkins" in done, done
        assert await _states(chat) == {
            "grafana": "granted",
            "pagerduty": "granted",
            "jenkins": "granted",
        }
        assert await _members(chat, "grafana") == ["bob"]  # granted once, not again
        assert await _members(chat, "jenkins") == ["bob"]
        again = text_of(await chat.click("dave", [card], "Retry"))
        assert "already finished" in again
        async with chat.runtime.store.transaction() as tx:
            events = [(e.event, e.actor) async for e in audit.entries(tx)]
        assert ("onboard.retried", "dave") in events
        after = events[events.index(("onboard.retried", "dave")) + 1 :]
        assert after[0] == ("action.started", "dave")  # through the start gate again
