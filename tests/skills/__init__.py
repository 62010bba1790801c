"""Skill tests: the registry, manifests, connectors and their faked back ends."""
