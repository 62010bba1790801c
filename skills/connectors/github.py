"""GitHub Actions: deploy by `workflow_dispatch`, then poll the run until it completes.

Documented API: POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches with
`return_run_details: true` answers 200 with the new run's `workflow_run_id`
(https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event); a server
that answers 204 (GitHub Enterprise Server before the option) falls back to finding the run
among .../runs?event=workflow_dispatch by its `request_id` input shown in `run-name`.

Credentials: a token (`CHATOPS_SECRET__GITHUB__TOKEN`), or a GitHub App (`app_id`,
`installation_id`, secret `private_key`): a JWT signed with the App's key buys a one-hour
installation token (POST /app/installations/{id}/access_tokens), fetched once per action.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from chatbot.errors import ConfigError
from skills.api import Progress, SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import Pipeline

API_VERSION = {"X-GitHub-Api-Version": "2022-11-28", "Accept": "application/vnd.github+json"}


class GitHubSettings(ConnectorSettings):
    base_url: str = "https://api.github.com"
    repository: str  # owner/name
    workflow: str = "deploy.yml"
    rollback_workflow: str = ""
    ref: str = "main"
    app_id: str = ""  # set both to authenticate as a GitHub App installation
    installation_id: int = 0


class GitHubActions(Connector):
    """Triggers a workflow and waits for its run: the `Pipeline` a deploy skill drives."""

    title = "GitHub"
    settings_model = GitHubSettings
    ports = (Pipeline,)
    settings: GitHubSettings
    _token: str = ""

    @classmethod
    def headers(cls, settings: GitHubSettings, secrets: Any) -> dict[str, str]:
        if settings.app_id:
            return dict(API_VERSION)
        return {"Authorization": f"Bearer {secrets.require('github', 'token')}", **API_VERSION}

    @classmethod
    def credentials(cls, settings: GitHubSettings, secrets: Any) -> dict[str, str]:
        if not settings.app_id:
            return {}
        if not settings.installation_id:
            raise ConfigError("settings", "connectors.github.installation_id", "needed with app_id")
        key = secrets.require("github", "private_key")
        import jwt  # PyJWT pulls in cryptography: loaded when an App key is used, not at start

        try:
            jwt.encode({"iss": "check"}, key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            raise ConfigError("secrets", "github.private_key", "not a PEM RSA key") from None
        return {"private_key": key}

    async def _auth(self) -> dict[str, str]:
        """Headers for one call: the App's installation token when configured."""
        if not self.settings.app_id:
            return {}
        if not self._token:
            import jwt

            now = int(time.time())
            signed = jwt.encode(
                {"iat": now - 60, "exp": now + 540, "iss": self.settings.app_id},
                self.endpoint.credentials["private_key"],
                algorithm="RS256",
            )
            answer = await self.json(
                "POST",
                f"/app/installations/{self.settings.installation_id}/access_tokens",
                headers={"Authorization": f"Bearer {signed}"},
                idempotent=True,  # a second token is harmless
            )
            self._token = str(answer.get("token", ""))
            if not self._token:
                raise SkillError("GitHub gave no installation token for the chatops App.")
        return {"Authorization": f"Bearer {self._token}"}

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        return await self.json(method, path, headers=await self._auth(), **kw)

    def _repo(self) -> str:
        owner, _, name = self.settings.repository.partition("/")
        return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"

    async def trigger(
        self, inputs: Mapping[str, str], request_id: str, progress: Progress, rollback: bool
    ) -> str:
        workflow = (self.settings.rollback_workflow if rollback else "") or self.settings.workflow
        wf = quote(workflow, safe="")
        started = await self._call(
            "POST",
            f"{self._repo()}/actions/workflows/{wf}/dispatches",
            json_body={
                "ref": self.settings.ref,
                "inputs": {**inputs, "request_id": request_id},
                "return_run_details": True,
            },
        )
        await progress(f"waiting for the GitHub Actions run of {workflow}")
        if isinstance(started, dict) and started.get("workflow_run_id"):
            run_id = int(started["workflow_run_id"])
            run = await self._call("GET", f"{self._repo()}/actions/runs/{run_id}")
        else:
            run = await self._find_run(wf, request_id)
        return await self._wait(run)

    async def _find_run(self, wf: str, request_id: str) -> dict[str, Any]:
        for _ in range(self.settings.poll_limit):
            found = await self._call(
                "GET",
                f"{self._repo()}/actions/workflows/{wf}/runs",
                params={"event": "workflow_dispatch", "per_page": 10},
            )
            runs: list[dict[str, Any]] = found.get("workflow_runs", [])
            for run in runs:
                title = run.get("display_title") or run.get("name") or ""
                if request_id in title.split():
                    return run
            await self._sleep(self.settings.poll_seconds)
        raise SkillError("GitHub started no workflow run for the request in time.")

    async def _wait(self, run: dict[str, Any]) -> str:
        for _ in range(self.settings.poll_limit):
            if run.get("status") == "completed":
                url = str(run.get("html_url", ""))
                if run.get("conclusion") == "success":
                    return url
                raise SkillError(
                    f"GitHub run {run.get('id')} finished with {run.get('conclusion')}: {url}"
                )
            await self._sleep(self.settings.poll_seconds)
            run = await self._call("GET", f"{self._repo()}/actions/runs/{int(run['id'])}")
        raise SkillError(f"GitHub run {run.get('id')} did not finish in time; it goes on.")

    async def check(self) -> str:
        wf = quote(self.settings.workflow, safe="")
        found = await self._call(
            "GET", f"{self._repo()}/actions/workflows/{wf}/runs", params={"per_page": 1}
        )
        runs = found.get("workflow_runs", [])
        last = f"; the latest is {runs[0].get('status')}" if runs else ""
        return (
            f"workflow {self.settings.workflow} in {self.settings.repository} has "
            f"{found.get('total_count', 0)} run(s){last}"
        )
