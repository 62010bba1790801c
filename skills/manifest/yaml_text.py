"""YAML manifests, bounded: the loader and the line finder, apart from `load` so that reading
stored manifests as TOML, or listing skills, never imports PyYAML.

The loader refuses anchors and aliases (the "billion laughs" bomb) and nesting beyond
`LIMITS.depth` while composing, before anything expands.
"""

from __future__ import annotations

from typing import Any

import yaml

from skills.manifest.model import LIMITS

Loc = tuple[str | int, ...]
YAMLError = yaml.YAMLError


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases (a few hundred bytes of aliases expand to
    gigabytes) and nesting beyond LIMITS.depth, while composing, before anything expands."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        # types-PyYAML leaves Parser.peek_event unannotated.
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&name, *name) are not allowed", event.start_mark
            )
        self.depth += 1
        if self.depth > LIMITS.depth:
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {LIMITS.depth} levels", event.start_mark
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_yaml(text: str) -> tuple[Any, Any]:
    """Compose once (for line numbers) and build the data from that same node tree."""
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def yaml_line(root: Any, loc: Loc) -> int:
    """The line of the node at `loc` (or of its deepest existing parent), counted from 1."""
    node, line = root, (root.start_mark.line + 1 if root is not None else 1)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
