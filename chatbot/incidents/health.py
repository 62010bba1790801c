"""Health gates for deploys: compare the window after a deploy with the window before.

Detectors are pure functions from arrays to a verdict, so they are tested on fixtures and
replayed on history. No data, too few points or NaN give `inconclusive`, never `pass`: a gate
that passes when blind would roll nothing back exactly when monitoring is broken. A fail needs
both a rank test (Mann-Whitney U, one-sided: after worse than before) and a minimum effect, or
a hard SLO threshold crossed; a statistically significant but tiny change does not fail a
deploy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class GateVerdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class GateRule:
    """How one signal (error rate, latency) is judged; larger values are worse."""

    name: str
    min_points: int = 5
    alpha: float = 0.01
    min_ratio: float = 1.5  # after/before medians at least this to count as worse
    min_delta: float = 0.0  # and at least this much worse in absolute terms
    slo_max: float | None = None  # a median after above this fails whatever came before


@dataclass(frozen=True, slots=True)
class GateResult:
    verdict: GateVerdict
    reason: str
    p_value: float | None = None
    before_median: float | None = None
    after_median: float | None = None


def _clean(values: Sequence[float]) -> list[float] | None:
    """The values, or None when any is NaN or infinite (a broken series says nothing)."""
    out = [float(v) for v in values]
    return None if any(not math.isfinite(v) for v in out) else out


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def judge(rule: GateRule, before: Sequence[float], after: Sequence[float]) -> GateResult:
    b, a = _clean(before), _clean(after)
    if b is None or a is None:
        return GateResult(GateVerdict.INCONCLUSIVE, f"{rule.name}: the series has NaN or gaps")
    if len(b) < rule.min_points or len(a) < rule.min_points:
        return GateResult(
            GateVerdict.INCONCLUSIVE,
            f"{rule.name}: too few points ({len(b)} before, {len(a)} after; "
            f"{rule.min_points} needed each)",
        )
    mb, ma = _median(b), _median(a)
    if rule.slo_max is not None and ma > rule.slo_max:
        return GateResult(
            GateVerdict.FAIL,
            f"{rule.name}: {ma:g} after the deploy is over the SLO {rule.slo_max:g}",
            None,
            mb,
            ma,
        )
    if a == b or len(set(a + b)) == 1:
        return GateResult(GateVerdict.PASS, f"{rule.name}: unchanged", 1.0, mb, ma)
    from scipy.stats import mannwhitneyu  # imported when a gate runs: the CLI starts fast

    p_value = float(mannwhitneyu(a, b, alternative="greater").pvalue)
    worse = ma - mb >= rule.min_delta and (ma >= mb * rule.min_ratio if mb > 0 else ma > 0)
    if p_value < rule.alpha and worse:
        return GateResult(
            GateVerdict.FAIL,
            f"{rule.name}: {mb:g} before, {ma:g} after the deploy (p={p_value:.2g})",
            p_value,
            mb,
            ma,
        )
    return GateResult(
        GateVerdict.PASS, f"{rule.name}: {mb:g} before, {ma:g} after; no worse", p_value, mb, ma
    )


def combine(results: Sequence[GateResult]) -> GateResult:
    """Any fail fails; otherwise any inconclusive is inconclusive; no signals at all too."""
    if not results:
        return GateResult(GateVerdict.INCONCLUSIVE, "no signals configured")
    for verdict in (GateVerdict.FAIL, GateVerdict.INCONCLUSIVE):
        hits = [r for r in results if r.verdict is verdict]
        if hits:
            return GateResult(verdict, "; ".join(r.reason for r in hits))
    return GateResult(GateVerdict.PASS, "; ".join(r.reason for r in results))
