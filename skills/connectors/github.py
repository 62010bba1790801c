"""GitHub Actions: deploy by `workflow_dispatch`, then poll the run until it completes.

Documented API: POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches (204),
GET .../actions/workflows/{workflow}/runs?event=workflow_dispatch, GET .../actions/runs/{id}.
The dispatch carries a `request_id` input; a workflow that sets
`run-name: deploy ${{ inputs.request_id }}` lets us find exactly our run among concurrent ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from skills.api import Progress, SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings


class GitHubSettings(ConnectorSettings):
    base_url: str = "https://api.github.com"
    repository: str  # owner/name
    workflow: str = "deploy.yml"
    rollback_workflow: str = ""
    ref: str = "main"


class GitHubActions(Connector):
    """Triggers a workflow and waits for its run: the `Pipeline` a deploy skill drives."""

    settings: GitHubSettings

    def _repo(self) -> str:
        owner, _, name = self.settings.repository.partition("/")
        return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"

    async def trigger(
        self, inputs: Mapping[str, str], request_id: str, progress: Progress, rollback: bool
    ) -> str:
        workflow = (self.settings.rollback_workflow if rollback else "") or self.settings.workflow
        wf = quote(workflow, safe="")
        await self.request(
            "POST",
            f"{self._repo()}/actions/workflows/{wf}/dispatches",
            json_body={"ref": self.settings.ref, "inputs": {**inputs, "request_id": request_id}},
            headers={"Accept": "application/vnd.github+json"},
        )
        await progress(f"waiting for the GitHub Actions run of {workflow}")
        run = await self._find_run(wf, request_id)
        return await self._wait(run)

    async def _find_run(self, wf: str, request_id: str) -> dict[str, Any]:
        for _ in range(self.settings.poll_limit):
            found = await self.json(
                "GET",
                f"{self._repo()}/actions/workflows/{wf}/runs",
                params={"event": "workflow_dispatch", "per_page": 10},
            )
            for run in found.get("workflow_runs", []):
                title = run.get("display_title") or run.get("name") or ""
                if request_id in title.split():
                    return run
            await self._sleep(self.settings.poll_seconds)
        raise SkillError("GitHub started no workflow run for the request in time.")

    async def _wait(self, run: dict[str, Any]) -> str:
        for _ in range(self.settings.poll_limit):
            if run.get("status") == "completed":
                url = run.get("html_url", "")
                if run.get("conclusion") == "success":
                    return url
                raise SkillError(
                    f"GitHub run {run.get('id')} finished with {run.get('conclusion')}: {url}"
                )
            await self._sleep(self.settings.poll_seconds)
            run = await self.json("GET", f"{self._repo()}/actions/runs/{int(run['id'])}")
        raise SkillError(f"GitHub run {run.get('id')} did not finish in time; it goes on.")
