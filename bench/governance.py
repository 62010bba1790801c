"""Governance figures: audit append and verify rates on SQLite, and the cost of one
authorization decision with 100 roles and 200 skills.

Targets (issue 4): append >= 5,000 entries/s with the chain, verify >= 200,000 entries/s,
decision p99 < 1 ms. Run with `python -m bench.governance` (or `make bench`).
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from pathlib import Path

from chatbot.config import Settings
from chatbot.governance import audit
from chatbot.governance.authorize import Authorizer
from chatbot.governance.calendar import ChangeCalendar
from chatbot.governance.policy import PolicyBook
from chatbot.governance.rbac import Rbac
from chatbot.identity import Directory
from chatbot.store.engine import Store
from skills.api import Requirement, Risk, SkillSpec, SlotSpec, SlotType


def _record(n: int) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=f"user{n % 50}",
        event="action.finished",
        platform="bench",
        channel="direct",
        skill="deploy",
        action_id=n,
        outcome="succeeded",
        detail={"slots": {"service": "web", "version": f"5.2.{n}", "env": "dev"}},
    )


async def _append(store: Store, count: int, batch: int) -> float:
    started = time.perf_counter()
    for first in range(0, count, batch):
        async with store.transaction() as tx:
            await audit.append_many(tx, [_record(n) for n in range(first, first + batch)])
    return time.perf_counter() - started


def _rates(count: int, wall: float, cpu: float) -> str:
    """Per wall-clock second, and per CPU second of this process, its database threads and
    the verify processes it waited for: the second stays meaningful on a busy machine."""
    return f"{count / wall:,.0f}/s wall, {count / cpu:,.0f}/s per CPU second"


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


async def _verify_figures(store: Store, processes: int | None, runs: int = 3) -> None:
    """The median of a few runs, with the range: a shared machine's speed drifts."""
    rates: list[tuple[float, float]] = []
    for _ in range(runs):
        started, cpu = time.perf_counter(), _cpu()
        async with store.snapshot() as tx:
            result = await audit.verify(tx, processes=processes)
        took, cpu = time.perf_counter() - started, _cpu() - cpu
        assert result.ok, result.problem
        rates.append((result.checked / took, result.checked / cpu))
    rates.sort()
    wall, per_cpu = rates[len(rates) // 2]
    how = "one walk" if processes == 1 else f"{audit.default_processes(result.checked)} processes"
    print(
        f"audit verify ({how}), {result.checked:,} entries, median of {runs}: "
        f"{wall:,.0f}/s wall (runs {rates[0][0]:,.0f} to {rates[-1][0]:,.0f}), "
        f"{per_cpu:,.0f}/s per CPU second (target >= 200,000)"
    )


async def audit_figures() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        await store.migrate()
        try:
            for batch, count in ((1, 3_000), (3, 9_000), (10, 50_000)):
                cpu = _cpu()
                took = await _append(store, count, batch)
                print(
                    f"audit append, {batch:>2} per transaction: "
                    f"{_rates(count, took, _cpu() - cpu)} (target >= 5,000)"
                )
            records = [_record(n) for n in range(20_000)]
            started = time.perf_counter()
            audit._link([audit._redacted(r) for r in records], 0, "")  # redact, JSON, hash
            took = (time.perf_counter() - started) / len(records)
            print(f"  of which the chain's own work: {took * 1e6:.0f} us per entry")
            await _append(store, 150_000, 1000)  # a longer chain to verify
            for processes in (1, None):
                await _verify_figures(store, processes)
        finally:
            await store.close()


def _world(roles: int = 100, skills: int = 200) -> tuple[Authorizer, list[SkillSpec], list]:
    rng = random.Random(4)
    envs = ("dev", "staging", "prod")
    specs = [
        SkillSpec(
            f"family{n % 20}.skill{n}",
            f"skill {n}",
            slots=(SlotSpec("env", SlotType.ENV), SlotSpec("user", SlotType.PERSON, False)),
            risk=Risk.MEDIUM,
            requires=(Requirement.CONFIRM, Requirement.APPROVAL)[n % 2],
        )
        for n in range(skills)
    ]
    role_table = {}
    for r in range(roles):
        grants = [
            {
                "skill": rng.choice([s.name for s in specs] + [f"family{r % 20}.*"]),
                "where": {"env": list(rng.sample(envs, rng.randint(1, 3)))},
                "target": rng.choice(["self", "any"]),
            }
            for _ in range(5)
        ]
        includes = [f"role{rng.randrange(roles)}"] if r % 3 == 0 else []
        role_table[f"role{r}"] = {"grants": grants, "includes": includes}
    people = {
        f"p{n}": {
            "email": f"p{n}@example.com",
            "roles": [f"role{rng.randrange(roles)}" for _ in range(3)],
        }
        for n in range(200)
    }
    policy = [
        {
            "skill": f"family{n}.*",
            "where": {"env": ["prod"]},
            "requires": "approval",
            "approvers": f"role{n}",
            "approvals": 1,
        }
        for n in range(20)
    ]
    windows = [
        {
            "name": f"w{n}",
            "skill": f"family{n}.*",
            "where": {"env": ["prod"]},
            "start": "08:00:00",
            "end": "18:00:00",
            "timezone": "Europe/Berlin",
        }
        for n in range(10)
    ]
    freezes = [
        {
            "name": "year-end",
            "skill": "family19.*",
            "start": "2026-12-20T00:00:00",
            "end": "2027-01-04T00:00:00",
            "timezone": "Europe/Berlin",
        }
    ]
    settings = Settings(
        people=people, roles=role_table, policy=policy, windows=windows, freezes=freezes
    )
    directory = Directory(settings)
    authorizer = Authorizer(
        Rbac(settings),
        PolicyBook(settings),
        directory,
        ChangeCalendar(settings.windows, settings.freezes),
    )
    return authorizer, specs, list(directory.principals.values())


def decision_figures(count: int = 100_000) -> None:
    authorizer, specs, people = _world()
    rng = random.Random(7)
    cases = [
        (
            rng.choice(people),
            rng.choice(specs),
            {"env": rng.choice(("dev", "staging", "prod")), "user": rng.choice(("p1", "p2"))},
        )
        for _ in range(count)
    ]
    cold = []
    clock = time.perf_counter
    for spec in specs:  # first decision per skill: "whom to ask" is computed, then kept
        started = clock()
        authorizer.decide(people[0], spec, {"env": "prod"})
        cold.append(clock() - started)
    print(f"authorization, first decision per skill (cold): max {max(cold) * 1e3:.2f} ms")
    samples = []
    for principal, spec, slots in cases:
        started = clock()
        authorizer.decide(principal, spec, slots)
        samples.append(clock() - started)
    samples.sort()
    p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
    verdicts = {}
    for principal, spec, slots in cases[:2000]:
        verdict = authorizer.decide(principal, spec, slots).verdict.value
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    print(
        f"authorization decision (100 roles, 200 skills, 200 people): {count:,} decisions; "
        f"p50 {p50 * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us (target p99 < 1 ms); mix {verdicts}"
    )


def main() -> None:
    asyncio.run(audit_figures())
    decision_figures()


if __name__ == "__main__":
    main()
