"""The skill API, the registry, built-in skills and connectors."""
