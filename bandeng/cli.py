"""The `bandeng` command: serve, migrate, demo-data, create-user, reset-password, create-district, calendar, sla,
audit, backup, restore."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bandeng import backup_cli, sla_cli
from core.settings import ROOT, get_settings


def migrate() -> None:
    """Bring the schema to the newest revision (Alembic is the only way it changes)."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    print("数据库已迁移到最新版本 / database migrated to head")


def serve(host: str, port: int) -> None:
    import uvicorn

    from bandeng.asgi import app

    settings = get_settings()
    print(f"板凳 Bandeng: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    # uvicorn's own proxy handling would believe X-Forwarded-For from 127.0.0.1 whatever the settings say:
    # BANDENG_TRUSTED_PROXIES alone decides (api/deps.client_ip).
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), proxy_headers=False)


def demo_data() -> None:
    from bandeng.demo import seed_demo

    seed_demo()


def create_user(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from core.db import session_scope
    from models.enums import Role
    from services.errors import DomainError
    from services.people.users import create_user as create

    password = args.password or getpass.getpass("初始密码 / initial password: ")
    try:
        with session_scope() as session:
            user = create(
                session,
                name=args.name,
                mobile=args.mobile,
                role=Role(args.role),
                org_unit_id=args.org_unit_id,
                password=password,
                must_change_password=True,
            )
            print(f"已创建账号 {user.id}: {user.name} ({user.role})，首次登录须修改密码")
    except (DomainError, ValidationError, ValueError) as exc:
        print(f"未能创建账号: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    return 0


def reset_password(args: argparse.Namespace) -> int:
    """The operator's reset of any account, auditors included (an admin may not reset an auditor: 三员分立)."""
    from core.clock import utc_now
    from core.db import session_scope
    from models.user import User
    from services.errors import DomainError
    from services.people.users import reset_password as reset

    password = args.password or getpass.getpass("新的初始密码 / new initial password: ")
    try:
        with session_scope() as session:
            user = session.get(User, args.user_id)
            if user is None:
                print(f"没有账号 {args.user_id}", file=sys.stderr)
                return 2
            reset(session, None, user, password, ip=None, now=utc_now())
            print(f"已重置账号 {user.id}: {user.name} ({user.role})，所有登录已失效，首次登录须修改密码")
    except DomainError as exc:
        print(f"未能重置密码: {exc.message}", file=sys.stderr)
        return 2
    return 0


def create_district(args: argparse.Namespace) -> int:
    from core.db import session_scope
    from services.errors import DomainError
    from services.people.org import create_district as create

    try:
        with session_scope() as session:
            unit = create(session, name=args.name, code=args.code)
            print(f"已创建区县 {unit.id}: {unit.name} ({unit.code})")
    except DomainError as exc:
        print(f"未能创建区县: {exc.message}", file=sys.stderr)
        return 2
    return 0


def _schema_missing() -> bool:
    """True (with a message) when the database has not been migrated yet."""
    from sqlalchemy import inspect

    from core.db import get_engine

    if inspect(get_engine()).has_table("work_calendar_year"):
        return False
    print("数据库尚未迁移，请先运行 bandeng migrate", file=sys.stderr)
    return True


def calendar_import(args: argparse.Namespace) -> int:
    """Import one year's official schedule from a JSON or CSV file; nothing is written unless all of it is valid."""
    from core.clock import utc_now
    from core.db import session_scope
    from services.clocks import deadlines
    from services.errors import DomainError
    from services.rules import calendar_schedule as schedule

    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"无法读取文件 {path}: {exc.strerror}", file=sys.stderr)
        return 2
    fmt = args.format or {".csv": "csv", ".json": "json"}.get(path.suffix.lower())
    is_csv = fmt == "csv" if fmt else not schedule.looks_like_json(raw)
    if _schema_missing():
        return 2
    source = args.source or f"文件 {path.name}"
    try:
        with session_scope() as session:
            result = deadlines.import_file(
                session, raw, csv_format=is_csv, year=args.year, source=source, actor=None, now=utc_now()
            )
    except DomainError as exc:
        print(f"未导入，数据库未作任何改动: {exc.message}", file=sys.stderr)
        for problem in exc.detail if isinstance(exc.detail, list) else []:
            print(f"  {'.'.join(str(part) for part in problem['loc'][1:])}: {problem['msg']}", file=sys.stderr)
        return 2
    print(result.summary)
    return 0


def _spans(years: list[int]) -> str:
    """2004–2026、2028: runs of consecutive years."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return "、".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def calendar_status() -> int:
    """The years covered, and a warning line for this year or next year when missing."""
    from core.clock import utc_now
    from core.db import session_scope
    from services.clocks import calendar

    if _schema_missing():
        return 2
    with session_scope() as session:
        report = calendar.coverage(session, utc_now())
    years = [entry.year for entry in report.years]
    print(f"已导入官方工作日历的年份: {_spans(years)}，共 {len(years)} 年" if years else "尚未导入任何年份的工作日历")
    for entry in report.years[-3:]:
        print(
            f"  {entry.year}: {entry.source}，导入于 {entry.imported_at.astimezone(get_settings().tz):%Y-%m-%d %H:%M}"
        )
    if report.warning:
        print(f"警告: {report.warning}。请在国务院办公厅发布通知后运行 bandeng calendar import")
    return 0


def audit_verify() -> int:
    """Walk the audit chain and name its first broken row (exit 1); read only, so it can check a backup copy."""
    from core.db import session_scope
    from services import audit_chain
    from services.rules.audit_chain import BREAK_MESSAGES

    if _schema_missing():
        return 2
    with session_scope() as session:
        verdict = audit_chain.verify(session)
    broken = verdict.first_broken
    if broken is None:
        print(f"审计日志哈希链完整: 已核对 {verdict.rows_checked} 条 / audit chain intact")
        return 0
    print(
        f"审计日志哈希链断裂 / audit chain broken: seq={broken.seq} id={broken.id} {broken.reason}: "
        f"{BREAK_MESSAGES[broken.reason]}（已核对 {verdict.rows_checked} 条）",
        file=sys.stderr,
    )
    return 1


def _calendar_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("calendar", help="working-day calendar: import a year, show coverage")
    sub = group.add_subparsers(dest="calendar_command", required=True)
    imported = sub.add_parser("import", help="import a year's holidays and make-up days (JSON or CSV)")
    imported.add_argument("file", help='JSON {"year", "days": [{"date", "kind", "name"}]} or CSV date,kind,name')
    imported.add_argument("--year", type=int, help="the year (CSV: taken from the dates when omitted)")
    imported.add_argument("--format", choices=["json", "csv"], help="default: by extension, else by content")
    imported.add_argument("--source", help="where the schedule comes from, e.g. the State Council notice")
    sub.add_parser("status", help="years covered; warns when this year or next year is missing")


def _parser() -> argparse.ArgumentParser:
    from models.enums import Role

    parser = argparse.ArgumentParser(prog="bandeng", description="板凳 Bandeng — grid governance")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="API + PWA at / + scheduler in one process")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    commands.add_parser("migrate", help="alembic upgrade head")
    commands.add_parser("demo-data", help="seed a synthetic town (does nothing if it exists)")
    district = commands.add_parser("create-district", help="create the root of an org tree (6-digit code)")
    district.add_argument("--name", required=True)
    district.add_argument("--code", required=True)
    user = commands.add_parser("create-user", help="create an account (must change password at first login)")
    user.add_argument("--name", required=True)
    user.add_argument("--mobile", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--org-unit-id", type=int, required=True)
    user.add_argument("--password", help="initial password (prompted when omitted)")
    reset = commands.add_parser("reset-password", help="new initial password for any account (auditors included)")
    reset.add_argument("--user-id", type=int, required=True)
    reset.add_argument("--password", help="new initial password (prompted when omitted)")
    _calendar_parser(commands)
    sla_cli.add_commands(commands)
    backup_cli.add_commands(commands)
    audit = commands.add_parser("audit", help="the audit log's hash chain")
    audit.add_subparsers(dest="audit_command", required=True).add_parser(
        "verify", help="walk the chain; name the first edited, deleted or reordered row (exit 1)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "serve":
        serve(args.host, args.port)
    elif args.command == "migrate":
        migrate()
    elif args.command == "demo-data":
        demo_data()
    elif args.command == "create-user":
        return create_user(args)
    elif args.command == "reset-password":
        return reset_password(args)
    elif args.command == "create-district":
        return create_district(args)
    elif args.command == "calendar":
        return calendar_import(args) if args.calendar_command == "import" else calendar_status()
    elif args.command == "sla":
        return sla_cli.run(args)
    elif args.command in ("backup", "restore"):
        return backup_cli.run(args)
    elif args.command == "audit":
        return audit_verify()
    return 0
