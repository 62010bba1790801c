"""The /scim mount of the one ASGI app: the SCIM server is built once the runtime is up."""

from __future__ import annotations

from typing import Any

from starlette.types import Receive, Scope, Send

from chatbot.app import Runtime
from chatbot.directory import scim_app


def build(rt: Runtime) -> Any:
    directory = rt.assistant.directory
    offboard = rt.assistant.jml.offboarding(rt.http)
    return scim_app.build(
        rt.settings.scim, rt.store, directory, offboard, rt.assistant.jml.joiners.directory_changed
    )


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """Hand the request to the SCIM app the lifespan built (Starlette puts itself in scope)."""
    await scope["app"].state.scim(scope, receive, send)
