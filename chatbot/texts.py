"""Every sentence the assistant says, in one place, so wording is reviewed and kept consistent."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from chatbot.types import Message

GUEST = (
    "I don't know you yet, so I can't act for you. Ask an admin to add your email to the directory."
)
EMPTY = 'Your message was empty. Try "help" to see what I can do.'
NOTHING_PENDING = 'There is nothing waiting for your answer. Try "help" to see what I can do.'
NOT_UNDERSTOOD = (
    'Sorry, I can\'t help with that. I handle IT requests such as "reset my vpn" or '
    '"deploy payments-api 2.3.1 to staging"; say "help" for the full list.'
)
NEGATED = "That reads as something not to do, so I did nothing."
QUESTION = (
    "That sounds like a question about an action, not a request, so I did nothing. "
    'Say "help" to see what I can do.'
)
ANSWER_PLEASE = "Please answer Confirm or Cancel (or yes / no)."
CANCELLED = "Cancelled; nothing was done."
STALE_BUTTON = "That button is no longer valid; nothing was done."
INTERNAL = (
    "Something went wrong on my side and nothing more was done. Reference: audit entry {seq}."
)
NOT_YOURS = "Only {who} can answer this request."
ALREADY = "That request is already {state}; nothing more was done."
EXPIRED = "Request #{id} expired; nothing was done. Ask again if you still need it."


def check_text(message: Message, limit: int) -> str | None:
    """A polite refusal for text we will not try to understand, or None."""
    if message.press is not None:
        return None
    text = message.text
    if len(text) > limit:
        return (
            f"Your message is {len(text):,} characters long; I read at most {limit:,}. "
            "Please send a shorter request."
        )
    if not printable(text).strip():
        return EMPTY
    return None


def printable(text: str) -> str:
    """The text without control characters (keeps newlines and tabs as spaces)."""
    return "".join(
        " " if ch in "\n\r\t" else ch
        for ch in text
        if ch in "\n\r\t" or unicodedata.category(ch)[0] != "C"
    )


def describe(skill: str, slots: Mapping[str, str]) -> str:
    shown = ", ".join(f"{name} {value}" for name, value in slots.items())
    return f"{skill} ({shown})" if shown else skill


def confirm(skill: str, slots: Mapping[str, str], risk: str) -> str:
    return f"Shall I run {describe(skill, slots)}? Risk: {risk}."


def needs_approval(skill: str, slots: Mapping[str, str], role: str, count: int) -> str:
    return (
        f"{describe(skill, slots)} needs approval by {count} {role} (not you). "
        "Send the request for approval?"
    )


def sent_for_approval(action_id: int, approvers: list[str]) -> str:
    return f"Request #{action_id} is waiting for approval by {', '.join(approvers)}."


def approval_card(
    action_id: int, requester: str, skill: str, slots: Mapping[str, str], risk: str, rule: str
) -> str:
    return (
        f"Approval needed for request #{action_id}: {requester} asks to run "
        f"{describe(skill, slots)}. Risk: {risk}. Policy: {rule}."
    )


def denied(reason: str) -> str:
    return f"Sorry, you may not do that: {reason}"


def no_backend(skill: str) -> str:
    return f"I understood {skill}, but no back end is connected for it yet, so nothing was done."


def result(text: str, ok: bool, sandbox: bool) -> str:
    prefix = "Sandbox: " if sandbox else ""
    return f"{prefix}{text}" if ok else f"{prefix}Failed: {text}"


def did_you_mean(options: list[str]) -> str:
    return "Did you mean " + " or ".join(options) + "?"


def unknown_value(error: str, suggestions: tuple[str, ...]) -> str:
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    return f"{error}{hint}"


# -- governance: start checks, preview rights, named targets, storage (sec-gov) ------------


def may_not_start(action_id: int, reason: str) -> str:
    return f"Request #{action_id} may not run now: {reason}. Nothing was done."


PREVIEW_NOT_YOURS = (
    "Only the person who asked and the people who may decide can preview request #{id}."
)
WHICH_PERSON = "Which person did you mean?"


def unknown_person(named: str) -> str:
    return f"I don't know anyone called {named!r} in the directory. {WHICH_PERSON}"


STORAGE_DOWN = "I can't record that right now; nothing was done. Please try again in a moment."
RECORDED_LATER = (
    "(I couldn't record this yet because the database is unavailable; it will be recorded "
    "as soon as the database is back.)"
)
