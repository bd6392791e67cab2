"""Intake benchmark: create, list and public status check against one uvicorn worker on SQLite.

    python bench/intake.py [--rows 100000] [--json]

Prints requests/s, p50 and p99 at concurrency 1 and 16, and SQL statements per create."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    ROOT,
    WRK,
    free_port,
    fresh_sqlite_env,
    load,
    print_table,
    start_server,
    wrk_load,
)

DEMO_MEMBER, DEMO_CADRE, PASSWORD = "13800000006", "13800000003", "Bandeng-2026"
STATUSES = ["registered", "accepted", "dispatched", "in_progress", "replied", "closed", "not_accepted"]


def prepare(env: dict[str, str]) -> None:
    for step in (["migrate"], ["demo-data"]):
        subprocess.run([sys.executable, "-m", "bandeng", *step], cwd=ROOT, env=env, check=True, capture_output=True)


def bulk_seed(rows: int) -> None:
    """Insert `rows` synthetic requests (with their register events) straight into the tables."""
    from sqlalchemy import insert
    from sqlmodel import select

    from core.clock import utc_now
    from core.crypto import get_cipher
    from core.db import session_scope
    from models.enums import UnitKind
    from models.org import OrgUnit
    from models.resident_request import Category, ResidentRequest, ResidentRequestEvent
    from services.rules.case_code import new_case_code

    rng = random.Random(7)
    now = utc_now()
    with session_scope() as session:
        grids = session.exec(select(OrgUnit).where(OrgUnit.kind == UnitKind.grid)).all()
        categories = session.exec(select(Category)).all()
        sealed = get_cipher().seal_phone("13900001234")
        for start in range(0, rows, 5000):
            batch, events = [], []
            for _ in range(min(5000, rows - start)):
                grid, category = rng.choice(grids), rng.choice(categories)
                at = now - timedelta(minutes=rng.randint(10, 365 * 24 * 60))
                rid = uuid.uuid4()
                batch.append(
                    {
                        "id": rid,
                        "case_code": new_case_code(),
                        "channel": "visit",
                        "category_id": category.id,
                        "request_class": category.request_class,
                        "description": f"批量示例诉求 {rng.randint(1, 10**9)}",
                        "reporter_phone_ciphertext": sealed.ciphertext,
                        "reporter_phone_index": sealed.blind_index,
                        "reporter_phone_last4": sealed.last4,
                        "unit_id": grid.id,
                        "first_unit_id": grid.id,
                        "handling_unit_id": grid.parent_id,
                        "routed": False,
                        "status": rng.choice(STATUSES),
                        "supervision": "normal",
                        "cycle": 1,
                        "event_count": 1,
                        "feedback_due_at": at + timedelta(days=7),
                        "registered_at": at,
                        "updated_at": at,
                    }
                )
                events.append(
                    {
                        "resident_request_id": rid,
                        "seq": 1,
                        "action": "register",
                        "to_status": "registered",
                        "actor_role": "grid_member",
                        "at": at,
                    }
                )
            session.execute(insert(ResidentRequest), batch)
            session.execute(insert(ResidentRequestEvent), events)


def statements_per_create(samples: int = 20) -> float:
    """Run creates in-process and count the SQL statements each one sends."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from api.main import create_app
    from core.db import get_engine

    counted = {"n": 0}

    def count(*_: Any) -> None:
        counted["n"] += 1

    with TestClient(create_app()) as client:
        token = client.post("/api/v1/auth/login", json={"mobile": DEMO_MEMBER, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        body = create_body(client.get("/api/v1/me", headers=headers).json()["org_unit"]["id"])
        event.listen(get_engine(), "before_cursor_execute", count)
        for _ in range(samples):
            assert client.post("/api/v1/requests", json=body, headers=headers).status_code == 201
        event.remove(get_engine(), "before_cursor_execute", count)
    return counted["n"] / samples


def create_body(unit_id: int) -> dict[str, Any]:
    return {
        "channel": "visit",
        "category_id": 1,
        "description": "基准测试：村口路灯不亮",
        "unit_id": unit_id,
        "reporter_phone": "10000005678",
    }


def _tokens(base_url: str) -> tuple[dict[str, str], dict[str, str], int]:
    import httpx

    def login(mobile: str) -> dict[str, str]:
        answer = httpx.post(f"{base_url}/api/v1/auth/login", json={"mobile": mobile, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    member, cadre = login(DEMO_MEMBER), login(DEMO_CADRE)
    unit_id = httpx.get(f"{base_url}/api/v1/me", headers=member).json()["org_unit"]["id"]
    return member, cadre, int(unit_id)


Variants = list[tuple[str, str | None]]


def scenarios(base_url: str) -> list[tuple[str, str, Variants, dict[str, str], int]]:
    """(name, method, (path, body) variants, headers, expected status) for each measured call."""
    member, cadre, unit_id = _tokens(base_url)
    json_type = {"Content-Type": "application/json"}
    lists: Variants = [
        (f"/api/v1/requests?limit=50&status={status}&category_id={category}", None)
        for status in STATUSES[:4]
        for category in range(1, 10)
    ]
    checks: Variants = [
        ("/api/v1/public/status", json.dumps({"case_code": code, "phone_last4": last4}))
        for code, last4 in public_checks()
    ]
    create: Variants = [("/api/v1/requests", json.dumps(create_body(unit_id), ensure_ascii=False))]
    return [
        ("create", "POST", create, member | json_type, 201),
        ("list 50 (filtered)", "GET", lists, cadre, 200),
        ("public status", "POST", checks, json_type, 200),
    ]


def run_wrk(base_url: str, seconds: int) -> list[dict[str, object]]:
    rows = []
    for name, method, variants, headers, _ in scenarios(base_url):
        for concurrency in (1, 16):
            rows.append(
                wrk_load(
                    name,
                    base_url,
                    method=method,
                    variants=variants,
                    headers=headers,
                    concurrency=concurrency,
                    seconds=seconds,
                )
            )
    return rows


async def run_httpx(base_url: str, quick: bool) -> list[dict[str, object]]:
    """The fallback when wrk is missing: a Python client, which shares the 2 cores with the server."""
    import httpx

    rows = []
    for name, method, variants, headers, ok in scenarios(base_url):

        async def call(c: httpx.AsyncClient, i: int) -> httpx.Response:
            path, body = variants[i % len(variants)]  # noqa: B023
            return await c.request(method, path, content=body, headers=headers)  # noqa: B023

        for concurrency, total in ((1, 300), (16, 2000)):
            count = int(total * (0.2 if quick else 1.0))
            result = await load(name, call, base_url=base_url, concurrency=concurrency, total=count, ok=ok)
            rows.append(result.row())
    return rows


def public_checks() -> list[tuple[str, str]]:
    from sqlmodel import select

    from core.db import session_scope
    from models.resident_request import ResidentRequest

    with session_scope() as session:
        rows = session.exec(select(ResidentRequest.case_code, ResidentRequest.reporter_phone_last4).limit(500)).all()
    return [(code, last4 or "0000") for code, last4 in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="requests in the table before the run")
    parser.add_argument("--quick", action="store_true", help="a fifth of the calls (smoke run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()
    env = fresh_sqlite_env()
    os.environ.update(env)
    prepare(env)
    bulk_seed(args.rows)
    per_create = statements_per_create()
    port = free_port()
    server = start_server(env, port)
    try:
        base_url = f"http://127.0.0.1:{port}"
        rows = run_wrk(base_url, 3 if args.quick else 10) if WRK else asyncio.run(run_httpx(base_url, args.quick))
    finally:
        server.terminate()
        server.wait(timeout=10)
    client = "wrk" if WRK else "httpx (install Debian's wrk for a load generator that spares the CPU)"
    report = {
        "database": "sqlite",
        "rows": args.rows,
        "client": client,
        "statements_per_create": per_create,
        "results": rows,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(f"Bandeng intake bench — SQLite, one uvicorn worker, {args.rows:,} requests in the table")
    print(f"load generator: {client}")
    print(f"SQL statements per create: {per_create:.1f}\n")
    print_table(rows)


if __name__ == "__main__":
    main()
