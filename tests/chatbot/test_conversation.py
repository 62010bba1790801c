"""Issue 11 through Assistant.handle: consent only when given, corrections, words for people."""

from __future__ import annotations

import pytest

from chatbot.testing import Chat, text_of
from chatbot.types import ReplyKind


def labels(replies) -> list[str]:
    return [b.label for r in replies for b in r.buttons]


async def test_thanks_at_a_confirmation_does_not_run_it(chat: Chat) -> None:
    asked = await chat.say("alice", "reset my password")
    assert "password" in asked[0].text and "password.reset" not in asked[0].text
    thanked = await chat.say("alice", "thanks!")
    assert "welcome" in text_of(thanked).lower()
    assert "Confirm" in labels(thanked)  # still open, shown again with its buttons
    assert "Reset the password" not in text_of(thanked)
    assert "Reset your password" in text_of(thanked)
    done = await chat.say("alice", "yes")
    assert "Reset the password of alice" in text_of(done)


async def test_unrelated_text_does_not_cancel_a_pending_unlock(chat: Chat) -> None:
    await chat.say("alice", "unlock my account")
    other = await chat.say("alice", "my wifi is not working in meeting room B")
    assert "Cancelled" not in text_of(other)
    assert "Confirm" in labels(other)
    done = await chat.say("alice", "yes")
    assert "Unlocked the account of alice" in text_of(done)


@pytest.mark.parametrize("text", ["is that safe?", "how long will it take?", "hmm", "maybe"])
async def test_questions_and_doubt_keep_the_question_open(chat: Chat, text: str) -> None:
    await chat.say("alice", "reset my vpn")
    replies = await chat.say("alice", text)
    assert "Confirm" in labels(replies) and "Ended" not in text_of(replies)


async def test_a_new_request_is_understood_and_the_old_question_reminded_once(
    chat: Chat,
) -> None:
    asked = await chat.say("bob", "restart checkout in staging")
    first = await chat.say("bob", "who is on call for billing")
    assert "Your earlier question is still open" in text_of(first)
    assert "Restart checkout in staging?" in text_of(first)
    second = await chat.say("bob", "who is on call for search")
    assert "still open" not in text_of(second)
    done = await chat.click("bob", asked, "Confirm")
    assert "checkout" in text_of(done) and done[0].kind is not ReplyKind.ERROR


async def test_a_new_request_saying_instead_replaces_the_pending_one(chat: Chat) -> None:
    await chat.say("bob", "restart billing in dev")
    replaced = await chat.say("bob", "no, restart checkout in dev instead")
    assert "Restart checkout in dev?" in text_of(replaced)
    assert "billing" not in text_of(replaced)


async def test_high_risk_needs_a_plain_yes(chat: Chat) -> None:
    asked = await chat.say("dave", "restart checkout in prod")
    assert "This changes production." in text_of(asked)
    loose = await chat.say("dave", "sounds good")
    assert "clear yes" in text_of(loose) and "Confirm" in labels(loose)
    done = await chat.say("dave", "yes")
    assert "checkout" in text_of(done) and "clear yes" not in text_of(done)


@pytest.mark.parametrize(
    ("first", "correction", "expected"),
    [
        ("deploy web 2.4.0 to dev", "actually make it 2.4.1", "Deploy web 2.4.1 to dev?"),
        ("deploy web 2.4.0 to staging", "no, to dev instead", "Deploy web 2.4.0 to dev?"),
        ("restart search in staging", "not staging, dev", "Restart search in dev?"),
    ],
)
async def test_corrections_amend_the_pending_request(
    chat: Chat, first: str, correction: str, expected: str
) -> None:
    old = await chat.say("bob", first)
    amended = await chat.say("bob", correction)
    assert expected in text_of(amended), text_of(amended)
    assert "Confirm" in labels(amended)
    stale = await chat.click("bob", old, "Confirm")  # the first request was withdrawn
    assert "already cancelled" in text_of(stale)


async def test_a_correction_to_prod_is_decided_again(chat: Chat) -> None:
    await chat.say("carol", "deploy web 2.4.1 to staging")
    amended = await chat.say("carol", "not staging, prod")
    assert "needs approval by a release-manager" in text_of(amended)
    assert "Send for approval" in labels(amended)


async def test_access_duration_correction(chat: Chat) -> None:
    await chat.say("alice", "i need access to grafana for 1 day")
    amended = await chat.say("alice", "make it 2 days")
    assert "for 2d" in text_of(amended)


async def test_did_you_mean_shows_titles_not_ids(chat: Chat) -> None:
    replies = await chat.say("bob", "ticket")
    shown = text_of(replies) + " ".join(labels(replies))
    for internal in ("ticket.create", "ticket.status", "ticket.update", "policy[0]"):
        assert internal not in shown


