"""The HTTP server and the chat channels (web, Slack, Teams)."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    SecretStr,
)

from chatbot.config.base import LOOPBACK_NAMES, Frozen


class ServerSettings(Frozen):
    """`allowed_hosts`: the names this server answers to (the request's Host header, port
    ignored; `*.example.com` matches subdomains). Anything else gets 400, which is what stops a
    DNS-rebinding page from talking to a loopback server under its own name.
    `max_body_bytes`: no request body larger than this is read (413)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)


class WebSettings(Frozen):
    """`none`: the demo person picker, loopback only. `proxy`: an authenticating proxy in
    front sets `user_header` to the person's email; `shared_secret`, when set, must arrive in
    `X-Chatops-Proxy-Secret` so the port cannot be used around the proxy."""

    auth: Literal["none", "proxy"] = "none"
    user_header: str = "X-Forwarded-Email"
    shared_secret: str = ""


class SlackSettings(Frozen):
    """The Slack app. The credentials keep Slack's own variable names (SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET, SLACK_APP_TOKEN) and CHATOPS_SLACK_API_URL, because those are what
    Slack's docs and every deployment tool already use; the rest is CHATOPS_SLACK__KEY."""

    bot_token: SecretStr = SecretStr("")
    signing_secret: SecretStr = SecretStr("")
    app_token: SecretStr = SecretStr("")
    api_url: str = "https://slack.com/api/"
    slash_command: str = "/ops"
    approvals_channel: str = ""
    # The workspace (and Enterprise Grid organisation) this server acts for; requests from any
    # other are ignored. Empty accepts the workspace each request names (one install only).
    team_id: str = ""
    enterprise_id: str = ""

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token.get_secret_value())

    @property
    def configured(self) -> bool:
        token = bool(self.bot_token.get_secret_value())
        return token and (self.socket_mode or bool(self.signing_secret.get_secret_value()))


class TeamsSettings(Frozen):
    """The Bot Framework registration (MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType,
    MicrosoftAppTenantId). Without an app id every request is refused, unless
    CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED=1 opens the endpoint for a local emulator."""

    app_id: str = ""
    app_password: SecretStr = SecretStr("")
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allow_unauthenticated: bool = False
    # Where the Bot Framework's OpenID metadata (and so its signing keys) is read; empty is
    # Microsoft's. Only for tests and sovereign clouds.
    openid_metadata_url: str = ""
    # A channel's id ("19:...@thread.tacv2") to post approval cards in instead of each
    # approver's personal chat; the bot must have been mentioned there once.
    approvals_channel: str = ""


# Platform variables whose names are fixed by the platforms' own conventions.
PLATFORM_ENV: dict[str, tuple[str, str]] = {
    "SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "SLACK_SIGNING_SECRET": ("slack", "signing_secret"),
    "SLACK_APP_TOKEN": ("slack", "app_token"),
    "CHATOPS_SLACK_API_URL": ("slack", "api_url"),
    "MicrosoftAppId": ("teams", "app_id"),
    "MicrosoftAppPassword": ("teams", "app_password"),
    "MicrosoftAppType": ("teams", "app_type"),
    "MicrosoftAppTenantId": ("teams", "app_tenant_id"),
    "CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED": ("teams", "allow_unauthenticated"),
}
