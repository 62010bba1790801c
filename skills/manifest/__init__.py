"""Declarative skills: a TOML or YAML manifest instead of Python.

See "Write your first skill" in the README.
"""

from skills.manifest.load import ManifestError, load_manifest, parse_manifest
from skills.manifest.skill import ManifestSkill

__all__ = ["ManifestError", "ManifestSkill", "load_manifest", "parse_manifest"]
