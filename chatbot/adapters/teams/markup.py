"""A Teams message's HTML as the plain text the pipeline reads.

Teams sends what people type as HTML: paragraphs in <p>/<div>, line breaks as <br>, `&lt;`
and friends as entities, and a code block as <pre> (or <codeblock> in the newer compose box)
around <code>, with the language in a class. The manifest check looks for a fenced block
(```toml ... ```), so a code block comes out fenced, its lines and characters exact.
Parsed with the standard library's html.parser (tolerant of what it does not know).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})
CODE_BLOCKS = frozenset({"pre", "codeblock"})
MANIFEST_LANGUAGES = frozenset({"toml", "yaml", "yml"})
LANGUAGE = re.compile(r"(?:language-)?([A-Za-z]+)")
MARKUP = re.compile(r"<(?:p|div|br|pre|code|codeblock|span|at)\b|&(?:#\d+|#x[0-9a-f]+|\w+);", re.I)


def _language(attrs: list[tuple[str, str | None]]) -> str:
    """The block's language when it is one a manifest is written in ("Toml", "language-yaml");
    any other ("Text", "language-plaintext") leaves the fence bare, as a person would."""
    for name, value in attrs:
        for word in (value or "").split() if name == "class" else ():
            found = LANGUAGE.fullmatch(word)
            if found and found.group(1).lower() in MANIFEST_LANGUAGES:
                return found.group(1).lower()
    return ""


class _Text(HTMLParser):
    """Collects text; blocks end lines; code blocks become fenced blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.code_depth = 0
        self.language = ""

    def _newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in CODE_BLOCKS:
            if self.code_depth == 0:
                self._newline()
                self.language = _language(attrs)
                self.parts.append("```" + self.language + "\n")
            self.code_depth += 1
        elif tag == "code" and self.code_depth and not self.language:
            self.language = _language(attrs)
            if self.language and self.parts and self.parts[-1] == "```\n":
                self.parts[-1] = "```" + self.language + "\n"
        elif tag in BLOCKS:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE_BLOCKS and self.code_depth:
            self.code_depth -= 1
            if self.code_depth == 0:
                self._newline()
                self.parts.append("```\n")
        elif tag in BLOCKS:
            self._newline()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def looks_like_html(text: str) -> bool:
    return bool(MARKUP.search(text))


def as_text(html: str) -> str:
    """The text a person sees in Teams for this HTML (code blocks fenced)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).replace("\xa0", " ").strip()


def message_text(text: str, text_format: str | None) -> str:
    """Teams says "xml" (or sometimes "plain" while still sending tags): convert markup only
    when there is some, so a plain "x < y" stays as typed."""
    if (text_format or "").lower() in ("xml", "html") or looks_like_html(text):
        return as_text(text)
    return text.strip()
