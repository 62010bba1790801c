"""Jenkins: deploy by `buildWithParameters`, follow the queue item to the build, wait for it.

Documented remote access API: POST /job/{job}/buildWithParameters (201, Location: queue item),
GET {queue item}/api/json (`executable.url` once started), GET {build}/api/json (`building`,
`result`). An API token in basic auth needs no CSRF crumb.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from skills.api import Progress, SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings


class JenkinsSettings(ConnectorSettings):
    user: str
    job: str = "deploy"
    rollback_job: str = ""


class Jenkins(Connector):
    settings: JenkinsSettings

    async def trigger(
        self, inputs: Mapping[str, str], request_id: str, progress: Progress, rollback: bool
    ) -> str:
        job = (self.settings.rollback_job if rollback else "") or self.settings.job
        path = "/".join(f"job/{quote(part, safe='')}" for part in job.split("/"))
        params = {k.upper(): v for k, v in inputs.items()} | {"REQUEST_ID": request_id}
        queued = await self.request("POST", f"/{path}/buildWithParameters", params=params)
        location = queued.headers.get("location", "")
        if not location:
            raise SkillError("Jenkins queued the build but did not say where (no Location).")
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
        await progress(f"Jenkins build running: {build_url}")
        for _ in range(self.settings.poll_limit):
            build = await self.json("GET", build_url.rstrip("/") + "/api/json")
            if not build.get("building") and build.get("result"):
                if build["result"] == "SUCCESS":
                    return build_url
                raise SkillError(f"Jenkins build finished with {build['result']}: {build_url}")
            await self._sleep(self.settings.poll_seconds)
        raise SkillError(f"Jenkins build {build_url} did not finish in time; it goes on.")
