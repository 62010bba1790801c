"""Connectors to real systems: one module per system, all on the shared `Connector` base."""
