"""Alert intake, incidents, runbooks and health-gated deploys."""

from __future__ import annotations

import logging

from pydantic import (
    Field,
    SecretStr,
    model_validator,
)

from chatbot.config.base import Frozen


class AlertSettings(Frozen):
    """Alert intake: a Bearer token per source (an empty token closes that endpoint), and for
    Grafana optionally its HMAC-SHA256 signature over `timestamp:body`."""

    alertmanager_token: SecretStr = SecretStr("")
    grafana_token: SecretStr = SecretStr("")
    grafana_hmac_secret: SecretStr = SecretStr("")
    grafana_signature_header: str = "X-Grafana-Alerting-Signature"
    grafana_timestamp_header: str = "X-Grafana-Alerting-Signature-Timestamp"
    max_signature_age_seconds: int = Field(default=300, ge=1)
    # Deprecated and ignored: the edge guard's `server.max_body_bytes` bounds every body,
    # the hooks' included. Still accepted, so an existing config keeps loading.
    max_body_bytes: int | None = Field(default=None, ge=1024)

    @model_validator(mode="after")
    def _deprecated_body_limit(self) -> AlertSettings:
        if self.max_body_bytes is not None:
            logging.getLogger(__name__).warning(
                "alerts.max_body_bytes is deprecated and ignored: alert deliveries are bounded "
                "by server.max_body_bytes like every request; set that instead"
            )
        return self


class Runbook(Frozen):
    """What to offer for an alert name or a service: skills with fixed slots, as buttons."""

    alert: str = "*"
    service: str = "*"
    skill: str
    slots: dict[str, str] = Field(default_factory=dict)
    title: str = ""
    # Run it as soon as an incident opens, as `incidents.auto_as`, through RBAC and policy
    # like a person's request, at most `incidents.auto_per_hour` times per service.
    auto: bool = False


class GateSignal(Frozen):
    """One signal a deploy's health gate reads from Prometheus: a PromQL query with
    `{service}` and `{env}` placeholders; larger values are worse (chatbot/incidents/health)."""

    name: str
    query: str
    min_points: int = Field(default=5, ge=2)
    alpha: float = Field(default=0.01, gt=0, lt=1)
    min_ratio: float = Field(default=1.5, ge=1)
    min_delta: float = Field(default=0.0, ge=0)
    slo_max: float | None = None


class AutoRollback(Frozen):
    """Where a failed health gate rolls back by itself: deploys of a service to an env
    (globs, like a runbook's `alert` and `service`). No rule matches: the button only."""

    service: str = "*"
    env: str = "*"


class IncidentSettings(Frozen):
    """Grouping, where incidents are announced, and what counts as a suspected change.

    `channels` and `responders` map a service (or "*" for any other) to the channel that hears
    about its incidents and the people notified; `dependencies` maps a service to the services
    it relies on, whose changes are suspected too."""

    group_window_minutes: int = Field(default=60, ge=1)
    change_lookback_minutes: int = Field(default=60, ge=1)
    channels: dict[str, str] = Field(default_factory=dict)
    responders: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    dependencies: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    runbooks: tuple[Runbook, ...] = ()
    # Automatic remediation: the directory person whose grants bound what the assistant may
    # run by itself (absent from the directory: nothing runs), and how often per service.
    auto_as: str = "assistant"
    auto_per_hour: int = Field(default=3, ge=0)
    # Health-gated deploys: after a successful deploy, compare `gate_window_minutes` after it
    # with as long before it, on each signal; a fail offers the deployer "Roll back".
    prometheus_url: str = ""
    gate_signals: tuple[GateSignal, ...] = ()
    gate_window_minutes: int = Field(default=10, ge=1)
    gate_step: str = "30s"
    # Automatic rollback after a failed gate (chatbot/incidents/autoback.py), off unless a rule
    # matches the deploy's service and env: run as `gate_rollback_as` (empty: `auto_as`)
    # through RBAC, policy, windows and freezes like a person's rollback, at most
    # `gate_rollback_per_hour` per service in any hour (counted in the audit trail); where
    # policy wants an approval it is sent for approval instead. Never on inconclusive.
    gate_auto_rollback: tuple[AutoRollback, ...] = ()
    gate_rollback_as: str = ""
    gate_rollback_per_hour: int = Field(default=1, ge=0)
