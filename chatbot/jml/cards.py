"""The card of an onboarding that stopped at a failed step: Retry and Undo buttons (the one
`ButtonValue` wire type, carrying the request's id), sent to the person who asked."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import texts
from chatbot.governance import outbox
from chatbot.types import Button, ButtonStyle, ButtonValue, ButtonVerb, ReplyKind


def buttons(action_id: int) -> tuple[Button, ...]:
    return (
        Button(
            texts.RETRY_BUTTON,
            str(ButtonValue(ButtonVerb.ONBOARD_RETRY, str(action_id))),
            ButtonStyle.PRIMARY,
        ),
        Button(
            texts.UNDO_BUTTON,
            str(ButtonValue(ButtonVerb.ONBOARD_UNDO, str(action_id))),
            ButtonStyle.DANGER,
        ),
    )


def offer(tx: AsyncSession, requester: str, action_id: int | None, failed: str) -> None:
    """The failure card with Retry and Undo, to the one who asked (in the caller's
    transaction, so the card goes out with the step's state)."""
    if action_id is None:
        return
    text = texts.onboard_redo_card(failed)
    outbox.notify(tx, [requester], text, action_id, ReplyKind.ERROR, buttons=buttons(action_id))
