"""Driving a real server over loopback the way its callers do: concurrent keep-alive
connections, either each sending its next request as soon as the last one is answered
(`drive`: the most the server does) or all together at a fixed rate (`offer`: the latency at
that rate, counted from when each request was due).

A figure measured this way means something only beside two others from the same run: a
floor (a trivial route of the same server, driven the same way) and the cost of the client
itself. On a machine with two cores the client and the server share them, so both sides'
CPU time per request is reported: the server's (from /proc, Linux) says what the route
costs, the client's (this process's CPU time) says how much of the machine the load
generator took. aiohttp's client is used because it costs a fraction of httpx's per request.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.stats import percentile


@dataclass(frozen=True, slots=True)
class Call:
    """One request to send: method, path, body and headers."""

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Phase:
    """What one batch of calls took: each call's latency, the wall time, and the CPU seconds
    the client (this process) and the server spent meanwhile."""

    samples: tuple[float, ...]
    wall: float
    client_cpu: float
    server_cpu: float
    statuses: tuple[int, ...]

    def __add__(self, other: Phase) -> Phase:
        return Phase(
            self.samples + other.samples,
            self.wall + other.wall,
            self.client_cpu + other.client_cpu,
            self.server_cpu + other.server_cpu,
            self.statuses + other.statuses,
        )

    def line(self, label: str) -> str:
        count = len(self.samples)
        rate = count / self.wall if self.wall else float("inf")
        p50, p99 = percentile(self.samples, 0.5) * 1000, percentile(self.samples, 0.99) * 1000
        per = 1000 / count if count else 0.0
        busy = self.server_cpu / self.wall * 100 if self.wall else 0.0
        return (
            f"{label}: {count:,} in {self.wall:.2f} s = {rate:,.0f}/s; "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; CPU per request: "
            f"server {self.server_cpu * per:.2f} ms, client {self.client_cpu * per:.2f} ms; "
            f"server used {busy:.0f}% of a core"
        )


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15)


def machine() -> str:
    """Cores, the ones this process may use, and the load: a shared machine's numbers mean
    little without them."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores ({usable} usable), load average {load}"


async def drive(base: str, calls: Sequence[Call], concurrency: int, pid: int) -> Phase:
    """Send `calls` over `concurrency` keep-alive connections, each worker sending its next
    call when the previous one is answered. Raises on a transport error: a figure with
    failed calls in it is not a figure."""
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(base, connector=connector) as http:
        # Open the connections first, so the phase measures requests, not TCP handshakes.
        await asyncio.gather(*(_one(http, Call("GET", "/healthz")) for _ in range(concurrency)))
        todo = iter(calls)
        samples: list[float] = []
        statuses: list[int] = []

        async def worker() -> None:
            for call in todo:
                began = time.perf_counter()
                status = await _one(http, call)
                samples.append(time.perf_counter() - began)
                statuses.append(status)

        cpu, srv, began = time.process_time(), server_cpu(pid), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - began
        return Phase(
            tuple(samples),
            wall,
            time.process_time() - cpu,
            server_cpu(pid) - srv,
            tuple(statuses),
        )


async def offer(base: str, calls: Sequence[Call], rate: float, pid: int, most: int = 64) -> Phase:
    """Send `calls` at `rate` per second whatever the answers (as independent senders do),
    on at most `most` connections. Each latency counts from when the call was due, so a
    server that falls behind is charged for the wait too (no coordinated omission)."""
    connector = aiohttp.TCPConnector(limit=most, force_close=False)
    async with aiohttp.ClientSession(base, connector=connector) as http:
        await asyncio.gather(*(_one(http, Call("GET", "/healthz")) for _ in range(most)))
        samples: list[float] = []
        statuses: list[int] = []

        async def due(call: Call, at: float) -> None:
            statuses.append(await _one(http, call))
            samples.append(time.perf_counter() - at)

        cpu, srv, began = time.process_time(), server_cpu(pid), time.perf_counter()
        tasks = []
        for i, call in enumerate(calls):
            at = began + i / rate
            wait = at - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(due(call, at)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - began
        return Phase(
            tuple(samples),
            wall,
            time.process_time() - cpu,
            server_cpu(pid) - srv,
            tuple(statuses),
        )


async def _one(http: aiohttp.ClientSession, call: Call) -> int:
    async with http.request(
        call.method, call.path, data=call.body or None, headers=dict(call.headers)
    ) as answer:
        await answer.read()
        return answer.status


# -- the client's own ceiling: the cheapest HTTP/1.1 server there is, in its own process --


async def _answer_forever(port: int) -> None:
    reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                writer.write(reply)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(session, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def trivial_server(port: int) -> subprocess.Popen[bytes]:
    """A process answering every request with 200 "ok" at once: driving it shows what the
    client alone can send on this machine."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.http_load", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    asyncio.run(_answer_forever(int(sys.argv[1])))
