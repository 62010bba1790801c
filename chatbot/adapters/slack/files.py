"""Files shared with the bot: a skill manifest an admin attaches to a message (Slack's
`file_share`). Only manifest-named text files are fetched, only from Slack's file host (or
the host of `slack.api_url`, for proxies and tests), with the bot token, and at most
`MAX_BYTES`: the token never goes anywhere else and a large file costs nothing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from chatbot.types import Attachment

log = logging.getLogger(__name__)
MAX_BYTES = 64 * 1024  # the manifest limit (skills.manifest.model.LIMITS.bytes)
MANIFEST_FILES = (".toml", ".yaml", ".yml")
SLACK_FILES = "files.slack.com"


def _trusted(url: str, api_url: str) -> bool:
    parts = urlsplit(url)
    api = urlsplit(api_url)
    if parts.hostname == SLACK_FILES and parts.scheme == "https":
        return True
    return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)


async def manifests(event: dict[str, Any], token: str, api_url: str) -> tuple[Attachment, ...]:
    """The manifest files of a `file_share` message, fetched; others are left alone."""
    found = []
    for shared in event.get("files") or []:
        name = str(shared.get("name") or "")
        url = str(shared.get("url_private_download") or shared.get("url_private") or "")
        if not name.lower().endswith(MANIFEST_FILES) or not url:
            continue
        if int(shared.get("size") or 0) > MAX_BYTES:
            log.warning("slack: shared file %s is over %d bytes; not fetched", name, MAX_BYTES)
            continue
        if not _trusted(url, api_url):
            log.warning("slack: shared file %s is not on Slack's file host; not fetched", name)
            continue
        text = await _fetch(url, token)
        if text is not None:
            found.append(Attachment(name[:200], text))
    return tuple(found)


async def _fetch(url: str, token: str) -> str | None:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=10)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status != 200:
                log.warning("slack: fetching a shared file answered %s", response.status)
                return None
            body = await response.content.read(MAX_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("slack: fetching a shared file failed: %s", type(exc).__name__)
        return None
    if len(body) > MAX_BYTES:
        return None
    return body.decode("utf-8", errors="replace")
