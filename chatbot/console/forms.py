"""Reading an HTML form post (application/x-www-form-urlencoded) without a multipart parser.

The edge guard has already bounded the body's size; this refuses what a form of ours could
not have sent (another content type, bytes that are not UTF-8, a field given twice) with a
sentence, never a 500.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 64


class BadForm(Exception):
    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.text, self.status = text, status


async def read_form(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if not raw:
        return {}
    if kind != FORM:
        raise BadForm(f"send the form as {FORM}", 415)
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise BadForm("the form is not readable: UTF-8 text with at most 64 fields") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise BadForm(f"the form field {name!r} was sent twice")
        form[name] = value.replace("\r\n", "\n")
    return form
