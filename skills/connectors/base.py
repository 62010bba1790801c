"""The shared connector base: timeouts, bounded retries, idempotency keys, clear errors.

    Connector.request()
      ├── 2xx / expected status        -> the response
      ├── 429, or 403 with a spent      -> wait Retry-After / X-Rate-Limit-Reset /
      │   rate limit (GitHub)              x-ratelimit-reset (capped), try again (bounded)
      ├── 5xx, timeouts, network       -> back off and try again, only when repeating is safe
      │                                   (idempotent method, or an idempotency key was sent)
      └── anything else, or retries    -> ConnectorError(system, status, retryable, detail)
          exhausted

Every error says which system answered what, so the person (and the on-call engineer reading
the audit trail) knows where to look. Secrets are never part of a message.

A connector sends only to its own `base_url`: a path is a path (no scheme, no host, no `//`,
no `.` or `..` segment once percent-decoded), and an absolute URL (a `Location` the system
itself answered) must have the base URL's scheme, host, port and path prefix. Anything else is
refused before a byte leaves, so a manifest or a slot value can never carry the connector's
credentials to another host. Manifest validation applies the same `path_problem` check.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlsplit

from chatbot import texts
from chatbot.governance.redaction import redact
from skills.api import SkillError
from skills.connectors.errors import ConnectorError

if TYPE_CHECKING:  # annotations only: `chatops skills list` never imports httpx
    import httpx

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:")
_DEFAULT_PORTS = {"http": 80, "https": 443}
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most `attempts` tries; waits grow `backoff * 2**n`, never beyond `max_wait`."""

    attempts: int = 3
    backoff: float = 0.5
    max_wait: float = 60.0  # a per-minute rate-limit window (Okta) is waited out once
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a system lives and how to authenticate to it (headers hold the secret)."""

    system: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    idempotency_header: str | None = None
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)  # not headers
    name: str = ""  # the `[connectors.NAME]` key, for "run chatops connectors check NAME"


RESET_HEADERS = ("x-rate-limit-reset", "x-ratelimit-reset")  # Okta; GitHub: epoch seconds


def rate_limited(response: httpx.Response) -> bool:
    """429, or GitHub's rate limits as 403: the primary one (`x-ratelimit-remaining: 0`) and
    the secondary one (with `retry-after`), per GitHub's "Rate limits for the REST API"."""
    if response.status_code == 429:
        return True
    headers = response.headers
    return response.status_code == 403 and (
        headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers
    )


