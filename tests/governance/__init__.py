"""Governance tests: approvals, the start gate, audit, calendar, storage failures."""
