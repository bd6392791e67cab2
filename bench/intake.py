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

from bench._common import ROOT, free_port, fresh_sqlite_env, load, print_table, start_server

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


async def run_load(base_url: str, quick: bool) -> list[dict[str, object]]:
    import httpx

    async with httpx.AsyncClient(base_url=base_url) as client:
        member = (await client.post("/api/v1/auth/login", json={"mobile": DEMO_MEMBER, "password": PASSWORD})).json()
        cadre = (await client.post("/api/v1/auth/login", json={"mobile": DEMO_CADRE, "password": PASSWORD})).json()
        me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {member['access_token']}"})).json()
    member_headers = {"Authorization": f"Bearer {member['access_token']}"}
    cadre_headers = {"Authorization": f"Bearer {cadre['access_token']}"}
    body = create_body(me["org_unit"]["id"])
    checks = public_checks()

    async def create(c: httpx.AsyncClient, _: int) -> httpx.Response:
        return await c.post("/api/v1/requests", json=body, headers=member_headers)

    async def list_page(c: httpx.AsyncClient, i: int) -> httpx.Response:
        params: dict[str, str | int] = {"limit": 50, "status": STATUSES[i % 4], "category_id": 1 + i % 9}
        return await c.get("/api/v1/requests", params=params, headers=cadre_headers)

    async def status(c: httpx.AsyncClient, i: int) -> httpx.Response:
        code, last4 = checks[i % len(checks)]
        return await c.post("/api/v1/public/status", json={"case_code": code, "phone_last4": last4})

    scale = 0.2 if quick else 1.0
    plan = [("create", create, 201), ("list 50 (filtered)", list_page, 200), ("public status", status, 200)]
    rows = []
    for name, call, ok in plan:
        for concurrency, total in ((1, 300), (16, 2000)):
            result = await load(name, call, base_url=base_url, concurrency=concurrency, total=int(total * scale), ok=ok)
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
        rows = asyncio.run(run_load(f"http://127.0.0.1:{port}", args.quick))
    finally:
        server.terminate()
        server.wait(timeout=10)
    report = {"database": "sqlite", "rows": args.rows, "statements_per_create": per_create, "results": rows}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(f"Bandeng intake bench — SQLite, one uvicorn worker, {args.rows:,} requests in the table")
    print(f"SQL statements per create: {per_create:.1f}\n")
    print_table(rows)


if __name__ == "__main__":
    main()
