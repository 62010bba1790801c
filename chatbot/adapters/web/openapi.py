"""The web chat's operations in the OpenAPI document (`/api/openapi.json`), fuzzed by
tests/fuzz. The live stream (`GET /events`, server-sent events) is not JSON and never ends,
so it is described in the README, not here."""

from __future__ import annotations

from chatbot.feedback import Verdict
from chatbot.openapi import Operation, Schema, query_parameter
from chatbot.types import ButtonStyle, ReplyKind

MAX_CURSOR = 2**63 - 1

BUTTON: Schema = {
    "type": "object",
    "required": ["label", "value", "style"],
    "properties": {
        "label": {"type": "string"},
        "value": {"type": "string"},
        "style": {"enum": [str(s) for s in ButtonStyle]},
    },
}
REPLY: Schema = {
    "type": "object",
    "required": ["text", "kind", "buttons"],
    "properties": {
        "text": {"type": "string"},
        "kind": {"enum": [str(k) for k in ReplyKind]},
        "buttons": {"type": "array", "items": BUTTON},
        "action_id": {"type": ["integer", "null"]},
        "to": {"type": ["string", "null"]},
        "private": {"type": "boolean"},
        "channel": {"type": ["string", "null"]},
        "updates": {"type": ["integer", "null"]},
        "skill": {"type": ["string", "null"]},
    },
}
FACT: Schema = {
    "type": "object",
    "required": ["label", "value"],
    "properties": {"label": {"type": "string"}, "value": {"type": "string"}},
}
CARD: Schema = {
    "type": "object",
    "required": ["facts", "status", "state", "open"],
    "properties": {
        "facts": {"type": "array", "items": FACT},
        "status": {"type": "string"},
        "state": {"type": "string"},
        "open": {"type": "boolean"},
    },
}
FEEDBACK: Schema = {
    "type": "object",
    "required": ["ask", "up", "down", "verdict"],
    "properties": {
        "ask": {"type": ["string", "null"]},
        "up": {"type": "string"},
        "down": {"type": "string"},
        "verdict": {"enum": [*(str(v) for v in Verdict), None]},
    },
}
ENTRY: Schema = {
    "type": "object",
    "required": ["id", "from", "kind", "text", "buttons", "card", "feedback", "at"],
    "properties": {
        "id": {"type": "string"},
        "from": {"enum": ["person", "assistant"]},
        "kind": {"enum": [str(k) for k in ReplyKind]},
        "text": {"type": "string"},
        "buttons": {"type": "array", "items": BUTTON},
        "action_id": {"type": ["integer", "null"]},
        "card": {"oneOf": [{"type": "null"}, CARD]},
        "feedback": {"oneOf": [{"type": "null"}, FEEDBACK]},
        "at": {"type": "string"},
    },
}
HISTORY: Schema = {
    "type": "object",
    "required": ["entries", "cursor"],
    "properties": {
        "entries": {"type": "array", "items": ENTRY},
        "cursor": {"type": "integer", "minimum": 0},
    },
}
REPLIES: Schema = {
    "type": "object",
    "required": ["replies", "entries"],
    "properties": {
        "replies": {"type": "array", "items": REPLY},
        "entries": {"type": "array", "items": ENTRY},
    },
}
INBOX: Schema = {
    "type": "object",
    "required": ["replies", "notifications"],
    "properties": {
        "replies": {"type": "array", "items": REPLY},
        "notifications": {"type": "array", "items": REPLY},
    },
}
WHO: Schema = {"type": "string", "description": "the demo person (web.auth = none)"}
REFUSED = {
    401: ("the authenticating proxy's headers are missing or wrong", None),
    403: ("a cross-site request", None),
    503: ("proxy mode without web.shared_secret", None),
}
operations = (
    Operation(
        "POST",
        "/api/chat",
        "chat",
        "Say something, or press a button, as a person; the assistant's replies",
        "web chat",
        {200: ("the replies to the speaker, and the entries kept for them", REPLIES), **REFUSED},
        body={
            "application/json": {
                "type": "object",
                "properties": {
                    "as": WHO,
                    "text": {"type": "string"},
                    "press": {"type": "string", "description": "a button's value"},
                    "file": {
                        "type": "object",
                        "description": "a skill manifest file, by admins (up to 64 KB)",
                        "required": ["name", "text"],
                        "properties": {"name": {"type": "string"}, "text": {"type": "string"}},
                    },
                },
            }
        },
    ),
    Operation(
        "GET",
        "/api/people",
        "people",
        "The demo people for the picker (none behind a proxy)",
        "web chat",
        {
            200: (
                "the people",
                {
                    "type": "object",
                    "required": ["people", "picker"],
                    "properties": {
                        "people": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "display_name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "display_name": {"type": "string"},
                                },
                            },
                        },
                        "picker": {"type": "boolean"},
                        "labels": {
                            "type": "object",
                            "description": "the page's own words (reconnecting, choices, ...)",
                            "additionalProperties": {"type": "string"},
                        },
                    },
                },
            )
        },
    ),
    Operation(
        "GET",
        "/api/inbox",
        "readInbox",
        "The approval cards waiting for a person (reads only)",
        "web chat",
        {200: ("the cards; notifications stay for the POST", INBOX), **REFUSED},
        parameters=(query_parameter("as", "the demo person (web.auth = none)"),),
    ),
    Operation(
        "POST",
        "/api/inbox",
        "takeInbox",
        "The approval cards and, once, the notifications waiting for a person",
        "web chat",
        {200: ("the cards and the notifications, now delivered", INBOX), **REFUSED},
        body={"application/json": {"type": "object", "properties": {"as": WHO}}},
        body_required=False,
    ),
    Operation(
        "GET",
        "/api/history",
        "readHistory",
        "A person's own conversation, as kept: the last entries, or what changed after a cursor",
        "web chat",
        {200: ("the entries, each as it now stands, and the cursor", HISTORY), **REFUSED},
        parameters=(
            query_parameter("as", "the demo person (web.auth = none)"),
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "a cursor from an earlier answer: only what changed after it",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR},
            },
        ),
    ),
    Operation(
        "POST",
        "/api/feedback",
        "giveFeedback",
        "Thumbs up or down on one of the assistant's answers (a second vote replaces the first)",
        "web chat",
        {
            200: (
                "the vote, kept",
                {
                    "type": "object",
                    "required": ["reply", "verdict", "text"],
                    "properties": {
                        "reply": {"type": "string"},
                        "verdict": {"enum": [str(v) for v in Verdict]},
                        "text": {"type": "string"},
                    },
                },
            ),
            404: ("no such answer in this person's conversation", None),
            **REFUSED,
        },
        body={
            "application/json": {
                "type": "object",
                "required": ["reply", "verdict"],
                "properties": {
                    "as": WHO,
                    "reply": {"type": "string", "description": "the entry's id"},
                    "verdict": {"enum": [str(v) for v in Verdict]},
                },
            }
        },
    ),
)
