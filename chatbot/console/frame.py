"""The console's frame: who is looking, what they may do, and how a page or an action runs.

Every console request passes the same steps here, so no page can forget one:

1. Who: with `web.auth = "none"` (the loopback demo) the person picker (`as`, dave by
   default); with `web.auth = "proxy"` the proxy's identity header, checked by the web chat's
   own `_who` (one implementation of the proxy rules, not a copy).
2. Roles from the directory (`Rbac.roles_of`: direct, through groups, and included): auditors
   and admins read; everyone else gets a 403 page saying what role is missing.
3. Actions (POST): the same origin check as `/api/chat`, admins only, and one audit entry
   per attempt (`console.<verb>`), refused or done, in the hash-chained trail.

Pages are plain data (`Page`): chatbot/console/pages.py lists them in one place.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from chatbot.adapters.web import api as web_api
from chatbot.app import Runtime
from chatbot.console import texts
from chatbot.console.forms import BadForm, read_form
from chatbot.console.render import Console
from chatbot.errors import NotFound, Refused, StorageUnavailable, UserError
from chatbot.governance import audit
from chatbot.types import Principal, Reply

ADMIN = "admin"
AUDITOR = "auditor"
READERS = frozenset({ADMIN, AUDITOR})
DEMO_PERSON = "dave"
PLATFORM = "web"
CHANNEL = "console"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person looking at the console, with their effective roles."""

    principal: Principal
    roles: tuple[str, ...]
    picker: bool  # demo mode: the page shows a person picker and forms carry `as`

    @property
    def name(self) -> str:
        return self.principal.name

    @property
    def may_act(self) -> bool:
        return ADMIN in self.roles


@dataclass(frozen=True, slots=True)
class Result:
    """What an action did, said back on the page and written to the audit trail.

    `errors` maps a form field to what is wrong with it (shown at that field); `values` are
    the form's values to show again; `redirect` (a console path) is followed when ok.
    """

    ok: bool
    text: str
    status: int = 200
    redirect: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    skill: str | None = None
    action_id: int | None = None
    target: str = ""
    replies: tuple[Reply, ...] = ()  # cards with buttons to show (a press's next step)


@dataclass(frozen=True, slots=True)
class Context:
    """One console request, as a page or an action sees it."""

    request: Request
    runtime: Runtime
    console: Console
    viewer: Viewer
    form: Mapping[str, str] = field(default_factory=dict)
    result: Result | None = None

    @property
    def params(self) -> Mapping[str, Any]:
        return self.request.path_params

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    def url(self, path: str, **query: str) -> str:
        """A console URL; in demo mode it keeps the picked person."""
        return console_url(path, self.viewer, query)

    def page(self, template: str, title: str, status: int = 200, **values: Any) -> Response:
        if self.result is not None and status == 200:
            status = self.result.status if not self.result.ok else 200
        html = self.console.render(
            template,
            title=title,
            viewer=self.viewer,
            url=self.url,
            path=self.request.url.path,
            result=self.result,
            form=self.form,
            people_for_picker=_people(self.runtime) if self.viewer.picker else [],
            picker_to=_picker_to(self.request),
            **values,
        )
        return HTMLResponse(html, status_code=status)


Reader = Callable[[Context], Awaitable[Response]]
Doer = Callable[[Context], Awaitable[Result]]


@dataclass(frozen=True, slots=True)
class Page:
    """One console page: `path` under /console (Starlette syntax, `{name}` for parameters),
    `read` renders it (GET; auditors and admins), and each of `actions` is a POST to
    `path + "/" + verb` (admins only, audited); the verb "" is a POST to the page itself.
    Pages with `nav` appear in the navigation, in list order."""

    path: str
    title: str
    read: Reader
    actions: Mapping[str, Doer] = field(default_factory=dict)
    nav: bool = True


def console_url(path: str, viewer: Viewer | None, query: Mapping[str, str] = {}) -> str:
    full = "/console" + (path if path.startswith("/") or not path else "/" + path)
    pairs = {k: v for k, v in query.items() if v}
    if viewer is not None and viewer.picker:
        pairs["as"] = viewer.name
    return f"{full}?{urlencode(pairs)}" if pairs else full


