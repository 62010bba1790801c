"""Run every benchmark module that is present and print its figures."""

from __future__ import annotations

import importlib
import sys
import time

MODULES = (
    "bench.pipeline",
    "bench.parse",
    "bench.governance",
    "bench.ack",
    "bench.incidents",
    "bench.directory",
    "bench.offboard",
    "bench.cli",
    "bench.web",
    "bench.console",
    "bench.insights",
)


def main(argv: list[str]) -> int:
    wanted = [m for m in MODULES if not argv or m.split(".")[-1] in argv]
    for name in wanted:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
