"""No dead ends: an IT problem that no skill fits gets what the service desk has.

Matching knowledge-base articles (kb.search, on whatever back end it runs), a button "Open a
ticket" with the person's own words as the summary, and "Talk to someone" (handoff). What
happens is counted in the audit trail, for the deflection KPI:

    event              outcome      meaning
    support.offered    articles|none  help was offered (with or without articles)
    support.deflected  deflected    the person said an article solved it
    support.ticket     ticket       the person chose to open a ticket
    support.handoff    handoff      the person chose to talk to someone

All four carry `skill` = None, the person as `actor`, and `detail` {"articles": n} or
{"summary": words}. Deflection rate = deflected / offered over a period.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatbot import texts
from chatbot.execute import Executor
from chatbot.types import Button, ButtonStyle, ButtonValue, ButtonVerb, Principal, Reply, ReplyKind
from intents.topics import search_words
from skills.registry import SkillRegistry

OFFER = "offer"  # Pending.awaiting while the offer's buttons are open
KB = "kb.search"
TICKET = "ticket.create"
HANDOFF = "handoff"
SUMMARY_LIMIT = 300
EVENTS = {"ticket": "support.ticket", "handoff": "support.handoff", "solved": "support.deflected"}


def offer_key(conversation: str) -> str:
    """Where an open offer is kept: apart from the open question, which it must not replace
    (an IT problem mentioned while a confirmation is open leaves that confirmation open)."""
    return f"{conversation}|{OFFER}"


@dataclass(frozen=True, slots=True)
class Offered:
    reply: Reply
    articles: int


class Support:
    def __init__(self, registry: SkillRegistry, executor: Executor) -> None:
        self.registry, self.executor = registry, executor

    async def offer(self, principal: Principal, text: str) -> Offered:
        """Articles that match, and the buttons for a ticket, a person, or "that solved it"."""
        found, count = "", 0
        query = search_words(text)
        if query and self.registry.spec(KB) is not None and self.registry.connected(KB):
            ctx = self.executor.context(principal, KB, {"query": query})
            outcome = await self.executor.run(ctx, KB)
            if outcome.ok and "\n" in outcome.summary:
                found = outcome.summary.split("\n", 1)[1]
                count = found.count("\n") + 1
        buttons = []
        if count:
            buttons.append(
                Button(texts.SOLVED_BUTTON, str(ButtonValue(ButtonVerb.OFFER, "solved")))
            )
        if self.registry.spec(TICKET) is not None:
            buttons.append(
                Button(
                    texts.TICKET_BUTTON,
                    str(ButtonValue(ButtonVerb.OFFER, "ticket")),
                    ButtonStyle.PRIMARY,
                )
            )
        if self.registry.spec(HANDOFF) is not None:
            buttons.append(
                Button(texts.PERSON_BUTTON, str(ButtonValue(ButtonVerb.OFFER, "handoff")))
            )
        reply = Reply(
            texts.it_problem(found), ReplyKind.QUESTION, tuple(buttons), skill=KB if count else None
        )
        return Offered(reply, count)

    @staticmethod
    def summary(text: str) -> str:
        return " ".join(text.split())[:SUMMARY_LIMIT]
