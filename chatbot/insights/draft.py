"""A manifest skill drafted from a group of requests nobody could serve.

The draft is YAML an admin finishes in the console's add-manifest form: name, title,
description and examples are filled in from the group (the examples are the people's own
words), risk and confirmation set to the careful defaults. What it does cannot be guessed, so
the draft has no action: it is refused as it stands ("give either action ... or steps"), and
the comment under `action:` shows the shape to fill in. Nothing drafted can run by accident.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import yaml
from spacy.lang.en.stop_words import STOP_WORDS

from chatbot.insights.unmatched import WORD_RE, Group
from skills.manifest.model import LIMITS, NAME_RE

FILL_IN = "FILL IN"
MAX_EXAMPLES = 20
ACTION_HELP = """\
action:
  # FILL IN: the one request this skill makes, then delete these comment lines. For example
  # a ticket in the service desk's queue through a configured connector:
  #   connector: servicenow
  #   method: POST
  #   path: /api/now/table/incident
  #   body:
  #     short_description: "{requester.name}: %(title)s"
  # or a plain HTTPS call to a host listed in skills.allowed_hosts:
  #   method: POST
  #   url: https://it-tools.example.com/api/requests
  #   body: {who: "{requester.email}"}
"""


def _topic_words(texts: Sequence[str], limit: int = 2) -> list[str]:
    """The content words most of the group shares (as typed, not stemmed), for a name and
    a title: "printer jammed" from "my printer is jammed", "printer jammed again"."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = [w for w in WORD_RE.findall(text.lower()) if w not in STOP_WORDS]
        counts.update(list(dict.fromkeys(words)))
    return [w for w, _ in counts.most_common() if re.fullmatch(r"[a-z][a-z0-9]*", w)][:limit]


def skill_name(group: Group, taken: Sequence[str] = ()) -> str:
    """A name in the manifest's form (words joined by dots), not one already taken."""
    base = ".".join(_topic_words(group.texts()) or ["request"])
    name, n = base, 2
    while name in taken or not NAME_RE.match(name):
        name, n = f"{base}{n}", n + 1
    return name[:60]


def examples(group: Group, limit: int = MAX_EXAMPLES) -> list[str]:
    """The group's texts, most frequent first, within the manifest's limits."""
    kept = [t.strip() for t in group.texts(limit) if 0 < len(t.strip()) <= 200]
    return kept[: min(limit, LIMITS.examples)]


def draft_manifest(group: Group, taken: Sequence[str] = ()) -> str:
    """The YAML text of the draft (see the module's docstring)."""
    words = _topic_words(group.texts()) or ["request"]
    title = " ".join(words).capitalize()
    data = {
        "name": skill_name(group, taken),
        "title": title[:80],
        "description": f"{FILL_IN}: what this does. Asked {group.count} times, e.g. "
        f'"{group.title}"'[:300],
        "examples": examples(group),
        "risk": "low",
        "requires": "confirm",
    }
    head = (
        f"# Drafted from {group.count} requests nobody could serve. Finish it before adding:\n"
        f"# say what it does in description, check the examples, and fill in the action.\n"
    )
    body = str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    action = ACTION_HELP % {"title": group.title.replace('"', "'")[:60]}
    reply = str(yaml.safe_dump({"reply": "Done: your request is on its way."}, sort_keys=False))
    return head + body + action + reply