def console_of(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


def _runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def refusal(request: Request, status: int, text: str, viewer: Viewer | None = None) -> Response:
    """A clear error page (never a traceback), with the person picker in demo mode."""
    rt = _runtime(request)
    picker = rt.settings.web.auth != "proxy"
    html = console_of(request).render(
        "refused.html",
        title=texts.NOT_AVAILABLE if status != 403 else texts.NOT_ALLOWED,
        viewer=viewer,
        url=lambda path, **q: console_url(path, viewer, q),
        path=request.url.path,
        result=None,
        form={},
        status=status,
        text=text,
        picker=picker,
        people=_people(rt) if picker else [],
        picker_to=_picker_to(request),
    )
    return HTMLResponse(html, status_code=status)


def _picker_to(request: Request) -> str:
    """Where switching person goes: this page, or after an action (a POST URL) the console's
    home, which takes the person along."""
    return request.url.path if request.method in ("GET", "HEAD") else "/console"


def _people(rt: Runtime) -> list[Principal]:
    principals = rt.assistant.directory.principals
    return [principals[n] for n in sorted(principals)[:500]]


def _default_person(rt: Runtime) -> str:
    directory = rt.assistant.directory
    if directory.find(DEMO_PERSON) is not None:
        return DEMO_PERSON
    admins = directory.with_role(ADMIN, rt.assistant.authorizer.rbac)
    return min((p.name for p in admins), default=DEMO_PERSON)


def identify(request: Request, chosen: str | None) -> Viewer | Response:
    """The viewer, or the refusal page to send."""
    rt = _runtime(request)
    picker = rt.settings.web.auth != "proxy"
    who = web_api._who(request, {"as": (chosen or "").strip() or _default_person(rt)})
    if isinstance(who, JSONResponse):
        text = json.loads(bytes(who.body)).get("error", "who you are is not clear")
        return refusal(request, who.status_code, text)
    principal = rt.assistant.directory.find(who)
    if principal is None:
        text = texts.NOT_IN_DIRECTORY.format(who=who)
        return refusal(request, 403, text)
    roles = rt.assistant.authorizer.rbac.roles_of(principal)
    viewer = Viewer(principal, roles, picker)
    if not READERS & set(roles):
        held = ", ".join(roles) or "none"
        text = texts.READERS_ONLY.format(person=principal.display_name, held=held)
        return refusal(request, 403, text, viewer)
    return viewer


async def record(rt: Runtime, actor: str, verb: str, result: Result, page: str) -> None:
    """One audit entry for a console action, done or refused."""
    outcome = "ok" if result.ok else ("refused" if result.status == 403 else "failed")
    detail: dict[str, str] = {"page": page, "said": result.text[:500]}
    if result.target:
        detail["target"] = result.target[:200]
    entry = audit.AuditRecord(
        actor=actor,
        event=f"console.{verb or 'post'}",
        platform=PLATFORM,
        channel=CHANNEL,
        skill=result.skill,
        action_id=result.action_id,
        outcome=outcome,
        detail=detail,
    )
    async with rt.store.transaction() as tx:
        await audit.append(tx, entry)


def reading(page: Page) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = identify(request, request.query_params.get("as"))
        if isinstance(viewer, Response):
            return viewer
        ctx = Context(request, _runtime(request), console_of(request), viewer)
        try:
            return await page.read(ctx)
        except UserError as exc:  # NotFound, Refused, bad input: a sentence, never a 500
            return refusal(request, _status(exc), str(exc), viewer)
        except StorageUnavailable as exc:
            return refusal(request, 503, str(exc), viewer)

    return endpoint


def acting(page: Page, verb: str, doer: Doer) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not same_site(request):
            return refusal(request, 403, texts.CROSS_SITE)
        try:
            form = await read_form(request)
        except BadForm as exc:
            return refusal(request, exc.status, exc.text)
        viewer = identify(request, form.get("as"))
        if isinstance(viewer, Response):
            return viewer
        rt = _runtime(request)
        ctx = Context(request, rt, console_of(request), viewer, form)
        if not viewer.may_act:
            text = texts.ADMINS_ONLY.format(person=viewer.principal.display_name)
            await record(rt, viewer.name, verb, Result(False, text, 403), page.path)
            return refusal(request, 403, text, viewer)
        try:
            result = await doer(ctx)
        except UserError as exc:
            result = Result(False, str(exc), _status(exc))
        except StorageUnavailable as exc:
            return refusal(request, 503, str(exc), viewer)
        await record(rt, viewer.name, verb, result, page.path)
        if result.ok and result.redirect:
            return _see_other(console_url(result.redirect, viewer))
        return await page.read(dataclasses.replace(ctx, result=result))

    return endpoint


def _status(exc: UserError) -> int:
    return 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Refused) else 400


def _see_other(url: str) -> Response:
    return Response(status_code=303, headers={"location": url})


def same_site(request: Request) -> bool:
    """The web chat's origin check, and the browser's own word when it gives one.

    A form post from a page served with `Referrer-Policy: no-referrer` carries `Origin: null`
    in Chromium, so "null" passes only when the browser says the post is same-origin
    (`Sec-Fetch-Site`, which no page can set); any other cross-site signal refuses.
    """
    fetched = request.headers.get("sec-fetch-site")
    if fetched is not None and fetched not in ("same-origin", "none"):
        return False
    if request.headers.get("origin") == "null":
        return fetched == "same-origin"
    return web_api._same_origin(request)
