"""The SCIM 2.0 server at /scim/v2 (RFC 7643/7644), built on scim2-server and scim2-models.

Users (with the enterprise extension: manager, department; and ours, scim_schema: the start
date) and Groups; create, read, replace,
patch, delete, list with filter/startIndex/count; discovery endpoints; ETags. A Bearer token
from `scim.token` (CHATOPS_SCIM__TOKEN), compared in constant time and never logged; while it
is empty every request but ServiceProviderConfig gets 401. Errors are SCIM error bodies with
the status RFC 7644 names; anything unexpected is a 500 SCIM body, logged without the request.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    External,
    Filter,
    Patch,
    Reference,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    UnauthorizedException,
)
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService

from chatbot.config import ScimSettings
from chatbot.directory import scim_schema
from chatbot.directory.offboard import Offboarding
from chatbot.directory.scim_storage import DirectoryStorage
from chatbot.identity import Directory
from chatbot.store.engine import Store

log = logging.getLogger(__name__)

BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="OAuth Bearer Token",
    description="Authorization: Bearer <scim.token>",
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
    primary=True,
)


def provider(settings: ScimSettings) -> ScimProvider:
    """What the server announces: PATCH, filters (capped page size), ETags; no bulk, no sort,
    no password changes (the identity provider owns passwords)."""
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=settings.max_results),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[BEARER],
    )
    return scim_schema.provider(config)


# The largest request body read (a User or a Group of a few thousand members fits easily).
MAX_BODY = 1024 * 1024


class DirectoryService(ScimService):
    """scim2-server's service with a body limit on every request, not only on bulk ones: a
    5 MB userName gets 413, not a row."""

    def max_body_size(self, request: ScimRequest) -> int | None:
        limit = super().max_body_size(request)
        return MAX_BODY if limit is None else min(limit, MAX_BODY)

    def _limit(self, body: bytes) -> None:
        if len(body) > MAX_BODY:
            raise self.payload_too_large(MAX_BODY)

    def read_body(self, model: Any, body: bytes, content_type: str | None, scim_ctx: Any) -> Any:
        self._limit(body)
        return super().read_body(model, body, content_type, scim_ctx)

    def decode_body(self, body: bytes, content_type: str | None) -> Any:
        self._limit(body)
        return super().decode_body(body, content_type)


class ScimApp(ASGIApplication):
    def __init__(self, storage: DirectoryStorage, scim: ScimProvider, token: str) -> None:
        super().__init__(storage, scim, DirectoryService(scim))
        self._token = token.encode()
        self.log = log

    def check_auth(self, request: ScimRequest) -> None:
        scheme, _, given = (request.header("Authorization") or "").partition(" ")
        ok = bool(self._token) and scheme.lower() == "bearer"
        # compare_digest runs in time independent of where the values differ.
        if not hmac.compare_digest(given.strip().encode(), self._token) or not ok:
            raise UnauthorizedException(detail="missing or wrong bearer token")


def storage(
    scim: ScimProvider,
    store: Store,
    directory: Directory,
    offboard: Offboarding,
    changed: Callable[[list[str]], Awaitable[None]] | None = None,
) -> DirectoryStorage:
    """The one write path into the directory: SCIM requests and the pull sync both use it,
    so a deactivation has the same effects however it arrives. `changed` hears of people
    whose record or groups changed (joiners and movers)."""

    async def after(gone: list[str]) -> None:
        await directory.refresh(store)
        for person_id in gone:
            await offboard.person(person_id)

    models = {"User": scim.model_for("User"), "Group": scim.model_for("Group")}
    written = DirectoryStorage(store, models, after)  # type: ignore[arg-type]
    written.changed = changed
    return written


def build(
    settings: ScimSettings,
    store: Store,
    directory: Directory,
    offboard: Offboarding,
    changed: Callable[[list[str]], Awaitable[None]] | None = None,
) -> Any:
    scim = provider(settings)
    written = storage(scim, store, directory, offboard, changed)
    return ScimApp(written, scim, settings.token.get_secret_value())
