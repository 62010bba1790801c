"""The admin console at /console: server-rendered pages for admins and auditors.

How a page is added: docs/console.md. The frame (who, roles, origin, audit) is frame.py; the
list of pages is pages.py.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatbot.app import Runtime
from chatbot.console.frame import acting, console_url, reading
from chatbot.console.pages import PAGES
from chatbot.console.render import Console
from chatbot.console.render import build as _build


def build(runtime: Runtime) -> Console:
    """The console's state for one app (templates, navigation, progress heard)."""
    return _build(runtime, [(p.title, p.path) for p in PAGES if p.nav])


async def _home(request: Request) -> Response:
    first = next(p.path for p in PAGES if p.nav)
    chosen = request.query_params.get("as", "")
    url = console_url(first, None, {"as": chosen} if chosen else {})
    return Response(status_code=303, headers={"location": url})


def routes() -> list[Route]:
    """Every page's GET route and its actions' POST routes, in the order of PAGES."""
    found = [Route("/console", _home, methods=["GET"]), Route("/console/", _home, methods=["GET"])]
    for page in PAGES:
        found.append(Route("/console" + page.path, reading(page), methods=["GET"]))
        for verb, doer in page.actions.items():
            where = "/console" + page.path + (f"/{verb}" if verb else "")
            found.append(Route(where, acting(page, verb, doer), methods=["POST"]))
    return found
