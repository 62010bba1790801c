"""`Assistant.handle`: the one path every message takes, stages in order.

    identity -> understanding -> dialogue -> authorization -> confirmation/approval
    -> execution, with an audit entry at every step

Adapters and tests call `handle` and nothing else; no business rule lives in an adapter.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatbot import consent, dialogue, logs, records, skill_upload, support, texts, timing
from chatbot.config import Settings
from chatbot.conversing import Conversing
from chatbot.deciding import Deciding
from chatbot.dialogue import Pending
from chatbot.execute import Executor
from chatbot.governance import audit, storage, target
from chatbot.governance.approvals import Approvals
from chatbot.governance.authorize import Authorizer
from chatbot.identity import Directory
from chatbot.incidents import chat as incident_chat
from chatbot.incidents import threads
from chatbot.incidents.book import IncidentBook, incident_ref
from chatbot.incidents.desk import IncidentDesk
from chatbot.jml import chat as jml_chat
from chatbot.metrics import Metrics
from chatbot.presses import Presses
from chatbot.schedules import Schedules
from chatbot.store.engine import Store
from chatbot.types import (
    Button,
    ButtonValue,
    ButtonVerb,
    Interpretation,
    Message,
    Principal,
    Reply,
    ReplyIntent,
    ReplyKind,
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


class Assistant:
    """The pipeline. Composed of its parts; the conversation around an action (consent,
    timed requests, support offers) is `self.conversing`, which hands requests back here."""

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
        self.health = storage.Health()  # the last write failure, for /readyz and the CLI
        self.question_ttl = timedelta(seconds=settings.limits.question_ttl_seconds)
        self.support = support.Support(registry, executor)
        self.schedules = Schedules(self.approvals)
        book = IncidentBook(store, settings.incidents)
        book.zone_of = directory.zone  # times on each reader's clock
        self.incidents = IncidentDesk(book, authorizer.rbac)
        self.conversing = Conversing(self)
        self.deciding = Deciding(self)
        self.presses = Presses(self)
        self.metrics = Metrics()  # this process's; the runtime shares it with executor, store
        from chatbot.jml.wiring import Jml  # joiners, movers, access reviews

        self.jml = Jml(self)

    async def handle(self, message: Message) -> list[Reply]:
        """One message in, the replies out; counted by channel and outcome (the first
        reply's kind, or "duplicate" for a redelivered event)."""
        started = time.perf_counter()
        replies = await self._handle(message)
        outcome = str(replies[0].kind) if replies else "duplicate"
        self.metrics.message(message.platform, outcome, time.perf_counter() - started)
        return replies

    async def _handle(self, message: Message) -> list[Reply]:
        principal = self.directory.resolve(message)
        logs.bind(person=principal.name, skill=None, action_id=None)
        problem = texts.check_text(message, self.settings.limits.max_message_chars)
        try:
            incident_id = await threads.incident_of(self.store, message)
            if message.ambient and (incident_id is None or principal.guest):
                return []  # not said to the assistant, nor in a thread of an incident it knows
            meant = None
            if problem is None and message.press is None and not principal.guest:
                meant = self.understander.parse(texts.printable(message.text).strip())
                self.metrics.understood(meant.confidence)
            received = await self._receive(principal, message, problem, meant)
            if received is None:
                return []  # the platform delivered this event before
            if problem:
                return [] if message.ambient else [Reply(problem, ReplyKind.ERROR)]
            if principal.guest:
                refused = texts.GUEST if principal.active else texts.DEACTIVATED
                return [Reply(refused, ReplyKind.ERROR)]
            if self.directory.needs_link(message, principal):
                await self.directory.remember_link(self.store, message, principal)
            if meant is None:
                assert message.press is not None
                return await self.presses.press(principal, message, message.press.value)
            # An open question is answered only by someone talking to the assistant.
            if incident_id is not None and (message.ambient or received.pending is None):
                return await self._in_incident(principal, message, meant, incident_id)
            return await self._on_text(principal, message, meant, received)
        except Exception as exc:
            if storage.unavailable(exc):
                return await self._storage_down(principal, message, exc)
            log.exception("message from %s failed", principal.name)
            try:
                async with self.store.transaction() as tx:
                    failed = records.record(principal, message, "internal.error", "failed")
                    entry = await audit.append(tx, failed)
            except Exception as again:
                if not storage.unavailable(again):
                    raise
                return await self._storage_down(principal, message, again, audited=True)
            return [Reply(texts.INTERNAL.format(seq=entry.seq), ReplyKind.ERROR)]

    async def _storage_down(
        self, principal: Principal, message: Message, exc: Exception, audited: bool = False
    ) -> list[Reply]:
        """The database cannot record this: say nothing was done, mark the process not
        ready, and try once to audit the failure; the original error stays the one logged."""
        log.error(
            "cannot record the message from %s: %s",
            principal.name,
            storage.one_line(exc),
            exc_info=exc,
        )
        self.health.failed(exc)
        if not audited:
            try:
                async with self.store.transaction() as tx:
                    note = {"error": storage.one_line(exc)[:300], "event_id": message.event_id}
                    down = records.record(
                        principal, message, "storage.unavailable", "failed", None, note
                    )
                    await audit.append(tx, down)
            except Exception as again:
                log.warning("the audit of that failure failed too: %s", storage.one_line(again))
        return [Reply(texts.STORAGE_DOWN, ReplyKind.ERROR)]

    async def _receive(
        self,
        principal: Principal,
        message: Message,
        problem: str | None,
        meant: Interpretation | None,
    ) -> Received | None:
        """Audit the message (and what it meant) and read the open question, in one
        transaction run whole in one round trip (`Store.run`): every message pays for it.
        None means the platform delivered this event before."""
        entries = [records.record(principal, message, "message.received", problem or "ok")]
        if meant is not None:
            entries.append(records.understood(principal, message, meant))
        key = dialogue.conversation_key(principal, message) if meant is not None else None

        def receive(tx: Session) -> Received | None:
            if not records.first_delivery(tx, message):
                return None
            pending = dialogue.read(tx, key) if key is not None else None
            audit.append_sync(tx, entries)  # last: the audit head stays locked until commit
            return Received(pending)

        try:
            received = await self.store.run(receive)
        except IntegrityError:
            return None  # the same event is being handled right now by another worker or replica
        if received is not None:
            self.health.recovered()
        return received

    # -- stages -------------------------------------------------------------------------

    async def _on_text(
        self,
        principal: Principal,
        message: Message,
        meant: Interpretation,
        received: Received,
    ) -> list[Reply]:
        pending = received.pending
        upload = skill_upload.found(message)  # an admin sent a manifest: check it, offer it
        if upload is not None:
            return await skill_upload.offer(self, principal, message, upload)
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
            return await self.conversing.answer_confirm(principal, message, pending, meant, reply)
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
            buttons = tuple(
                Button(s, str(ButtonValue(ButtonVerb.SLOT, s))) for s in reading.suggestions
            )
            return [Reply(f"{question} {slot.question()}", ReplyKind.QUESTION, buttons)]
        await self._forget(principal, message)
        slots = {**pending.slots, slot.name: reading.value}
        return await self._proceed(principal, message, spec, slots, dry_run=False)

    async def _in_incident(
        self, principal: Principal, message: Message, meant: Interpretation, incident_id: int
    ) -> list[Reply]:
        """Said in an incident's thread: "ack it", "resolve it", "roll it back" act on that
        incident by the card's own paths; anything else is a timeline note, and when said to
        the assistant, also read as a request of its own."""
        said = threads.command(meant.text)
        if said is threads.ThreadCommand.ROLLBACK:
            arg = await self.incidents.rollback_arg(incident_id)
            if arg is None:
                return [Reply(texts.no_rollback_offered(incident_ref(incident_id)))]
            return await self.presses.remedy(principal, message, arg)
        if said is not None:
            verb = ButtonVerb.INCIDENT_ACK
            if said is threads.ThreadCommand.RESOLVE:
                verb = ButtonVerb.INCIDENT_RESOLVE
            moved = await self.incidents.move(principal, verb, incident_id, message.event_id or "")
            return [Reply(moved)]
        noted = await threads.note(self.incidents.book, incident_id, principal, message)
        named = meant.skill in incident_chat.MOVES and meant.slot_values().get("incident")
        if named and not meant.ambiguous:  # "ack INC-7" names its incident, thread or not
            return await self._start(principal, message, meant)
        if message.ambient:
            return []
        if meant.skill is None:
            return [Reply(noted)]
        return await self._start(principal, message, meant)

    async def _start(
        self, principal: Principal, message: Message, meant: Interpretation
    ) -> list[Reply]:
        if SCHEDULED_RE.search(meant.text):
            return await self.conversing.scheduled(principal, meant)
        said = threads.command(meant.text) if meant.skill is None else None
        spec = self.registry.spec(threads.SKILL_OF[said]) if said else None
        if spec is not None:  # "resolve it" with no thread to say which: asked, not guessed
            return await self._proceed(principal, message, spec, {}, dry_run=False)
        if meant.skill is None:
            if meant.reply is ReplyIntent.CANCEL and len(meant.text.split()) > 1:
                return await self.conversing.scheduled(principal, meant, cancel=True)
            if meant.reply is not None:
                return [Reply(texts.NOTHING_PENDING)]
            if meant.declined != "negated" and about_it(meant.text):
                return await self.conversing.offer_support(principal, message, meant.text)
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
            buttons = tuple(
                Button(title, str(ButtonValue(ButtonVerb.PICK, name)))
                for title, name in zip(titles, options, strict=True)
            )
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
        if spec.name in jml_chat.SKILLS:  # who joins or leaves: named, never assumed
            read = self.jml.read(principal, spec.name, dict(slots), meant.text)
            if read.problem is not None:
                return [Reply(read.problem, ReplyKind.ERROR)]
            slots = read.slots
        if spec.slot("user") is not None and not slots.get("user"):
            named = target.named_target(meant.text, self._known_words(spec))
            person = self.directory.find_any(named) if named else None
            if named and person is None:  # named, not resolved: ask, never use the requester
                return await self._which_person(principal, message, spec, slots, named)
            if person is not None:
                slots = {**slots, "user": person.name}
        return await self._proceed(principal, message, spec, slots, meant.dry_run)

    def _known_words(self, spec: SkillSpec) -> frozenset[str]:
        catalog = self.settings.catalog
        names = [*catalog.services, *catalog.resources]
        for env, aliases in catalog.environments.items():
            names += [env, *aliases]
        return target.vocabulary(spec, names)

    async def _which_person(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        named: str,
    ) -> list[Reply]:
        await self._remember(principal, message, Pending("slot:user", spec.name, slots))
        # The requester named someone else: they are not among the guesses.
        people = [p for p in self.directory.principals.values() if p.name != principal.name]
        close = target.close_matches(named, people)
        buttons = tuple(Button(n, str(ButtonValue(ButtonVerb.SLOT, n))) for n in close)
        return [Reply(texts.unknown_person(named), ReplyKind.QUESTION, buttons)]

    async def _proceed(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        dry_run: bool,
    ) -> list[Reply]:
        """Slots complete? Then authorize, and run, preview, or ask to confirm (deciding.py)."""
        return await self.deciding.proceed(principal, message, spec, slots, dry_run)

    # -- helpers ------------------------------------------------------------------------

    async def _remember(self, principal: Principal, message: Message, pending: Pending) -> None:
        key = dialogue.conversation_key(principal, message)
        await self.store.write_one(
            *dialogue.saving(self.store.dialect, key, pending, self.question_ttl)
        )

    async def _forget(self, principal: Principal, message: Message) -> None:
        await self.store.write_one(
            *dialogue.clearing(dialogue.conversation_key(principal, message))
        )
