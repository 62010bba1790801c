"""Declarations of the engineering skills: deploys, rollbacks, restarts."""

from __future__ import annotations

from skills.api import Requirement, Risk, SkillSpec, SlotSpec, SlotType
from skills.builtin.catalog.slots import ENV, SERVICE

DEPLOY = SkillSpec(
    name="deploy",
    title="Deploy a service",
    confirmation="Deploy {service} {version} to {env}?",
    description="Deploy a version of a service to an environment.",
    examples=(
        "deploy payments-api 2.3.1 to prod",
        "deploy web 5.2.0 to staging",
        "ship checkout v1.4.0 to production",
        "release search 3.0.0 on dev",
        "push billing 2.0.1 to stg",
        "roll out api-gateway 1.2.3 to staging",
        "deploy the latest checkout to dev",
        "please deploy billing 4.1 to prod",
        "can you ship web 2.2.2 to live",
        "promote search 1.9.0 to production",
        "deploy version 3.3.0 of payments-api in staging",
        "i want to deploy web to prod",
        "put api-gateway 2.0.0 on staging",
        "redeploy checkout on dev",
        "deploy billing",
        "bump checkout to 2.7.0 in staging",
        "upgrade search to 4.0.2 on dev",
        "bump the api-gateway version to 1.8.0 in prod",
    ),
    keywords=(
        "deploy",
        "bump",
        "upgrade",
        "ship",
        "release",
        "rollout",
        "roll out",
        "promote",
        "redeploy",
        "push",
    ),
    slots=(
        SERVICE,
        SlotSpec("version", SlotType.VERSION, prompt="Which version?"),
        ENV,
    ),
    risk=Risk.MEDIUM,
)


DEPLOY_STATUS = SkillSpec(
    name="deploy.status",
    title="Show what is deployed",
    description="Show which version of each service runs in each environment.",
    examples=(
        "what is deployed",
        "what version of checkout is in prod",
        "which version runs on staging",
        "show deployments",
        "what's running in production",
        "which build of web is live",
        "list the deployed versions",
        "what version is billing on in dev",
        "show me what is deployed on staging",
        "current version of search",
        "deployment status for payments-api",
    ),
    keywords=(
        "deployed",
        "version",
        "running",
        "deployment",
        "deployments",
        "build",
        "live",
    ),
    slots=(
        SlotSpec("service", SlotType.SERVICE, required=False),
        SlotSpec("env", SlotType.ENV, required=False),
    ),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)


DEPLOY_ROLLBACK = SkillSpec(
    name="deploy.rollback",
    title="Roll back a deploy",
    confirmation="Roll {service} in {env} back to the version it ran before?",
    description="Roll a service back to the version it ran before the last deploy.",
    examples=(
        "rollback checkout in prod",
        "roll back payments-api on staging",
        "revert the last deploy of web in production",
        "undo the billing deploy on dev",
        "roll web back to the previous version",
        "rollback search on stg",
        "please revert api-gateway in prod",
        "the checkout release is bad, roll it back",
        "downgrade billing on staging to the previous release",
        "undo the deploy of search in live",
        "roll back the payments-api deployment",
    ),
    keywords=(
        "rollback",
        "roll back",
        "revert",
        "undo",
        "downgrade",
    ),
    # "roll <service> back", "roll it back": the keyword "roll back" split by its object.
    patterns=(
        ({"LOWER": "roll"}, {"ENT_TYPE": "SERVICE", "OP": "+"}, {"LOWER": "back"}),
        ({"LOWER": "roll"}, {"LOWER": {"IN": ("it", "that", "this")}}, {"LOWER": "back"}),
    ),
    slots=(SERVICE, ENV),
    risk=Risk.HIGH,
)


SERVICE_RESTART = SkillSpec(
    name="service.restart",
    title="Restart a service",
    confirmation="Restart {service} in {env}?",
    description="Restart a service in an environment (a rolling restart).",
    examples=(
        "restart billing in prod",
        "bounce checkout on stg",
        "restart the search service on dev",
        "reboot web in staging",
        "please restart payments-api in production",
        "can you bounce api-gateway on dev",
        "restart checkout",
        "give billing a restart in stage",
        "recycle the web pods in prod",
        "restart search, it is hanging",
        "do a rolling restart of payments-api on staging",
        "kick the billing service in live",
    ),
    keywords=(
        "restart",
        "bounce",
        "reboot",
        "recycle",
        "kick",
    ),
    # "bounce <service>": these verbs mean a restart only with a service right after them.
    patterns=(
        (
            {"LOWER": {"IN": ("bounce", "kick", "recycle")}},
            {"LOWER": "the", "OP": "?"},
            {"ENT_TYPE": "SERVICE", "OP": "+"},
        ),
    ),
    slots=(SERVICE, ENV),
    risk=Risk.MEDIUM,
)
