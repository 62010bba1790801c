"""Secrets typed in chat are redacted before anything is stored (issue 10, item 16): action
slots and results, conversation state, the skills' key-value store, notifications and the
audit trail, on SQLite and PostgreSQL; a token cut by a length limit never survives in part.

The corpus holds one real-looking secret of each kind (built by concatenation, so that secret
scanners do not flag this file)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from chatbot.config import Settings
from chatbot.governance import outbox
from chatbot.governance.redaction import REDACTED, redact, redact_value
from chatbot.testing import Chat, chat_harness, text_of
from chatbot.types import ReplyKind
from intents import Understander
from skills.kv import StoreKeyValue

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
# kind: (what a person types, the secret that must not be stored)
CORPUS = {
    "password phrase": ("my password is Hunter2!", "Hunter2!"),
    "pw": ("pw: Tr0ub4dor&3", "Tr0ub4dor&3"),
    "pass": ("pass: correct-horse-battery", "correct-horse-battery"),
    "slack bot token": ("token xoxb-" + "1234567890-1234567890123-AbCdEfGhIjKlMnOp", "AbCdEfGhIj"),
    "slack user token": ("xoxp-" + "1234567890-987654321-abcdef0123456789", "abcdef0123456789"),
    "slack webhook": (
        "https://hooks.slack.com/services/" + "T0123ABCD/B0123ABCD/aBcDeFgHiJkLmNoPqRsTuVwX",
        "aBcDeFgHiJkLmNoPqRsTuVwX",
    ),
    "aws access key": ("key id AKIA" + "IOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"),
    "aws secret key": ("aws_secret_access_key=" + AWS_SECRET, AWS_SECRET),
    "jwt": ("session " + JWT, JWT.split(".")[2]),
    "github token": ("ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH2jK4", "aB3dE5gH7jK9mN1pQ3sT5vX7z"),
    "gitlab token": ("glpat-" + "xY9zW8vU7tS6rQ5pO4nM", "xY9zW8vU7tS6rQ5pO4nM"),
    "stripe key": ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    "basic auth url": ("clone https://deploy:" + "S3cretPw9@git.example.com/repo", "S3cretPw9"),
}


async def _stored_texts(chat: Chat) -> str:
    """Every row of every table, as text: what a database dump would show."""
    out = []
    async with chat.runtime.store.transaction() as tx:
        for table in SQLModel.metadata.sorted_tables:
            rows = await tx.execute(text(f"SELECT * FROM {table.name}"))
            out += [f"{table.name}: {tuple(row)}" for row in rows.all()]
    return "\n".join(out)


def test_every_kind_of_the_corpus_is_redacted_and_redaction_is_idempotent() -> None:
    for typed, secret in CORPUS.values():
        cleaned = redact(f"hello, {typed} thanks")
        assert secret not in cleaned and REDACTED in cleaned, typed
        assert redact(cleaned) == cleaned
    values = redact_value({"client_secret": "plain", "note": [CORPUS["pw"][0]], "n": 3})
    assert values == {"client_secret": REDACTED, "note": [f"pw: {REDACTED}"], "n": 3}


@pytest.mark.parametrize("kind", CORPUS)
async def test_a_secret_typed_in_chat_is_stored_nowhere(
    kind: str, settings: Settings, database_url: str, understander: Understander
) -> None:
    typed, secret = CORPUS[kind]
    async with chat_harness(settings, database_url, understander) as chat:
        asked = await chat.say("alice", f"create a ticket: {typed} does not work")
        assert asked[0].kind is ReplyKind.CONFIRM and "ticket" in text_of(asked)
        assert secret not in text_of(asked), f"{kind} echoed back in the confirmation"
        pending = await _stored_texts(chat)  # conversation state and the action's slots
        assert "conversations" in pending and "actions" in pending
        assert secret not in pending, f"{kind} stored while waiting for confirmation"
        done = await chat.click("alice", asked, "Confirm")
        assert "Opened INC" in text_of(done)
        stored = await _stored_texts(chat)  # plus the result, the kv store, the audit
        assert "kv_items" in stored and "audit_entries" in stored
        assert secret not in stored, f"{kind} stored after running"
        assert REDACTED in stored


async def test_a_token_cut_by_the_audit_length_limit_leaves_no_part(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    token = "ghp_" + "Zq8Wv7Ut6Sr5Qp4On3Ml2Kj1Ih0Gf9Ed8Cb7A"
    said = "x" * 480 + " " + token + " is what I got"
    async with chat_harness(settings, database_url, understander) as chat:
        await chat.say("alice", said)
        stored = await _stored_texts(chat)
    assert token[:8] not in stored and token[-12:] not in stored


async def test_the_key_value_store_and_notifications_redact_what_skills_write(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(settings, database_url, understander) as chat:
        kv = StoreKeyValue(chat.runtime.store, "test")
        await kv.put("note", {"text": "my password is Hunter2!", "api_key": "k-123", "n": 1})
        await kv.put("plain", {"b": 1, "a": "deploy web 2.3.1 to prod"})
        assert await kv.get("note") == {
            "text": f"my password is {REDACTED}",
            "api_key": REDACTED,
            "n": 1,
        }
        async with chat.runtime.store.transaction() as tx:
            outbox.notify(tx, ["alice"], "your new password: Hunter2! (temporary)")
        stored = await _stored_texts(chat)
        assert "Hunter2" not in stored and "k-123" not in stored
        assert f"your new password: {REDACTED} (temporary)" in stored
        async with chat.runtime.store.transaction() as tx:
            raw = (
                await tx.execute(text("SELECT value FROM kv_items WHERE key = 'plain'"))
            ).scalar_one()
        assert raw == json.dumps({"b": 1, "a": "deploy web 2.3.1 to prod"}, sort_keys=True)
