"""The Slack adapter: Slack payloads in, `Message` out; `Reply` in, Web API calls out.

Slack wants its acknowledgement within 3 seconds, always. Every listener therefore acks first
and hands the payload to a background task (`BackgroundWork`, so shutdown and tests can wait for
it); the app runs with `process_before_response=True` so Bolt answers the HTTP request as soon
as the ack returns instead of polling for it. Redelivered events carry the same `event_id`, which
the pipeline records once (ProcessedEvent), so a retry never runs anything twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from chatbot.adapters import tracking
from chatbot.adapters.background import BackgroundWork
from chatbot.adapters.relay import Decided
from chatbot.adapters.slack import blocks, calls, files, workspace
from chatbot.adapters.slack.channels import SlackChannels
from chatbot.app import Runtime
from chatbot.config import SlackSettings
from chatbot.store import channels
from chatbot.types import Attachment, ButtonPress, ButtonVerb, Message, Reply, ReplyKind, utcnow

PLATFORM = "slack"
MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
log = logging.getLogger(__name__)
# Background work at once; more waits its turn (acks never wait), so a burst cannot exhaust the
# database pool. Work runs in arrival order as slots free up.
CONCURRENT_WORK = 8


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the request came from: replies go back there (in its thread, when it has one).
    `team` is the workspace the request was delivered for (the sender's may differ in a
    Slack Connect channel)."""

    channel: str
    thread: str | None
    user: str
    team: str = ""


def thread_for(channel: str, ts: str | None, thread_ts: str | None) -> str | None:
    """Channels: answer in the request's thread. DMs: flat, unless the request was threaded."""
    if thread_ts:
        return thread_ts
    return None if channel.startswith("D") else ts


