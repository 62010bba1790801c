"""Every kind of credential people paste is redacted, alone or next to another one."""

from __future__ import annotations

import pytest

from chatbot.governance.redaction import REDACTED, redact, redact_value

SECRETS = {
    "slack bot token": "xoxb-123456789012-abcdefghijklmnop",
    "slack app token": "xapp-1-A0123456789-abcdefgh",
    "github token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
}


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
@pytest.mark.parametrize(
    "template",
    ["{s}", "my token is {s} ok", "Bearer {s}", "token: {s}", "api_key={s}", "bearer {s} and {s}"],
)
def test_a_pasted_secret_is_never_kept(secret: str, template: str) -> None:
    text = template.format(s=secret)
    assert secret not in redact(text) and REDACTED in redact(text)
    assert secret not in str(redact_value({"note": [text, {"deeper": text}]}))


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("my password is hunter2, really", "really"),
        ("PASSWORD: Tr0ub4dor&3", ""),
        ("passwd = s3cret!", ""),
    ],
)
def test_password_phrases_are_redacted(text: str, kept: str) -> None:
    cleaned = redact(text)
    assert REDACTED in cleaned and kept in cleaned
    assert not any(word in cleaned for word in ("hunter2", "Tr0ub4dor", "s3cret"))


def test_ordinary_text_is_left_alone() -> None:
    text = "deploy payments-api 2.3.1 to prod; the token bucket is full"
    assert redact(text) == text
