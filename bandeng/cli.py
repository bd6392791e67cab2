"""The `bandeng` command: serve, migrate, demo-data, create-user."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence

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

    from api.main import create_app

    settings = get_settings()
    app = create_app(with_scheduler=settings.scheduler_in_process)
    print(f"板凳 Bandeng: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())


def demo_data() -> None:
    from bandeng.demo import seed_demo

    seed_demo()


def create_user(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from core.db import session_scope
    from models.enums import Role
    from services.errors import DomainError
    from services.users import create_user as create

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


def create_district(args: argparse.Namespace) -> int:
    from core.db import session_scope
    from services.errors import DomainError
    from services.org import create_district as create

    try:
        with session_scope() as session:
            unit = create(session, name=args.name, code=args.code)
            print(f"已创建区县 {unit.id}: {unit.name} ({unit.code})")
    except DomainError as exc:
        print(f"未能创建区县: {exc.message}", file=sys.stderr)
        return 2
    return 0


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
    elif args.command == "create-district":
        return create_district(args)
    return 0
