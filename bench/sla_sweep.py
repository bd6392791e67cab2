"""SLA sweep benchmark: one sweep over 100,000 and 1,000,000 requests with 1% due, on SQLite and PostgreSQL.

    python bench/sla_sweep.py [--sizes 100000,1000000] [--quick] [--sqlite-only | --pg-only] [--json]

For each database and size: a fresh schema from `alembic upgrade head`, a small town with its staff, and N
requests with a feedback timer each (about half already met), seeded with bulk inserts (COPY on PostgreSQL).
Then it times a sweep with nothing due, one full sweep with the same number due at every size (1% of the
smallest) and, where that differs, one with 1% of N due. Prints a table per database, the size ratio and the
targets; one JSON object with --json. Progress goes to stderr."""

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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, bindparam, event, func, insert, make_url, select, text
from sqlmodel import SQLModel, col

from bench._common import ROOT, print_table
from core.crypto import get_cipher
from core.db import get_engine, make_engine, session_scope
from core.settings import get_settings
from models.base import UTCDateTime
from models.enums import Role, SlaClock, UnitKind
from models.notification import Notification
from models.org import OrgUnit
from models.resident_request import Category, ResidentRequestEvent
from models.sla import SlaPolicy, SlaTimer
from services.clocks.sla_sweep import sweep
from services.people.org import add_unit
from services.people.users import create_user
from services.rules.case_code import ALPHABET, LENGTH

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_sla"
SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000, 50_000)
CHUNK = 10_000  # requests (and their timers and register events) per transaction
NOTHING_DUE_RUNS = 20
BATCH = 500  # the sweep's default batch
WINDOW = timedelta(minutes=50)  # the due timers' next_action_at are spread over this much time before `now`
GAP = timedelta(hours=1)  # the same-due sweep runs this long before the 1%-of-N one
BREACH_EVERY = 4  # one due timer in four crosses its deadline (red card, next level told); the rest warn
OPEN = ("registered", "accepted", "dispatched", "in_progress")
SWEEP_EVENTS = ("sla_warning", "sla_breach", "sla_leadership")
TARGET_IDLE_MS, TARGET_ITEM_MS, TARGET_RATIO = 10.0, 0.5, 1.3


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the database ----------------------------------------------------------------------------------------


def postgres_ready(url: str) -> str | None:
    """Create the bench database if it is missing; the reason when the server cannot be reached."""
    import psycopg
    from psycopg import sql

    parts = make_url(url)
    try:
        with psycopg.connect(
            host=parts.host or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or None,
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        ) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parts.database,)).fetchone()
            if found is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parts.database or "bench_sla")))
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def fresh_schema(engine: Engine) -> None:
    """An empty database brought to head by Alembic, as `bandeng migrate` does."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def settle(engine: Engine) -> None:
    """Statistics for the planner, and nothing left for autovacuum or a checkpoint to do mid-measurement."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
            conn.execute(text("CHECKPOINT"))
        return
    raw = engine.raw_connection()  # autocommit: the engine's connect hook sets isolation_level = None
    try:
        cursor = raw.cursor()
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


