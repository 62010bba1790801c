"""The web chat keeps each person's own conversation: who sees what, cards in words, the
history read back (redacted), thumbs up/down, and the proxy deciding who is asking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from chatbot.config import Settings
from chatbot.server import create_app
from chatbot.store.engine import _driver_url
from intents import Understander

PROXY = {"X-Chatops-Proxy-Secret": "s3"}


@pytest.fixture
def client(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    people = dict(settings.people)
    people["dave"] = people["dave"].model_copy(update={"tz": "Europe/Berlin"})
    people["carol"] = people["carol"].model_copy(update={"tz": "America/New_York"})
    zoned = settings.model_copy(update={"people": people})
    with TestClient(create_app(zoned, database_url, understander)) as c:
        yield c


def say(client: TestClient, who: str, text: str = "", press: str = "") -> dict[str, Any]:
    body = {"as": who, **({"press": press} if press else {"text": text})}
    answer = client.post("/api/chat", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def history(client: TestClient, who: str, **query: Any) -> list[dict[str, Any]]:
    answer = client.get("/api/history", params={"as": who, **query})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["entries"])


def button(entry: dict[str, Any], label: str) -> str:
    return next(str(b["value"]) for b in entry["buttons"] if b["label"] == label)


def facts(entry: dict[str, Any]) -> dict[str, str]:
    return {f["label"]: f["value"] for f in entry["card"]["facts"]}


def ask_for_a_prod_deploy(client: TestClient) -> dict[str, Any]:
    """carol asks for a production deploy and sends it for approval; dave's card."""
    asked = say(client, "carol", "deploy web 5.2.0 to prod")["entries"][-1]
    say(client, "carol", press=button(asked, "Send for approval"))
    (card,) = [e for e in history(client, "dave") if e["kind"] == "approval"]
    return card


def test_the_requester_gets_the_outcome_and_the_approver_only_the_card(
    client: TestClient,
) -> None:
    asked = say(client, "carol", "deploy web 5.2.0 to prod")
    sent = say(client, "carol", press=button(asked["entries"][-1], "Send for approval"))
    # carol is told it waits; the card addressed to dave is not in her answer.
    assert [r["text"] for r in sent["replies"]] == ["Request #1 is waiting for approval by dave."]
    assert all(e["kind"] != "approval" for e in history(client, "carol"))

    card = next(e for e in history(client, "dave") if e["kind"] == "approval")
    assert facts(card) == {
        "What will happen": "Deploy web 5.2.0 to prod",
        "Asked by": "Carol (release manager)",
        "Who decides": "you",
        "Expires": facts(card)["Expires"],
    }
    assert card["card"]["open"] and card["card"]["status"] == "Waiting for your decision"
    approved = say(client, "dave", press=button(card, "Approve"))
    assert "You approved request #1." in [r["text"] for r in approved["replies"]]

    # The card changed in place (same id): no buttons left, where it stands in words.
    (after,) = [e for e in history(client, "dave") if e["kind"] == "approval"]
    assert after["id"] == card["id"] and after["buttons"] == []
    assert after["card"]["status"] == "Done" and not after["card"]["open"]
    # carol has her outcome; her own request card is closed too.
    mine = history(client, "carol")
    assert any("Deployed web 5.2.0 to prod" in e["text"] for e in mine if e["kind"] == "result")
    (request_card,) = [e for e in mine if e["kind"] == "confirm"]
    assert request_card["buttons"] == [] and request_card["card"]["status"] == "Done"
    # dave's conversation holds nothing carol said.
    assert not [e for e in history(client, "dave") if "deploy web" in e["text"]]


def test_cards_say_the_expiry_in_the_readers_time_zone(client: TestClient) -> None:
    card = ask_for_a_prod_deploy(client)
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    action = client.portal.call(rt.assistant.approvals.load, 1)
    berlin = action.expires_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert facts(card)["Expires"] == f"{berlin:%a %d %b %Y, %H:%M} (Europe/Berlin)"
    # The card's words say it on dave's clock too, naming the zone (carol's differs).
    assert f"{berlin:%H:%M} Europe/Berlin" in card["text"]
    (mine,) = [e for e in history(client, "carol") if e["kind"] == "confirm"]
    assert facts(mine)["Asked by"] == "you"
    assert facts(mine)["Who decides"] == "Dave (admin)"


