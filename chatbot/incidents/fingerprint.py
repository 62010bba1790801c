"""Alertmanager's alert identity, recomputed when a payload leaves it out.

Prometheus hashes the label set with 64-bit FNV-1a: label names in sorted order, each name and
value followed by the separator byte 0xFF (prometheus/common `model.LabelSet.Fingerprint`),
and prints it as 16 hex digits. Matching it exactly means a payload with and one without the
field name the same alert.
"""

from __future__ import annotations

from collections.abc import Mapping

_OFFSET = 14695981039346656037
_PRIME = 1099511628211
_MASK = (1 << 64) - 1


def _add(digest: int, data: bytes) -> int:
    for byte in data:
        digest = ((digest ^ byte) * _PRIME) & _MASK
    return digest


def label_fingerprint(labels: Mapping[str, str]) -> str:
    digest = _OFFSET
    for name in sorted(labels):
        digest = _add(digest, name.encode("utf-8"))
        digest = _add(digest, b"\xff")
        digest = _add(digest, labels[name].encode("utf-8"))
        digest = _add(digest, b"\xff")
    return f"{digest:016x}"
