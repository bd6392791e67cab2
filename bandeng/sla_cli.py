"""`bandeng sla sweep`: run the SLA sweep (and deliver what it queued) now, or at a moved clock for a demo."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

from core.clock import utc_now
from core.settings import get_settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sla = commands.add_parser("sla", help="SLA engine: sweep due clocks")
    actions = sla.add_subparsers(dest="sla_command", required=True)
    sweep = actions.add_parser(
        "sweep",
        help="sweep due clocks and deliver the notifications; --days/--at move the clock (demo and tests only)",
    )
    when = sweep.add_mutually_exclusive_group()
    when.add_argument("--days", type=float, help="pretend this many days have passed, e.g. 6 (yellow) or 10 (red)")
    when.add_argument("--at", help="pretend it is this instant, ISO 8601 with an offset, e.g. 2026-12-05T09:00+08:00")


def instant(args: argparse.Namespace, now: datetime) -> datetime:
    """The sweep's clock: now, now + N days, or an explicit instant (which must carry an offset)."""
    if args.days is not None:
        return now + timedelta(days=args.days)
    if args.at:
        at = datetime.fromisoformat(args.at)
        if at.tzinfo is None:
            raise ValueError("时间须带时区，例如 2026-12-05T09:00+08:00 / the instant needs an offset")
        return at
    return now


def run(args: argparse.Namespace) -> int:
    from services.clocks.sla_sweep import sweep
    from services.notify import outbox

    try:
        at = instant(args, utc_now())
    except ValueError as exc:
        print(f"参数有误: {exc}", file=sys.stderr)
        return 2
    report = sweep(at)
    delivered = outbox.deliver_due(at)
    local = at.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M")
    print(
        f"SLA 巡检（时钟 {local}）：检查 {report.timers} 个到点计时，推进 {report.advanced} 个，"
        f"时间线事件 {report.events} 条，新通知 {report.notifications} 条；"
        f"已投递收件箱 {delivered.inbox} 条、推送/短信 {delivered.sent} 条。"
    )
    return 0
