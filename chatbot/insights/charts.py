"""Charts as server-rendered SVG: no script, no build step, nothing from a CDN.

Each chart is a `<figure>` holding an SVG with `role="img"`, a `<title>` and a `<desc>` that
say in words what it shows (screen readers read those), and beside it the same numbers as a
`<table>` in a `<details>`, for anyone who reads tables better than lines. Colours are SVG
presentation attributes (not `style=`), so a Content-Security-Policy that forbids inline
styles keeps them; the palette is Okabe-Ito, told apart by people with colour blindness.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import count

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
BAR_ROW, BAR_LEFT = 26, 150
Format = Callable[[float], str]


def plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def percent(value: float) -> str:
    return f"{value:.0%}"


def duration(seconds: float) -> str:
    """Seconds as people say them: 45 s, 12 min, 3.5 h, 2.0 d."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True, slots=True)
class Stack:
    """One part of every bar (an outcome), with a value per bar."""

    name: str
    values: Sequence[int]


class Ids:
    """Element ids unique within one page, for aria-labelledby."""

    def __init__(self, prefix: str = "chart") -> None:
        self.prefix, self._next = prefix, count(1)

    def __call__(self) -> str:
        return f"{self.prefix}-{next(self._next)}"


def duration_unit(top: float) -> float:
    """The unit a duration axis steps in (seconds, minutes, hours, days), for round labels."""
    return next((u for u in (86400.0, 3600.0, 60.0) if top >= 1.5 * u), 1.0)


def _ticks(top: float) -> list[float]:
    """Round steps (1, 2, 2.5 or 5 times a power of ten) from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 4
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [round(step * i, 10) for i in range(math.ceil(top / step - 1e-9) + 1)]


def _frame(title: str, desc: str, ids: Ids, width: int, height: int, body: list[str]) -> str:
    tid, did = ids(), ids()
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{tid} {did}" class="chart">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _legend(names: Sequence[str]) -> str:
    items = "".join(
        f'<li><svg viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
        f'<rect width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/></svg> '
        f"{escape(name)}</li>"
        for i, name in enumerate(names)
    )
    return f'<ul class="legend">{items}</ul>'


def table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cols = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{escape(row[0])}</th>'
        + "".join(f"<td>{escape(c)}</td>" for c in row[1:])
        + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{cols}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _figure(title: str, svg: str, legend: str, data: str) -> str:
    return (
        f'<figure class="kpi"><figcaption>{escape(title)}</figcaption>{svg}{legend}'
        f"<details><summary>The numbers</summary>{data}</details></figure>"
    )


def line_chart(
    title: str,
    desc: str,
    labels: Sequence[str],
    lines: Sequence[Line],
    fmt: Format = plain,
    ids: Ids | None = None,
    ceiling: float | None = None,
) -> str:
    """Lines over time; a missing value (None) breaks the line instead of drawing a 0.
    `ceiling` fixes the top of the scale (1.0 for rates, so 40% never looks like a full bar)."""
    ids = ids or Ids()
    known = [v for line in lines for v in line.values if v is not None]
    if not known:
        return _figure(
            title, f'<p class="nodata">{escape(desc)} No data in this range.</p>', "", ""
        )
    highest = max(ceiling or 0.0, *known)
    unit = duration_unit(highest) if fmt is duration else 1.0
    ticks = [t * unit for t in _ticks(highest / unit)]
    top = ticks[-1] or 1.0
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return LEFT + (inner_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return TOP + inner_h * (1 - v / top)

    body = ['<g class="axis" fill="#444" font-size="11">']
    for t in ticks:
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="#ddd"/><text x="{LEFT - 6}" y="{y(t) + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(t))}</text>"
        )
    every = max(1, n // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    body.append("</g>")
    for k, line in enumerate(lines):
        colour = PALETTE[k % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(line.values):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(line.name)}, {escape(labels[i])}: {escape(fmt(v))}</title>"
                "</circle>"
            )
        for run in runs:
            if len(run) > 1:
                body.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
    rows = [
        [label, *("no data" if ln.values[i] is None else fmt(ln.values[i] or 0) for ln in lines)]
        for i, label in enumerate(labels)
    ]
    data = table(title, ["Period", *(ln.name for ln in lines)], rows)
    svg = _frame(title, desc, ids, WIDTH, HEIGHT, body)
    return _figure(title, svg, _legend([ln.name for ln in lines]), data)


def bar_chart(
    title: str,
    desc: str,
    labels: Sequence[str],
    stacks: Sequence[Stack],
    ids: Ids | None = None,
) -> str:
    """Horizontal stacked bars, one per label (a skill), parts by stack (an outcome)."""
    ids = ids or Ids()
    totals = [sum(s.values[i] for s in stacks) for i in range(len(labels))]
    if not labels or not any(totals):
        return _figure(
            title, f'<p class="nodata">{escape(desc)} No data in this range.</p>', "", ""
        )
    top = max(totals)
    inner = WIDTH - BAR_LEFT - RIGHT - 40
    height = TOP + BAR_ROW * len(labels) + 8
    body = ['<g font-size="11" fill="#222">']
    for i, label in enumerate(labels):
        row_y = TOP + i * BAR_ROW
        body.append(
            f'<text x="{BAR_LEFT - 6}" y="{row_y + 15}" text-anchor="end">{escape(label)}</text>'
        )
        start = 0.0
        for k, stack in enumerate(stacks):
            value = stack.values[i]
            if not value:
                continue
            width = inner * value / top
            body.append(
                f'<rect x="{BAR_LEFT + start:.1f}" y="{row_y + 4}" width="{width:.1f}" '
                f'height="{BAR_ROW - 8}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{escape(label)}: {value} {escape(stack.name)}</title></rect>"
            )
            start += width
        body.append(f'<text x="{BAR_LEFT + start + 4:.1f}" y="{row_y + 15}">{totals[i]}</text>')
    body.append("</g>")
    rows = [
        [label, *(str(s.values[i]) for s in stacks), str(totals[i])]
        for i, label in enumerate(labels)
    ]
    data = table(title, ["", *(s.name for s in stacks), "Total"], rows)
    svg = _frame(title, desc, ids, WIDTH, height, body)
    return _figure(title, svg, _legend([s.name for s in stacks]), data)
