"""Benchmark of the CLI's start (numbers, not pass/fail): each listing the issue names run as
a fresh `chatops` process, its CPU seconds (user + system, what the machine spends whatever
else runs on it) and wall seconds, next to floors measured in the same run: an empty Python,
and importing only the libraries the listings need (SQLAlchemy's ORM, SQLModel,
pydantic-settings; also with httpx, which listings no longer import: a connector or skill
imports it when it makes a call), plain and with the collector tuned as `chatops` tunes it at
start (chatbot.cli.run).

The store is a SQLite file in a temporary data folder, migrated by a first call that is not
counted; that call also writes the project's bytecode caches, as any installed command has
them (PYTHONDONTWRITEBYTECODE is dropped for the children: with it set, every run compiles
the project's sources again, a cost no installed command pays). Runs are interleaved, so a
burst of load elsewhere touches every figure alike. `make bench` calls `main()`;
`python -m bench cli` runs it alone.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from chatbot.cli import START_THRESHOLDS

RUNS = 7
TARGET_CPU = 0.5  # seconds, issue 12

LISTINGS: tuple[tuple[str, ...], ...] = (
    ("audit", "list"),
    ("approvals", "list", "--as", "carol"),
    ("schedules", "list"),
    ("skills", "list"),
    ("incidents", "list"),
)
_STORE = "import sqlalchemy.orm, sqlmodel, pydantic_settings"
_TUNED = f"import gc; gc.set_threshold{START_THRESHOLDS}; "
_FROZEN = "; gc.freeze()"
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("python -c pass", ("-c", "pass")),
    ("import the store libraries", ("-c", _STORE)),
    ("import the store libraries, httpx", ("-c", f"{_STORE}, httpx")),
    ("import the store libraries (gc as chatops)", ("-c", f"{_TUNED}{_STORE}{_FROZEN}")),
    (
        "import the store libraries, httpx (gc as chatops)",
        ("-c", f"{_TUNED}{_STORE}, httpx{_FROZEN}"),
    ),
)


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    before, started = _cpu_children(), time.perf_counter()
    subprocess.run(
        [sys.executable, *argv], env=env, check=True, stdout=subprocess.DEVNULL, timeout=120
    )
    return _cpu_children() - before, time.perf_counter() - started


def measure(commands: Sequence[Sequence[str]], env: dict[str, str]) -> list[tuple[float, float]]:
    """Median CPU seconds and median wall seconds of RUNS interleaved runs of each
    `python argv...`."""
    cpu: list[list[float]] = [[] for _ in commands]
    wall: list[list[float]] = [[] for _ in commands]
    for _ in range(RUNS):
        for i, argv in enumerate(commands):
            used, took = _once(argv, env)
            cpu[i].append(used)
            wall[i].append(took)
    return [(statistics.median(c), statistics.median(w)) for c, w in zip(cpu, wall, strict=True)]


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["CHATOPS_DATA_DIR"] = data
        cli = (str(Path(sys.executable).with_name("chatops")),)  # the installed command
        for args in LISTINGS:  # migrate, and write the bytecode caches: not counted
            _once((*cli, *args), env)
        print(f"   {os.cpu_count()} cores; median of {RUNS} runs; target <= {TARGET_CPU} CPU s")
        print(f"   the store libraries: {_STORE.removeprefix('import ')}")
        commands = [argv for _, argv in FLOORS] + [(*cli, *args) for args in LISTINGS]
        figures = iter(measure(commands, env))
        for label, _ in FLOORS:
            cpu, wall = next(figures)
            print(f"   floor {label:<50} cpu {cpu:.3f} s  wall {wall:.3f} s")
        for args in LISTINGS:
            cpu, wall = next(figures)
            mark = "ok" if cpu <= TARGET_CPU else "OVER"
            label = "chatops " + " ".join(args)
            print(f"   {label:<56} cpu {cpu:.3f} s  wall {wall:.3f} s  {mark}")


if __name__ == "__main__":
    main()
