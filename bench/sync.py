"""Offline sync benchmark: push throughput in 50-op batches and a full pull of a 2,000-household grid,
against one uvicorn worker on SQLite, in a town of 10,000 households.

    python bench/sync.py [--households 10000] [--grid-households 2000] [--quick] [--json]

Targets: >= 2,000 ops/s applied; full-grid pull <= 300 ms and <= 400 KB gzipped."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, free_port, fresh_sqlite_env, print_table, start_server

DEMO_MEMBER, PASSWORD = "13800000006", "Bandeng-2026"  # grid member of 东湖村第1网格 (v1g1)
BATCH = 50
PULL_LIMIT = 500  # the largest limit the pull route accepts
TARGET_OPS, TARGET_PULL_MS, TARGET_PULL_GZ = 2000.0, 300.0, 400 * 1024


def prepare(env: dict[str, str]) -> None:
    for step in (["migrate"], ["demo-data"]):
        subprocess.run([sys.executable, "-m", "bandeng", *step], cwd=ROOT, env=env, check=True, capture_output=True)


def seed_town(total: int, big: int) -> tuple[int, list[uuid.UUID]]:
    """Top the demo town up to `total` households, the member's grid to `big` of them; Core inserts into
    household and sync_change. Returns the big grid's id and its household ids."""
    from sqlalchemy import insert
    from sqlmodel import col, func, select

    from core.clock import utc_now
    from core.crypto import get_cipher
    from core.db import session_scope
    from models.enums import UnitKind
    from models.grid import Household, SyncChange
    from models.org import OrgUnit
    from models.user import User

    cipher = get_cipher()
    sealed = [cipher.seal_phone(f"1390088{n:04d}") for n in range(300)]
    now = utc_now()
    with session_scope() as session:
        member = session.exec(
            select(User).where(col(User.mobile_index) == cipher.seal_phone(DEMO_MEMBER).blind_index)
        ).one()
        big_grid = member.org_unit_id
        grids = list(session.exec(select(OrgUnit.id).where(col(OrgUnit.kind) == UnitKind.grid)).all())
        counts = dict(session.exec(select(Household.grid_id, func.count()).group_by(col(Household.grid_id))).all())
        existing = sum(counts.values())
        wanted = {big_grid: max(0, big - counts.get(big_grid, 0))}
        others = [g for g in grids if g is not None and g != big_grid]
        rest = max(0, total - existing - wanted[big_grid])
        for i, grid in enumerate(others):
            wanted[grid] = rest // len(others) + (1 if i < rest % len(others) else 0)
        n = 0
        for grid, count in wanted.items():
            for start in range(0, count, 2000):
                households, changes = [], []
                for _ in range(min(2000, count - start)):
                    n += 1
                    phone, hid = sealed[n % len(sealed)], uuid.uuid4()
                    households.append(
                        {
                            "id": hid,
                            "grid_id": grid,
                            "head_name": f"户主{n:05d}（示例）",
                            "address_text": f"示例村{grid}组{n}号",
                            "phone_ciphertext": phone.ciphertext,
                            "phone_index": phone.blind_index,
                            "phone_last4": phone.last4,
                            "member_count": 1 + n % 5,
                            "version": 1,
                            "has_conflict": False,
                            "is_active": True,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    changes.append({"grid_id": grid, "entity": "household", "entity_id": hid, "version": 1, "at": now})
                session.execute(insert(Household), households)
                session.execute(insert(SyncChange), changes)
        ids = list(session.exec(select(Household.id).where(col(Household.grid_id) == big_grid)).all())
    return int(big_grid), ids


def visit_ops(households: list[uuid.UUID], count: int, offset: int) -> list[dict[str, Any]]:
    """`count` visit-create ops, each on a household of the grid with one noted item."""
    from core.clock import utc_now

    visited = (utc_now() - timedelta(hours=2)).isoformat()
    ops = []
    for i in range(count):
        visit_id = uuid.uuid4()
        ops.append(
            {
                "op_id": str(uuid.uuid4()),
                "entity": "visit",
                "action": "create",
                "entity_id": str(visit_id),
                "fields": {
                    "household_id": str(households[(offset + i) % len(households)]),
                    "notes": "基准测试走访：身体尚好，需关注用水",
                    "visited_at": visited,
                    "items": [
                        {"id": str(uuid.uuid4()), "kind": "suggestion", "description": "村口路灯", "outcome": "noted"}
                    ],
                },
                "client_created_at": visited,
            }
        )
    return ops


def batches(ops: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [ops[i : i + BATCH] for i in range(0, len(ops), BATCH)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def push_row(
    name: str, devices: int, ops: int, seconds: float, latencies: list[float], statuses: Counter[str]
) -> dict[str, object]:
    return {
        "scenario": name,
        "devices": devices,
        "ops": ops,
        "batches": len(latencies),
        "ops_per_s": round(ops / seconds, 1),
        "batch_p50_ms": round(statistics.median(latencies), 1),
        "batch_p99_ms": pct(latencies, 0.99),
        "statuses": " ".join(f"{k}={v}" for k, v in sorted(statuses.items())),
    }


def push_sequential(
    client: httpx.Client, device: str, ops: list[dict[str, Any]]
) -> tuple[float, list[float], Counter[str]]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    for batch in batches(ops):
        t0 = time.perf_counter()
        answer = client.post("/api/v1/sync/push", json={"device_id": device, "ops": batch})
        latencies.append((time.perf_counter() - t0) * 1000)
        answer.raise_for_status()
        statuses.update(r["status"] for r in answer.json()["results"])
    return time.perf_counter() - started, latencies, statuses


async def push_concurrent(
    base_url: str, headers: dict[str, str], per_device: list[list[dict[str, Any]]]
) -> tuple[float, list[float], Counter[str]]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as client:

        async def device(ops: list[dict[str, Any]]) -> None:
            device_id = str(uuid.uuid4())
            for batch in batches(ops):
                t0 = time.perf_counter()
                answer = await client.post("/api/v1/sync/push", json={"device_id": device_id, "ops": batch})
                latencies.append((time.perf_counter() - t0) * 1000)
                answer.raise_for_status()
                statuses.update(r["status"] for r in answer.json()["results"])

        started = time.perf_counter()
        await asyncio.gather(*(device(ops) for ops in per_device))
        return time.perf_counter() - started, latencies, statuses


def full_pull(client: httpx.Client, name: str) -> dict[str, object]:
    """Follow next_cursor with the largest limit until has_more is false; bytes as sent (no GZip middleware
    in the app, so the body is gzipped here, level 6, per response)."""
    device = str(uuid.uuid4())
    cursor: str | None = None
    requests, raw, gz, entities = 0, 0, 0, Counter[str]()
    server_ms: list[float] = []
    started = time.perf_counter()
    while True:
        params: dict[str, str | int] = {"device_id": device, "limit": PULL_LIMIT}
        if cursor is not None:
            params["cursor"] = cursor
        t0 = time.perf_counter()
        answer = client.get("/api/v1/sync/pull", params=params, headers={"Accept-Encoding": "gzip"})
        server_ms.append((time.perf_counter() - t0) * 1000)
        answer.raise_for_status()
        requests += 1
        raw += len(answer.content)
        gz += len(gzip.compress(answer.content, compresslevel=6))
        page = answer.json()
        entities.update(c["entity"] for c in page["changes"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    total_ms = (time.perf_counter() - started) * 1000
    return {
        "scenario": name,
        "requests": requests,
        "changes": " ".join(f"{k}={v}" for k, v in sorted(entities.items())),
        "total_ms": round(total_ms, 1),
        "page_p50_ms": round(statistics.median(server_ms), 1),
        "page_max_ms": round(max(server_ms), 1),
        "raw_kb": round(raw / 1024, 1),
        "gzip_kb": round(gz / 1024, 1),
        "served_gzip": answer.headers.get("content-encoding") == "gzip",
    }


def run(base_url: str, households: list[uuid.UUID], quick: bool) -> dict[str, Any]:
    login = httpx.post(f"{base_url}/api/v1/auth/login", json={"mobile": DEMO_MEMBER, "password": PASSWORD})
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    n_seq, n_conc = (1000, 1000) if quick else (5000, 4000)
    pulls, pushes = [], []
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        full_pull(client, "warm-up")
        pulls.append(full_pull(client, "full pull (seeded grid)"))
        ops = visit_ops(households, n_seq, 0)
        device = str(uuid.uuid4())
        seconds, lat, statuses = push_sequential(client, device, ops)
        pushes.append(push_row("push visit-create", 1, len(ops), seconds, lat, statuses))
        seconds, lat, replay = push_sequential(client, device, ops)
        pushes.append(push_row("replay (duplicates)", 1, len(ops), seconds, lat, replay))
        per_device = [visit_ops(households, n_conc // 4, n_seq + d * n_conc) for d in range(4)]
        seconds, lat, concurrent = asyncio.run(push_concurrent(base_url, headers, per_device))
        pushes.append(push_row("push visit-create", 4, n_conc, seconds, lat, concurrent))
        pulls.append(full_pull(client, "full pull (after pushes)"))
    applied_ok = statuses == Counter({"applied": len(ops)}) and concurrent == Counter({"applied": n_conc})
    seeded = pulls[0]
    targets = {
        "push_ops_per_s": {"target": f">= {TARGET_OPS:.0f}", "value": pushes[0]["ops_per_s"]},
        "pull_ms": {"target": f"<= {TARGET_PULL_MS:.0f}", "value": seeded["total_ms"]},
        "pull_gzip_kb": {"target": f"<= {TARGET_PULL_GZ // 1024}", "value": seeded["gzip_kb"]},
    }
    met = {
        "push_ops_per_s": float(pushes[0]["ops_per_s"]) >= TARGET_OPS,  # type: ignore[arg-type]
        "pull_ms": float(seeded["total_ms"]) <= TARGET_PULL_MS,  # type: ignore[arg-type]
        "pull_gzip_kb": float(seeded["gzip_kb"]) * 1024 <= TARGET_PULL_GZ,  # type: ignore[arg-type]
    }
    for key, ok in met.items():
        targets[key]["met"] = ok
    return {
        "push": pushes,
        "pull": pulls,
        "all_applied": applied_ok,
        "replay_all_duplicate": replay == Counter({"duplicate": len(ops)}),
        "targets": targets,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=10_000, help="households in the town")
    parser.add_argument("--grid-households", type=int, default=2_000, help="households in the pulled grid")
    parser.add_argument("--quick", action="store_true", help="fewer ops (smoke run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()
    env = fresh_sqlite_env()
    os.environ.update(env)
    prepare(env)
    started = time.perf_counter()
    grid_id, households = seed_town(args.households, args.grid_households)
    seed_s = time.perf_counter() - started
    port = free_port()
    server = start_server(env, port)
    try:
        report = run(f"http://127.0.0.1:{port}", households, args.quick)
    finally:
        server.terminate()
        server.wait(timeout=10)
    report = {
        "database": "sqlite",
        "households": args.households,
        "grid_id": grid_id,
        "grid_households": len(households),
        "seed_seconds": round(seed_s, 2),
        "client": "httpx",
        "gzip": "no GZip middleware in the app: gzip sizes are the raw bodies compressed here (level 6)",
        **report,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(f"Bandeng sync bench — SQLite, one uvicorn worker, {args.households:,} households")
    print(f"pulled grid {grid_id}: {len(households):,} households; seeded in {seed_s:.1f} s; client httpx")
    print(f"{report['gzip']}\n")
    print_table(report["push"])
    print()
    print_table(report["pull"])
    print(f"\nall pushes applied: {report['all_applied']}; replay all duplicate: {report['replay_all_duplicate']}")
    for key, target in report["targets"].items():
        state = "met" if target["met"] else "NOT met"
        print(f"  {key}: {target['value']} (target {target['target']}) — {state}")


if __name__ == "__main__":
    main()
