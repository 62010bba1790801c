"""The jml parts of one runtime, built once beside the assistant they serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatbot.errors import UserError
from chatbot.jml.joiners import Joiners
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

    async def press(
        self, principal: Principal, message: Message, verb: ButtonVerb, item_id: int
    ) -> list[Reply]:
        """A Keep or Revoke click on a review card: the answer, or why it was not taken."""
        try:
            keep = verb is ButtonVerb.REVIEW_KEEP
            return await self.reviews.decide(item_id, keep, principal, message)
        except UserError as exc:
            return [Reply(str(exc), ReplyKind.ERROR)]
