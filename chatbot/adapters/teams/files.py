"""Files sent to the bot in Teams: a skill manifest an admin attaches in a personal chat.
Teams delivers a `file.download.info` attachment whose `downloadUrl` is pre-authenticated
and short-lived; only manifest-named files are fetched, over HTTPS (plain HTTP to loopback
only, for an emulator or a test), without redirects and at most `MAX_BYTES`.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from chatbot.types import Attachment

log = logging.getLogger(__name__)
DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
MAX_BYTES = 64 * 1024  # the manifest limit (skills.manifest.model.LIMITS.bytes)
MANIFEST_FILES = (".toml", ".yaml", ".yml")


def _allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    try:
        loopback = ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        loopback = parts.hostname == "localhost"
    return parts.scheme == "http" and loopback


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


async def manifests(attachments: Sequence[Any] | None) -> tuple[Attachment, ...]:
    found = []
    for item in attachments or ():
        name = str(_field(item, "name") or "")
        content = _field(item, "content") or {}
        url = str(content.get("downloadUrl") or "") if isinstance(content, dict) else ""
        kind = _field(item, "content_type") or _field(item, "contentType")
        if kind != DOWNLOAD_INFO or not name.lower().endswith(MANIFEST_FILES) or not url:
            continue
        if not _allowed(url):
            log.warning("teams: attached file %s is not on an HTTPS address; not fetched", name)
            continue
        text = await _fetch(url)
        if text is not None:
            found.append(Attachment(name[:200], text))
    return tuple(found)


async def _fetch(url: str) -> str | None:
    try:
        async with (
            httpx.AsyncClient(timeout=10, follow_redirects=False) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                log.warning("teams: fetching an attached file answered %s", response.status_code)
                return None
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    log.warning("teams: an attached file is over %d bytes; ignored", MAX_BYTES)
                    return None
    except httpx.HTTPError as exc:
        log.warning("teams: fetching an attached file failed: %s", type(exc).__name__)
        return None
    return body.decode("utf-8", errors="replace")
