"""The jml parts of one runtime, built once beside the assistant they serve."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from chatbot.directory.leaver import Leaver
from chatbot.directory.offboard import Offboarding
from chatbot.errors import NotFound, Refused, UserError
from chatbot.jml import chat
from chatbot.jml.catalog import BundleCatalog
from chatbot.jml.joiners import Joiners, NoBundle
from chatbot.jml.provision import Backends
from chatbot.jml.removal import Removal
from chatbot.jml.reviews import Reviews
from chatbot.types import ButtonVerb, Message, Principal, Reply, ReplyKind

if TYPE_CHECKING:
    from chatbot.assistant import Assistant


class Jml:
    def __init__(self, assistant: Assistant) -> None:
        a = self.assistant = assistant
        self.backends = Backends(a.settings, a.store)
        self.removal = Removal(a.store, a.registry, self.backends, a.executor.http)
        self.reviews = Reviews(a.settings, a.store, a.directory, a.authorizer.rbac, self.removal)
        self.catalog = BundleCatalog(a.settings, a.registry, self.backends)
        self.joiners = Joiners(a, self.reviews, self.catalog)

    async def press(self, principal: Principal, verb: ButtonVerb, item_id: int) -> list[Reply]:
        """A Keep or Revoke click on a review card: the answer, or why it was not taken."""
        try:
            said = await self.reviews.decide(
                item_id, verb is ButtonVerb.REVIEW_KEEP, principal.name
            )
        except UserError as exc:
            return [Reply(str(exc), ReplyKind.ERROR)]
        return [Reply(said, ReplyKind.RESULT)]

    def offboarding(self) -> Offboarding:
        """The leaver path of this runtime: the bundles' back ends remove their items."""
        a = self.assistant
        leaver = Leaver(a.store, a.registry, a.executor.http, self.backends)
        return Offboarding(a.store, a.directory, a.authorizer.rbac, leaver)

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
