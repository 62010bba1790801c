"""Benchmarks: numbers, not pass/fail. `make bench` runs them all (python -m bench)."""
