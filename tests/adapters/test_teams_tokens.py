"""Teams token validation for real: botbuilder reads its signing keys from an OpenID metadata
document (teams.openid_metadata_url -> TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL), so a local
metadata + JWKS server with a key of this test's own can issue tokens the library checks.

botbuilder fetches the metadata with `requests` (blocking, in the event loop), so the
metadata server runs in a thread of its own, not on the test's loop.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chatbot import texts
from chatbot.errors import ConfigError
from chatbot.server import check_exposure
from tests.adapters.conftest import running, server_settings
from tests.adapters.teamsside import TeamsSide
from tests.fakes.botframework import FakeConnector

APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.com"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Keys(BaseHTTPRequestHandler):
    """GET /metadata -> the OpenID document; GET /keys -> the JWKS with the test's key."""

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/metadata":
            body: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"{base}/keys"}
        elif self.path == "/keys":
            jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
            body = {"keys": [{**jwk, "kid": "test-key", "use": "sig", "endorsements": ["msteams"]}]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def metadata_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/metadata"
    server.shutdown()


def token(service_url: str, **overrides: Any) -> str:
    key = overrides.pop("key", KEY)
    kid = overrides.pop("kid", "test-key")
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": APP_ID,
        "nbf": now - 60,
        "exp": now + 600,
        "serviceurl": service_url,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def connector() -> Iterator[FakeConnector]:
    fake = await FakeConnector(members={}).start()
    yield fake
    await fake.stop()


async def post_with(side: TeamsSide, auth: str) -> int:
    """A conversationUpdate (the turn sends nothing back), with `auth` as Authorization."""
    conversation = {"id": "a:personal-alice", "conversationType": "personal", "tenantId": "t"}
    activity = side.activity("alice", conversation, type="conversationUpdate")
    return (await side.post(activity, {"Authorization": auth} if auth else {})).status_code


@pytest.mark.parametrize(
    ("case", "claims", "status"),
    [
        ("valid", {}, 201),
        ("signed by another key", {"key": OTHER_KEY}, 401),
        ("another key's id", {"key": OTHER_KEY, "kid": "unknown"}, 401),
        ("expired", {"exp": int(time.time()) - 3600, "nbf": int(time.time()) - 7200}, 401),
        ("for another app", {"aud": "99999999-2222-3333-4444-555555555555"}, 401),
        ("from another issuer", {"iss": "https://evil.example"}, 401),
        ("for another serviceUrl", {"serviceurl": "https://evil.example/"}, 401),
    ],
)
async def test_tokens_are_validated_against_the_published_keys(
    model_dir: Path,
    database_url: str,
    connector: FakeConnector,
    metadata_url: str,
    case: str,
    claims: dict[str, Any],
    status: int,
) -> None:
    teams = {"app_id": APP_ID, "app_password": "pw", "openid_metadata_url": metadata_url}
    async with running(server_settings(model_dir, database_url, teams=teams)) as (app, http):
        side = TeamsSide(app, http, connector)
        assert await post_with(side, f"Bearer {token(connector.url, **claims)}") == status, case


@pytest.mark.parametrize(
    "auth",
    [
        "",
        "Bearer",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Basic dXNlcjpwdw==",
        "Bearer " + "x" * 3000,
    ],
)
async def test_a_malformed_token_is_401_not_503(
    model_dir: Path,
    database_url: str,
    connector: FakeConnector,
    metadata_url: str,
    auth: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    teams = {"app_id": APP_ID, "app_password": "pw", "openid_metadata_url": metadata_url}
    async with running(server_settings(model_dir, database_url, teams=teams)) as (app, http):
        assert await post_with(TeamsSide(app, http, connector), auth) == 401
    assert not any(r.exc_info for r in caplog.records), "no traceback for a bad token"


async def test_the_emulator_mode_ignores_a_service_url_off_loopback(
    model_dir: Path, database_url: str, connector: FakeConnector
) -> None:
    settings = server_settings(model_dir, database_url, teams={"allow_unauthenticated": True})
    async with running(settings) as (app, http):
        side = TeamsSide(app, http, connector)
        conversation = {"id": "a:personal-alice", "conversationType": "personal", "tenantId": "t"}
        for url in ("https://smba.trafficmanager.net/emea/", "http://10.0.0.5:9/", "not a url"):
            activity = side.activity("alice", conversation, text="whoami", serviceUrl=url)
            response = await side.post(activity)
            assert response.status_code == 400 and "loopback" in response.json()["error"]
        assert (await side.say("alice", "whoami")).status_code == 201  # the local connector


def test_the_emulator_mode_listens_on_loopback_only(model_dir: Path) -> None:
    settings = server_settings(model_dir, "sqlite://", teams={"allow_unauthenticated": True})
    check_exposure(settings, "127.0.0.1")
    web = settings.web.model_copy(update={"auth": "proxy", "shared_secret": "s"})
    with pytest.raises(ConfigError, match="loopback"):
        check_exposure(settings.model_copy(update={"web": web}), "0.0.0.0")


@pytest.mark.parametrize("value", ["approve:²", f"approve:{2**70}", "approve:-1"])
async def test_forged_button_values_on_teams(
    model_dir: Path, database_url: str, value: str
) -> None:
    members = {"29:alice": {"name": "Alice", "email": "alice@example.com"}}
    fake = await FakeConnector(members=members).start()
    try:
        settings = server_settings(model_dir, database_url, teams={"allow_unauthenticated": True})
        async with running(settings) as (app, http):
            side = TeamsSide(app, http, fake)
            conversation = {"id": "a:personal-alice", "conversationType": "personal"}
            activity = side.activity("alice", conversation, value={"chatops": value})
            assert (await side.post(activity)).status_code == 201
            said = "\n".join(s.text for s in fake.messages_in("a:personal-alice"))
            assert texts.UNKNOWN_BUTTON in said
    finally:
        await fake.stop()
