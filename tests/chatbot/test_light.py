"""The listings' approvals desk (chatbot.light.governance): its Executor makes the HTTP client
only when something asks for it, and closes only a client it made."""

from __future__ import annotations

import httpx
import pytest

from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.light import governance
from chatbot.store.opening import open_store


async def test_the_desks_client_is_made_on_first_use_refuses_calls_and_is_closed(
    settings: Settings,
) -> None:
    async with open_store(settings) as store:
        async with governance(settings, store) as desk:
            executor = desk.finish.executor
            client = executor.http
            assert executor.http is client  # made once, then shared like the runtime's
            with pytest.raises(RuntimeError, match="a listing makes no HTTP calls"):
                await client.get("https://deploy.example.org/api")
            assert not client.is_closed
        assert client.is_closed


async def test_a_client_given_to_an_executor_stays_its_owners(settings: Settings) -> None:
    async with open_store(settings) as store, governance(settings, store) as desk:
        made = desk.finish.executor
        async with httpx.AsyncClient() as given:
            executor = Executor(made.registry, made.store, made.authorizer, given)
            assert executor.http is given
            await executor.close()
            assert not given.is_closed  # the runtime's `async with` closes it, not the Executor
            with pytest.raises(TypeError, match="exactly one of http and make_http"):
                Executor(
                    made.registry, made.store, made.authorizer, given, make_http=httpx.AsyncClient
                )