def test_reload_and_switching_give_each_person_their_own_history(client: TestClient) -> None:
    say(client, "alice", "whoami")
    say(client, "bob", "help")
    alice = history(client, "alice")
    assert [e["from"] for e in alice] == ["person", "assistant"]
    assert alice[0]["text"] == "whoami" and "alice" in alice[1]["text"]
    assert history(client, "bob")[0]["text"] == "help"
    assert history(client, "erin") == []
    assert history(client, "alice") == alice  # read again: the same, nothing consumed


def test_what_is_kept_is_redacted(client: TestClient, database_url: str) -> None:
    secret = "hunter2-Zq8xW"
    say(client, "alice", f"my password is {secret} please reset it")
    kept = history(client, "alice")[0]["text"]
    assert secret not in kept and "[redacted]" in kept
    engine = create_engine(_driver_url(database_url))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT text FROM web_entries")).scalars().all()
    engine.dispose()
    assert rows and not [r for r in rows if secret in r]


def test_changes_after_a_cursor(client: TestClient) -> None:
    say(client, "alice", "whoami")
    cursor = client.get("/api/history", params={"as": "alice"}).json()["cursor"]
    assert history(client, "alice", after=cursor) == []
    say(client, "alice", "help")
    later = history(client, "alice", after=cursor)
    assert [e["text"] for e in later][:1] == ["help"] and len(later) == 2
    for bad in ("-1", "x", "1e3"):
        answer = client.get("/api/history", params={"as": "alice", "after": bad})
        assert answer.status_code == 400 and "cursor" in answer.json()["error"]


def test_thumbs_up_or_down_once_per_answer(client: TestClient) -> None:
    found = say(client, "alice", "search the kb for vpn")["entries"][-1]
    assert found["feedback"]["ask"] == "Was this helpful?"
    vote = {"as": "alice", "reply": found["id"], "verdict": "down"}
    assert client.post("/api/feedback", json=vote).status_code == 200
    assert client.post("/api/feedback", json={**vote, "verdict": "up"}).json()["verdict"] == "up"
    (shown,) = [e for e in history(client, "alice") if e["id"] == found["id"]]
    assert shown["feedback"]["verdict"] == "up"
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    from chatbot import feedback

    counted = client.portal.call(lambda: feedback.tally(rt.store))
    assert (counted.up, counted.down) == (1, 0)
    # Not bob's to rate; not a verdict; not an answer.
    assert client.post("/api/feedback", json={**vote, "as": "bob"}).status_code == 404
    assert client.post("/api/feedback", json={**vote, "verdict": "meh"}).status_code == 400
    said = history(client, "alice")[0]
    assert client.post("/api/feedback", json={**vote, "reply": said["id"]}).status_code == 404


def test_an_expired_request_reaches_both_screens(client: TestClient) -> None:
    card = ask_for_a_prod_deploy(client)
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    assert client.portal.call(rt.assistant.approvals.expire, 1)
    notes = client.post("/api/inbox", json={"as": "carol"}).json()["notifications"]
    assert any("expired without a decision" in n["text"] for n in notes)
    assert any("expired without a decision" in e["text"] for e in history(client, "carol"))
    client.post("/api/inbox", json={"as": "dave"})
    (after,) = [e for e in history(client, "dave") if e["id"] == card["id"]]
    assert after["buttons"] == [] and after["card"]["status"] == "Expired without a decision"


def test_behind_the_proxy_only_its_header_names_the_person(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    web = settings.web.model_copy(update={"auth": "proxy", "shared_secret": "s3"})
    proxied = settings.model_copy(update={"web": web})
    with TestClient(create_app(proxied, database_url, understander)) as client:
        bob = {**PROXY, "X-Forwarded-Email": "bob@example.com"}
        said = client.post("/api/chat", json={"as": "dave", "text": "whoami"}, headers=bob)
        assert said.status_code == 200
        mine = client.get("/api/history", params={"as": "dave"}, headers=bob).json()["entries"]
        assert "bob@example.com" in mine[-1]["text"]
        dave = {**PROXY, "X-Forwarded-Email": "dave@example.com"}
        assert client.get("/api/history", headers=dave).json()["entries"] == []
        forged = client.get("/api/history", params={"as": "bob"})
        assert forged.status_code == 401
        vote = {"reply": mine[-1]["id"], "verdict": "up"}
        assert client.post("/api/feedback", json=vote, headers=dave).status_code == 404
        assert client.post("/api/feedback", json=vote, headers=bob).status_code == 200
