"""Offboarding speed: SCIM `active: false` to the last grant removed, for people holding 20
grants each (made by access.request on the sandbox identity back end).

The deactivation runs offboarding before the SCIM response returns, so the PATCH's latency
is the time to the last grant removed. Only one identity back end serves access.request
today, so the issue's "20 grants over 4 back ends" is 20 grants over one (the sandbox).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pydantic import SecretStr
from starlette.testclient import TestClient

from bench.stats import latency_line
from chatbot.config import IdentitySettings, ScimSettings, load_settings
from chatbot.server import create_app
from chatbot.types import Principal
from skills.api import SkillContext
from skills.kv import StoreKeyValue

LEAVERS, GRANTS = 30, 20
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = load_settings()
        server = base.server.model_copy(update={"allowed_hosts": ("testserver",)})
        settings = base.model_copy(
            update={
                "server": server,
                "data_dir": Path(tmp),
                "scim": ScimSettings(token=SecretStr(TOKEN)),
                "identity": IdentitySettings(domains=("example.com",)),
            }
        )
        url = f"sqlite:///{tmp}/bench.db"
        with TestClient(create_app(settings, url)) as client:
            rt = client.app.state.runtime  # type: ignore[attr-defined]
            skill = rt.assistant.registry.get("access.request")
            skill = getattr(skill, "inner", skill)
            kv = StoreKeyValue(rt.store, skill.spec.namespace)
            people = []
            for n in range(LEAVERS):
                email = f"leaver{n}@example.com"
                body = {"schemas": [USER], "userName": email, "emails": [{"value": email}]}
                made = client.post("/scim/v2/Users", json=body, headers=AUTH)
                assert made.status_code == 201, made.text
                people.append((made.json()["id"], email))
                who = Principal(email, email, email)
                for g in range(GRANTS):
                    ctx = SkillContext(who, {"resource": f"res-{g}", "duration": "8h"}, kv, rt.http)
                    client.portal.call(skill.run, ctx)
            samples = []
            begun = time.perf_counter()
            for person_id, _ in people:
                op = {"op": "replace", "path": "active", "value": False}
                started = time.perf_counter()
                got = client.patch(
                    f"/scim/v2/Users/{person_id}",
                    json={"schemas": [PATCH], "Operations": [op]},
                    headers=AUTH,
                )
                samples.append(time.perf_counter() - started)
                assert got.status_code in (200, 204), got.text
            wall = time.perf_counter() - begun
            left = client.portal.call(kv.items, "grant:")
            assert not left, f"{len(left)} grant(s) left after offboarding"
    label = f"SCIM deactivation to last grant removed ({GRANTS} grants, sandbox)"
    print("   " + latency_line(label, samples, wall))
