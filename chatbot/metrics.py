"""A few counters in Prometheus' text format; enough to alert on errors and watch load."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from chatbot.types import Reply


class Metrics:
    def __init__(self) -> None:
        self.messages = 0
        self.replies: Counter[str] = Counter()

    def count(self, replies: Sequence[Reply]) -> None:
        self.messages += 1
        self.replies.update(str(r.kind) for r in replies)

    def render(self) -> str:
        lines = [
            "# HELP chatops_messages_total Messages handled through the web adapter.",
            "# TYPE chatops_messages_total counter",
            f"chatops_messages_total {self.messages}",
            "# HELP chatops_replies_total Replies sent, by kind.",
            "# TYPE chatops_replies_total counter",
        ]
        lines += [
            f'chatops_replies_total{{kind="{k}"}} {v}' for k, v in sorted(self.replies.items())
        ]
        return "\n".join(lines) + "\n"
