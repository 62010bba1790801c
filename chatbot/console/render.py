"""Server-rendered HTML: Jinja2 templates from chatbot/console/templates, autoescaped.

The console's state lives here, built once per app (`build`): the template environment, the
list of pages for the navigation, and the last progress line each running action reported
on this replica (skills report progress through the executor's hub; nothing stores it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from chatbot.app import Runtime

KEEP_PROGRESS = 500


class Console:
    def __init__(self, nav: Sequence[tuple[str, str]]) -> None:
        self.env = Environment(
            loader=PackageLoader("chatbot.console", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.nav = tuple(nav)
        self.progress: OrderedDict[int, str] = OrderedDict()
        self.stop: Callable[[], None] = lambda: None
        self.checked: Any = None  # the last audit chain verification (audit_trail.Checked)

    def render(self, template: str, **values: Any) -> str:
        return self.env.get_template(template).render(nav=self.nav, **values)

    async def heard(self, action_id: int, text: str) -> None:
        self.progress[action_id] = text
        self.progress.move_to_end(action_id)
        while len(self.progress) > KEEP_PROGRESS:
            self.progress.popitem(last=False)


def build(runtime: Runtime, nav: Sequence[tuple[str, str]]) -> Console:
    console = Console(nav)
    console.stop = runtime.assistant.executor.progress.listen(console.heard)
    return console
