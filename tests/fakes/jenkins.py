"""A Jenkins stand-in that behaves as documented, not as we would like.

- Remote access API (https://www.jenkins.io/doc/book/using/remote-access-api/): POST
  /job/{name}/buildWithParameters answers 201 with `Location:` the queue item; GET
  {queue item}/api/json gives `executable.url` once the build started; GET {build}/api/json
  gives `building`, `result` and the build's `actions`, among them `hudson.model.ParametersAction`
  with the parameters the build really has.
- Parameters a job does not define are dropped, and the defaults used
  (https://www.jenkins.io/security/advisory/2016-05-11/, SECURITY-170: "undefined parameters
  ... are no longer passed"); parameter names are case-sensitive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx

from tests.fakes.vendors import vendor_for


@dataclass
class JenkinsStandIn:
    host: str
    jobs: dict[str, dict[str, str]]  # job -> parameter name -> default value
    location_host: str = ""  # a misconfigured root URL points the queue elsewhere
    tamper: dict[str, str] = field(default_factory=dict)  # values a build ends up with anyway
    seen: list[httpx.Request] = field(default_factory=list)
    builds: list[dict[str, str]] = field(default_factory=list)
    _polls: dict[str, int] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        vendor_for(request).check_request(request)
        parts = request.url.path.strip("/").split("/")
        if parts[0] == "job" and parts[-1] == "buildWithParameters":
            job = parts[1]
            defined = self.jobs[job]
            given = dict(request.url.params)
            self.builds.append({k: given.get(k, v) for k, v in defined.items()} | self.tamper)
            n = len(self.builds)
            host = self.location_host or self.host
            return httpx.Response(201, headers={"Location": f"https://{host}/queue/item/{n}/"})
        if parts[0] == "job" and parts[-2:] == ["api", "json"] and len(parts) == 4:
            defs = [
                {"name": k, "defaultParameterValue": {"value": v}}
                for k, v in self.jobs[parts[1]].items()
            ]
            prop = {"_class": "hudson.model.ParametersDefinitionProperty"}
            return self._json(
                {
                    "name": parts[1],
                    "buildable": True,
                    "property": [{**prop, "parameterDefinitions": defs}],
                }
            )
        if parts[:2] == ["queue", "item"]:
            n = int(parts[2])
            first = self._polls.setdefault(request.url.path, 0) == 0
            self._polls[request.url.path] += 1
            if first:
                return self._json({"why": "Waiting for next available executor"})
            job = next(iter(self.jobs))
            return self._json({"executable": {"url": f"https://{self.host}/job/{job}/{n}/"}})
        if parts[0] == "job" and len(parts) == 5:
            n = int(parts[2])
            params = [{"name": k, "value": v} for k, v in self.builds[n - 1].items()]
            return self._json(
                {
                    "building": False,
                    "result": "SUCCESS",
                    "actions": [{"_class": "hudson.model.ParametersAction", "parameters": params}],
                }
            )
        return httpx.Response(404)

    def _json(self, body: object) -> httpx.Response:
        return httpx.Response(
            200, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    def done(self) -> None:
        pass
