"""`Assistant.handle`: the one path every message takes, stages in order.

    identity -> understanding -> dialogue -> authorization -> confirmation/approval
    -> execution, with an audit entry at every step

Adapters and tests call `handle` and nothing else; no business rule lives in an adapter.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import consent, dialogue, support, texts, timing
from chatbot.config import Settings
from chatbot.conversing import Conversing
from chatbot.dialogue import Pending
from chatbot.execute import Executor
from chatbot.governance import audit
from chatbot.governance.approvals import Approvals
from chatbot.governance.authorize import Authorizer
from chatbot.identity import Directory
from chatbot.schedules import Schedules
from chatbot.store.engine import Store
from chatbot.store.tables import ProcessedEvent
from chatbot.types import (
    Button,
    ButtonStyle,
    Interpretation,
    Message,
    Principal,
    Reply,
    ReplyIntent,
    ReplyKind,
    Verdict,
)
from intents import Understander
from intents.topics import about_it
from skills.api import SkillSpec
from skills.registry import SkillRegistry

log = logging.getLogger(__name__)
SCHEDULED_RE = re.compile(
    r"\b(?:what(?:'s| is| are)?(?: is)? scheduled|my scheduled|scheduled (?:actions|requests)|"
    r"(?:list|show)(?: my)? schedules?)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Received:
    """A message recorded for the first time, with the question it may answer."""

    pending: Pending | None


class Assistant(Conversing):
    def __init__(
        self,
        settings: Settings,
        store: Store,
        registry: SkillRegistry,
        understander: Understander,
        directory: Directory,
        authorizer: Authorizer,
        executor: Executor,
    ) -> None:
        self.settings, self.store, self.registry = settings, store, registry
        self.understander, self.directory, self.authorizer = understander, directory, authorizer
        self.executor = executor
        self.approvals = Approvals(store, registry, directory, authorizer, executor, settings)
        self._question_ttl = timedelta(seconds=settings.limits.question_ttl_seconds)
        self.support = support.Support(registry, executor)
        self.schedules = Schedules(self.approvals)

    async def handle(self, message: Message) -> list[Reply]:
        principal = self.directory.resolve(message)
        problem = texts.check_text(message, self.settings.limits.max_message_chars)
        try:
            meant = None
            if problem is None and message.press is None and not principal.guest:
                meant = self.understander.parse(texts.printable(message.text).strip())
            received = await self._receive(principal, message, problem, meant)
            if received is None:
                return []  # the platform delivered this event before
            if problem:
                return [Reply(problem, ReplyKind.ERROR)]
            if principal.guest:
                return [Reply(texts.GUEST, ReplyKind.ERROR)]
            if meant is None:
                assert message.press is not None
                return await self._on_press(principal, message, message.press.value)
            return await self._on_text(principal, message, meant, received)
        except Exception:
            log.exception("message from %s failed", principal.name)
            async with self.store.transaction() as tx:
                failed = self._record(principal, message, "internal.error", "failed")
                entry = await audit.append(tx, failed)
            return [Reply(texts.INTERNAL.format(seq=entry.seq), ReplyKind.ERROR)]

    async def _receive(
        self,
        principal: Principal,
        message: Message,
        problem: str | None,
        meant: Interpretation | None,
    ) -> Received | None:
        """Audit the message (and what it meant) and read the open question, in one
        transaction: on SQLite each round trip to the database thread is a large part of a
        message. None means the platform delivered this event before."""
        try:
            async with self.store.transaction() as tx:
                if not await self._first_delivery(tx, message):
                    return None
                got = self._record(principal, message, "message.received", problem or "ok")
                if meant is None:
                    await audit.append(tx, got)
                    return Received(None)
                await audit.append_many(tx, [got, self._understood(principal, message, meant)])
                key = dialogue.conversation_key(principal, message)
                return Received(await dialogue.load(tx, key))
        except IntegrityError:
            return None  # the same event is being handled right now by another worker or replica

    # -- stages -------------------------------------------------------------------------

    async def _on_text(
        self,
        principal: Principal,
        message: Message,
        meant: Interpretation,
        received: Received,
    ) -> list[Reply]:
        pending = received.pending
        if pending is not None:
            answered = await self._answer(principal, message, pending, meant)
            if answered is not None:
                return answered
        return await self._start(principal, message, meant)

    async def _answer(
        self, principal: Principal, message: Message, pending: Pending, meant: Interpretation
    ) -> list[Reply] | None:
        """Treat the text as the answer to the open question; None when it is a new request."""
        reply = meant.reply or self.understander.read_reply(meant.text)
        new_request = meant.skill is not None and not meant.ambiguous and reply is None
        if pending.awaiting == dialogue.CONFIRM and pending.action_id is not None:
            return await self._answer_confirm(principal, message, pending, meant, reply)
        if reply is ReplyIntent.CANCEL or (reply is ReplyIntent.NO and pending.slot):
            await self._forget(principal, message)
            return [Reply(texts.CANCELLED)]
        if pending.slot and not (new_request and meant.skill != pending.skill):
            return await self._fill(principal, message, pending, meant.text)
        return None

    async def _fill(
        self, principal: Principal, message: Message, pending: Pending, text: str
    ) -> list[Reply]:
        spec = self.registry.spec(pending.skill)
        slot = spec.slot(pending.slot or "") if spec else None
        if spec is None or slot is None:
            await self._forget(principal, message)
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        reading = self.understander.read_slot(slot, text)
        if reading.value is None:
            question = texts.unknown_value(reading.error, reading.suggestions)
            buttons = tuple(Button(s, f"slot:{s}") for s in reading.suggestions)
            return [Reply(f"{question} {slot.question()}", ReplyKind.QUESTION, buttons)]
        await self._forget(principal, message)
        slots = {**pending.slots, slot.name: reading.value}
        return await self._proceed(principal, message, spec, slots, dry_run=False)

    async def _start(
        self, principal: Principal, message: Message, meant: Interpretation
    ) -> list[Reply]:
        if SCHEDULED_RE.search(meant.text):
            return await self._scheduled(principal, meant)
        if meant.skill is None:
            if meant.reply is ReplyIntent.CANCEL and len(meant.text.split()) > 1:
                return await self._scheduled(principal, meant, cancel=True)
            if meant.reply is not None:
                return [Reply(texts.NOTHING_PENDING)]
            if meant.declined != "negated" and about_it(meant.text):
                return await self._offer_support(principal, message, meant.text)
            if consent.THANKS_RE.search(meant.text):
                return [Reply(texts.WELCOME)]
            if texts.GREETING_RE.match(meant.text):
                return [Reply(texts.GREETING)]
            declined = {"negated": texts.NEGATED, "question": texts.QUESTION}
            return [Reply(declined.get(meant.declined or "", texts.NOT_UNDERSTOOD))]
        if meant.ambiguous and meant.alternatives:
            options = [meant.skill, meant.alternatives[0].skill]
            pending = Pending(
                dialogue.CHOICE, meant.skill, meant.slot_values(), None, tuple(options)
            )
            await self._remember(principal, message, pending)
            titles = [texts.title_of(self.registry.spec(name)) for name in options]
            buttons = tuple(Button(t, f"pick:{n}") for t, n in zip(titles, options, strict=True))
            return [Reply(texts.did_you_mean(titles), ReplyKind.QUESTION, buttons)]
        spec = self.registry.spec(meant.skill)
        if spec is None:
            return [Reply(texts.NOT_UNDERSTOOD)]
        slots = meant.slot_values()
        if spec.side_effect and not meant.dry_run and timing.takes_time(spec):
            when = timing.read(self.settings, principal, meant.text, self.authorizer.clock())
            if when is not None:
                now = self.authorizer.clock()
                usable = timing.resolve(self.settings, spec, slots, when, now)
                if isinstance(usable, str):
                    return [Reply(usable, ReplyKind.QUESTION)]
                slots = {**slots, **timing.encode(usable)}
        return await self._proceed(principal, message, spec, slots, meant.dry_run)

    async def _proceed(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        dry_run: bool,
    ) -> list[Reply]:
        """Slots complete? Then authorize, and run, preview, or ask to confirm (for a time
        the person named, when it is to start: timing.py)."""
        when, plain = timing.decode(slots)
        missing = spec.missing(plain)
        if missing:
            slot = missing[0]
            await self._remember(principal, message, Pending(f"slot:{slot.name}", spec.name, slots))
            choices = self.understander.choices(slot)
            buttons = tuple(Button(c, f"slot:{c}") for c in choices[:8])
            return [Reply(slot.question(), ReplyKind.QUESTION, buttons)]
        if when is not None and not dry_run:
            return await self._proceed_timed(principal, message, spec, plain, when)
        slots = {**{s.name: s.default for s in spec.slots if s.default is not None}, **slots}
        if spec.slot("user") is not None and not slots.get("user"):
            slots["user"] = principal.name  # "user" absent means the requester
        if not self.registry.connected(spec.name):
            return [Reply(texts.no_backend(texts.title_of(spec)))]
        decision = self.authorizer.decide(principal, spec, slots, dry_run)
        async with self.store.transaction() as tx:
            if not dry_run:
                decision = await self.authorizer.count(tx, principal, spec, slots, decision)
            detail = {"verdict": decision.verdict, "rule": decision.rule, "slots": slots}
            await audit.append(
                tx, self._record(principal, message, "decided", decision.verdict, spec.name, detail)
            )
        if decision.verdict is Verdict.DENY:
            refused = texts.denied(decision.reason, spec.name, texts.title_of(spec))
            return [Reply(refused, ReplyKind.ERROR)]
        if dry_run:
            ctx = self.executor.context(principal, spec.name, slots)
            outcome = await self.executor.run(ctx, spec.name, preview=True)
            text = texts.result(f"(dry run) {outcome.summary}", outcome.ok, outcome.sandbox)
            return [Reply(text, ReplyKind.RESULT)]
        if decision.verdict is Verdict.ALLOW:
            return await self.approvals.run_now(principal, message, spec, slots, decision)
        return await self.approvals.request(principal, message, spec, slots, decision)

    async def _on_press(self, principal: Principal, message: Message, value: str) -> list[Reply]:
        verb, _, arg = value.partition(":")
        if verb == "unschedule" and arg.isdigit():
            return [Reply(await self.schedules.cancel(principal, int(arg)))]
        if verb in ("confirm", "cancel", "preview", "approve", "reject") and arg.isdigit():
            return await self.approvals.press(principal, message, verb, int(arg))
        async with self.store.transaction() as tx:
            pending = await dialogue.load(tx, dialogue.conversation_key(principal, message))
        if verb == support.OFFER:
            return await self._offer_taken(principal, message, arg)
        if verb == "slot" and pending is not None and pending.slot:
            return await self._fill(principal, message, pending, arg)
        if verb == "pick" and pending is not None and arg in pending.choices:
            await self._forget(principal, message)
            spec = self.registry.spec(arg)
            if spec is not None:
                slots = {k: v for k, v in pending.slots.items() if spec.slot(k)}
                return await self._proceed(principal, message, spec, slots, dry_run=False)
        return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    async def _first_delivery(tx: AsyncSession, message: Message) -> bool:
        """False when the platform already delivered this event (it is then dropped)."""
        if not message.event_id:
            return True
        key = (message.platform, message.event_id)
        if await tx.get(ProcessedEvent, key) is not None:
            return False
        tx.add(
            ProcessedEvent(
                platform=message.platform, event_id=message.event_id, at=message.received_at
            )
        )
        return True

    async def _remember(self, principal: Principal, message: Message, pending: Pending) -> None:
        key = dialogue.conversation_key(principal, message)
        async with self.store.transaction() as tx:
            await dialogue.save(tx, key, pending, self._question_ttl)

    async def _forget(self, principal: Principal, message: Message) -> None:
        async with self.store.transaction() as tx:
            await dialogue.clear(tx, dialogue.conversation_key(principal, message))

    @staticmethod
    def _confirm_buttons(pending: Pending, approval: bool = False) -> tuple[Button, ...]:
        action = pending.action_id
        label = texts.SEND_FOR_APPROVAL if approval else texts.CONFIRM_BUTTON
        return (
            Button(label, f"confirm:{action}", ButtonStyle.PRIMARY),
            Button(texts.CANCEL_BUTTON, f"cancel:{action}", ButtonStyle.DANGER),
        )

    @staticmethod
    def _record(
        principal: Principal,
        message: Message,
        event: str,
        outcome: str,
        skill: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> audit.AuditRecord:
        if detail is None:
            shown = message.press.value if message.press else texts.printable(message.text)[:500]
            detail = {"text": shown, "event_id": message.event_id}
        return audit.AuditRecord(
            actor=principal.name,
            event=event,
            platform=message.platform,
            channel=message.channel,
            skill=skill,
            outcome=outcome,
            detail=detail,
        )

    def _understood(
        self, principal: Principal, message: Message, meant: Interpretation
    ) -> audit.AuditRecord:
        detail = {
            "skill": meant.skill,
            "confidence": round(meant.confidence, 3),
            "slots": meant.slot_values(),
            "declined": meant.declined,
        }
        return self._record(
            principal, message, "understood", meant.skill or "none", meant.skill, detail
        )