async def test_revoke_removes_access_granted_earlier(chat: Chat) -> None:
    asked = await chat.say("alice", "i need access to grafana for 1 day")
    sent = await chat.click("alice", asked, "Send for approval")
    approved = await chat.click("dave", sent, "Approve")
    assert "has access to grafana" in text_of(approved)
    asked = await chat.say("alice", "revoke my grafana access")
    assert "Remove your access to grafana?" in text_of(asked)
    done = await chat.click("alice", asked, "Confirm")
    assert "Removed the access of alice to grafana" in text_of(done)
    again = await chat.say("alice", "remove me from the grafana group")
    nothing = await chat.click("alice", again, "Confirm")
    assert "none to remove" in text_of(nothing)


@pytest.mark.parametrize(
    "text", ["revoke my grafana access", "remove me from the github group", "end my prod-db access"]
)
async def test_opposites_are_revokes_not_requests(chat: Chat, text: str) -> None:
    asked = await chat.say("alice", text)
    assert "Remove your access" in text_of(asked)
    assert "approval" not in text_of(asked)


@pytest.mark.parametrize(
    "text", ["don't restart checkout", "my vpn works again, no need to reset it"]
)
async def test_negations_do_nothing(chat: Chat, text: str) -> None:
    replies = await chat.say("bob", text)
    assert not labels(replies)
    assert "did nothing" in text_of(replies)


async def support_events(chat: Chat) -> list[tuple[str, str]]:
    from sqlmodel import select

    from chatbot.store.tables import AuditEntry

    async with chat.runtime.store.transaction() as tx:
        rows = (await tx.exec(select(AuditEntry))).all()
    return [(r.event, r.outcome) for r in rows if r.event.startswith("support.")]


@pytest.mark.parametrize(
    "text",
    [
        "my outlook keeps crashing when I open attachments",
        "I need a new monitor, mine is flickering",
        "is the email server down?",
    ],
)
async def test_it_problems_without_a_skill_get_a_ticket_offered(chat: Chat, text: str) -> None:
    offered = await chat.say("alice", text)
    assert "Sorry, I can't help" not in text_of(offered)
    assert {"Open a ticket", "Talk to someone"} <= set(labels(offered))
    asked = await chat.click("alice", offered, "Open a ticket")
    assert text.rstrip("?") in text_of(asked)  # the person's own words are the summary
    done = await chat.click("alice", asked, "Confirm")
    assert "INC" in text_of(done)
    events = await support_events(chat)
    assert [e for e, _ in events] == ["support.offered", "support.ticket"]


async def test_articles_can_deflect_and_a_person_can_be_asked(chat: Chat) -> None:
    offered = await chat.say("alice", "my outlook signature looks wrong")
    assert "KB0000006" in text_of(offered)
    glad = await chat.click("alice", offered, "That solved it")
    assert "Glad" in text_of(glad)
    offered = await chat.say("alice", "the office wifi drops all the time")
    person = await chat.click("alice", offered, "Talk to someone")
    assert "service desk" in text_of(person)
    events = await support_events(chat)
    assert events == [
        ("support.offered", "articles"),
        ("support.deflected", "deflected"),
        ("support.offered", "articles"),
        ("support.handoff", "handoff"),
    ]


@pytest.mark.parametrize("text", ["tell me a joke", "what is the weather in paris"])
async def test_small_talk_and_non_it_get_the_polite_refusal(chat: Chat, text: str) -> None:
    replies = await chat.say("alice", text)
    assert "Open a ticket" not in labels(replies)


def test_a_manifest_declares_its_title_and_confirmation() -> None:
    from chatbot import texts
    from skills.manifest import ManifestSkill, parse_manifest

    manifest = parse_manifest(
        'name = "cache.flush"\n'
        'title = "Flush a cache"\n'
        'confirmation = "Flush the {service} cache?"\n'
        'description = "Flush a cache"\n'
        'examples = ["flush the cache of web"]\n'
        '[[slots]]\nname = "service"\ntype = "service"\n'
        '[action]\nmethod = "POST"\nurl = "https://api.example.com/flush/{service}"\n',
        "flush.toml",
        ["api.example.com"],
    )
    spec = ManifestSkill(manifest, ["api.example.com"]).spec
    assert texts.title_of(spec) == "Flush a cache"
    assert texts.sentence(spec, {"service": "web"}, "bob") == "Flush the web cache?"


async def test_a_loose_reply_asks_for_the_buttons_again(chat: Chat) -> None:
    await chat.say("alice", "reset my vpn")
    replies = await chat.say("alice", "later")
    assert "Please answer with the buttons" in text_of(replies)
    assert "can't help" not in text_of(replies) and "Confirm" in labels(replies)
