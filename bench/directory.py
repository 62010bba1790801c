"""The directory at company scale: 50,000 people in 5,000 groups.

Prints the SCIM server's p99 for list pages, `userName eq` filters, group filters and reads
(over HTTP to the real ASGI app), the directory's load time, and Assistant.handle's
per-message cost with the large directory next to the demo one: resolving a person is a
dictionary look-up, so the two should be close.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import create_engine, insert
from starlette.testclient import TestClient

from bench.stats import latency_line
from chatbot.app import runtime
from chatbot.config import IdentitySettings, ScimSettings, Settings, load_settings
from chatbot.server import create_app
from chatbot.store.engine import Store
from chatbot.store.tables import DirectoryGroup, DirectoryHead, DirectoryMember, DirectoryPerson
from chatbot.types import Message, utcnow

PEOPLE, GROUPS, REQUESTS, MESSAGES = 50_000, 5_000, 300, 2_000
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _settings(tmp: str) -> Settings:
    base = load_settings()
    return base.model_copy(
        update={
            "data_dir": Path(tmp),
            "scim": ScimSettings(token=SecretStr(TOKEN)),
            "identity": IdentitySettings(
                domains=("example.com",),
                group_roles={f"group-{k}": ("developer",) for k in range(0, GROUPS, 10)},
            ),
        }
    )


def populate(url: str) -> None:
    """Bulk rows straight into the tables (provisioning 50,000 people over HTTP would measure
    the client, not the directory)."""
    engine = create_engine(url)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(DirectoryPerson),
            [
                {
                    "id": f"p{n:06d}",
                    "name": f"user{n}@example.com",
                    "user_name": f"user{n}@example.com",
                    "email": f"user{n}@example.com",
                    "display_name": f"User {n}",
                    "active": True,
                    "deleted": False,
                    "manager_id": f"p{n // 10:06d}" if n >= 10 else None,
                    "tz": "Europe/Berlin",
                    "department": "",
                    "roles": "[]",
                    "source": "scim",
                    "version": 1,
                    "resource": "{}",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(PEOPLE)
            ],
        )
        conn.execute(
            insert(DirectoryGroup),
            [
                {
                    "id": f"g{k:05d}",
                    "display_name": f"group-{k}",
                    "deleted": False,
                    "source": "scim",
                    "version": 1,
                    "resource": json.dumps({"displayName": f"group-{k}"}),
                    "created_at": now,
                    "updated_at": now,
                }
                for k in range(GROUPS)
            ],
        )
        conn.execute(
            insert(DirectoryMember),
            [
                {"group_id": f"g{k:05d}", "person_id": f"p{n:06d}"}
                for n in range(PEOPLE)
                for k in dict.fromkeys((n % GROUPS, (n * 7 + 3) % GROUPS))
            ],
        )
        conn.execute(insert(DirectoryHead), [{"id": 1, "version": 1}])
    engine.dispose()


def scim_figures(settings: Settings, url: str) -> None:
    rng = random.Random(7)
    with TestClient(create_app(settings, url)) as client:
        cases = {
            "SCIM list page (count=100, random startIndex)": lambda: client.get(
                "/scim/v2/Users",
                params={"startIndex": rng.randint(1, PEOPLE - 100), "count": 100},
                headers=AUTH,
            ),
            'SCIM filter userName eq "..."': lambda: client.get(
                "/scim/v2/Users",
                params={"filter": f'userName eq "user{rng.randrange(PEOPLE)}@example.com"'},
                headers=AUTH,
            ),
            'SCIM filter Groups displayName eq "..."': lambda: client.get(
                "/scim/v2/Groups",
                params={"filter": f'displayName eq "group-{rng.randrange(GROUPS)}"'},
                headers=AUTH,
            ),
            "SCIM read one User": lambda: client.get(
                f"/scim/v2/Users/p{rng.randrange(PEOPLE):06d}", headers=AUTH
            ),
        }
        for label, call in cases.items():
            latencies = []
            wall = time.perf_counter()
            for _ in range(REQUESTS):
                t0 = time.perf_counter()
                response = call()
                latencies.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.text
            print(latency_line(label, latencies, time.perf_counter() - wall))


async def pipeline(settings: Settings, url: str, people: list[str], label: str) -> None:
    started = time.perf_counter()
    async with runtime(settings, url) as rt:
        print(f"{label}: start-up with directory load {time.perf_counter() - started:.2f} s")
        script = itertools.cycle(("who am i", "reset my vpn", "yes", "what is deployed"))
        latencies = []
        wall = time.perf_counter()
        for n in range(MESSAGES):
            who = people[(n * 7919) % len(people)]
            message = Message("slack", f"U{n % 5000}", next(script), channel="D1", email=who)
            t0 = time.perf_counter()
            await rt.assistant.handle(message)
            latencies.append(time.perf_counter() - t0)
        print(latency_line(f"Assistant.handle, {label}", latencies, time.perf_counter() - wall))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(tmp)
        demo_url = f"sqlite:///{tmp}/demo.db"
        demo = [p.email for p in settings.people.values()]
        asyncio.run(pipeline(settings, demo_url, demo, "demo directory (5 people)"))
        large_url = f"sqlite:///{tmp}/large.db"
        asyncio.run(Store(large_url).migrate())
        t0 = time.perf_counter()
        populate(large_url)
        print(
            f"bulk insert of {PEOPLE:,} people, {GROUPS:,} groups: {time.perf_counter() - t0:.1f} s"
        )
        large = [f"user{n}@example.com" for n in range(PEOPLE)]
        asyncio.run(pipeline(settings, large_url, large, f"large directory ({PEOPLE:,} people)"))
        scim_figures(settings, large_url)


if __name__ == "__main__":
    main()
