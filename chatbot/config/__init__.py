"""Settings: one TOML file plus `CHATOPS_...` environment overrides, loaded once, passed in.

The shipped defaults (`defaults/demo.toml`) hold the demo directory, so the assistant runs with
no file at all. A config file's top-level sections replace the defaults' sections whole, so a
production directory never inherits demo people. Every error names the file, the key and what
was expected.

The parts live in modules named for what they hold; every name is importable from here.
"""

from chatbot.config.base import DAYS, LOOPBACK_NAMES, Day, Frozen
from chatbot.config.channels import (
    PLATFORM_ENV,
    ServerSettings,
    SlackSettings,
    TeamsSettings,
    WebSettings,
)
from chatbot.config.directory import (
    MANAGER_APPROVER,
    DirectorySyncSettings,
    Grant,
    Group,
    IdentitySettings,
    Person,
    Role,
    ScimSettings,
)
from chatbot.config.governance import (
    ApiToken,
    ApprovalSettings,
    Catalog,
    ChangeWindow,
    CheckpointSettings,
    Freeze,
    PolicyRule,
    RateLimit,
    Resource,
)
from chatbot.config.incidents import (
    AlertSettings,
    AutoRollback,
    GateSignal,
    IncidentSettings,
    Runbook,
)
from chatbot.config.jml import (
    Bundle,
    BundleItem,
    JmlSettings,
    OffboardingSettings,
    bundle_problem,
    one_bundle_problem,
)
from chatbot.config.loading import (
    MERGED_TABLES,
    Settings,
    load_settings,
    merge_tables,
    undefined_role,
)
from chatbot.config.runtime import (
    ConversationSettings,
    JobSettings,
    Limits,
    LoggingSettings,
    SkillSettings,
    UnderstandingSettings,
)

__all__ = [
    "DAYS",
    "LOOPBACK_NAMES",
    "MANAGER_APPROVER",
    "MERGED_TABLES",
    "PLATFORM_ENV",
    "AlertSettings",
    "ApiToken",
    "ApprovalSettings",
    "AutoRollback",
    "Bundle",
    "BundleItem",
    "Catalog",
    "ChangeWindow",
    "CheckpointSettings",
    "ConversationSettings",
    "Day",
    "DirectorySyncSettings",
    "Freeze",
    "Frozen",
    "GateSignal",
    "Grant",
    "Group",
    "IdentitySettings",
    "IncidentSettings",
    "JmlSettings",
    "JobSettings",
    "Limits",
    "LoggingSettings",
    "OffboardingSettings",
    "Person",
    "PolicyRule",
    "RateLimit",
    "Resource",
    "Role",
    "Runbook",
    "ScimSettings",
    "ServerSettings",
    "Settings",
    "SkillSettings",
    "SlackSettings",
    "TeamsSettings",
    "UnderstandingSettings",
    "WebSettings",
    "bundle_problem",
    "load_settings",
    "merge_tables",
    "one_bundle_problem",
    "undefined_role",
]
