"""What the SCIM server serves: RFC 7643's User (with the enterprise extension) and Group,
plus our own extension for what core SCIM does not carry: a joiner's start date.

scim2-models refuses attributes no schema declares, so a start date cannot ride on the core
User. Identity providers send such attributes in an extension schema of their own naming:
Okta maps a profile attribute to `urn:...:extension:<name>:2.0:User:<attribute>`, Entra ID's
provisioning maps `employeeHireDate` (or any attribute) to a target attribute written as
`urn:...:extension:<name>:2.0:User:<attribute>` in POST bodies and PATCH paths alike. So the
extension is published in /Schemas and in the User resource type's `schemaExtensions`, and
the identity provider is told to map the start date to `<CHATOPS>:startDate`.
"""

from __future__ import annotations

from datetime import datetime

from scim2_models import (
    Extension,
    ResourceType,
    Schema,
    SchemaExtension,
    ScimProvider,
    ServiceProviderConfig,
)
from scim2_models.urn import URN
from scim2_server.utils import load_default_resource_types, load_default_schemas

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CHATOPS = "urn:ietf:params:scim:schemas:extension:chatops:2.0:User"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


class ChatOpsUser(Extension):
    """The attributes the assistant reads about a person beyond RFC 7643."""

    __schema__ = URN(CHATOPS)

    start_date: datetime | None = None
    """The day the person starts: their access bundles are granted on it (a date at
    midnight, or any time that day; the calendar day as written is what counts)."""


def chatops_schema() -> Schema:
    """The extension as /Schemas publishes it (built by scim2-models from the class)."""
    schema = ChatOpsUser.to_schema()
    return schema.model_copy(
        update={
            "name": "ChatOpsUser",
            "description": "ChatOps assistant attributes of a User (startDate: first day)",
        }
    )


def _user_type(user: ResourceType) -> ResourceType:
    """The User resource type with our extension beside the enterprise one."""
    extensions = [*(user.schema_extensions or [])]
    extensions.append(SchemaExtension(schema_=CHATOPS, required=False))
    return user.model_copy(update={"schema_extensions": extensions})


def provider(config: ServiceProviderConfig) -> ScimProvider:
    """RFC 7643's schemas and resource types as scim2-server ships them, plus ours."""
    types = load_default_resource_types()
    types["User"] = _user_type(types["User"])
    schemas = [*load_default_schemas().values(), chatops_schema()]
    return ScimProvider.from_discovery(schemas, types.values(), config=config)
