"""Build the Teams app package: `python -m chatbot.adapters.teams.package --app-id ID`.

Teams installs an app from a zip holding manifest.json and two icons. The manifest template in
deploy/teams/ carries `{{MICROSOFT_APP_ID}}` and `{{BOT_DOMAIN}}` placeholders; this command
fills them (the app id from --app-id or MicrosoftAppId), draws the icons when they are missing
(plain PNGs from zlib and struct, no imaging library), and writes the zip.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from chatbot.config import load_settings
from chatbot.errors import ConfigError

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
Pixel = tuple[int, int, int, int]


def png(size: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGBA PNG of `size` x `size`, one filter byte per row, as the format requires."""
    rows = b"".join(
        b"\x00" + b"".join(struct.pack("4B", *pixel(x, y)) for x in range(size))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _color(x: int, y: int) -> Pixel:
    """192x192: a blue tile with a white chevron ("run this")."""
    inside = abs(y - 96) < 48 and 104 <= x + abs(y - 96) <= 128
    return (255, 255, 255, 255) if inside else (37, 99, 235, 255)


def _outline(x: int, y: int) -> Pixel:
    """32x32: the same chevron, white on transparent, as Teams wants for the outline icon."""
    inside = abs(y - 16) < 8 and 18 <= x + abs(y - 16) <= 22
    return (255, 255, 255, 255) if inside else (0, 0, 0, 0)


def draw_icons(folder: Path) -> None:
    for name, size, pixel in (("color.png", 192, _color), ("outline.png", 32, _outline)):
        target = folder / name
        if not target.exists():
            target.write_bytes(png(size, pixel))


def build(folder: Path, app_id: str, domain: str, out: Path) -> Path:
    if not GUID.match(app_id):
        raise ValueError(f"the app id must be the bot's Microsoft App ID (a GUID), not {app_id!r}")
    template = (folder / "manifest.json").read_text("utf-8")
    manifest = template.replace("{{MICROSOFT_APP_ID}}", app_id).replace("{{BOT_DOMAIN}}", domain)
    json.loads(manifest)  # a broken template fails here, not in the Teams admin centre
    draw_icons(folder)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", manifest)
        for name in ("color.png", "outline.png"):
            zf.write(folder / name, name)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatbot.adapters.teams.package")
    parser.add_argument("--app-id", help="the bot's Microsoft App ID (default: MicrosoftAppId)")
    parser.add_argument("--domain", default="chatops.example.com", help="where the bot is served")
    parser.add_argument("--dir", type=Path, default=Path("deploy/teams"))
    parser.add_argument("--out", type=Path, default=Path("chatops-teams.zip"))
    args = parser.parse_args(argv)
    try:
        app_id = args.app_id or load_settings().teams.app_id
        out = build(args.dir, app_id, args.domain, args.out)
    except (ValueError, OSError, ConfigError) as exc:
        print(f"teams package: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
