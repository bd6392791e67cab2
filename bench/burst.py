"""Bursts of simultaneous GET /health against one API process on SQLite (or PostgreSQL): answers and latencies.

    python -m bench.burst [--sizes 20 40 45 80 160 320] [--database-url postgresql+psycopg://…]

Every answer should be a 2xx or a fast 503 with Retry-After; a 500 or a 30 s wait is the stall of issue 14."""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import subprocess
import sys
import time

import httpx

from bench._common import ROOT, free_port, fresh_sqlite_env, print_table, start_server


async def burst(base_url: str, size: int) -> dict[str, object]:
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:

        async def one() -> tuple[str, float, str | None]:
            started = time.perf_counter()
            try:
                response = await http.get("/api/v1/health")
                status, retry = str(response.status_code), response.headers.get("retry-after")
            except httpx.HTTPError as exc:
                status, retry = type(exc).__name__, None
            return status, (time.perf_counter() - started) * 1000, retry

        answers = await asyncio.gather(*(one() for _ in range(size)))
    counts = collections.Counter(status for status, _, _ in answers)
    latencies = sorted(ms for _, ms, _ in answers)
    slowest_503 = max((ms for status, ms, _ in answers if status == "503"), default=0.0)
    return {
        "simultaneous": size,
        "answers": " ".join(f"{status}×{n}" for status, n in sorted(counts.items())),
        "503_with_retry_after": sum(1 for status, _, retry in answers if status == "503" and retry),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "max_ms": round(latencies[-1], 1),
        "slowest_503_ms": round(slowest_503, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 40, 45, 80, 160, 320])
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a fresh SQLite file")
    args = parser.parse_args()
    env = fresh_sqlite_env({"BANDENG_DATABASE_URL": args.database_url} if args.database_url else None)
    subprocess.run([sys.executable, "-m", "bandeng", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = start_server(env, port)
    try:
        rows = [asyncio.run(burst(f"http://127.0.0.1:{port}", size)) for size in args.sizes]
    finally:
        server.terminate()
        server.wait(timeout=10)
    print_table(rows)


if __name__ == "__main__":
    main()
