"""scim2-tester, the outside SCIM compliance checker, against the real server over HTTP.

The app is the one `chatops serve` runs (create_app), served by uvicorn on a free loopback
port; every check scim2-tester runs must pass (skipped ones aside).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx2
import pytest
import uvicorn
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from chatbot.config import Settings
from chatbot.server import create_app
from intents import Understander
from tests.directory.conftest import AUTH


@pytest.fixture
def served(
    identity_settings: Settings, database_url: str, understander: Understander
) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(identity_settings, database_url, understander)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}/scim/v2"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_scim2_tester_reports_no_failure(served: str) -> None:
    with httpx2.Client(base_url=served, headers=AUTH) as http:
        scim = SyncSCIMClient(http)
        scim.discover()
        results = check_server(scim)
    failed = [
        f"{r.title}: {r.reason}" for r in results if r.status in (Status.ERROR, Status.CRITICAL)
    ]
    assert results and not failed, "\n".join(failed)
