"""A request whose skill is known: ask for a missing slot, or decide (RBAC, policy, windows,
rate limits), audit the decision and open what it allows, in one transaction: a request
awaiting confirmation or approval, or an action through the start gate; read-only skills
and dry runs run at once. Composed into `Assistant` (assistant.py), its host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chatbot import records, texts, timing
from chatbot.dialogue import Pending
from chatbot.governance import audit
from chatbot.governance.checks import Refusal
from chatbot.governance.rbac import channel_kind
from chatbot.incidents import chat as incident_chat
from chatbot.jml import chat as jml_chat
from chatbot.store.tables import Action
from chatbot.types import (
    Button,
    ButtonValue,
    ButtonVerb,
    Decision,
    Message,
    Principal,
    Reply,
    ReplyKind,
    Verdict,
)
from skills.api import SkillSpec

if TYPE_CHECKING:
    from chatbot.assistant import Assistant


class Deciding:
    def __init__(self, host: Assistant) -> None:
        self.host = host

    async def proceed(
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
            await self.host._remember(
                principal, message, Pending(f"slot:{slot.name}", spec.name, slots)
            )
            choices = self.host.understander.choices(slot)
            buttons = tuple(Button(c, str(ButtonValue(ButtonVerb.SLOT, c))) for c in choices[:8])
            return [Reply(slot.question(), ReplyKind.QUESTION, buttons)]
        if spec.name in incident_chat.CHAT_SKILLS:  # answered by the incident desk
            text = await incident_chat.answer(
                self.host.incidents,
                principal,
                spec.name,
                plain,
                message.event_id or "",
                self.host.directory.zone(principal.name),
            )
            return [Reply(text, ReplyKind.RESULT)]
        if spec.name == jml_chat.ONBOARD_SKILL:  # the joiners' request
            return await self.host.jml.onboard(principal, message, dict(plain), dry_run)
        if when is not None and not dry_run:
            return await self.host.conversing.proceed_timed(principal, message, spec, plain, when)
        slots = {**{s.name: s.default for s in spec.slots if s.default is not None}, **slots}
        if spec.slot("user") is not None and not slots.get("user"):
            slots["user"] = principal.name  # "user" absent means the requester
        if not self.host.registry.connected(spec.name):
            return [Reply(texts.no_backend(texts.title_of(spec)))]
        where = channel_kind(message.platform, message.channel)
        decision = self.host.authorizer.decide(principal, spec, slots, dry_run, where)
        if self._reads_only(spec, slots, decision, dry_run):
            return await self._read(principal, message, spec, slots, decision)
        action: Action | None = None
        began: Action | Refusal | None = None
        # The decision, audited, and what it opens (a request awaiting confirmation, or an
        # action through the start gate) in one transaction.
        async with self.host.store.transaction() as tx:
            if not dry_run:
                decision = await self.host.authorizer.count(tx, principal, spec, slots, decision)
            detail = records.decided_detail(decision, slots)
            decided = records.record(
                principal, message, "decided", decision.verdict, spec.name, detail
            )
            await audit.append(tx, decided)
            if dry_run or decision.verdict is Verdict.DENY:
                pass
            elif decision.verdict is not Verdict.ALLOW:
                action = await self.host.approvals.open_request(
                    tx, principal, message, spec, slots, decision
                )
            elif spec.side_effect:
                action, began = await self.host.approvals.claim(
                    tx, principal, message, spec, slots, decision
                )
        if decision.verdict is Verdict.DENY:
            refused = texts.denied(decision.reason, spec.name, texts.title_of(spec))
            return [Reply(refused, ReplyKind.ERROR)]
        if dry_run:
            ctx = self.host.executor.context(principal, spec.name, slots)
            outcome = await self.host.executor.run(ctx, spec.name, preview=True)
            text = texts.result(f"(dry run) {outcome.summary}", outcome.ok, outcome.sandbox)
            return [Reply(text, ReplyKind.RESULT)]
        if action is None:
            return await self.host.approvals.run_read(principal, message, spec, slots)
        if decision.verdict is Verdict.ALLOW:
            return await self.host.approvals.after_begin(principal, message, action, began)
        return self.host.approvals.asked(principal, spec, slots, decision, action)

    def _reads_only(
        self, spec: SkillSpec, slots: Mapping[str, str], decision: Decision, dry_run: bool
    ) -> bool:
        """An allowed skill without side effects whose request checks write nothing (no
        rate limit applies): its decision is audited together with what it answered."""
        if dry_run or spec.side_effect or decision.verdict is not Verdict.ALLOW:
            return False
        return not self.host.authorizer.counts_in_database(spec, slots)

    async def _read(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decision: Decision,
    ) -> list[Reply]:
        """Check, run, then audit the decision and the answer in one transaction (in chain
        order): nothing changed in between that a crash could leave unrecorded."""
        async with self.host.store.read() as tx:  # the request checks read at most
            decision = await self.host.authorizer.count(tx, principal, spec, slots, decision)
        detail = records.decided_detail(decision, slots)
        decided = records.record(principal, message, "decided", decision.verdict, spec.name, detail)
        if decision.verdict is Verdict.DENY:
            async with self.host.store.transaction() as tx:
                await audit.append(tx, decided)
            refused = texts.denied(decision.reason, spec.name, texts.title_of(spec))
            return [Reply(refused, ReplyKind.ERROR)]
        return await self.host.approvals.run_read(principal, message, spec, slots, decided)
