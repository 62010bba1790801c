"""The Teams adapter: Bot Framework activities in, `Message` out; `Reply` in, activities out.

Every Bot Framework detail (CloudAdapter, TurnContext, TeamsInfo, conversation references)
stays inside this package, so a successor (the Microsoft 365 Agents SDK) can replace it
without touching the pipeline. The HTTP request is answered once the token is validated; the
turn itself runs in a background task, like Slack's, so a slow action never times Teams out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    CallerIdConstants,
    ConversationReference,
    ResourceResponse,
)
from botframework.connector.auth import AuthenticationConstants

from chatbot.adapters import tracking
from chatbot.adapters.background import BackgroundWork
from chatbot.adapters.relay import Decided
from chatbot.adapters.teams import cards, files, markup
from chatbot.app import Runtime
from chatbot.config import TeamsSettings
from chatbot.store import channels
from chatbot.types import ButtonPress, ButtonVerb, Message, Reply, ReplyKind, utcnow

PLATFORM = "teams"
log = logging.getLogger(__name__)
# Background work at once; more waits its turn (acks never wait), so a burst cannot exhaust the
# database pool. Work runs in arrival order as slots free up.
CONCURRENT_WORK = 8


@dataclass(frozen=True, slots=True)
class BotConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads. Naming any of the
    endpoint attributes switches the library to its parameterized authentication, which then
    needs all of them: `for_settings` fills them with the public cloud's values."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    OAUTH_URL: str | None = None
    CALLER_ID: str | None = None

    @classmethod
    def for_settings(cls, settings: TeamsSettings) -> BotConfig:
        credentials = (
            settings.app_id,
            settings.app_password.get_secret_value(),
            settings.app_type,
            settings.app_tenant_id,
        )
        if not settings.openid_metadata_url:
            return cls(*credentials)
        return cls(
            *credentials,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.openid_metadata_url,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
            TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=(
                AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
            ),
            TO_CHANNEL_FROM_BOT_LOGIN_URL=AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
            TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
            OAUTH_URL=AuthenticationConstants.OAUTH_URL,
            CALLER_ID=CallerIdConstants.public_azure_channel,
        )


def reference_json(reference: ConversationReference) -> str:
    return json.dumps(reference.serialize())


def reference_from(text: str) -> ConversationReference:
    return ConversationReference().deserialize(json.loads(text))


def _updating(activity: Activity) -> Callable[[TurnContext], Awaitable[Any]]:
    """A proactive turn that replaces a posted card with `activity`."""

    async def act(turn: TurnContext) -> Any:
        return await turn.update_activity(activity)

    return act


def _sending(activity: Activity) -> Callable[[TurnContext], Awaitable[Any]]:
    """A proactive turn that posts `activity`."""

    async def act(turn: TurnContext) -> Any:
        return await turn.send_activity(activity)

    return act


def thread_of(activity: Activity) -> str | None:
    """The message a reply hangs under: a channel thread's root (its conversation id ends in
    `;messageid=<root>`), else the activity it answers (`replyToId`)."""
    _, found, root = (activity.conversation.id or "").partition(";messageid=")
    return root if found and root else activity.reply_to_id or None


def addressed(activity: Activity) -> bool:
    """Said to the bot: in a personal chat, or with an @mention of the bot in a channel."""
    if activity.conversation.conversation_type in (None, "personal"):
        return True
    bot = activity.recipient.id if activity.recipient else None
    for mention in TurnContext.get_mentions(activity):
        # Entities arrive untyped: the mentioned account sits in their extra properties.
        extra = getattr(mention, "additional_properties", None) or {}
        if bot and (extra.get("mentioned") or {}).get("id") == bot:
            return True
    return False


class TeamsAdapter:
    def __init__(self, settings: TeamsSettings, runtime: Runtime) -> None:
        self.settings, self.runtime = settings, runtime
        self.auth = ConfigurationBotFrameworkAuthentication(BotConfig.for_settings(settings))
        self.cloud = CloudAdapter(self.auth)
        self._emails: dict[str, str | None] = {}
        self.work = BackgroundWork("teams", CONCURRENT_WORK)
        self.stop_listening = runtime.assistant.executor.progress.listen(self.on_progress)

    # -- background turns -----------------------------------------------------------------

    async def accept(self, activity: Activity, auth_header: str) -> None:
        """Validate the token now (PermissionError when it fails); run the turn afterwards."""
        result = await self.auth.authenticate_request(activity, auth_header)
        self.spawn(self.cloud.process_activity(result, activity, self.on_turn))

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        self.work.spawn(work)

    async def drain(self) -> None:
        await self.work.drain()

    # -- one turn -------------------------------------------------------------------------

    async def on_turn(self, turn: TurnContext) -> None:
        activity = turn.activity
        if activity.type != ActivityTypes.message:
            return
        press = cards.pressed(activity.value)
        said = "" if press else (TurnContext.remove_recipient_mention(activity) or "")
        text = markup.message_text(said, activity.text_format)
        sender = activity.from_property
        thread = thread_of(activity)
        message = Message(
            platform=PLATFORM,
            user_id=sender.id,
            text=text,
            channel=activity.conversation.id,
            thread=thread,
            event_id=f"{activity.conversation.id}|{activity.id}",
            email=await self.email_of(turn),
            press=ButtonPress(press) if press else None,
            tenant=getattr(activity.conversation, "tenant_id", None) or "",
            ambient=bool(thread) and not press and not addressed(activity),
            attachments=() if press else await files.manifests(activity.attachments),
        )
        principal = self.runtime.assistant.directory.resolve(message)
        await self._remember_where(activity, principal.name, principal.guest)
        try:  # "typing…" while the pipeline works; a channel without it must not stop the turn
            if not message.ambient:  # chatter in a thread is not waiting for an answer
                await turn.send_activity(Activity(type=ActivityTypes.typing))
        except Exception as exc:
            log.info("teams: typing indicator refused: %s", exc)
        replies = await self.runtime.assistant.handle(message)
        await self.deliver(turn, replies)
        pressed = message.press.parsed if message.press else None
        if pressed is not None and pressed.verb is ButtonVerb.PREVIEW:
            return
        decision = tracking.decision_of(message.press)
        who, now = sender.name or principal.name, utcnow()
        decided = Decided(decision, who, principal.display_name, now, replies)
        await self.runtime.relay.settle(PLATFORM, decided)

    async def settle(
        self, action_id: int, verb: str | None, who: str, when: datetime, replies: Sequence[Reply]
    ) -> None:
        """Update the Teams cards about an action to show where it stands."""
        edits = await tracking.settle(
            self.runtime.store, PLATFORM, action_id, verb, who, when, replies
        )
        for edit in edits:
            await self.in_conversation(
                reference_from(edit.post.reference),
                _updating(cards.settled(edit.post.message_id, edit.text)),
            )

    async def on_progress(self, action_id: int, text: str) -> None:
        """A step of a running action, shown on the request's card."""
        async with self.runtime.store.transaction() as tx:
            posts = await channels.posts_for(tx, action_id, PLATFORM)
        for post in posts:
            if post.role == channels.REQUEST and post.reference:
                shown = f"{post.text}\n⏳ {text}"
                await self.in_conversation(
                    reference_from(post.reference),
                    _updating(cards.settled(post.message_id, shown)),
                )

    async def _remember_where(self, activity: Activity, person: str, guest: bool) -> None:
        """Keep the conversation references proactive messages need: a person's personal
        chat, and any channel the bot hears in (under "#<channel id>", its threads folded)."""
        kind = activity.conversation.conversation_type
        stored = json.loads(reference_json(TurnContext.get_conversation_reference(activity)))
        if kind == "channel":  # a copy: the turn itself still answers in its thread
            stored["conversation"]["id"] = stored["conversation"]["id"].split(";")[0]
            key = f"#{stored['conversation']['id']}"
        elif kind in (None, "personal") and not guest:
            key = person
        else:
            return
        async with self.runtime.store.transaction() as tx:
            await channels.save_reference(tx, PLATFORM, key, json.dumps(stored))

    async def email_of(self, turn: TurnContext) -> str | None:
        """The member's email or UPN (TeamsInfo), cached per process; None makes a guest."""
        sender = turn.activity.from_property
        if sender.id not in self._emails:
            if turn.activity.channel_data is None:
                turn.activity.channel_data = {}
            try:
                member = await TeamsInfo.get_member(turn, sender.id)
            except Exception as exc:  # the connector said no: the sender stays a guest
                log.warning("teams: member lookup failed for %s: %s", sender.id, exc)
                return None
            self._emails[sender.id] = member.email or member.user_principal_name or None
        return self._emails[sender.id]

    # -- replies out ----------------------------------------------------------------------

    async def deliver(self, turn: TurnContext, replies: Sequence[Reply]) -> None:
        here = TurnContext.get_conversation_reference(turn.activity)
        unreachable: list[str] = []
        carded: set[int] = set()
        for reply in replies:
            if reply.updates is not None:
                continue  # cards are updated in place from the action's state (tracking)
            channel = reply.channel or (
                self.settings.approvals_channel
                if reply.kind is ReplyKind.APPROVAL and reply.to is not None
                else None
            )
            if channel and reply.action_id in carded:
                continue  # one card per action in the channel, not one per approver
            if reply.to is None and not channel:
                sent = await turn.send_activity(cards.activity(reply))
                where = here
            else:
                key = f"#{channel}" if channel else reply.to or ""
                async with self.runtime.store.transaction() as tx:
                    stored = await channels.reference_of(tx, PLATFORM, key)
                if stored is None:
                    if channel:
                        unreachable.append(f"the channel {channel}")
                    elif await self.runtime.relay.elsewhere(PLATFORM, key, reply) is None:
                        unreachable.append(key)
                    continue
                carded.add(reply.action_id or 0)
                where = reference_from(stored)
                sent = await self.in_conversation(where, _sending(cards.activity(reply)))
            await self._remember(reply, where, sent)
        if unreachable:
            names = ", ".join(sorted(set(unreachable)))
            note = (
                f"I could not reach {names} on Teams: I only post where I have been spoken to "
                "(ask the person to say hello to the bot, or mention the bot once in the "
                "channel)."
            )
            log.warning("teams: %s", note)
            await turn.send_activity(cards.activity(Reply(note, ReplyKind.ERROR)))

    async def announce(self, reply: Reply) -> list[tuple[str, str]]:
        """An incident's card in its channel or a responder's personal chat, where the bot
        was spoken to before: (conversation id, activity id), so replies to it are placed."""
        key = f"#{reply.channel}" if reply.channel else reply.to or ""
        async with self.runtime.store.transaction() as tx:
            stored = await channels.reference_of(tx, PLATFORM, key)
        if stored is None:
            return []
        where = reference_from(stored)
        sent = await self.in_conversation(where, lambda t: t.send_activity(cards.activity(reply)))
        return [(where.conversation.id, sent.id)] if sent is not None and sent.id else []

    async def reach(self, person: str, reply: Reply) -> bool:
        """A reply another platform could not deliver: in `person`'s personal chat with the
        bot, if they have ever opened one (Teams lets a bot write only where it was spoken to)."""
        async with self.runtime.store.transaction() as tx:
            stored = await channels.reference_of(tx, PLATFORM, person)
        if stored is None:
            return False
        where = reference_from(stored)
        sent = await self.in_conversation(where, lambda t: t.send_activity(cards.activity(reply)))
        await self._remember(reply, where, sent)
        return sent is not None

    async def _remember(
        self, reply: Reply, where: ConversationReference, sent: ResourceResponse | None
    ) -> None:
        """Keep where a card went, so it is updated when its action moves."""
        role = tracking.role_of(reply)
        if sent is not None and sent.id and role and reply.action_id is not None:
            async with self.runtime.store.transaction() as tx:
                await channels.remember_post(
                    tx,
                    reply.action_id,
                    PLATFORM,
                    role,
                    where.conversation.id,
                    sent.id,
                    reply.text,
                    reference_json(where),
                )

    async def in_conversation(
        self, reference: ConversationReference, act: Callable[[TurnContext], Awaitable[Any]]
    ) -> Any:
        """Run `act` in a proactive turn of another conversation; its result is returned."""
        outcome: list[Any] = []

        async def callback(turn: TurnContext) -> None:
            outcome.append(await act(turn))

        try:
            await self.cloud.continue_conversation(reference, callback, self.settings.app_id)
        except Exception:
            log.exception("teams: proactive call to %s failed", reference.conversation.id)
            return None
        return outcome[0] if outcome else None
