"""KPIs: the team's numbers over a range (7 days to a year), as charts with their tables.

The figures are `chatops kpi`'s (chatbot/incidents/kpi.py) per day or week
(chatbot/insights/trends.py), drawn as SVG on the server (chatbot/insights/charts.py), so the
page needs no script and works offline; the headline over the whole range is each series
weighted by the rows behind it, so the page reads the records once.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from starlette.responses import Response

from chatbot import texts
from chatbot.console.frame import Context, Page
from chatbot.errors import UserError
from chatbot.insights import charts
from chatbot.insights.charts import Ids, Line, Stack
from chatbot.insights.period import RANGES, Period, Step, parse_step
from chatbot.insights.requests import Ending
from chatbot.insights.trends import Trends, trends

DEFAULT_RANGE = "30d"
SKILLS_SHOWN = 12
ENDING_WORDS = {
    Ending.DONE: "done",
    Ending.FAILED: "failed",
    Ending.REFUSED: "refused or rejected",
    Ending.DROPPED: "cancelled or expired",
    Ending.OPEN: "still open",
}


@dataclass(frozen=True, slots=True)
class Headline:
    label: str
    value: str
    note: str = ""


def chosen_range(ctx: Context) -> tuple[str, Step | None]:
    """The range and step asked for; a clear UserError for anything else."""
    wanted = ctx.query.get("range", DEFAULT_RANGE)
    if wanted not in RANGES:
        raise UserError(f"{wanted!r} is not a range here; choose one of {', '.join(RANGES)}")
    return wanted, parse_step(ctx.query.get("step"))


def _duration(value: float | None) -> str:
    return charts.duration(value) if value is not None else "no data"


def _share(value: float | None) -> str:
    return charts.percent(value) if value is not None else "no data"


def headlines(found: Trends) -> list[Headline]:
    """The figures over the whole range, from the same series the charts draw."""
    sat = found.satisfaction
    votes = f"{sat.up} up, {sat.down} down" if sat is not None else ""
    deploys, incidents = sum(found["deploys"].counts), sum(found["incidents"].counts)
    return [
        Headline("Time to acknowledge", _duration(found["mtta_seconds"].overall()), "mean"),
        Headline("Time to resolve", _duration(found["mttr_seconds"].overall()), "mean"),
        Headline(
            "Change failure rate",
            _share(found["change_failure_rate"].overall()),
            f"{deploys} deploys",
        ),
        Headline(
            "Automation", _share(found["automation_rate"].overall()), f"{incidents} incidents"
        ),
        Headline(
            "Deflection", _share(found["deflection_rate"].overall()), "offers an article solved"
        ),
        Headline(
            "Approval latency", _duration(found["approval_latency_seconds"].overall()), "mean"
        ),
        Headline("Satisfaction", _share(sat.rate if sat else None), votes),
    ]


def figures_html(found: Trends, title_of: dict[str, str]) -> list[Markup]:
    """Every chart of the page, in reading order."""
    ids = Ids("kpi")
    step = "day" if found.period.step is Step.DAY else "week"
    labels = [d.strftime("%d %b") for d in found.buckets]
    rate_lines = [
        Line("Automation", found["automation_rate"].values),
        Line("Deflection", found["deflection_rate"].values),
        Line("Satisfaction", found["satisfaction_rate"].values),
    ]
    requests = list(found.requests[:SKILLS_SHOWN])
    stacks = [Stack(ENDING_WORDS[e], [r.counts.get(e, 0) for r in requests]) for e in Ending]
    made = [
        charts.line_chart(
            "Time to acknowledge and to resolve incidents",
            f"Mean minutes per {step}, from an incident's opening to its acknowledgement, "
            "and from impact to resolution.",
            labels,
            [
                Line("Acknowledge", found["mtta_seconds"].values),
                Line("Resolve", found["mttr_seconds"].values),
            ],
            charts.duration,
            ids,
        ),
        charts.line_chart(
            "Automation, deflection and satisfaction",
            f"Per {step}: the share of incidents acted on through the assistant, of help "
            "offers an article solved, and of answers given a thumbs up.",
            labels,
            rate_lines,
            charts.percent,
            ids,
            ceiling=1.0,
        ),
        charts.line_chart(
            "Change failure rate",
            f"Per {step}: the share of deploys followed by a rollback or an incident on the "
            "same service.",
            labels,
            [Line("Change failure rate", found["change_failure_rate"].values)],
            charts.percent,
            ids,
            ceiling=1.0,
        ),
        charts.line_chart(
            "Approval latency",
            f"Mean time per {step} from a request to its approver's first decision.",
            labels,
            [Line("First decision", found["approval_latency_seconds"].values)],
            charts.duration,
            ids,
        ),
        charts.bar_chart(
            "Requests by skill and how they ended",
            "Requests in the range per skill, split by how they ended.",
            [title_of.get(r.skill, r.skill) for r in requests],
            stacks,
            ids,
        ),
    ]
    return [Markup(html) for html in made]  # built from escaped parts in charts.py


async def read(ctx: Context) -> Response:
    rt = ctx.runtime
    try:
        wanted, step = chosen_range(ctx)
        period = Period.last(RANGES[wanted], step=step)
    except UserError as exc:
        return ctx.page(
            "kpis.html",
            "KPIs",
            400,
            problem=str(exc),
            ranges=RANGES,
            wanted=DEFAULT_RANGE,
            step="",
            charts=[],
            headlines=[],
        )
    lookback = rt.settings.incidents.change_lookback_minutes
    found = await trends(rt.store, period, lookback)
    title_of = {s.name: texts.title_of(s) or s.name for s in rt.assistant.registry.specs()}
    return ctx.page(
        "kpis.html",
        "KPIs",
        problem="",
        ranges=RANGES,
        wanted=wanted,
        step=str(step or ""),
        shown_step=str(period.step),
        since=period.since,
        charts=figures_html(found, title_of),
        headlines=headlines(found),
    )


pages = (Page("/kpis", "KPIs", read),)
