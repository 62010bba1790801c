"""The jml parts of one runtime, built once beside the assistant they serve."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import httpx

from chatbot.directory.leaver import Leaver
from chatbot.directory.offboard import Offboarding
from chatbot.errors import NotFound, Refused, UserError
from chatbot.jml import chat
from chatbot.jml.catalog import BundleCatalog
from chatbot.jml.joiners import Joiners, NoBundle
from chatbot.jml.leavers import SecondPerson
from chatbot.jml.provision import Backends
from chatbot.jml.redo import Redo
from chatbot.jml.removal import Removal
from chatbot.jml.reviews import Reviews
from chatbot.jml.revoke import Revoking
from chatbot.types import ButtonVerb, Message, Principal, Reply, ReplyKind

if TYPE_CHECKING:
    from chatbot.assistant import Assistant


class Jml:
    def __init__(self, assistant: Assistant) -> None:
        a = self.assistant = assistant
        self.backends = Backends(a.settings, a.store)
        self.removal = Removal(a.store, a.registry, self.backends, a.executor.http)
        self.revoking = Revoking(a)
        self.reviews = Reviews(
            a.settings, a.store, a.directory, a.authorizer.rbac, self.removal, self.revoking
        )
        self.catalog = BundleCatalog(a.settings, a.registry, self.backends)
        self.joiners = Joiners(a, self.reviews, self.catalog)
        self.redo = Redo(a, self.removal)
        self.second = SecondPerson(a)

    def offboarding(self, http: httpx.AsyncClient | None = None) -> Offboarding:
        """The one way a leaver is offboarded (SCIM, the pull sync, the CLI, an approved
        employee.offboard): every grant through its back end, bundles too, and a second
        person first where `[jml.offboarding]` asks for one."""
        a = self.assistant
        leaver = Leaver(a.store, a.registry, http or a.executor.http, self.backends)
        return Offboarding(a.store, a.directory, a.authorizer.rbac, leaver, self.second)

    async def press(
        self, principal: Principal, message: Message, verb: ButtonVerb, item_id: int
    ) -> list[Reply]:
        """A Keep or Revoke click on a review card: the answer, or why it was not taken."""
        try:
            keep = verb is ButtonVerb.REVIEW_KEEP
            return await self.reviews.decide(item_id, keep, principal, message)
        except UserError as exc:
            return [Reply(str(exc), ReplyKind.ERROR)]

    def read(self, principal: Principal, skill: str, slots: dict[str, str], text: str) -> chat.Read:
        """An employee.onboard or .offboard request's slots, completed from its text."""
        a = self.assistant
        now = a.authorizer.clock()
        known = self.catalog.current()
        return chat.read(skill, text, slots, principal, a.directory, known, now)

    async def onboard(
        self, principal: Principal, message: Message, slots: dict[str, str], dry_run: bool
    ) -> list[Reply]:
        """employee.onboard from chat: the joiners' request, confirmed on a card by the one
        who asks, then approved by the joiner's manager; a sentence when it cannot be. A dry
        run says what it would ask for."""
        start = slots.get("start_date")
        try:
            if dry_run:
                would = await self.joiners.preview(
                    principal,
                    slots["person"],
                    slots.get("manager") or None,
                    slots.get("role") or None,
                )
                return [Reply(f"(dry run) {would}", ReplyKind.RESULT)]
            asked = await self.joiners.onboard(
                principal,
                slots["person"],
                date.fromisoformat(start[:10]) if start else None,
                message,
                slots.get("manager") or None,
                role=slots.get("role") or None,
                ask=True,
            )
        except NoBundle as exc:
            return [Reply(str(exc))]
        except (NotFound, Refused) as exc:
            return [Reply(str(exc), ReplyKind.ERROR)]
        return list(asked.replies)
