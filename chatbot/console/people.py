"""People: the directory with each person's effective roles and where each role came from
(a directory entry in the TOML file or SCIM, a group, the company domain, another role's
`includes`)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from chatbot.console.frame import Context, Page

INCLUDED = "included by another role"


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    display_name: str
    email: str
    groups: str
    manager: str
    roles: tuple[tuple[str, str], ...]  # (role, where it came from)


async def read(ctx: Context) -> Response:
    directory = ctx.runtime.assistant.directory
    rbac = ctx.runtime.assistant.authorizer.rbac
    wanted = ctx.query.get("q", "").strip().lower()
    rows = []
    for name in sorted(directory.principals):
        person = directory.principals[name]
        if wanted and wanted not in f"{name} {person.email} {person.display_name}".lower():
            continue
        origins = dict(person.role_sources)
        roles = tuple((r, origins.get(r, INCLUDED)) for r in rbac.roles_of(person))
        rows.append(
            Row(
                name,
                person.display_name,
                person.email,
                ", ".join(sorted(person.groups)) or "-",
                person.manager or "-",
                roles,
            )
        )
        if len(rows) >= 500:
            break
    return ctx.page("people.html", "People", rows=rows, q=ctx.query.get("q", ""))


pages = (Page("/people", "People", read),)
