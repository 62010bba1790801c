"""Jenkins: deploy by `buildWithParameters`, follow the queue item to the build, wait for it.

Documented remote access API (https://www.jenkins.io/doc/book/using/remote-access-api/):
GET /job/{job}/api/json?tree=... (the job's parameter definitions), POST
/job/{job}/buildWithParameters (201, Location: queue item), GET {queue item}/api/json
(`executable.url` once started), GET {build}/api/json (`building`, `result`, and the
`ParametersAction` holding the parameters the build really got). An API token in basic auth
needs no CSRF crumb.

Jenkins silently drops parameters a job does not define and builds with the defaults, so the
names are taken from the job's own definitions (matched without regard to case), a missing
one is refused before anything runs, and the started build's parameters are compared with
what was sent. Queue and build URLs come from Jenkins' answers; the credentials go only to
the configured host, never to another one a `Location` header names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from skills.api import Progress, SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.connectors.errors import ConnectorError
from skills.connectors.factory import basic
from skills.ports import Pipeline

DEFINITIONS = "name,buildable,property[parameterDefinitions[name]]"


class JenkinsSettings(ConnectorSettings):
    user: str
    job: str = "deploy"
    rollback_job: str = ""


class Jenkins(Connector):
    title = "Jenkins"
    settings_model = JenkinsSettings
    ports = (Pipeline,)
    settings: JenkinsSettings

    @classmethod
    def headers(cls, settings: JenkinsSettings, secrets: Any) -> dict[str, str]:
        return {"Authorization": basic(settings.user, secrets.require("jenkins", "token"))}

    def _job_path(self, job: str) -> str:
        return "/" + "/".join(f"job/{quote(part, safe='')}" for part in job.split("/"))

    def _ours(self, url: str) -> str:
        """`url` if it is on the configured Jenkins; refuses any other host."""
        import httpx  # here: `chatops skills list` imports this module without it

        base, there = httpx.URL(self.endpoint.base_url), httpx.URL(url)
        if (there.scheme, there.netloc) != (base.scheme, base.netloc):
            raise ConnectorError(
                "Jenkins",
                None,
                False,
                f"it pointed to {there.scheme}://{there.host}, not the configured {base.host}",
                message=(
                    f"Jenkins pointed to another host ({there.host}); the assistant does not "
                    "send its credentials there. Ask an admin to check Jenkins' root URL."
                ),
            )
        return url

    async def _defined(self, job: str) -> list[str]:
        found = await self.json(
            "GET", f"{self._job_path(job)}/api/json", params={"tree": DEFINITIONS}
        )
        names: list[str] = []
        for prop in found.get("property") or []:
            names += [d["name"] for d in prop.get("parameterDefinitions") or [] if d.get("name")]
        return names

    def _parameters(
        self, job: str, defined: list[str], inputs: Mapping[str, str], request_id: str
    ) -> dict[str, str]:
        by_lower = {name.lower(): name for name in defined}
        sent: dict[str, str] = {}
        for key, value in inputs.items():
            name = by_lower.get(key.lower())
            if name is None:
                raise ConnectorError(
                    "Jenkins",
                    400,
                    False,
                    f"the job {job} has no parameter {key.upper()}",
                    name=self.endpoint.name,
                    message=(
                        f"Jenkins refused: the job {job} has no parameter {key.upper()} "
                        f"(it has {', '.join(defined) or 'none'}). Nothing was started; ask "
                        "an admin to add the parameter to the job."
                    ),
                )
            sent[name] = value
        if "request_id" in by_lower:
            sent[by_lower["request_id"]] = request_id
        return sent

    async def trigger(
        self, inputs: Mapping[str, str], request_id: str, progress: Progress, rollback: bool
    ) -> str:
        job = (self.settings.rollback_job if rollback else "") or self.settings.job
        params = self._parameters(job, await self._defined(job), inputs, request_id)
        queued = await self.request(
            "POST", f"{self._job_path(job)}/buildWithParameters", params=params
        )
        location = queued.headers.get("location", "")
        if not location:
            raise SkillError("Jenkins queued the build but did not say where (no Location).")
        location = self._ours(location)
        await progress(f"waiting for Jenkins to start {job}")
        build_url = ""
        for _ in range(self.settings.poll_limit):
            item = await self.json("GET", location.rstrip("/") + "/api/json")
            if item.get("cancelled"):
                raise SkillError(f"Jenkins cancelled the queued build of {job}.")
            build_url = (item.get("executable") or {}).get("url", "")
            if build_url:
                break
            await self._sleep(self.settings.poll_seconds)
        else:
            raise SkillError(f"Jenkins did not start {job} in time.")
        build_url = self._ours(build_url)
        await progress(f"Jenkins build running: {build_url}")
        checked = False
        for _ in range(self.settings.poll_limit):
            build = await self.json("GET", build_url.rstrip("/") + "/api/json")
            if not checked:
                self._same(params, build, build_url)
                checked = True
            if not build.get("building") and build.get("result"):
                if build["result"] == "SUCCESS":
                    return build_url
                raise SkillError(f"Jenkins build finished with {build['result']}: {build_url}")
            await self._sleep(self.settings.poll_seconds)
        raise SkillError(f"Jenkins build {build_url} did not finish in time; it goes on.")

    def _same(self, sent: Mapping[str, str], build: dict[str, Any], url: str) -> None:
        """The build's own parameters (ParametersAction) must be the ones sent."""
        got: dict[str, str] = {}
        for action in build.get("actions") or []:
            for p in (action or {}).get("parameters") or []:
                got[str(p.get("name"))] = str(p.get("value"))
        wrong = [
            f"{k}={got.get(k, '(missing)')} instead of {v}"
            for k, v in sent.items()
            if got.get(k) != v
        ]
        if wrong:
            raise SkillError(
                f"Jenkins started {url} with other parameters than sent ({'; '.join(wrong)}); "
                "check that build before trusting it."
            )

    async def check(self) -> str:
        job = self.settings.job
        found = await self.json(
            "GET", f"{self._job_path(job)}/api/json", params={"tree": DEFINITIONS}
        )
        names = [
            d.get("name")
            for p in found.get("property") or []
            for d in p.get("parameterDefinitions") or []
        ]
        state = "buildable" if found.get("buildable") else "not buildable"
        return f"job {job} is {state}; its parameters: {', '.join(n for n in names if n) or 'none'}"