class SlackAdapter:
    def __init__(
        self,
        settings: SlackSettings,
        runtime: Runtime,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """`session`: one connection pool for every Web API call (else one per call)."""
        self.settings, self.runtime = settings, runtime
        base_url = settings.api_url if settings.api_url.endswith("/") else settings.api_url + "/"
        self.client = AsyncWebClient(
            token=settings.bot_token.get_secret_value(),
            base_url=base_url,
            session=session,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            ],
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret.get_secret_value() or "unused-in-socket-mode",
            process_before_response=True,
            request_verification_enabled=not settings.socket_mode,
            name="chatops",
        )
        self._emails: dict[str, str | None] = {}
        # Channel names for what people read, and channel grants written by name (#ops).
        self.channels = SlackChannels(
            self.client, runtime.store, runtime.assistant.authorizer.rbac.channels
        )
        self._dms: dict[str, str] = {}
        self.bot_user = ""  # the assistant's own Slack user id, as Bolt's context tells it
        self.work = BackgroundWork("slack", CONCURRENT_WORK)
        self.app.event("message")(self._ack_then(self._on_event))
        self.app.event("app_mention")(self._ack_then(self._on_event))
        self.app.action(re.compile("^" + re.escape(blocks.ACTION_PREFIX)))(
            self._ack_then(self._on_action)
        )
        self.app.command(settings.slash_command)(self._ack_then(self._on_command))
        self.stop_listening = runtime.assistant.executor.progress.listen(self.on_progress)

    # -- acknowledgement and background work ---------------------------------------------

    def _ack_then(self, work: Any) -> Any:
        async def listener(ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
            await ack()
            self.bot_user = context.bot_user_id or self.bot_user
            if not workspace.ours(self.settings, context.team_id, context.enterprise_id):
                log.warning(
                    "slack: ignored a request from workspace %s (enterprise %s); this server "
                    "answers only slack.team_id %s",
                    context.team_id,
                    context.enterprise_id,
                    self.settings.team_id or "(any)",
                )
                return
            self.spawn(work(body, context.team_id or ""))

        return listener

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        self.work.spawn(work)

    async def drain(self) -> None:
        await self.work.drain()

    # -- payloads in ----------------------------------------------------------------------

    async def _on_event(self, body: dict[str, Any], team: str) -> None:
        event = body.get("event", {})
        subtype = event.get("subtype")
        if event.get("bot_id") or (subtype and subtype != "file_share") or not event.get("user"):
            return
        channel, ts, parent = event.get("channel", ""), event.get("ts"), event.get("thread_ts")
        ambient = event.get("type") == "message" and event.get("channel_type") != "im"
        if ambient:
            # Channel messages meant for us arrive as app_mention; a plain reply in a thread
            # may still be about an incident whose card we posted there (the pipeline knows).
            mentioned = bool(self.bot_user) and f"<@{self.bot_user}" in event.get("text", "")
            if not parent or parent == ts or mentioned:
                return
        thread = thread_for(channel, ts, parent)
        origin = Origin(channel, thread, event["user"], team)
        text = MENTION.sub("", event.get("text", "")).strip()
        token = self.settings.bot_token.get_secret_value()
        shared = await files.manifests(event, token, self.settings.api_url) if subtype else ()
        await self._converse(
            origin, text, None, body.get("event_id"), ambient=ambient, attachments=shared
        )

    async def _on_command(self, body: dict[str, Any], team: str) -> None:
        origin = Origin(body.get("channel_id", ""), None, body.get("user_id", ""), team)
        await self._converse(origin, body.get("text", ""), None, f"cmd:{body.get('trigger_id')}")

    async def _on_action(self, body: dict[str, Any], team: str) -> None:
        action = body["actions"][0]
        user, channel = body["user"]["id"], body.get("channel", {}).get("id", "")
        clicked = body.get("message", {})
        origin = Origin(
            channel, thread_for(channel, clicked.get("ts"), clicked.get("thread_ts")), user, team
        )
        event_id = f"action:{action.get('action_ts')}:{user}"
        await self._converse(origin, "", action.get("value", ""), event_id, clicked)

    # -- the conversation -----------------------------------------------------------------

    async def _converse(
        self,
        origin: Origin,
        text: str,
        press: str | None,
        event_id: str | None,
        clicked: dict[str, Any] | None = None,
        ambient: bool = False,
        attachments: tuple[Attachment, ...] = (),
    ) -> None:
        message = Message(
            platform=PLATFORM,
            user_id=origin.user,
            text=text,
            channel=origin.channel,
            thread=origin.thread,
            event_id=event_id,
            email=await self.email_of(origin.user, origin.team),
            press=ButtonPress(press) if press else None,
            tenant=origin.team,
            ambient=ambient,
            attachments=attachments,
        )
        decision = tracking.decision_of(message.press)
        who, now = f"<@{origin.user}>", utcnow()
        clicked = clicked or {}
        card = clicked.get("ts") if decision else None
        if card and event_id and await tracking.delivered(self.runtime.store, PLATFORM, event_id):
            return  # a redelivered click: it was handled, and its card already says so
        if not origin.channel.startswith("D"):
            await self.channels.name_of(origin.channel)  # cached: a call per channel per TTL
        principal = self.runtime.assistant.directory.resolve(message)
        early = (
            bool(card)
            and decision is not None
            and await tracking.answers_own(self.runtime.store, decision, principal.name)
        )
        if early and decision and card:  # only the requester's own Confirm / Cancel
            line = tracking.status_line("awaiting_confirmation", decision.verb, who, now)
            await calls.edit(
                self.client, origin.channel, card, f"{clicked.get('text', '')}\n{line}"
            )
        replies = await self.runtime.assistant.handle(message)
        if not replies:
            return  # the same delivery, handled by another task or replica
        refused = message.press is not None and (
            decision is None or not tracking.took_effect(decision, replies)
        )
        if decision and card and refused:
            await self._undo_progress(origin.channel, clicked, decision.action_id or 0, early)
        # A refused click is answered to the clicker alone, not to everyone in the channel.
        await self.deliver(replies, origin, privately=refused)
        pressed = message.press.parsed if message.press else None
        if pressed is not None and pressed.verb is ButtonVerb.PREVIEW:
            return
        name = principal.display_name
        await self.runtime.relay.settle(PLATFORM, Decided(decision, who, name, now, replies))

    async def settle(
        self, action_id: int, verb: str | None, who: str, when: datetime, replies: Sequence[Reply]
    ) -> None:
        """Edit the Slack messages about an action to show where it stands. Every text is
        escaped as the first post was; only our own mention of the clicker stays a mention."""
        shown = who if MENTION.fullmatch(who) else blocks.escape(who)
        edits = await tracking.settle(
            self.runtime.store, PLATFORM, action_id, verb, shown, when, replies, blocks.escape
        )
        for edit in edits:
            await calls.edit(self.client, edit.post.conversation, edit.post.message_id, edit.text)

    async def on_progress(self, action_id: int, text: str) -> None:
        """A step of a running action, shown on the request's card (its buttons are gone)."""
        async with self.runtime.store.transaction() as tx:
            posts = await channels.posts_for(tx, action_id, PLATFORM)
        for post in posts:
            if post.role == channels.REQUEST:
                shown = blocks.escape(f"{post.text}\n⏳ {text}")
                await calls.edit(self.client, post.conversation, post.message_id, shown)

    async def email_of(self, user: str, team: str = "") -> str | None:
        """The Slack user's email (users.info), cached per process; None makes them a guest.

        A member of another organisation (Slack Connect) is a guest whatever email their own
        workspace gives them: that workspace, not ours, vouches for it. Home is slack.team_id,
        or else the workspace the request was delivered for."""
        if user not in self._emails:
            try:
                found = (await self.client.users_info(user=user))["user"]
            except SlackApiError as exc:
                log.warning("slack: users.info failed for %s: %s", user, exc.response.get("error"))
                return None
            email = found.get("profile", {}).get("email") or None
            if workspace.foreign(self.settings, found, team):
                log.info("slack: %s belongs to another organisation; treated as a guest", user)
                email = None
            self._emails[user] = email
        return self._emails[user]

    # -- replies out ----------------------------------------------------------------------

    async def deliver(
        self, replies: Sequence[Reply], origin: Origin, privately: bool = False
    ) -> None:
        carded: set[int] = set()
        unreachable: list[str] = []
        for reply in replies:
            if reply.updates is not None:
                continue  # cards are edited in place from the action's state (tracking.settle)
            if reply.channel is not None:
                if reply.action_id in carded:
                    continue
                carded.add(reply.action_id or 0)
                posted = await calls.post(self.client, reply.channel, None, reply)
            elif reply.to is None:
                if reply.private or privately:
                    await calls.ephemeral(
                        self.client, origin.channel, origin.user, origin.thread, reply
                    )
                    continue
                posted = await calls.post(self.client, origin.channel, origin.thread, reply)
            elif reply.kind is ReplyKind.APPROVAL and self.settings.approvals_channel:
                if reply.action_id in carded:
                    continue
                carded.add(reply.action_id or 0)
                posted = await calls.post(self.client, self.settings.approvals_channel, None, reply)
            else:
                dm = await self.dm_of(reply.to)
                if dm is None:
                    if await self.runtime.relay.elsewhere(PLATFORM, reply.to, reply) is None:
                        unreachable.append(reply.to)
                    continue
                posted = await calls.post(self.client, dm, None, reply)
            await self._remember(reply, posted)
        if unreachable:
            names = ", ".join(sorted(set(unreachable)))
            note = f"I could not reach {names} on Slack (no Slack account with their email)."
            log.warning("slack: %s", note)
            await calls.post(
                self.client, origin.channel, origin.thread, Reply(note, ReplyKind.ERROR)
            )

    async def announce(self, reply: Reply) -> list[tuple[str, str]]:
        """An incident's card in its channel, or in a responder's DM: where it was posted
        (channel id, ts), so replies in its thread are known to be about the incident."""
        if reply.channel:
            posted = await calls.post(self.client, reply.channel, None, reply)
        else:
            dm = await self.dm_of(reply.to) if reply.to else None
            posted = await calls.post(self.client, dm, None, reply) if dm else None
        return [posted] if posted else []

    async def reach(self, person: str, reply: Reply) -> bool:
        """A reply another platform could not deliver: a DM here, if `person` has Slack."""
        dm = await self.dm_of(person)
        if dm is None:
            return False
        await self._remember(reply, await calls.post(self.client, dm, None, reply))
        return True

    async def _remember(self, reply: Reply, posted: tuple[str, str] | None) -> None:
        """Keep where a card went, so it is edited when its action moves."""
        role = tracking.role_of(reply)
        if posted and role and reply.action_id is not None:
            async with self.runtime.store.transaction() as tx:
                await channels.remember_post(
                    tx, reply.action_id, PLATFORM, role, posted[0], posted[1], reply.text
                )

    async def dm_of(self, person: str) -> str | None:
        """A DM channel with a directory person: users.lookupByEmail, then conversations.open."""
        principal = self.runtime.assistant.directory.find(person)
        if principal is None or not principal.email:
            return None
        if principal.email not in self._dms:
            try:
                user = await self.client.users_lookupByEmail(email=principal.email)
                opened = await self.client.conversations_open(users=user["user"]["id"])
            except SlackApiError as exc:
                log.warning(
                    "slack: cannot open a DM with %s: %s", person, exc.response.get("error")
                )
                return None
            self._dms[principal.email] = opened["channel"]["id"]
        return self._dms[principal.email]

    async def _undo_progress(
        self, channel: str, clicked: dict[str, Any], action_id: int, edited: bool
    ) -> None:
        """The click decided nothing: say what became of a closed action, or put the buttons
        back on a card that was marked as being worked on (`edited`)."""
        state = await tracking.state_of(self.runtime.store, action_id)
        text = clicked.get("text", "")
        if state not in tracking.OPEN:
            shown = (state or "gone").replace("_", " ")
            await calls.edit(self.client, channel, clicked["ts"], f"{text}\nAlready {shown}.")
        elif edited:
            await calls.edit(self.client, channel, clicked["ts"], text, clicked.get("blocks") or [])
