"""Is a message about IT? Words of the service desk's trade, to keep problems off dead ends.

When no skill fits, a message about a laptop, a printer or email gets knowledge-base
articles, a ticket and a person offered (chatbot/support.py); small talk and non-IT requests
get the polite refusal. A word list, not a model: it is cheap, reviewable and only ever
decides which help to offer, never whether something runs.
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

IT_WORDS = frozenset(
    {
        "laptop",
        "laptops",
        "computer",
        "pc",
        "desktop",
        "mac",
        "macbook",
        "monitor",
        "monitors",
        "screen",
        "display",
        "keyboard",
        "mouse",
        "headset",
        "webcam",
        "camera",
        "dock",
        "docking",
        "printer",
        "printers",
        "print",
        "printing",
        "scanner",
        "toner",
        "projector",
        "charger",
        "email",
        "emails",
        "mail",
        "mailbox",
        "outlook",
        "inbox",
        "calendar",
        "teams",
        "slack",
        "zoom",
        "excel",
        "word",
        "powerpoint",
        "office",
        "onedrive",
        "sharepoint",
        "browser",
        "chrome",
        "firefox",
        "edge",
        "wifi",
        "wi-fi",
        "network",
        "internet",
        "ethernet",
        "server",
        "servers",
        "website",
        "intranet",
        "portal",
        "app",
        "application",
        "software",
        "install",
        "installed",
        "update",
        "upgrade",
        "driver",
        "drivers",
        "license",
        "licence",
        "login",
        "log",
        "sign",
        "signin",
        "mfa",
        "2fa",
        "authenticator",
        "token",
        "certificate",
        "phone",
        "mobile",
        "iphone",
        "android",
        "drive",
        "disk",
        "storage",
        "backup",
        "folder",
        "file",
        "files",
        "share",
        "vpn",
        "password",
        "account",
        "access",
        "system",
        "database",
        "crash",
        "crashes",
        "crashing",
        "crashed",
        "frozen",
        "freezes",
        "freezing",
        "flickering",
        "slow",
        "error",
        "errors",
        "bug",
        "glitch",
        "down",
        "outage",
        "offline",
        "broken",
        "virus",
        "malware",
        "phishing",
        "spam",
        "attachment",
        "attachments",
        "sync",
        "syncing",
    }
)
WORD_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
# Objects that say it is not the company's IT ("my bank account", "my car's screen").
NOT_IT = frozenset(
    {
        "bank",
        "credit",
        "card",
        "car",
        "flight",
        "hotel",
        "insurance",
        "recipe",
        "song",
        "music",
        "movie",
        "weather",
        "restaurant",
        "uber",
    }
)
MIN_IT_WORDS = 1


def about_it(text: str) -> bool:
    """True when the text names something the service desk looks after."""
    words = set(WORD_RE.findall(text.lower()))
    if words & NOT_IT:
        return False
    things = words & IT_WORDS
    # A symptom alone ("slow", "down") is not enough; it needs a thing it happens to.
    symptoms = {
        "slow",
        "down",
        "broken",
        "error",
        "errors",
        "crash",
        "crashes",
        "crashing",
        "crashed",
        "frozen",
        "freezes",
        "freezing",
        "flickering",
        "offline",
        "update",
        "log",
        "sign",
        "share",
        "file",
        "files",
        "word",
        "edge",
        "office",
        "print",
        "account",
        "access",
        "system",
    }
    return len(things - symptoms) >= MIN_IT_WORDS


def search_words(text: str) -> str:
    """The words worth searching the knowledge base for: no function words."""
    words = [w for w in WORD_RE.findall(text.lower()) if w not in STOP_WORDS and len(w) > 2]
    return " ".join(words)
