"""Every console page, in navigation order: the one list to extend (see docs/console.md).

A more specific path comes before a pattern that would also match it (`/skills/new` before
`/skills/{name}`).
"""

from __future__ import annotations

from chatbot.console import audit_trail, inbox, incidents, kpis, people, skills, unmatched
from chatbot.console.frame import Page

PAGES: tuple[Page, ...] = (
    *inbox.pages,
    *incidents.pages,
    *audit_trail.pages,
    *skills.pages,
    *people.pages,
    *kpis.pages,
    *unmatched.pages,
)
