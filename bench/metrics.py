"""Measures benchmark: GET /metrics's work (services.measures.metrics.report) for a town and for one of its villages,
over the last 30 and 365 days, with 100,000 and 1,000,000 requests, on SQLite and PostgreSQL.

    python bench/metrics.py [--sizes 100000,1000000] [--quick] [--sqlite-only | --pg-only] [--json]

The data is the SLA sweep benchmark's (bench/sla_sweep.py): one town, two villages of three grids, N requests
with a feedback timer and a register event each, about half answered over the past year and the rest open.
For each database, size, unit and period it prints the requests in the period, the statements issued, and
p50 / max of five reports (each the unit plus its children). Progress goes to stderr."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, make_url
from sqlmodel import Session, col, select

from bench._common import print_table
from bench.sla_sweep import Plan, counting, fresh_schema, log, postgres_ready, seed_org, seed_requests, settle
from core.db import get_engine, make_engine
from core.settings import get_settings
from models.enums import Role, UnitKind
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.user import User
from services.actor import Actor
from services.measures import metrics

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_metrics"
SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000, 50_000)
RUNS = 5
PERIODS = (30, 365)  # days back from now


def cadre(engine: Engine) -> tuple[Actor, int, int]:
    """The town cadre as an actor, the town's id and its first village's id."""
    with Session(engine) as session:
        user = session.exec(select(User).where(User.role == Role.town_cadre)).one()
        town = session.get_one(OrgUnit, user.org_unit_id)
        village = session.exec(
            select(OrgUnit).where(OrgUnit.parent_id == town.id, OrgUnit.kind == UnitKind.village)
        ).first()
        assert user.id is not None and town.id is not None and village is not None and village.id is not None
        return Actor(user.id, Role(user.role), town.id, town.path, user.name), town.id, village.id


def measure(engine: Engine, actor: Actor, unit_id: int, days: int, now: datetime) -> dict[str, Any]:
    period = metrics.Period(now - timedelta(days=days), now, now)
    with Session(engine) as session:
        registered = col(ResidentRequest.registered_at)
        counted = select(func.count()).select_from(ResidentRequest)
        in_period = session.exec(counted.where(registered >= period.start, registered < period.end)).one()
    timings, statements = [], 0
    for _ in range(RUNS):
        with Session(engine) as session, counting(engine) as issued:
            started = time.perf_counter()
            report = metrics.report(session, actor, unit_id, period)
            timings.append((time.perf_counter() - started) * 1000)
            statements = issued[0]
    handling = report.unit.metrics["handling_rate"]
    return {
        "unit": report.unit.unit_name,
        "children": len(report.children),
        "days": days,
        "requests_in_period": in_period,
        "statements": statements,
        "p50_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "handling": f"{handling.numerator}/{handling.denominator}",
    }


def run_database(name: str, url: str | None, sizes: list[int], seed: int) -> dict[str, Any]:
    folder: Path | None = None
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="bandeng-bench-metrics-"))
    else:
        reason = postgres_ready(url)
        if reason is not None:
            return {"database": name, "skipped": f"server unreachable at {make_url(url).render_as_string()}: {reason}"}
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            db_url = url or f"sqlite:///{folder}/bench-{size}.db"
            os.environ["BANDENG_DATABASE_URL"] = db_url
            get_settings.cache_clear()
            get_engine.cache_clear()
            log(f"{name}: {size:,} requests")
            engine = make_engine(db_url)
            try:
                now = datetime.now(UTC).replace(microsecond=0)
                fresh_schema(engine)
                seed_requests(engine, seed_org(engine), Plan(size, 0, 0, now=now), random.Random(seed + size))
                settle(engine)
                actor, town_id, village_id = cadre(engine)
                for unit_id in (town_id, village_id):
                    for days in PERIODS:
                        row = {"size": size, **measure(engine, actor, unit_id, days, now)}
                        log(f"  {row['unit']} {days} d: {row['p50_ms']} ms ({row['requests_in_period']:,} requests)")
                        rows.append(row)
            finally:
                engine.dispose()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return {"database": name, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated request counts (default 100000,1000000)")
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES} for a fast look")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-only", action="store_true")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL))
    parser.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
    targets = [] if args.pg_only else [("SQLite", None)]
    targets += [] if args.sqlite_only else [("PostgreSQL", args.pg_url)]
    results = [run_database(name, url, sizes, args.seed) for name, url in targets]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for result in results:
        print(f"\n## {result['database']}")
        if "skipped" in result:
            print(f"skipped: {result['skipped']}")
            continue
        print_table(result["rows"])


if __name__ == "__main__":
    main()
