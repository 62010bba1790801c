"""A running app with SCIM on, access bundles for Engineering and Sales (sandbox back end),
onboarding asked for by dave (admin) and prod-db reviewed by its owners (admin)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatbot.config import (
    Bundle,
    BundleItem,
    IdentitySettings,
    JmlSettings,
    ScimSettings,
    Settings,
)
from chatbot.governance import outbox
from chatbot.server import create_app
from chatbot.types import Reply
from intents import Understander
from tests.directory.conftest import TOKEN

BUNDLES = {
    "engineering": Bundle(
        departments=("Engineering",),
        items=(
            BundleItem(resource="github", grant="acme-developers"),
            BundleItem(resource="jenkins"),
            BundleItem(resource="grafana"),
        ),
    ),
    "sales": Bundle(
        departments=("Sales",),
        items=(BundleItem(resource="grafana"), BundleItem(resource="crm")),
    ),
}


@pytest.fixture
def jml_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "scim": ScimSettings(token=SecretStr(TOKEN), max_results=50),
            "identity": IdentitySettings(
                domains=("example.com",), group_roles={"Release": ("release-manager",)}
            ),
            "bundles": BUNDLES,
            "jml": JmlSettings(onboard_as="dave", review_remind_hours=1, review_escalate_hours=2),
        }
    )


@pytest.fixture
def client(
    jml_settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    with TestClient(create_app(jml_settings, database_url, understander)) as c:
        yield c


def run(client: TestClient, fn):  # type: ignore[no-untyped-def]
    return client.portal.call(fn)  # type: ignore[union-attr]


def inbox(client: TestClient, person: str) -> list[Reply]:
    """What the assistant queued for a person (cards and notes), delivered now."""
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def take() -> list[Reply]:
        async with rt.store.transaction() as tx:
            notes = await outbox.pending(tx, person)
            await outbox.delivered(tx, [n.id for n in notes if n.id is not None])
        return [outbox.as_reply(n) for n in notes]

    return run(client, take)


def members(client: TestClient, group: str) -> list[str]:
    from skills.kv import StoreKeyValue

    rt = client.app.state.runtime  # type: ignore[attr-defined]
    kv = StoreKeyValue(rt.store, "access")
    return run(client, lambda: kv.get(f"members:{group}", []))
