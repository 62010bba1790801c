"""Secrets and tokens are redacted before anything is stored or shown.

One rule set, two sources:

- the token shapes of detect-secrets (Yelp, Apache-2.0; a maintained detector used as a
  library): every regex-based plugin's `denylist` (AWS access keys, Slack, GitHub, GitLab,
  Stripe, SendGrid, Twilio, JWTs, private key headers, basic-auth URLs, ...). Plugins whose
  shapes are not credentials in chat (public IP addresses) or match ordinary words
  (Artifactory's `AP...`) are left out; the rest follow the installed version;
- a few phrase rules detect-secrets has no regex for, because it reads code, not chat:
  "my password is ...", "pw: ...", "pass: ...", "aws secret key = ...", `Bearer ...`,
  `https://user:password@host`, Slack app tokens and mixed-case token tails.

`redact` runs on text, `redact_value` on JSON values (a value under a key named like a
credential -- password, secret, token, api_key -- is redacted whatever it looks like).
The store redacts every text and JSON column when it is written (`chatbot.store.redacted`)
and the audit trail before hashing, in both cases before any truncation, so a secret typed in
chat never reaches the database, even cut in half.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

REDACTED = "[redacted]"

# Detector names (detect-secrets `secret_type`) left out, and why: see the module docstring.
_LEFT_OUT = frozenset({"Public IP (ipv4)", "Artifactory Credentials"})

_KEYWORD = (
    r"(?:aws[_ -]?)?(?:secret[_ -]?access[_ -]?key|access[_ -]?key(?:[_ -]?id)?|secret[_ -]?key"
    r"|client[_ -]?secret|api[_ -]?key|private[_ -]?key|passphrase|password|passwd|pwd|pw|pass"
    r"|secret|token)"
)
# A private rule marks the part to hide as (?P<v>...); what is around it stays readable.
_PHRASES = (
    # a pasted private key, whole (detect-secrets finds its first line only)
    r"(?P<v>-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z))",
    # password: x / "password": "x y" / my password is x / pw = x / aws secret key is x
    rf"(?i:\b{_KEYWORD}\b[\"']?\s*(?:[:=]|\bis\b|\bwas\b)\s*[\"']?)"
    r"(?P<v>(?<=\")[^\"\n]+(?=\")|(?<=')[^'\n]+(?=')|(?!\[redacted\])[^\s\"']+)",
    r"(?i:\bbearer\s+)(?P<v>(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,})",
    r"(?i:\b[a-z][a-z0-9+.-]*://)(?P<v>[^\s:/@]+:[^\s/@]+)@",  # https://user:pw@host
    r"(?P<v>\bx(?:ox[a-z]|app)-[A-Za-z0-9-]{8,})",  # Slack, any case, every kind
    r"(?P<v>\bgh[pousr]_[A-Za-z0-9_]{20,})",
    r"(?P<v>\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)",  # JWT, signature too
)
_VERBOSE_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}
_CREDENTIAL_KEY = re.compile(
    r"(?i)^(?:.*[_ -])?(?:password|passwd|passphrase|pwd|secret|client[_ -]?secret|token"
    r"|api[_ -]?key|access[_ -]?key|secret[_ -]?key|private[_ -]?key|credentials?)$"
)


def _detector_patterns() -> list[str]:
    """The denylist regexes of every regex-based detect-secrets plugin, flags kept inline."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector

    found: list[str] = []
    # detect-secrets annotates this with a TypeVar bound to nothing (mypy reads type[Never]).
    plugins: dict[str, type[BasePlugin]] = get_mapping_from_secret_type_to_class()  # type: ignore[assignment]
    for secret_type, plugin in sorted(plugins.items()):
        if secret_type in _LEFT_OUT or not issubclass(plugin, RegexBasedDetector):
            continue
        # detect-secrets declares denylist an abstract property; every plugin sets it on the class.
        denylist: Iterable[re.Pattern[str]] = plugin.denylist  # type: ignore[assignment]
        for pattern in denylist:
            flags = "".join(v for k, v in _VERBOSE_FLAGS.items() if pattern.flags & k)
            found.append(f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})")
    return found


_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_.:-]{16,}")  # every detect-secrets shape has one
_PHRASE_WORDS = (
    ("private key",),
    ("pass", "pw", "pwd", "secret", "token", "key"),
    ("bearer",),
    ("://",),
    ("xox", "xapp"),
    ("gh",),
    ("eyj",),
)
# detect-secrets shapes whose value can be short: run by their words, not the long-token test
_WORDED_SHAPES = {"PRIVATE KEY": "private key", "PuTTY": "putty", "_authToken": "authtoken"}


@dataclass(frozen=True, slots=True)
class _RuleSet:
    """The rules, each behind a cheap test that says it could match at all: one search for any
    phrase word in the lower-cased text, one for a run of 16 token characters. Most stored
    texts ("deploy web 2.3.1 to prod") pass neither, so redacting them costs microseconds."""

    gate: re.Pattern[str]
    phrases: tuple[tuple[re.Pattern[str], tuple[str, ...], bool], ...]  # pattern, words, keep
    tokens: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def _rules() -> _RuleSet:
    """Phrase rules first (they keep their context), then detect-secrets' token shapes."""
    phrases = [
        (re.compile(p), words, True) for p, words in zip(_PHRASES, _PHRASE_WORDS, strict=True)
    ]
    tokens = []
    for pattern in _detector_patterns():
        word = next((w for key, w in _WORDED_SHAPES.items() if key in pattern), None)
        if word is None:
            tokens.append(re.compile(pattern))
        else:
            phrases.append((re.compile(pattern), (word,), False))
    words = sorted({w for _, ws, _ in phrases for w in ws})
    gate = re.compile("|".join(re.escape(w) for w in words))
    return _RuleSet(gate, tuple(phrases), tuple(tokens))


def _hide_value(match: re.Match[str]) -> str:
    text, start = match.group(0), match.start("v") - match.start()
    return text[:start] + REDACTED + text[start + len(match.group("v")) :]


def redact(text: str) -> str:
    """Replace anything that looks like a credential; nothing stored may hold one.
    Idempotent: redacting a redacted text changes nothing."""
    rules = _rules()
    lowered = text.lower()
    if rules.gate.search(lowered):
        for pattern, words, keep in rules.phrases:
            if any(w in lowered for w in words):
                text = pattern.sub(_hide_value if keep else REDACTED, text)
    if _LONG_TOKEN.search(text):
        for shape in rules.tokens:
            text = shape.sub(REDACTED, text)
    return text


@lru_cache(maxsize=4096)
def _credential_key(key: str) -> bool:
    """Keys repeat (slots, detail fields), so each is matched once."""
    return _CREDENTIAL_KEY.match(key) is not None


def redact_value(value: Any) -> Any:
    """A JSON value with every string redacted, and every value under a credential-named
    key (password, client_secret, api_key, ...) replaced whole."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED
            if _credential_key(str(k))
            and isinstance(v, str | int | float)
            and v != ""
            and not isinstance(v, bool)
            else redact_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
