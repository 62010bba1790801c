"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import resource
from collections.abc import Sequence


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def latency_line(label: str, seconds: Sequence[float], wall: float) -> str:
    p50, p99 = percentile(seconds, 0.50) * 1000, percentile(seconds, 0.99) * 1000
    rate = len(seconds) / wall if wall else float("inf")
    count = f"{len(seconds):,} in {wall:.2f} s = {rate:,.0f}/s"
    return f"{label}: {count}; p50 {p50:.2f} ms, p99 {p99:.2f} ms"


def resident_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
