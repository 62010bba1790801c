"""A button pressed in the console: the same message a chat click is, through the one path
(`Assistant.handle`), so voting, the start gate, incident moves and their audit entries are
the chat's own. The console is then an adapter like the others: replies for the viewer are
shown on the page; replies for other people go to the platform that reaches them (the relay)
or, failing that, to their notifications (handed over by the web chat's inbox); cards posted
elsewhere about the action are settled (edited in place) through the relay.
"""

from __future__ import annotations

from chatbot.adapters.relay import Decided
from chatbot.console.frame import CHANNEL, PLATFORM, Context, Result
from chatbot.governance import outbox
from chatbot.types import (
    ID_VERBS,
    ButtonPress,
    ButtonValue,
    ButtonVerb,
    Message,
    Reply,
    ReplyKind,
    utcnow,
)

PRESSABLE = ID_VERBS | {ButtonVerb.REMEDY}
RELAY_NAME = "console"


def _message(ctx: Context, value: ButtonValue) -> Message:
    person = ctx.viewer.principal
    return Message(
        platform=PLATFORM,
        user_id=person.name,
        email=person.email or None,
        channel=CHANNEL,
        press=ButtonPress(str(value)),
    )


def _for_viewer(ctx: Context, reply: Reply) -> bool:
    return reply.channel is None and reply.to in (None, ctx.viewer.name)


async def _hand_on(ctx: Context, replies: list[Reply]) -> None:
    """Replies for others: the platform that reaches them, else their notifications. Card
    updates (`updates`) are the relay's settle, not new messages."""
    rt = ctx.runtime
    waiting: list[Reply] = []
    for reply in replies:
        if _for_viewer(ctx, reply) or reply.updates is not None or reply.to is None:
            continue
        if await rt.relay.elsewhere(RELAY_NAME, reply.to, reply) is None:
            waiting.append(reply)
    if waiting:
        async with rt.store.transaction() as tx:
            for reply in waiting:
                assert reply.to is not None
                outbox.notify(tx, [reply.to], reply.text, reply.action_id, reply.kind)


async def press(ctx: Context) -> Result:
    value = ButtonValue.parse(ctx.form.get("value", ""))
    if value is None or value.verb not in PRESSABLE:
        return Result(False, "That button is not one the console offers; reload the page.", 400)
    message = _message(ctx, value)
    replies = await ctx.runtime.assistant.handle(message)
    await _hand_on(ctx, replies)
    name = ctx.viewer.name
    await ctx.runtime.relay.settle(RELAY_NAME, Decided(value, name, name, utcnow(), replies))
    shown = tuple(r for r in replies if _for_viewer(ctx, r))
    ok = not any(r.kind is ReplyKind.ERROR for r in shown)
    text = " ".join(r.text for r in shown if not r.buttons) or "Done."
    return Result(
        ok,
        text,
        200 if ok else 409,
        action_id=value.action_id,
        target=str(value),
        replies=tuple(r for r in shown if r.buttons),
    )
