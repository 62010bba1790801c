"""Console page latency: `python -m bench.console [--requests 200] [--entries 20000]`.

The console renders on the server, reading the store on every request, so its pages must
stay quick as the audit trail and the queue of approvals grow. This serves the real app
in-process (Starlette's TestClient: lifespan, edge guard, store), fills it with `--pending`
requests waiting for approval and `--entries` audit entries, and times each page beside a
floor measured in the same run on the same server: `/healthz`, which passes the same edge
guard and reads nothing. Target: every page's p99 under 100 ms with 20,000 entries.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from bench.stats import latency_line
from chatbot.config import load_settings
from chatbot.governance import audit
from chatbot.server import create_app

PAGES = ("/healthz", "/console/inbox", "/console/audit", "/console/people", "/console/skills")


def _fill(client: TestClient, pending: int, entries: int) -> None:
    for n in range(pending):
        text = f"deploy web 5.{n}.0 to prod"
        asked = client.post("/api/chat", json={"as": "carol", "text": text}).json()
        send = asked["replies"][0]["buttons"][0]["value"]
        client.post("/api/chat", json={"as": "carol", "press": send})
    rt: Any = client.app.state.runtime  # type: ignore[attr-defined]

    async def write() -> None:
        batch = [
            audit.AuditRecord("bob", "executed", "web", "direct", "kb.search", None, "ok", {"n": i})
            for i in range(1000)
        ]
        for _ in range(entries // 1000):
            async with rt.store.transaction() as tx:
                await audit.append_many(tx, batch)

    client.portal.call(write)  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.console")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pending", type=int, default=20)
    parser.add_argument("--entries", type=int, default=20_000)
    args = parser.parse_args(argv or [])
    os.environ["CHATOPS_SERVER__ALLOWED_HOSTS"] = json.dumps(["testserver"])
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings().model_copy(update={"data_dir": Path(folder)})
        app = create_app(settings, f"sqlite:///{folder}/bench.db")
        with TestClient(app) as client:
            started = time.perf_counter()
            _fill(client, args.pending, args.entries)
            print(
                f"filled: {args.pending} requests waiting for approval, {args.entries:,} audit "
                f"entries in {time.perf_counter() - started:.1f} s"
            )
            for path in PAGES:
                params = {} if path == "/healthz" else {"as": "dave"}
                client.get(path, params=params)  # warm: templates compiled, caches filled
                seconds = []
                wall = time.perf_counter()
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    answer = client.get(path, params=params)
                    seconds.append(time.perf_counter() - t0)
                    assert answer.status_code == 200, (path, answer.status_code)
                label = "floor /healthz" if path == "/healthz" else path
                print("  " + latency_line(label, seconds, time.perf_counter() - wall))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
