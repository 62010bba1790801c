"""SVG charts: labelled for screen readers, escaped, honest about missing data."""

from __future__ import annotations

from chatbot.insights.charts import Ids, Line, Stack, bar_chart, duration, line_chart, percent


def test_a_line_chart_says_what_it_shows_and_breaks_where_data_is_missing() -> None:
    html = line_chart(
        "Time to <fix>",
        "Mean per day & more",
        ["Mon", "Tue", "Wed", "Thu"],
        [Line("Resolve", [600, 1200, None, 3600])],
        duration,
        Ids("t"),
    )
    assert 'role="img" aria-labelledby="t-1 t-2"' in html
    assert '<title id="t-1">Time to &lt;fix&gt;</title>' in html
    assert '<desc id="t-2">Mean per day &amp; more</desc>' in html
    assert html.count("<polyline") == 1  # Mon-Tue; Thu stands alone after the gap
    assert html.count("<circle") == 3
    assert ">20 min</text>" in html and ">60 min</text>" in html  # round minute ticks
    assert "<td>no data</td>" in html and "<td>10 min</td>" in html
    assert "style=" not in html  # the content security policy forbids inline styles


def test_rates_and_empty_ranges() -> None:
    html = line_chart("Rates", "Shares", ["a", "b"], [Line("x", [0.25, 0.5])], percent, ceiling=1.0)
    assert ">100%</text>" in html and "<td>25%</td>" in html
    empty = line_chart("Nothing", "No incidents.", ["a"], [Line("x", [None])])
    assert "No data in this range." in empty and "<svg" not in empty


def test_a_bar_chart_stacks_outcomes_per_skill() -> None:
    html = bar_chart(
        "Requests",
        "By skill",
        ["Deploy", "Reset VPN"],
        [Stack("done", [2, 5]), Stack("failed", [1, 0])],
    )
    assert html.count("<rect x=") == 3  # a zero part draws nothing
    assert "<title>Deploy: 1 failed</title>" in html
    assert '<tr><th scope="row">Reset VPN</th><td>5</td><td>0</td><td>5</td></tr>' in html
