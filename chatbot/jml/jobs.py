"""The periodic access-review job: start the campaigns the settings schedule
(`jml.review_resources` every `jml.review_every_days`), then remind and escalate what is
left unanswered. Safe on two workers: starting looks at the last campaign, and every nudge
is a conditional update."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatbot.jobs.registry import JobContext

JOB = "reviews.check"


async def check_reviews(ctx: JobContext) -> str:
    reviews = ctx.runtime.assistant.jml.reviews
    started = await reviews.due()
    nudged = await reviews.remind()
    return f"{len(started)} campaign(s) started, {nudged} item(s) nudged"
