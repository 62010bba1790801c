"""An incident's thread in Slack and Teams, end to end: an Alertmanager delivery to the real
server posts the card, and what people type under it (signed Slack events through Bolt, Teams
activities through botbuilder) becomes timeline notes or acts on that incident."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from chatbot.incidents import threads
from chatbot.store.tables import AuditEntry
from tests.adapters.conftest import SIGNING_SECRET, running, server_settings
from tests.adapters.conftest import model_dir as model_dir
from tests.adapters.conftest import slack_api as slack_api
from tests.adapters.slackside import SlackSide
from tests.adapters.teamsside import BOT, TeamsSide
from tests.fakes.botframework import FakeConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.incidents.payloads import alert, alertmanager

TOKEN = "am-token-for-thread-tests"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
CHANNEL = "CINCIDENTS"
SECRET = "xoxb-123456789012-abcdefghijklmnop"


def incident_settings(model_dir: Path, database_url: str, **platform: Any) -> Any:
    return server_settings(
        model_dir,
        database_url,
        alerts={"alertmanager_token": TOKEN},
        incidents={"channels": {"checkout": CHANNEL}, "responders": {"*": ["carol"]}},
        **platform,
    )


async def fire(http: httpx.AsyncClient, app: Any) -> None:
    """An alert delivered, and processed (the intake answers before it processes)."""
    answer = await http.post(
        "/hooks/alertmanager",
        json=alertmanager([alert("firing", START)]),
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 202, answer.text
    await app.state.alert_inbox.drain()


async def timeline(app: Any, incident_id: int = 1) -> list[tuple[str, str, str]]:
    events = await app.state.runtime.incidents.timeline(incident_id)
    return [(e.kind, e.actor, e.text) for e in events]


async def state(app: Any, incident_id: int = 1) -> str:
    return str((await app.state.runtime.incidents.get(incident_id)).state)


async def audited(app: Any, event: str) -> list[AuditEntry]:
    async with app.state.runtime.store.transaction() as tx:
        rows = await tx.exec(select(AuditEntry).where(AuditEntry.event == event))
        return list(rows.all())


# -- Slack ----------------------------------------------------------------------------------


@pytest.fixture
async def slack(
    model_dir: Path,
    database_url: str,
    slack_api: FakeSlackApi,
) -> AsyncIterator[SlackSide]:
    values = {"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, "api_url": slack_api.url}
    settings = incident_settings(model_dir, database_url, slack=values)
    async with running(settings) as (app, http):
        yield SlackSide(app, http, SIGNING_SECRET)


async def reply_in_thread(
    side: SlackSide, user: str, card: dict[str, Any], text: str, mention: bool = False
) -> httpx.Response:
    """A reply under the card as Slack sends it: a channel `message` event with `thread_ts`
    (or `app_mention` when the bot is named)."""
    ts = f"1700000100.{abs(hash((user, text))) % 10**6:06d}"
    event = {
        "type": "app_mention" if mention else "message",
        "channel": card["channel"],
        "channel_type": "channel",
        "user": user,
        "text": f"<@UBOT> {text}" if mention else text,
        "ts": ts,
        "thread_ts": card["ts"],
        "event_ts": ts,
    }
    return await side.send(side.event_body(event), "application/json")


async def test_slack_card_thread_replies_become_notes_and_commands_act(
    slack: SlackSide, slack_api: FakeSlackApi
) -> None:
    await fire(slack.http, slack.app)
    [card] = slack_api.posts_to(CHANNEL)
    assert card["text"].startswith("Incident INC-1: HighErrorRate on checkout prod")
    assert "Responders: Carol (release manager)." in card["text"]
    assert any(b["type"] == "actions" for b in card["blocks"])  # Acknowledge ... Resolve

    said = f"db pool exhausted, I used token {SECRET} to look"
    assert (await reply_in_thread(slack, "UCAROL", card, said)).status_code == 200
    [note] = [t for t in await timeline(slack.app) if t[0] == "note"]
    assert note[1] == "carol" and "db pool exhausted" in note[2] and SECRET not in note[2]
    [entry] = await audited(slack.app, "incident.note")
    assert entry.actor == "carol" and SECRET not in entry.detail
    assert len(slack_api.posts_to(CHANNEL)) == 1  # a note is not answered in the channel

    await reply_in_thread(slack, "UALICE", card, "ack it")  # an employee: no grant
    assert await state(slack.app) == "triggered"
    assert any("refused" in t[2] for t in await timeline(slack.app) if t[1] == "alice")
    assert [e.outcome for e in await audited(slack.app, "incident.acknowledged")] == ["denied"]

    await reply_in_thread(slack, "UBOB", card, "roll it back")  # bob: no rollback in prod
    lines = [t[2] for t in await timeline(slack.app)]
    assert any(line.startswith("bob asked to roll back checkout in prod") for line in lines)

    await reply_in_thread(slack, "UBOB", card, "resolve it please", mention=True)
    assert await state(slack.app) == "resolved"
    answers = [p for p in slack_api.posts_to(CHANNEL) if p.get("thread_ts") == card["ts"]]
    assert any(p["text"] == "INC-1 is now resolved." for p in answers)


async def test_slack_chatter_outside_incident_threads_is_ignored(
    slack: SlackSide, slack_api: FakeSlackApi
) -> None:
    stranger = {"channel": CHANNEL, "ts": "1690000000.000001"}
    before = len(await audited(slack.app, "message.received"))
    await reply_in_thread(slack, "UBOB", stranger, "resolve it")
    assert len(await audited(slack.app, "message.received")) == before  # not even recorded
    assert slack_api.posts_to(CHANNEL) == []


async def test_resolve_it_outside_a_thread_is_asked_about_never_guessed(
    slack: SlackSide, slack_api: FakeSlackApi
) -> None:
    await fire(slack.http, slack.app)
    await slack.dm("UBOB", "resolve it")
    [asked] = slack_api.posts_to("DUBOB")[-1:]
    assert "Which incident" in asked["text"]
    assert await state(slack.app) == "triggered"
    await slack.dm("UBOB", "INC-1")
    assert await state(slack.app) == "resolved"


# -- Teams ----------------------------------------------------------------------------------

TEAMS_CHANNEL = "19:incidents@thread.tacv2"
MEMBERS = {
    f"29:{name}": {"name": name.title(), "email": f"{name}@example.com"}
    for name in ("alice", "bob", "carol", "dave")
}


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector(members=dict(MEMBERS)).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def teams(
    model_dir: Path,
    database_url: str,
    connector: FakeConnector,
) -> AsyncIterator[TeamsSide]:
    settings = incident_settings(model_dir, database_url, teams={"allow_unauthenticated": True})
    settings = settings.model_copy(
        update={
            "incidents": settings.incidents.model_copy(
                update={"channels": {"checkout": TEAMS_CHANNEL}}
            )
        }
    )
    async with running(settings) as (app, http):
        yield TeamsSide(app, http, connector)


def in_thread(side: TeamsSide, user: str, root: str, text: str, mention: bool) -> dict[str, Any]:
    conversation = {
        "id": f"{TEAMS_CHANNEL};messageid={root}",
        "conversationType": "channel",
        "isGroup": True,
    }
    at = f"<at>{BOT['name']}</at>"
    extra: dict[str, Any] = {
        "channelData": {
            "tenant": {"id": "t"},
            "team": {"id": "19:team"},
            "channel": {"id": TEAMS_CHANNEL},
        }
    }
    if mention:
        extra["entities"] = [{"type": "mention", "mentioned": BOT, "text": at}]
    return side.activity(
        user, conversation, text=f"{at} {text}" if mention else text, replyToId=root, **extra
    )


async def test_teams_replies_to_the_card_become_notes_and_resolve_it_acts(
    teams: TeamsSide, connector: FakeConnector
) -> None:
    await teams.mention("dave", TEAMS_CHANNEL, "what's on fire")  # the bot now knows the channel
    await fire(teams.http, teams.app)
    [card] = [s for s in connector.messages_in(TEAMS_CHANNEL) if s.buttons]
    assert "Incident INC-1" in card.text

    note = in_thread(teams, "carol", card.activity_id, f"rotating {SECRET} now", mention=False)
    assert (await teams.post(note)).status_code < 300
    [line] = [t for t in await timeline(teams.app) if t[0] == "note"]
    assert line[1] == "carol" and "rotating" in line[2] and SECRET not in line[2]

    command = in_thread(teams, "bob", card.activity_id, "resolve it", mention=True)
    await teams.post(command)
    assert await state(teams.app) == "resolved"
    thread = f"{TEAMS_CHANNEL};messageid={card.activity_id}"
    assert any("INC-1 is now resolved." in s.text for s in connector.messages_in(thread))


# -- the commands themselves -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ack it", threads.ThreadCommand.ACK),
        ("Acknowledge", threads.ThreadCommand.ACK),
        ("I'm on it", threads.ThreadCommand.ACK),
        ("resolve it", threads.ThreadCommand.RESOLVE),
        ("please resolve this.", threads.ThreadCommand.RESOLVE),
        ("mark it as resolved", threads.ThreadCommand.RESOLVE),
        ("roll it back", threads.ThreadCommand.ROLLBACK),
        ("rollback the last deploy please", threads.ThreadCommand.ROLLBACK),
        ("should we roll it back?", None),
        ("don't resolve it", None),
        ("resolve it when the queue drains", None),
        ("the rollback did not help", None),
        ("ack INC-12", None),  # names its incident: the normal request path takes it
    ],
)
def test_only_a_whole_short_command_acts(text: str, expected: object) -> None:
    assert threads.command(text) == expected
