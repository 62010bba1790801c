"""Who sees what in the web chat, and keeping it in each person's conversation.

The pipeline's replies name their reader: nobody (the person who spoke), `to` (someone else:
an approver's card, a requester's outcome) or `channel` (the approvals channel: here, each
approver of the action). The web chat used to show every reply to whoever spoke, so an
approver saw the requester's outcome ("(to carol) ...") and the requester never did. Now each
reply goes into its reader's own conversation, and only their open screens are woken.

Cards change in place: when an action moves, every card about it, in anyone's conversation,
gets an update with where it now stands. Notifications nobody's message answered (expiry,
scheduled starts, incidents) are taken from the outbox into the conversation when the
person's screen next asks (`take`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from chatbot import feedback, texts
from chatbot.adapters.web import cards, history, views
from chatbot.adapters.web.history import Change, Entry, Speaker, Step
from chatbot.adapters.web.live import Hub
from chatbot.app import Runtime
from chatbot.governance import actions, outbox
from chatbot.store.tables import Action
from chatbot.types import Reply, ReplyKind

EVENTS = {Change.NEW: "entry", Change.UPDATE: "update"}  # the server-sent event names
Known = dict[int, tuple[Action, list[str]]]  # action id -> (the action, who approved so far)


class WebChat:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.approvals = runtime.assistant.approvals
        self.directory = runtime.assistant.directory
        self.hub = Hub()

    def person(self, who: str) -> str:
        """Whose conversation: the directory name, or for a stranger what the proxy said."""
        principal = self.directory.find(who)
        return principal.name if principal else who.strip().lower()

    # -- what the person said ---------------------------------------------------------------

    async def said(self, person: str, text: str) -> list[Step]:
        limit = self.runtime.settings.limits.max_message_chars
        shown = texts.printable(text).strip()[:limit]
        return await self.keep([(person, Change.NEW, Entry.said(shown))]) if shown else []

    async def pressed(self, person: str, value: str) -> tuple[Entry | None, list[Step]]:
        """The entry whose button was pressed (None: no entry of theirs offered it), and the
        button's label kept as what the person said."""
        entry = await history.with_button(self.store, person, value)
        if entry is None:
            return None, []
        label = next(b.label for b in entry.buttons if b.value == value)
        return entry, await self.keep([(person, Change.NEW, Entry.said(label))])

    # -- what the assistant answered --------------------------------------------------------

    async def deliver(
        self, speaker: str, replies: Sequence[Reply], answered: Entry | None = None
    ) -> list[Step]:
        """Keep each reply in its reader's conversation; refresh the cards of every action
        the replies are about; the speaker's own steps, for the speaker's answer."""
        ids = {r.action_id for r in replies if r.action_id is not None}
        ids |= {r.updates for r in replies if r.updates is not None}
        if answered is not None and answered.action_id is not None:
            ids.add(answered.action_id)
        known = await self._load(ids)
        rows: list[tuple[str, Change, Entry]] = []
        for reply in replies:
            if reply.updates is not None:
                continue  # a card's new state: refreshed below, from the action itself
            entry = self._entry(reply, known)
            rows += [(reader, Change.NEW, entry) for reader in self._readers(speaker, reply, known)]
        if answered is not None and not answered.card and answered.buttons:
            rows.append((speaker, Change.UPDATE, replace(answered, buttons=())))
        steps = await self.keep(await self._one_card_each(rows))
        steps += await self.refresh(ids, known)
        return [s for s in steps if s.person == speaker]

    async def _one_card_each(
        self, rows: list[tuple[str, Change, Entry]]
    ) -> list[tuple[str, Change, Entry]]:
        """One approval card per person and action: a second (the inbox finding one the
        person was already sent) would be a second set of live buttons for one decision."""
        cards_for: dict[str, set[int]] = {}
        for person, _, entry in rows:
            if entry.kind == ReplyKind.APPROVAL and entry.card and entry.action_id is not None:
                cards_for.setdefault(person, set()).add(entry.action_id)
        have = {p: await history.carded(self.store, p, ids) for p, ids in cards_for.items()}
        kept, seen = [], set()
        for person, change, entry in rows:
            key = (person, entry.action_id)
            if entry.kind == ReplyKind.APPROVAL and entry.card and entry.action_id is not None:
                if entry.action_id in have.get(person, set()) or key in seen:
                    continue
                seen.add(key)
            kept.append((person, change, entry))
        return kept

    def _readers(self, speaker: str, reply: Reply, known: Known) -> list[str]:
        if reply.channel is not None:
            found = known.get(reply.action_id or 0)
            if found is None or reply.kind is not ReplyKind.APPROVAL:
                return []
            return self.approvals.finish.approvers(found[0])
        return [self.person(reply.to) if reply.to else speaker]

    def _entry(self, reply: Reply, known: Known) -> Entry:
        action, votes = known.get(reply.action_id or 0, (None, []))
        text, card = reply.text, {}
        if action is not None and reply.kind in cards.CARD_KINDS and reply.buttons:
            card = cards.facts(self.approvals.finish, action, votes).as_json()
            text = cards.card_text(reply.kind, text)
        return Entry(
            ref=history.new_ref(),
            speaker=Speaker.ASSISTANT,
            kind=str(reply.kind),
            text=text,
            buttons=reply.buttons,
            action_id=reply.action_id,
            skill=reply.skill or (action.skill if action is not None else None),
            card=card,
        ).with_text(text)

    async def refresh(self, action_ids: Iterable[int], known: Known | None = None) -> list[Step]:
        """Every card about these actions, on every screen, updated to where they stand."""
        shown = [s for s in await history.about(self.store, action_ids) if s.entry.card]
        if not shown:
            return []
        known = known if known is not None else {}
        known.update(await self._load({s.entry.action_id or 0 for s in shown} - set(known)))
        rows = []
        for step in shown:
            found = known.get(step.entry.action_id or 0)
            if found is None:
                continue
            fresh = cards.facts(self.approvals.finish, *found).as_json()
            if fresh != step.entry.card:
                rows.append((step.person, Change.UPDATE, replace(step.entry, card=fresh)))
        return await self.keep(rows)

    async def _load(self, ids: Iterable[int]) -> Known:
        known: Known = {}
        async with self.store.read() as tx:
            for action_id in sorted(set(ids)):
                action = await actions.get(tx, action_id)
                if action is not None:
                    known[action_id] = (action, await actions.approvals(tx, action_id))
        return known

    async def keep(self, rows: list[tuple[str, Change, Entry]]) -> list[Step]:
        steps = await history.append(self.store, rows)
        self.hub.wake(s.person for s in steps)
        return steps

    # -- what waits elsewhere -----------------------------------------------------------------

    async def take(self, person: str) -> list[Reply]:
        """Notifications waiting in the outbox, and approval cards this person may decide
        that their conversation does not show yet, into their conversation; the
        notifications, for `POST /api/inbox`, which hands them over as well."""
        async with self.store.read() as tx:
            waiting = bool(await outbox.pending(tx, person))
        notes = await self.approvals.deliver(person) if waiting else []
        principal = self.directory.find(person)
        waiting_cards = await self.approvals.inbox(principal) if principal else []
        have = await history.carded(self.store, person, [c.action_id or 0 for c in waiting_cards])
        missing = [c for c in waiting_cards if c.action_id not in have]
        if notes or missing:
            await self.deliver(person, [*notes, *missing])
        return notes

    # -- what the screen shows ----------------------------------------------------------------

    async def shown(self, person: str, entries: list[Entry]) -> list[dict[str, Any]]:
        principal = self.directory.find_any(person)
        reader = cards.Reader(
            person,
            principal.tz if principal else "UTC",
            self.approvals.clock(),
            self.directory,
        )
        asked = [e.ref for e in entries if views.asks_feedback(e)]
        verdicts = await feedback.verdicts(self.store, person, asked)
        return views.views(entries, reader, verdicts)

    async def changes(
        self, person: str, after: int
    ) -> tuple[list[tuple[int, str, dict[str, Any]]], int]:
        steps = await history.since(self.store, person, after)
        if not steps:
            return [], after
        shown = await self.shown(person, [s.entry for s in steps])
        out = [(s.cursor, EVENTS[s.change], view) for s, view in zip(steps, shown, strict=True)]
        return out, steps[-1].cursor
