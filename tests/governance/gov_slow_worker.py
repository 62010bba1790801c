"""A process that starts a slow action and then waits to be killed:
`python gov_slow_worker.py DATABASE_URL DATA_DIR`.

The built-in deploy is swapped for one that never finishes, registered through the same
`runtime(registry=...)` an embedding application would use. It prints `ACTION <id>` once the
action is `running`, so test_gov_crash knows when to kill -9 it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from chatbot.app import runtime
from chatbot.config import load_settings
from chatbot.testing import Chat
from chatbot.types import Outcome
from skills.api import SkillContext
from skills.builtin import builtin_skills
from skills.builtin.deploy import SandboxDeploy
from skills.registry import SkillRegistry


class NeverEndingDeploy(SandboxDeploy):
    async def run(self, ctx: SkillContext) -> Outcome:
        print(f"ACTION {ctx.action_id}", flush=True)
        await asyncio.sleep(3600)
        return Outcome(True, "finished (it never does)")


async def main(url: str, data_dir: str) -> None:
    settings = load_settings().model_copy(update={"data_dir": Path(data_dir)})
    slow = [NeverEndingDeploy() if s.spec.name == "deploy" else s for s in builtin_skills()]
    async with runtime(settings, url, registry=SkillRegistry(slow)) as rt:
        chat = Chat(rt)
        asked = await chat.say("bob", "deploy web 5.2.0 to dev")
        await chat.click("bob", asked, "Confirm")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
