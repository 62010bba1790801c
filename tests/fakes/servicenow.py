"""A ServiceNow Table API stand-in that keeps records the way an instance does.

Documented behaviour followed (REST API reference, Table API:
https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI; product docs
"Encoded query strings", "Change request state model", "Priority lookup rules"):
- reference fields (`caller_id`, ...) store what is written; only a sys_user sys_id resolves,
  so a dot-walk such as `caller_id.email=...` matches only real references;
- encoded queries: `a=b`, `a.b=c`, `aLIKEx`, `^ORaLIKEx` (OR with the condition before),
  `aISEMPTY`, `aINx,y`, `ORDERBY...` conditions joined by `^`; `sysparm_limit`;
- incident priority = the default lookup of urgency x impact;
- change_request states move New -5 -> Assess -4 -> Authorize -3 -> Scheduled -2 -> Implement -1
  -> Review 0 -> Closed 3 (Canceled 4 from anywhere); other moves are refused by the state
  model's business rule (403 "Operation Failed").
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fakes.vendors import vendor_for

PRIORITY = {
    ("1", "1"): "1",
    ("1", "2"): "2",
    ("2", "1"): "2",
    ("1", "3"): "3",
    ("2", "2"): "3",
    ("3", "1"): "3",
    ("2", "3"): "4",
    ("3", "2"): "4",
    ("3", "3"): "5",
}
CHANGE_NEXT = {"-5": "-4", "-4": "-3", "-3": "-2", "-2": "-1", "-1": "0", "0": "3"}
REFERENCES = {"caller_id": "sys_user", "requested_by": "sys_user"}


@dataclass
class ServiceNowStandIn:
    host: str = "acme.service-now.com"
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seen: list[httpx.Request] = field(default_factory=list)
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1001))

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        row.setdefault("sys_id", uuid.uuid4().hex)
        self.tables.setdefault(table, []).append(row)
        return row

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        vendor_for(request).check_request(request)
        parts = request.url.path.strip("/").split("/")  # api now table NAME [sys_id]
        table = parts[3]
        rows = self.tables.setdefault(table, [])
        if request.method == "GET":
            found = [
                r for r in rows if self._matches(r, request.url.params.get("sysparm_query", ""))
            ]
            if "ORDERBYDESCsys_created_on" in request.url.params.get("sysparm_query", ""):
                found.reverse()
            limit = int(request.url.params.get("sysparm_limit", "10000"))
            return self._json(200, {"result": found[:limit]})
        body = json.loads(request.content)
        if request.method == "POST":
            prefix = {"incident": "INC", "change_request": "CHG"}.get(table, "REC")
            row = self.add(
                table, number=f"{prefix}{next(self._numbers):07d}", state="1", active="true", **body
            )
            self._derive(row)
            return self._json(201, {"result": row})
        row = next(r for r in rows if r["sys_id"] == parts[4])
        if table == "change_request" and "state" in body:
            now, wanted = str(row.get("state")), str(body["state"])
            if wanted != "4" and CHANGE_NEXT.get(now) != wanted:
                return self._json(
                    403,
                    {
                        "error": {
                            "message": "Operation Failed",
                            "detail": "Invalid state transition",
                        },
                        "status": "failure",
                    },
                )
        row.update(body)
        self._derive(row)
        return self._json(200, {"result": row})

    def _derive(self, row: dict[str, Any]) -> None:
        if "urgency" in row and "impact" in row:
            row["priority"] = PRIORITY[(str(row["urgency"]), str(row["impact"]))]

    def _value(self, row: dict[str, Any], name: str) -> str:
        head, _, rest = name.partition(".")
        value = row.get(head, "")
        if not rest:
            return str(value)
        target = REFERENCES.get(head, "")
        ref = next((r for r in self.tables.get(target, []) if r["sys_id"] == value), None)
        return "" if ref is None else self._value(ref, rest)

    def _one(self, row: dict[str, Any], cond: str) -> bool:
        if cond.startswith("ORDERBY") or not cond:
            return True
        if cond.endswith("ISEMPTY"):
            return not row.get(cond[: -len("ISEMPTY")])
        if "LIKE" in cond:
            name, _, text = cond.partition("LIKE")
            return text.lower() in self._value(row, name).lower()
        if "IN" in cond and "=" not in cond:
            name, _, values = cond.partition("IN")
            return self._value(row, name) in values.split(",")
        name, _, value = cond.partition("=")
        return self._value(row, name) == value

    def _matches(self, row: dict[str, Any], query: str) -> bool:
        result, conds = True, query.split("^") if query else []
        groups: list[list[str]] = []
        for cond in conds:
            if cond.startswith("OR") and not cond.startswith("ORDERBY") and groups:
                groups[-1].append(cond[2:])
            else:
                groups.append([cond])
        for group in groups:
            result = result and any(self._one(row, c) for c in group)
        return result

    def _json(self, status: int, body: object) -> httpx.Response:
        return httpx.Response(
            status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    def done(self) -> None:
        pass
