"""The jml parts of one runtime, built once beside the assistant they serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from chatbot.directory.leaver import Leaver
from chatbot.directory.offboard import Offboarding
from chatbot.errors import UserError
from chatbot.jml.joiners import Joiners
from chatbot.jml.leavers import OFFBOARD, OffboardSkill, SecondPerson
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
        a = assistant
        self.backends = Backends(a.settings, a.store)
        self.removal = Removal(a.store, a.registry, self.backends, a.executor.http)
        self.revoking = Revoking(a)
        self.reviews = Reviews(
            a.settings, a.store, a.directory, a.authorizer.rbac, self.removal, self.revoking
        )
        self.joiners = Joiners(a, self.reviews)
        self.redo = Redo(a, self.removal)
        self.second = SecondPerson(a)
        self.assistant = a
        found = a.registry.get(OFFBOARD.name)
        skill = getattr(found, "inner", found)  # the loader may wrap it
        if isinstance(skill, OffboardSkill):
            skill.bind(self.offboarding)

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
