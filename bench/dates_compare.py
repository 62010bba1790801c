"""Which date reader to keep: intents/dates.py against dateparser and ctparse (issue 11).

The phrasings are requests as people type them, with the time inside the sentence; each
reader gets the whole sentence and the same "now" (Monday 2026-11-30 14:05, wall time), and
must find exactly the expected minute. dateparser and ctparse are not dependencies of the
project: run this in an environment that has them (`pip install dateparser ctparse`); a
reader that is not installed is skipped.

    python -m bench.dates_compare
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime

try:
    from intents.dates import find_dates
except ImportError:  # an environment with the other readers but not spaCy: load the file alone
    import importlib.util
    from pathlib import Path

    _spec = importlib.util.spec_from_file_location(
        "dates", Path(__file__).parents[1] / "intents" / "dates.py"
    )
    assert _spec is not None and _spec.loader is not None
    _dates = importlib.util.module_from_spec(_spec)
    sys.modules["dates"] = _dates
    _spec.loader.exec_module(_dates)
    find_dates = _dates.find_dates

NOW = datetime(2026, 11, 30, 14, 5)
CASES = (
    ("deploy web 4.1.0 to staging at 8pm tonight", "2026-11-30T20:00"),
    ("restart search in staging in 10 minutes", "2026-11-30T14:15"),
    ("restart search tomorrow at 9", "2026-12-01T09:00"),
    ("restart checkout on Friday at 17:00", "2026-12-04T17:00"),
    ("reset my vpn tomorrow at 10pm", "2026-12-01T22:00"),
    ("deploy billing 2.0.1 to dev next monday 9am", "2026-12-07T09:00"),
    ("restart web in dev in 2 hours", "2026-11-30T16:05"),
    ("restart billing in staging at 23:15", "2026-11-30T23:15"),
    ("deploy search 1.0.0 to prod at noon tomorrow", "2026-12-01T12:00"),
    ("roll back checkout in dev friday at 5pm", "2026-12-04T17:00"),
    ("deploy web 2.0.0 to staging on 2026-12-10 at 14:30", "2026-12-10T14:30"),
    ("restart api-gateway in dev in 45 minutes", "2026-11-30T14:50"),
    ("restart search in staging tonight at 9", "2026-11-30T21:00"),
    ("deploy billing 3.1.0 to dev on wednesday at 6am", "2026-12-02T06:00"),
    ("restart web in staging in three hours", "2026-11-30T17:05"),
    ("restart checkout in dev tmrw at 8am", "2026-12-01T08:00"),
    ("deploy web 1.2.3 to dev at midnight", "2026-12-01T00:00"),
    ("please restart search in dev at 4:30pm", "2026-11-30T16:30"),
    ("restart billing in staging on saturday at 10:00", "2026-12-05T10:00"),
    ("deploy checkout 2.2.0 to staging 2026-12-03 08:00", "2026-12-03T08:00"),
)
Reader = Callable[[str], str | None]


def ours(text: str) -> str | None:
    found = [f.value for f in find_dates(text, NOW) if "T" in f.value]
    return found[0][:16] if found else None


def readers() -> dict[str, Reader]:
    out: dict[str, Reader] = {"intents.dates": ours}
    try:
        from dateparser.search import search_dates

        def with_dateparser(text: str) -> str | None:
            settings = {"RELATIVE_BASE": NOW, "PREFER_DATES_FROM": "future"}
            found = search_dates(text, languages=["en"], settings=settings)  # type: ignore[arg-type]
            return found[0][1].isoformat()[:16] if found else None

        out["dateparser"] = with_dateparser
    except ImportError:
        pass
    try:
        from ctparse import ctparse

        def with_ctparse(text: str) -> str | None:
            parsed = ctparse(text, ts=NOW, timeout=1)
            if parsed is None or not hasattr(parsed.resolution, "dt"):
                return None
            return parsed.resolution.dt.isoformat()[:16]  # type: ignore[union-attr]

        out["ctparse"] = with_ctparse
    except ImportError:
        pass
    return out


def main() -> None:
    for name, read in readers().items():
        right, misses, started = 0, [], time.perf_counter()
        for text, expected in CASES:
            try:
                got = read(text)
            except Exception as exc:  # a reader failing on a phrase is a miss, not a crash
                got = f"error: {type(exc).__name__}"
            right += got == expected
            if got != expected:
                misses.append(f"    {text!r}: {got} (expected {expected})")
        per = (time.perf_counter() - started) / len(CASES) * 1000
        print(f"{name:<14} {right}/{len(CASES)} right, {per:.2f} ms per sentence")
        print("\n".join(misses[:8]))


if __name__ == "__main__":
    main()
