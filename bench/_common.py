"""Helpers shared by benchmarks: a fresh SQLite database, a uvicorn subprocess, and a load loop."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def fresh_sqlite_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a new SQLite database in a temp folder, with public limits out of the way."""
    folder = Path(tempfile.mkdtemp(prefix="bandeng-bench-"))
    env = dict(os.environ)
    env.update(
        {
            "BANDENG_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "BANDENG_SCHEDULER_IN_PROCESS": "false",
            "BANDENG_PUBLIC_IP_LIMIT_PER_MINUTE": "100000000",
            "BANDENG_PUBLIC_CODE_LIMIT_PER_HOUR": "100000000",
            "BANDENG_PUBLIC_REPORT_LIMIT_PER_HOUR": "100000000",
            "BANDENG_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "bandeng.asgi:app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


@dataclass
class Result:
    name: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    def row(self) -> dict[str, object]:
        lat = sorted(self.latencies_ms)
        return {
            "scenario": self.name,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "req_per_s": round(self.requests / self.seconds, 1),
            "p50_ms": round(statistics.median(lat), 2),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
        }


async def load(
    name: str,
    call: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    base_url: str,
    concurrency: int,
    total: int,
    ok: int = 200,
) -> Result:
    """`total` calls spread over `concurrency` workers; latency per call, errors counted."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                started = time.perf_counter()
                response = await call(client, i)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != ok:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Result(name, concurrency, total, seconds, latencies, errors)


def print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    headers = list(rows[0])
    widths = [max(len(str(h)), *(len(str(r[h])) for r in rows)) for h in headers]
    print("  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(str(row[h]).ljust(w) for h, w in zip(headers, widths, strict=True)))


WRK = shutil.which("wrk")


def _lua(method: str, variants: list[tuple[str, str | None]], headers: dict[str, str]) -> str:
    """A wrk script that cycles through (path, body) variants and counts non-2xx answers."""
    lines = [f'wrk.method = "{method}"']
    lines += [f'wrk.headers["{key}"] = "{value}"' for key, value in headers.items()]
    items = ",\n".join(f"{{[[{path}]], [[{body or ''}]]}}" for path, body in variants)
    lines.append(f"local variants = {{\n{items}\n}}")
    lines.append("local i = 0")
    lines.append(
        "request = function()\n  i = i % #variants + 1\n  local v = variants[i]\n"
        "  local body = nil\n  if v[2] ~= '' then body = v[2] end\n"
        "  return wrk.format(nil, v[1], nil, body)\nend"
    )
    return "\n".join(lines)


_PERCENT = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_load(
    name: str,
    base_url: str,
    *,
    method: str,
    variants: list[tuple[str, str | None]],
    headers: dict[str, str],
    concurrency: int,
    seconds: int,
) -> dict[str, object]:
    """Drive the server with wrk (C, one thread) so the load generator does not eat the server's CPU."""
    assert WRK is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(method, variants, headers))
    command = [WRK, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", script.name, base_url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    percentiles = {}
    for line in out.splitlines():
        match = _PERCENT.match(line)
        if match:
            percentiles[match.group(1)] = round(float(match.group(2)) * _UNITS[match.group(3)], 2)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "scenario": name,
        "concurrency": concurrency,
        "requests": total,
        "errors": int(errors.group(1)) if errors else 0,
        "req_per_s": round(rate, 1),
        "p50_ms": percentiles.get("50"),
        "p99_ms": percentiles.get("99"),
    }