def path_problem(path: str) -> str | None:
    """Why `path` is not a plain path below a base URL, or None when it is one.

    The path (query and fragment aside) is percent-decoded once before the check, as the
    receiving server would, so `%2e%2e` is `..` and `%2f%2f` is `//`."""
    decoded = unquote(re.split(r"[?#]", path, maxsplit=1)[0])
    if _SCHEME.match(decoded):
        return "must be a path, not a URL (no scheme such as http:)"
    if "\\" in decoded:
        return "must not contain a backslash"
    if "//" in decoded:
        return "must not contain // (a host, or an empty segment)"
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return "must not contain . or .. segments"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):  # encoded ones are data
        return "must not contain control characters"
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds to wait: Retry-After (delta-seconds or an HTTP date), else the epoch second
    the window resets at (Okta `X-Rate-Limit-Reset`, GitHub `x-ratelimit-reset`)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        for name in RESET_HEADERS:
            reset = response.headers.get(name, "").strip()
            if reset.isdigit():
                return max(0.0, int(reset) - datetime.now(UTC).timestamp())
        return default
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def detail_of(response: httpx.Response) -> str:
    """The system's own words about a failure, from the usual JSON error shapes."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return redact(response.text.strip())[:200]
    parts: list[str] = []
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # ServiceNow, PagerDuty
            parts += [str(error.get(k)) for k in ("message", "detail") if error.get(k)]
            parts += [str(e) for e in error.get("errors", []) if isinstance(e, str)]
        elif isinstance(error, str):
            parts.append(error)
        for key in ("message", "errorSummary", "error_description", "errorMessage", "detail"):
            if isinstance(body.get(key), str):
                parts.append(body[key])
        parts += [str(m) for m in body.get("errorMessages", [])]  # Jira
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts += [f"{k}: {v}" for k, v in errors.items()]
        causes = body.get("errorCauses")
        if isinstance(causes, list):
            parts += [str(c.get("errorSummary")) for c in causes if isinstance(c, dict)]
    # Redacted before cutting: a token cut in half would no longer look like one.
    text = "; ".join(dict.fromkeys(p for p in parts if p)) or json.dumps(body)[:2000]
    return redact(text)[:300]


class Connector:
    """One system's HTTP API on the shared client; subclasses add the documented calls.

    `settings` is the system's validated `[connectors.NAME]` section (subclasses narrow it).
    A subclass registered under the `chatops.connectors` entry-point group describes itself
    with the class attributes below (skills.connectors.registry reads them): its display name,
    its settings model, the ports (skills.ports) it implements, and how its secrets become
    request headers.
    """

    title: ClassVar[str] = ""  # "GitHub": the name people read in chat
    settings_model: ClassVar[type[Any]] = object  # a ConnectorSettings subclass
    ports: ClassVar[tuple[type, ...]] = ()
    idempotency_header: ClassVar[str | None] = None

    settings: Any = None

    @classmethod
    def headers(cls, settings: Any, secrets: Any) -> dict[str, str]:
        """Headers on every request (credentials); `secrets` is skills.connectors.Secrets."""
        return {}

    @classmethod
    def credentials(cls, settings: Any, secrets: Any) -> dict[str, str]:
        """Secrets the connector uses other than as headers (sent only where it says)."""
        return {}

    async def check(self) -> str:
        """One harmless read against the system, saying what it found (connectors check)."""
        raise NotImplementedError

    def __init__(
        self,
        http: httpx.AsyncClient,
        endpoint: Endpoint,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        settings: Any = None,
    ) -> None:
        self.http, self.endpoint = http, endpoint
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.settings = settings

    @property
    def system(self) -> str:
        return self.endpoint.system

    def url(self, path: str) -> str:
        return self.endpoint.base_url.rstrip("/") + "/" + path.lstrip("/")

    def target(self, path: str) -> str:
        """The URL for `path`, only when it stays under this connector's base URL; SkillError
        (nothing sent) otherwise. Absolute URLs are allowed only on the same scheme, host,
        port and base path (a `Location` the system answered)."""
        base = self.endpoint.base_url
        if "://" not in path and not path.startswith("//"):
            problem, url = path_problem(path), self.url(path)
        else:
            parts, prefix = urlsplit(path), urlsplit(base).path.rstrip("/")
            inside = parts.path == prefix or parts.path.startswith(prefix + "/")
            same = _origin(path) == _origin(base) and not parts.username and not parts.password
            problem = None if same and inside else f"is outside {self.system}'s base URL"
            problem, url = problem or path_problem(parts.path), path
        if problem is not None:
            raise SkillError(
                f"Refused a request to {self.system}: the path {problem}. Nothing was sent."
            )
        return url

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        content: bytes | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send with retries; raise SkillError naming the system on any final failure.

        `accept` lists non-2xx statuses the caller handles itself (e.g. 404: "no such ticket").
        """
        method = method.upper()
        sent = {**self.endpoint.headers, **(headers or {})}
        if idempotency_key and self.endpoint.idempotency_header:
            sent[self.endpoint.idempotency_header] = idempotency_key
        safe = idempotent if idempotent is not None else method in IDEMPOTENT
        safe = safe or bool(idempotency_key and self.endpoint.idempotency_header)
        url = self.target(path)
        for name, value in sent.items():
            if not value.isascii():
                raise SkillError(
                    f"The value for the {name} header has characters a header cannot carry "
                    f"(only ASCII). Nothing was sent to {self.system}."
                )
        import httpx  # here: `chatops skills list` imports this module without it

        timeout = httpx.Timeout(self.retry.timeout)
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            wait = min(self.retry.backoff * 2 ** (attempt - 1), self.retry.max_wait)
            try:
                response = await self.http.request(
                    method,
                    url,
                    json=json_body,
                    params=params,
                    headers=sent,
                    content=content,
                    timeout=timeout,
                )
            except httpx.TimeoutException:
                if last or not safe:
                    raise ConnectorError(
                        self.system,
                        None,
                        True,
                        "timeout",
                        name=self.endpoint.name,
                        message=texts.CONNECTOR_TIMEOUT.format(system=self.system),
                    ) from None
                await self._sleep(wait)
                continue
            except httpx.TransportError as exc:
                if last or not safe:
                    raise ConnectorError(
                        self.system, None, True, type(exc).__name__, name=self.endpoint.name
                    ) from None
                await self._sleep(wait)
                continue
            if rate_limited(response) and not last:
                await self._sleep(min(retry_after(response, wait), self.retry.max_wait))
                continue
            if response.status_code >= 500 and safe and not last:
                await self._sleep(wait)
                continue
            if response.is_success or response.status_code in accept:
                return response
            raise self.failure(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def failure(self, response: httpx.Response) -> ConnectorError:
        import httpx  # here: `chatops skills list` imports this module without it

        status = response.status_code
        retryable = rate_limited(response) or status >= 500
        detail = (
            detail_of(response) or response.reason_phrase or httpx.codes.get_reason_phrase(status)
        )
        return ConnectorError(self.system, status, retryable, detail, name=self.endpoint.name)

    async def json(self, method: str, path: str, **kw: Any) -> Any:
        response = await self.request(method, path, **kw)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise SkillError(
                f"{self.system} answered {response.status_code} with a body that is not JSON."
            ) from None
