"""The conversation around an action (issue 11), apart from the pipeline's stages: what a
message means to an open confirmation (consent.py), timed requests (timing.py, schedules.py),
and offers for IT problems no skill fits (support.py). `Assistant` holds one (composition)
and is its `Host`: the stages it hands back to (`_start`, `_proceed`, `_remember`) are the
Assistant's own, declared in the `Host` protocol so they are checked where they are called.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Protocol

from chatbot import consent, dialogue, records, schedules, support, texts, timing
from chatbot.config import Settings
from chatbot.dialogue import Pending
from chatbot.governance import audit
from chatbot.governance.approvals import Approvals
from chatbot.governance.authorize import Authorizer
from chatbot.governance.rbac import channel_kind
from chatbot.identity import Directory
from chatbot.schedules import Schedules, matching
from chatbot.store.engine import Store
from chatbot.types import (
    Button,
    ButtonStyle,
    ButtonValue,
    ButtonVerb,
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


class Host(Protocol):
    """What the conversation needs of the assistant it serves: its parts, and the stages of
    the pipeline it hands a request back to (assistant.py)."""

    settings: Settings
    store: Store
    registry: SkillRegistry
    understander: Understander
    authorizer: Authorizer
    approvals: Approvals
    support: support.Support
    schedules: Schedules
    directory: Directory
    question_ttl: timedelta

    async def _start(
        self, principal: Principal, message: Message, meant: Interpretation
    ) -> list[Reply]: ...

    async def _proceed(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        dry_run: bool,
    ) -> list[Reply]: ...

    async def _remember(self, principal: Principal, message: Message, pending: Pending) -> None: ...


class Conversing:
    """Composed into `Assistant` (which is its `Host`): it holds no state of its own."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def answer_confirm(
        self,
        principal: Principal,
        message: Message,
        pending: Pending,
        meant: Interpretation,
        reply: ReplyIntent | None,
    ) -> list[Reply]:
        """A message while a confirmation is open (consent.py says what counts as an answer)."""
        action_id = pending.action_id or 0
        spec = self.host.registry.spec(pending.skill)
        entities = self.host.understander.entities(meant.text)
        reading = consent.read(meant.text, meant, reply, spec, pending.slots, entities)
        match reading.kind:
            case consent.Kind.YES:
                return await self.host.approvals.confirm(principal, message, action_id)
            case consent.Kind.NO | consent.Kind.CANCEL:
                return await self.host.approvals.cancel(principal, message, action_id)
            case consent.Kind.CORRECTION if spec is not None:
                await self.host.approvals.cancel(principal, message, action_id)
                changed = {k: v for k, v in reading.slots.items() if pending.slots.get(k) != v}
                head = Reply(texts.amended(changed))
                again = await self.host._proceed(principal, message, spec, reading.slots, False)
                return [head, *again]
            case consent.Kind.REPLACE:
                await self.host.approvals.cancel(principal, message, action_id)
                return await self.host._start(principal, message, meant)
            case consent.Kind.YES_NOT_PLAIN:
                return [await self._still_open(pending, texts.SAY_YES_PLAINLY)]
            case consent.Kind.NEW_REQUEST:
                replies = await self.host._start(principal, message, meant)
                if dialogue.REMINDED in pending.choices:
                    return replies
                reminded = replace(pending, choices=(dialogue.REMINDED,))
                await self.host._remember(principal, message, reminded)
                still = await self._still_open(pending, texts.STILL_OPEN)
                return [*replies, still]
            case consent.Kind.THANKS:
                return [await self._still_open(pending, texts.WELCOME)]
            case consent.Kind.QUESTION:
                about = texts.about_action(spec.description if spec else "", self._risky(pending))
                return [await self._still_open(pending, about)]
        if meant.skill is None and not about_it(meant.text):
            return [await self._still_open(pending, texts.ANSWER_PLEASE)]  # "hmm", "later"
        replies = await self.host._start(principal, message, meant)
        return [*replies, await self._still_open(pending, texts.STILL_OPEN)]

    def _risky(self, pending: Pending) -> bool:
        spec = self.host.registry.spec(pending.skill)
        return spec is not None and consent.high_risk(spec, pending.slots)

    async def _still_open(self, pending: Pending, lead: str) -> Reply:
        """The open question shown again, with its buttons (Confirm or Send for approval)."""
        action = await self.host.approvals.load(pending.action_id or 0)
        needs = action is not None and action.approvals_needed > 0
        what = self._sentence(pending.skill, pending.slots, action.requester if action else "")
        text = f"{lead} {texts.still_waiting(what)}".strip()
        return Reply(
            text,
            ReplyKind.CONFIRM,
            records.confirm_buttons(pending, needs),
            action_id=pending.action_id,
        )

    def _sentence(self, skill: str, slots: Mapping[str, str], requester: str) -> str:
        spec = self.host.registry.spec(skill)
        return texts.sentence(spec, slots, requester) if spec is not None else texts.SOMETHING

    async def proceed_timed(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        when: timing.When,
    ) -> list[Reply]:
        """A request with a start time: decided now without the calendar (windows and freezes
        are checked at the start), always confirmed, then held until its time (schedules.py)."""
        slots = {**{s.name: s.default for s in spec.slots if s.default is not None}, **slots}
        if spec.slot("user") is not None and not slots.get("user"):
            slots["user"] = principal.name
        if not self.host.registry.connected(spec.name):
            return [Reply(texts.no_backend(texts.title_of(spec)))]
        where = channel_kind(message.platform, message.channel)
        decision = self.host.authorizer.decide(principal, spec, slots, dry_run=True, channel=where)
        async with self.host.store.transaction() as tx:
            decision = await self.host.authorizer.count(tx, principal, spec, slots, decision)
            detail = {
                "verdict": decision.verdict,
                "rule": decision.rule,
                "slots": slots,
                "run_at": when.at.isoformat() if when.at else None,
            }
            decided = records.record(
                principal, message, "decided", decision.verdict, spec.name, detail
            )
            await audit.append(tx, decided)
        if decision.verdict is Verdict.DENY:
            refused = texts.denied(decision.reason, spec.name, texts.title_of(spec))
            return [Reply(refused, ReplyKind.ERROR)]
        if decision.verdict is Verdict.ALLOW:
            decision = replace(decision, verdict=Verdict.CONFIRM)
        decision = replace(decision, rule=schedules.timed_rule(decision.rule, when))
        asked = await self.host.approvals.request(principal, message, spec, slots, decision)
        await self.host.schedules.plan(asked[0].action_id or 0, principal.name, when)
        first = replace(
            asked[0],
            text=texts.timed(
                timing.shown_at(when, self.host.directory.zone(principal.name)), asked[0].text
            ),
        )
        return [first, *asked[1:]]

    async def scheduled(
        self, principal: Principal, meant: Interpretation, cancel: bool = False
    ) -> list[Reply]:
        """ "what is scheduled" lists; "cancel the restart at 8pm" cancels the one it names
        (several named: they are listed, each with its Cancel button)."""
        waiting = await self.host.schedules.waiting(principal.name)
        if cancel:
            named = matching(waiting, meant.text)
            if len(named) == 1:
                return [Reply(await self.host.schedules.cancel(principal, named[0].id))]
            waiting = named or waiting
            if not waiting:
                return [Reply(texts.NOTHING_PENDING)]
        if not waiting:
            return [Reply(texts.NO_SCHEDULES)]
        return [
            Reply(
                texts.schedule_line(s.id, s.what, s.shown),
                ReplyKind.INFO,
                (
                    Button(
                        texts.CANCEL_BUTTON,
                        str(ButtonValue.action(ButtonVerb.UNSCHEDULE, s.id)),
                        ButtonStyle.DANGER,
                    ),
                ),
                action_id=s.id,
            )
            for s in waiting
        ]

    async def offer_support(self, principal: Principal, message: Message, text: str) -> list[Reply]:
        """An IT problem no skill fits: articles, a ticket, a person (support.py)."""
        offered = await self.host.support.offer(principal, text)
        summary = self.host.support.summary(text)
        key = support.offer_key(dialogue.conversation_key(principal, message))
        async with self.host.store.transaction() as tx:  # apart from the open question, kept
            offer = Pending(support.OFFER, "", {"summary": summary})
            await dialogue.save(tx, key, offer, self.host.question_ttl)
        outcome = "articles" if offered.articles else "none"
        detail = {"articles": offered.articles}
        async with self.host.store.transaction() as tx:
            record = records.record(principal, message, "support.offered", outcome, None, detail)
            await audit.append(tx, record)
        return [offered.reply]

    async def offer_taken(self, principal: Principal, message: Message, choice: str) -> list[Reply]:
        event = support.EVENTS.get(choice)
        key = support.offer_key(dialogue.conversation_key(principal, message))
        async with self.host.store.transaction() as tx:
            pending = await dialogue.load(tx, key)
            await dialogue.clear(tx, key)
        if event is None or pending is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        summary = pending.slots.get("summary", "")
        async with self.host.store.transaction() as tx:
            detail = {"summary": summary}
            record = records.record(principal, message, event, event.split(".")[1], None, detail)
            await audit.append(tx, record)
        if choice == "solved":
            return [Reply(texts.GLAD)]
        name, slots = (
            (support.TICKET, {"summary": summary})
            if choice == "ticket"
            else (support.HANDOFF, {"note": summary})
        )
        spec = self.host.registry.spec(name)
        if spec is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        return await self.host._proceed(principal, message, spec, slots, dry_run=False)