def bulk(conn: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL; one executemany through SQLAlchemy Core on SQLite."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])


@contextmanager
def counting(engine: Engine) -> Iterator[list[int]]:
    """The number of statements sent to the database inside the block (in counter[0])."""
    counter = [0]

    def count(*_: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def scalar(engine: Engine, statement: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(statement).scalar_one()


def due_count(engine: Engine, now: datetime) -> int:
    return int(scalar(engine, select(func.count()).where(col(SlaTimer.next_action_at) <= now)))


def written(engine: Engine) -> tuple[int, int]:
    """(sweep events, notifications) in the tables."""
    events = select(func.count()).where(col(ResidentRequestEvent.action).in_(SWEEP_EVENTS))
    return int(scalar(engine, events)), int(scalar(engine, select(func.count()).select_from(Notification)))


def due_plan(engine: Engine, now: datetime) -> str:
    """How the database finds due timers (the sweep's first query)."""
    query = "SELECT id, resident_request_id FROM sla_timer WHERE next_action_at <= :now"
    query += f" ORDER BY next_action_at LIMIT {BATCH}"
    prefix = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    statement = text(prefix + query).bindparams(bindparam("now", type_=UTCDateTime()))
    with engine.connect() as conn:
        rows = conn.execute(statement, {"now": now}).all()
    return " | ".join(str(row[-1]).strip() for row in rows)


# --- the data --------------------------------------------------------------------------------------------


@dataclass
class Org:
    grids: list[tuple[int, int, int]]  # (grid, its village, the grid's member)
    categories: list[tuple[int, str, int, timedelta]]  # (category, request class, feedback policy, time allowed)
    phones: list[tuple[str, str, str]]  # sealed reporter phones: ciphertext, blind index, last 4


@dataclass
class Plan:
    """Which requests are due when: `same` of them at `first_now`, then `full` more at `now`."""

    size: int
    same: int
    full: int  # 0 when 1% of the size is the same number
    now: datetime
    due: dict[int, tuple[int, int]] = field(default_factory=dict)  # request number → (sweep 0 or 1, rank)
    breaches: int = 0

    @property
    def first_now(self) -> datetime:
        return self.now - GAP

    def sweeps(self) -> list[tuple[datetime, int]]:
        return [(self.first_now, self.same)] + ([(self.now, self.full)] if self.full else [])


def budget(policy: SlaPolicy) -> timedelta:
    if policy.unit == "hours":
        return timedelta(hours=policy.amount)
    if policy.unit == "calendar_days":
        return timedelta(days=policy.amount)
    return timedelta(days=policy.amount * 7 / 5)  # working days, roughly


def seed_org(engine: Engine) -> Org:
    """A district, a town, two villages of three grids; a town cadre, village staff and grid members."""
    people = iter(range(1, 100))

    def person(session: Any, name: str, role: Role, unit: OrgUnit) -> int:
        assert unit.id is not None
        user = create_user(
            session,
            name=name,
            mobile=f"1380000{next(people):04d}",
            role=role,
            org_unit_id=unit.id,
            password="Bandeng-2026",
            must_change_password=False,
        )
        assert user.id is not None
        return user.id

    grids: list[tuple[int, int, int]] = []
    with session_scope(engine) as session:
        district = add_unit(session, UnitKind.district, "基准区", "990900", None)
        town = add_unit(session, UnitKind.town, "基准镇", "990900101", district)
        person(session, "驻点干部", Role.town_cadre, town)
        for v in (1, 2):
            village = add_unit(session, UnitKind.village, f"基准{v}村", f"990900101{200 + v}", town)
            person(session, f"村干部{v}号", Role.village_staff, village)
            for g in (1, 2, 3):
                grid = add_unit(session, UnitKind.grid, f"基准{v}村第{g}网格", f"{village.code}{g:03d}", village)
                member = person(session, f"网格员{v}-{g}", Role.grid_member, grid)
                assert grid.id is not None and village.id is not None
                grids.append((grid.id, village.id, member))
        policies = {
            p.request_class: p
            for p in session.execute(
                select(SlaPolicy).where(col(SlaPolicy.is_current), col(SlaPolicy.clock) == SlaClock.feedback)
            ).scalars()
        }
        categories = []
        for category in session.execute(select(Category).order_by(col(Category.id))).scalars():
            policy = policies[category.request_class]
            assert category.id is not None and policy.id is not None
            categories.append((category.id, str(category.request_class), policy.id, budget(policy)))
    cipher = get_cipher()
    phones = [cipher.seal_phone(f"139{n:08d}") for n in range(100)]
    return Org(grids, categories, [(p.ciphertext, p.blind_index, p.last4) for p in phones])


def case_code(n: int) -> str:
    """Distinct codes in the app's alphabet: n times a prime, written in base 31."""
    value = (n * 1_000_003 + 12_345) % len(ALPHABET) ** LENGTH
    digits = []
    for _ in range(LENGTH):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(digits)


class Seeder:
    """One request at a time: its row, its feedback timer and its register event."""

    def __init__(self, org: Org, plan: Plan, rng: random.Random) -> None:
        self.org, self.plan, self.rng = org, plan, rng
        self.long = [c for c in org.categories if c[3] >= timedelta(hours=12)]  # room to warn before the deadline

    def one(self, n: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        rng, now = self.rng, self.plan.now
        minute = timedelta(minutes=1)
        met_at: datetime | None = None
        breached_at: datetime | None = None
        due_slot = self.plan.due.get(n)
        if due_slot is not None:
            at, count = self.plan.sweeps()[due_slot[0]]
            rank = due_slot[1]
            next_at: datetime | None = at - WINDOW * (rank + 1) / count
            assert next_at is not None
            breach = rank % BREACH_EVERY == 0
            category = rng.choice(self.org.categories if breach else self.long)
            allowed = category[3]
            if breach:  # warned already; the deadline is what is due
                stage, started = 1, next_at - allowed
            else:
                stage, started = 0, next_at - allowed * 0.7
            self.plan.breaches += breach
        else:
            category = rng.choice(self.org.categories)
            allowed = category[3]
            roll = rng.random()
            if roll < 0.5:  # met: answered in time or a little late, long ago
                next_at = None
                started = now - allowed - timedelta(days=rng.uniform(1, 365))
                met_at = started + allowed * rng.uniform(0.05, 1.1)
                stage = 1 if met_at >= started + allowed * 0.7 else 0
                if met_at > started + allowed:
                    stage, breached_at = 2, started + allowed
            elif roll < 0.8:  # running, warning to come
                stage, next_at = 0, now + minute + (allowed * 0.7 - 2 * minute) * rng.random()
                started = next_at - allowed * 0.7
            elif roll < 0.95:  # warned, deadline to come
                stage, next_at = 1, now + minute + (allowed * 0.3 - 2 * minute) * rng.random()
                started = next_at - allowed
            else:  # breached, town leadership to come
                stage, next_at = 2, now + minute + timedelta(days=2) * rng.random()
                started = next_at - timedelta(days=2) - allowed
                breached_at = started + allowed
        due_at, warn_at = started + allowed, started + allowed * 0.7
        grid, village, member = rng.choice(self.org.grids)
        rid = uuid.uuid4()
        status = rng.choice(OPEN) if met_at is None else rng.choice(("replied", "closed"))
        phone = self.org.phones[n % len(self.org.phones)]
        request = {
            "id": rid,
            "case_code": case_code(n),
            "channel": "visit",
            "category_id": category[0],
            "request_class": category[1],
            "description": f"基准诉求 {n}：路灯不亮，晚上出行不便，请尽快处理",
            "reporter_phone_ciphertext": phone[0],
            "reporter_phone_index": phone[1],
            "reporter_phone_last4": phone[2],
            "unit_id": grid,
            "first_unit_id": grid,
            "handling_unit_id": grid,
            "handler_id": member if status in ("dispatched", "in_progress") or met_at else None,
            "escalated_to_unit_id": village if stage >= 2 else None,
            "routed": False,
            "status": status,
            "closure_type": "substantive" if met_at else None,
            "supervision": ("normal", "yellow", "red")[stage],
            "cycle": 1,
            "event_count": 1,
            "feedback_due_at": due_at,
            "feedback_met_at": met_at,
            "registered_at": started,
            "replied_at": met_at,
            "closed_at": met_at + timedelta(days=1) if status == "closed" and met_at else None,
            "updated_at": met_at or started,
        }
        timer = {
            "resident_request_id": rid,
            "clock": "feedback",
            "cycle": 1,
            "policy_id": category[2],
            "started_at": started,
            "warn_at": warn_at,
            "due_at": due_at,
            "next_action_at": next_at,
            "stage": stage,
            "provisional": False,
            "paused_seconds": 0,
            "met_at": met_at,
            "breached_at": breached_at,
            "updated_at": met_at or started,
        }
        registered = {
            "resident_request_id": rid,
            "seq": 1,
            "action": "register",
            "to_status": "registered",
            "actor_id": member,
            "actor_role": "grid_member",
            "actor_unit_id": grid,
            "at": started,
        }
        return request, timer, registered


def seed_requests(engine: Engine, org: Org, plan: Plan, rng: random.Random) -> None:
    positions = rng.sample(range(plan.size), plan.same + plan.full)
    plan.due = {n: (0, rank) for rank, n in enumerate(positions[: plan.same])}
    plan.due |= {n: (1, rank) for rank, n in enumerate(positions[plan.same :])}
    seeder = Seeder(org, plan, rng)
    tables = [SQLModel.metadata.tables[name] for name in ("resident_request", "sla_timer", "resident_request_event")]
    started = time.perf_counter()
    for start in range(0, plan.size, CHUNK):
        rows: tuple[list[dict[str, Any]], ...] = ([], [], [])
        for n in range(start, min(start + CHUNK, plan.size)):
            for bucket, row in zip(rows, seeder.one(n), strict=True):
                bucket.append(row)
        with engine.begin() as conn:
            for table, batch in zip(tables, rows, strict=True):
                bulk(conn, table, batch)
        done = min(start + CHUNK, plan.size)
        if done % (10 * CHUNK) == 0 or done == plan.size:
            rate = done / (time.perf_counter() - started)
            log(f"  seeded {done:,} / {plan.size:,} requests ({rate:,.0f} requests/s)")


# --- the measurements ------------------------------------------------------------------------------------


def nothing_due(engine: Engine, now: datetime) -> dict[str, Any]:
    timings = []
    with counting(engine) as counter:
        for _ in range(NOTHING_DUE_RUNS):
            started = time.perf_counter()
            report = sweep(now, engine=engine)
            timings.append((time.perf_counter() - started) * 1000)
            assert report.timers == 0, "a timer was due in the nothing-due sweep"
    return {
        "p50_ms": round(statistics.median(timings), 3),
        "max_ms": round(max(timings), 3),
        "statements": counter[0] / NOTHING_DUE_RUNS,
    }


def full_sweep(engine: Engine, now: datetime, expected: int) -> dict[str, Any]:
    assert due_count(engine, now) == expected, "the seeded due set is not what was planned"
    events_before, notes_before = written(engine)
    with counting(engine) as counter:
        started = time.perf_counter()
        report = sweep(now, engine=engine)
        ms = (time.perf_counter() - started) * 1000
    events_after, notes_after = written(engine)
    events, notes = events_after - events_before, notes_after - notes_before
    left = due_count(engine, now)
    advanced = max(report.advanced, 1)
    problems = [
        f"{left} timers still due" if left else "",
        f"{report.advanced} advanced, {expected} planned" if report.advanced != expected else "",
        f"{events} events for {expected} items" if events != expected else "",
        "no notifications" if not notes else "",
        f"SweepReport.notifications is {report.notifications}, the table has {notes} new"
        if report.notifications != notes
        else "",
    ]
    return {
        "sweep_ms": round(ms, 1),
        "advanced": report.advanced,
        "batches": report.batches,
        "per_item_ms": round(ms / advanced, 3),
        "statements": counter[0],
        "statements_per_item": round(counter[0] / advanced, 2),
        "events_written": events,
        "notifications_written": notes,
        "due_left": left,
        "notifications_reported": report.notifications,
        "sane": not any(problems),
        "problems": [problem for problem in problems if problem],
    }


def run_size(engine: Engine, size: int, same: int, rng: random.Random) -> list[dict[str, Any]]:
    full = size // 100 if size // 100 != same else 0
    plan = Plan(size, same, full, now=datetime.now(UTC).replace(microsecond=0))
    started = time.perf_counter()
    fresh_schema(engine)
    migrate_s = time.perf_counter() - started
    started = time.perf_counter()
    org = seed_org(engine)
    seed_requests(engine, org, plan, rng)
    seed_s = time.perf_counter() - started
    started = time.perf_counter()
    settle(engine)
    analyze_s = time.perf_counter() - started
    log(f"  migrate {migrate_s:.1f} s, seed {seed_s:.1f} s, analyze {analyze_s:.1f} s")
    earliest = scalar(engine, select(func.min(SlaTimer.next_action_at)))
    assert earliest == plan.first_now - WINDOW, (earliest, plan.first_now - WINDOW)
    plan_text = due_plan(engine, plan.first_now)
    idle = nothing_due(engine, earliest - timedelta(seconds=1))
    log(f"  nothing due: p50 {idle['p50_ms']} ms, max {idle['max_ms']} ms")
    rows = []
    for now, due in plan.sweeps():
        result = full_sweep(engine, now, due)
        log(f"  {due:,} due: {result['sweep_ms']} ms, {result['per_item_ms']} ms/item, sane={result['sane']}")
        rows.append(
            {
                "size": size,
                "due": due,
                "seed_s": round(seed_s, 1),
                "analyze_s": round(analyze_s, 1),
                "nothing_due": idle,
                "due_query_plan": plan_text,
                "breach_share": round(plan.breaches / (plan.same + plan.full), 3),
                **result,
            }
        )
    return rows


def run_database(name: str, url: str | None, sizes: list[int], seed: int) -> dict[str, Any]:
    folder: Path | None = None
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="bandeng-bench-sla-"))
    else:
        reason = postgres_ready(url)
        if reason is not None:
            return {"database": name, "skipped": f"server unreachable at {make_url(url).render_as_string()}: {reason}"}
    same = min(sizes) // 100
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            db_url = url or f"sqlite:///{folder}/bench-{size}.db"
            os.environ["BANDENG_DATABASE_URL"] = db_url  # anything that reaches for the default engine finds this one
            get_settings.cache_clear()
            get_engine.cache_clear()
            log(f"{name}: {size:,} requests, {same:,} due" + (f" then {size // 100:,}" if size // 100 != same else ""))
            engine = make_engine(db_url)
            try:
                rows += run_size(engine, size, same, random.Random(seed + size))
            finally:
                engine.dispose()
                if folder is not None:
                    for leftover in folder.glob(f"bench-{size}.db*"):
                        leftover.unlink()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return {"database": name, "sizes": sizes, "same_due": same, "rows": rows, **verdict(rows, sizes, same)}


def verdict(rows: list[dict[str, Any]], sizes: list[int], same: int) -> dict[str, Any]:
    at_same = {row["size"]: row for row in rows if row["due"] == same}
    largest, smallest = max(sizes), min(sizes)
    ratio = at_same[largest]["sweep_ms"] / at_same[smallest]["sweep_ms"] if largest != smallest else None
    idle = at_same[largest]["nothing_due"]["p50_ms"]
    worst = max(rows, key=lambda row: row["per_item_ms"])
    targets = [
        {
            "target": f"nothing-due sweep at {largest:,} ≤ {TARGET_IDLE_MS:g} ms (p50)",
            "value": idle,
            "met": idle <= TARGET_IDLE_MS,
        },
        {
            "target": f"≤ {TARGET_ITEM_MS:g} ms per escalated item (worst: {worst['size']:,}, {worst['due']:,} due)",
            "value": worst["per_item_ms"],
            "met": worst["per_item_ms"] <= TARGET_ITEM_MS,
        },
    ]
    if ratio is not None:
        targets.append(
            {
                "target": f"sweep({largest:,}) ÷ sweep({smallest:,}) at {same:,} due ≤ {TARGET_RATIO:g}",
                "value": round(ratio, 3),
                "met": ratio <= TARGET_RATIO,
            }
        )
    sane = all(row["sane"] for row in rows)
    return {"ratio": round(ratio, 3) if ratio is not None else None, "targets": targets, "sane": sane}


def print_report(result: dict[str, Any]) -> None:
    name = result["database"]
    if "skipped" in result:
        print(f"{name}: skipped — {result['skipped']}\n")
        return
    print(f"{name} — sweep batch {BATCH}; nothing-due sweep run {NOTHING_DUE_RUNS} times; of the due timers one in")
    print(f"{BREACH_EVERY} crosses its deadline (red card, the village told), the others warn (yellow card)")
    table = [
        {
            "size": f"{row['size']:,}",
            "due": f"{row['due']:,}",
            "seed s": row["seed_s"],
            "idle p50 ms": row["nothing_due"]["p50_ms"],
            "idle max ms": row["nothing_due"]["max_ms"],
            "sweep ms": row["sweep_ms"],
            "ms/item": row["per_item_ms"],
            "stmts/item": row["statements_per_item"],
            "events": f"{row['events_written']:,}",
            "notifications": f"{row['notifications_written']:,}",
            "due left": row["due_left"],
        }
        for row in result["rows"]
    ]
    print_table(table)
    print(f"due query: {result['rows'][0]['due_query_plan']}")
    sanity = "ok" if result["sane"] else "FAILED"
    print(f"sanity (nothing left due, one event per item, notifications written): {sanity}")
    for problem in sorted({p for row in result["rows"] for p in row["problems"]}):
        print(f"  problem: {problem}")
    if result["ratio"] is not None:
        print(f"ratio sweep(largest) ÷ sweep(smallest) at {result['same_due']:,} due: {result['ratio']}")
    for target in result["targets"]:
        print(f"  [{'met' if target['met'] else 'NOT met'}] {target['target']}: {target['value']}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="comma-separated request counts (default 100000,1000000)")
    parser.add_argument("--quick", action="store_true", help="10,000 and 50,000 requests (smoke run)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-only", action="store_true", help="skip SQLite")
    parser.add_argument("--pg-url", default=PG_URL, help=f"PostgreSQL database to recreate (default {PG_URL})")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the synthetic data")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()
    if args.sqlite_only and args.pg_only:
        parser.error("--sqlite-only and --pg-only exclude each other")
    sizes = sorted({int(s) for s in args.sizes.split(",")} if args.sizes else set(QUICK_SIZES if args.quick else SIZES))
    if min(sizes) < 100:
        parser.error("each size must be at least 100 (1% of it is due)")
    databases: list[tuple[str, str | None]] = []
    if not args.pg_only:
        databases.append(("sqlite", None))
    if not args.sqlite_only:
        databases.append(("postgresql", args.pg_url))
    results = [run_database(name, url, sizes, args.seed) for name, url in databases]
    if args.json:
        report = {"bench": "sla_sweep", "sizes": sizes, "batch": BATCH, "nothing_due_runs": NOTHING_DUE_RUNS}
        print(json.dumps(report | {"databases": results}, ensure_ascii=False))
        return
    print(f"Bandeng SLA sweep bench — sizes {', '.join(f'{s:,}' for s in sizes)}\n")
    for result in results:
        print_report(result)


if __name__ == "__main__":
    main()
