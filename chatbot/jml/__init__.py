"""Joiners, movers and leavers: access bundles, onboarding, movers and access reviews."""
