"""Benchmark of the CLI's start (numbers, not pass/fail): each listing the issue names run as
a fresh `chatops` process, its CPU seconds (user + system, what the machine spends whatever
else runs on it) and wall seconds, next to floors measured in the same run: an empty Python,
and importing only the libraries every store command needs (SQLAlchemy's ORM, SQLModel,
pydantic-settings). The store is a SQLite file in a temporary data folder, migrated by a first
call that is not counted. `make bench` calls `main()`; `python -m bench cli` runs it alone.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

RUNS = 5
TARGET_CPU = 0.5  # seconds, issue 12

LISTINGS: tuple[tuple[str, ...], ...] = (
    ("audit", "list"),
    ("approvals", "list", "--as", "carol"),
    ("schedules", "list"),
    ("skills", "list"),
    ("incidents", "list"),
)
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("python -c pass", ("-c", "pass")),
    (
        "import sqlalchemy.orm, sqlmodel, pydantic_settings",
        ("-c", "import sqlalchemy.orm, sqlmodel, pydantic_settings"),
    ),
)


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Median CPU seconds and median wall seconds of RUNS runs of `python argv...`."""
    import time

    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(RUNS):
        before, started = _cpu_children(), time.perf_counter()
        subprocess.run(
            [sys.executable, *argv], env=env, check=True, stdout=subprocess.DEVNULL, timeout=120
        )
        wall.append(time.perf_counter() - started)
        cpu.append(_cpu_children() - before)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
        env["CHATOPS_DATA_DIR"] = data
        cli = (str(Path(sys.executable).with_name("chatops")),)  # the installed command
        subprocess.run(
            [sys.executable, *cli, "audit", "list"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"   {os.cpu_count()} cores; median of {RUNS} runs; target <= {TARGET_CPU} CPU s")
        for label, argv in FLOORS:
            cpu, wall = measure(argv, env)
            print(f"   floor {label:<52} cpu {cpu:.3f} s  wall {wall:.3f} s", flush=True)
        for args in LISTINGS:
            cpu, wall = measure((*cli, *args), env)
            mark = "ok" if cpu <= TARGET_CPU else "OVER"
            label = "chatops " + " ".join(args)
            print(f"   {label:<58} cpu {cpu:.3f} s  wall {wall:.3f} s  {mark}", flush=True)


if __name__ == "__main__":
    main()
