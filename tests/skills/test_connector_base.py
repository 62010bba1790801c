"""The shared connector base: retries on 5xx and 429, Retry-After, idempotency, clear errors."""

from __future__ import annotations

import httpx
import pytest

from skills.api import SkillError
from skills.connectors.base import Connector, Endpoint, RetryPolicy
from skills.connectors.errors import ConnectorError
from tests.skills.skill_fakes import Exchange, FakeSystem, Sleeps, transport


def _connector(fake: FakeSystem, sleeps: Sleeps, key_header: str | None = None) -> Connector:
    http = httpx.AsyncClient(transport=transport(fake))
    endpoint = Endpoint(
        "Example", f"https://{fake.host}", {"Authorization": "Bearer t0ken"}, key_header
    )
    return Connector(http, endpoint, RetryPolicy(attempts=3, backoff=0.5), sleeps)


async def test_a_5xx_is_retried_with_backoff_then_succeeds() -> None:
    fake = FakeSystem(
        "api.example.com",
        [
            Exchange("GET", "/things", 503, {"message": "busy"}),
            Exchange("GET", "/things", 502),
            Exchange("GET", "/things", 200, {"ok": True}),
        ],
        headers={"Authorization": "Bearer t0ken"},
    )
    sleeps = Sleeps()
    assert await _connector(fake, sleeps).json("GET", "/things") == {"ok": True}
    assert sleeps.waits == [0.5, 1.0]
    fake.done()


async def test_429_waits_as_long_as_retry_after_says() -> None:
    fake = FakeSystem(
        "api.example.com",
        [
            Exchange(
                "POST",
                "/things",
                429,
                {"message": "slow down"},
                answer_headers={"Retry-After": "7"},
            ),
            Exchange("POST", "/things", 201, {"id": 1}),
        ],
    )
    sleeps = Sleeps()
    assert await _connector(fake, sleeps).json("POST", "/things", json_body={"a": 1}) == {"id": 1}
    assert sleeps.waits == [7.0]


async def test_a_4xx_names_the_system_and_its_words() -> None:
    fake = FakeSystem(
        "api.example.com",
        [
            Exchange(
                "POST", "/things", 422, {"message": "Validation Failed", "errors": {"ref": "bad"}}
            ),
        ],
    )
    with pytest.raises(ConnectorError) as caught:
        await _connector(fake, Sleeps()).request("POST", "/things", json_body={})
    error = caught.value
    assert (error.system, error.status, error.retryable) == ("Example", 422, False)
    assert error.detail == "Validation Failed; ref: bad"
    assert str(error) == (
        "Example refused (422): Validation Failed; ref: bad. "
        "Nothing was changed; fix the request and try again."
    )


async def test_a_post_without_idempotency_key_is_not_repeated_after_a_5xx() -> None:
    fake = FakeSystem("api.example.com", [Exchange("POST", "/things", 500, {"error": "boom"})])
    with pytest.raises(SkillError, match=r"Example refused \(500\): boom"):
        await _connector(fake, Sleeps()).request("POST", "/things", json_body={})
    fake.done()


async def test_with_an_idempotency_key_a_post_is_repeated_with_the_same_key() -> None:
    keyed = {"Idempotency-Key": "chatops-7"}
    fake = FakeSystem(
        "api.example.com",
        [
            Exchange("POST", "/things", 500, headers=keyed),
            Exchange("POST", "/things", 200, {"ok": 1}, headers=keyed),
        ],
    )
    connector = _connector(fake, Sleeps(), key_header="Idempotency-Key")
    assert await connector.json("POST", "/things", json_body={}, idempotency_key="chatops-7")
    fake.done()


async def test_retries_are_bounded() -> None:
    fake = FakeSystem("api.example.com", [Exchange("GET", "/x", 503)] * 3)
    with pytest.raises(ConnectorError, match=r"Example refused \(503\): Service Unavailable") as e:
        await _connector(fake, Sleeps()).request("GET", "/x")
    assert e.value.retryable and "try again in a few minutes" in str(e.value)
    fake.done()


async def test_network_failure_says_which_system_was_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    connector = Connector(http, Endpoint("Okta", "https://okta.example.com"), sleep=Sleeps())
    with pytest.raises(SkillError, match="Could not reach Okta"):
        await connector.request("GET", "/api/v1/users/x")


async def test_a_403_secondary_rate_limit_with_retry_after_is_waited_out() -> None:
    fake = FakeSystem(
        "api.example.com",
        [
            Exchange(
                "GET",
                "/x",
                403,
                {"message": "secondary rate limit"},
                answer_headers={"Retry-After": "7"},
            ),
            Exchange("GET", "/x", 200, {"ok": True}),
        ],
    )
    sleeps = Sleeps()
    assert await _connector(fake, sleeps).json("GET", "/x") == {"ok": True}
    assert sleeps.waits == [7.0]


async def test_a_plain_403_is_final_and_says_whose_permission_is_missing() -> None:
    fake = FakeSystem("api.example.com", [Exchange("GET", "/x", 403, {"message": "no"})])
    with pytest.raises(ConnectorError) as refused:
        await _connector(fake, Sleeps()).request("GET", "/x")
    assert not refused.value.retryable and "credentials for Example lack a permission" in str(
        refused.value
    )
