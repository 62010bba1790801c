"""Times said to people are on the reader's own clock: the requester's zone on their
confirmation and schedule list, the approver's on the approver's card, named where it could be
misread (another person's zone, only the default zone, a clock change)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from chatbot.config import ConversationSettings, Settings
from chatbot.governance import outbox
from chatbot.incidents.payloads import Source, parse
from chatbot.testing import Chat, chat_harness, text_of
from chatbot.times import Zone, say
from intents import Understander
from tests.incidents.payloads import alert, alertmanager

ZONES = {"bob": "America/New_York", "carol": "Europe/Berlin"}


@pytest.fixture
async def chat(
    settings: Settings, database_url: str, understander: Understander
) -> AsyncIterator[Chat]:
    people = {
        name: p.model_copy(update={"tz": ZONES.get(name, "")})
        for name, p in settings.people.items()
    }
    # bob may deploy to production, with a release manager's approval (carol's).
    people["bob"] = people["bob"].model_copy(update={"roles": ("release-manager",)})
    incidents = settings.incidents.model_copy(
        update={"responders": {"*": ("bob", "carol")}, "channels": {"*": "C0INCIDENTS"}}
    )
    custom = settings.model_copy(
        update={
            "people": people,
            "conversation": ConversationSettings(timezone="Asia/Tokyo"),
            "incidents": incidents,
        }
    )
    async with chat_harness(custom, database_url, understander) as harness:
        yield harness


def test_say_names_the_zone_only_where_it_could_be_misread() -> None:
    at = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    assert say(at, Zone("America/New_York")) == "Thu 03 Dec 20:00"
    assert say(at, Zone("Europe/Berlin"), requester="America/New_York") == (
        "Fri 04 Dec 02:00 Europe/Berlin (01:00 UTC)"
    )
    assert say(at, Zone("Asia/Tokyo", own=False)) == "Fri 04 Dec 10:00 Asia/Tokyo (01:00 UTC)"
    assert say(at, Zone("UTC", own=False)) == "Fri 04 Dec 01:00 UTC"
    # 01:30 on the night clocks go back in New York happens twice: the offset says which.
    twice = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert say(twice, Zone("America/New_York")) == (
        "Sun 01 Nov 01:30 America/New_York, UTC-04:00 (05:30 UTC)"
    )
    assert say(None, Zone("UTC")) == "never"
    assert say(at, "Not/AZone") == "Fri 04 Dec 01:00"  # an unknown zone reads UTC


async def test_the_requester_reads_their_own_clock_and_the_approver_theirs(chat: Chat) -> None:
    asked = await chat.say("bob", "deploy payments-api 2.3.1 to prod tomorrow at 8pm")
    first = asked[0].text
    assert first.startswith("At ") and " 20:00: " in first and "UTC" not in first, first
    sent = await chat.click("bob", asked, "Send for approval")
    [card] = [r for r in sent if r.to == "carol"]
    # 8pm in New York is 2am (winter) the next day in Berlin: carol reads her own clock.
    assert "If approved, it starts" in card.text and "02:00 Europe/Berlin" in card.text, card.text
    assert "Expires" in card.text and "Europe/Berlin" in card.text.split("Expires")[1]
    approved = await chat.click("carol", [card], "Approve")
    assert "Scheduled request" in text_of(approved)
    listed = await chat.say("bob", "what is scheduled")
    assert " 20:00: " in text_of(listed) and "Europe/Berlin" not in text_of(listed)


async def test_a_person_without_a_zone_reads_the_default_named(chat: Chat) -> None:
    asked = await chat.say("dave", "restart web in dev in 30 minutes")
    assert "Asia/Tokyo (" in asked[0].text and "UTC)" in asked[0].text, asked[0].text


async def test_an_incident_is_announced_on_each_responders_clock(chat: Chat) -> None:
    started = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    notices = parse(Source.ALERTMANAGER, alertmanager([alert("firing", started)]))
    await chat.runtime.incidents.ingest(notices)
    bob = text_of(await chat.assistant.approvals.deliver("bob"))
    carol = text_of(await chat.assistant.approvals.deliver("carol"))
    assert "since Mon 30 Nov 05:00." in bob, bob
    assert "since Mon 30 Nov 11:00." in carol, carol
    async with chat.runtime.store.transaction() as tx:
        posted = [n.text for n in await outbox.pending(tx) if n.channel == "C0INCIDENTS"]
    assert any("19:00 Asia/Tokyo (10:00 UTC)" in t for t in posted), posted
