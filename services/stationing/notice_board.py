"""The public notice board (公示牌) of a village: who is stationed there, when and where they receive residents,
and the results. Only what is meant to be public: no personal phone numbers, nothing about residents."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.enums import WEEKDAY_LABELS, UnitKind
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.stationing import ReceptionMatter, ReceptionSession, Stationing
from models.stationing_schemas import BoardCadre, BoardPublic, BoardResults
from models.user import User
from services.clocks import calendar
from services.errors import NotFound
from services.stationing.stationing import upcoming_slots

FREQUENCIES = {1: "每周", 2: "每两周"}


def board(session: Session, village_id: int, *, now: datetime) -> BoardPublic:
    """The board of an active village (404 for anything else)."""
    village = session.get(OrgUnit, village_id)
    if village is None or village.kind != UnitKind.village or not village.is_active:
        raise NotFound("未找到该村（社区）的公示牌", code="not_found")
    today = calendar.local_today(now)
    rows = session.exec(
        select(Stationing, User.name)
        .join(User, col(User.id) == col(Stationing.cadre_id))
        .where(col(Stationing.village_id) == village_id, col(Stationing.is_active))
        .order_by(col(Stationing.id))
    ).all()
    cadres = [_cadre(session, stationing, name, today) for stationing, name in rows]
    return BoardPublic(village_name=village.name, cadres=cadres, results=_results(session, village_id))


def _cadre(session: Session, stationing: Stationing, name: str, today: date) -> BoardCadre:
    return BoardCadre(
        name=name,
        title=stationing.title,
        work_phone=stationing.work_phone,
        weekday_label=WEEKDAY_LABELS[stationing.weekday],
        start_time=stationing.start_time,
        end_time=stationing.end_time,
        place=stationing.place,
        frequency_label=FREQUENCIES.get(stationing.every_weeks, f"每 {stationing.every_weeks} 周"),
        next_session_on=_next_session(session, stationing, today),
    )


def _next_session(session: Session, stationing: Stationing, today: date) -> date | None:
    """The next generated session still to come; before any are generated, the next slot by the rule."""
    upcoming = session.exec(
        select(func.min(col(ReceptionSession.held_on))).where(
            col(ReceptionSession.stationing_id) == stationing.id,
            col(ReceptionSession.held_on) >= today,
            col(ReceptionSession.status).in_(("scheduled", "rescheduled")),
        )
    ).one()
    if upcoming is not None:
        return upcoming
    first = max(today, stationing.starts_on)
    slots = upcoming_slots(session, stationing, first, first + timedelta(weeks=4))
    return slots[0].held_on if slots else None


def _results(session: Session, village_id: int) -> BoardResults:
    matters = (
        select(ReceptionMatter.outcome, func.count(), func.count(col(ResidentRequest.id)))
        .join(ReceptionSession, col(ReceptionSession.id) == col(ReceptionMatter.session_id))
        .join(Stationing, col(Stationing.id) == col(ReceptionSession.stationing_id))
        .outerjoin(
            ResidentRequest,
            (col(ResidentRequest.id) == col(ReceptionMatter.resident_request_id))
            & (col(ResidentRequest.feedback_met_at) <= col(ResidentRequest.feedback_due_at)),
        )
        .where(col(Stationing.village_id) == village_id)
        .group_by(ReceptionMatter.outcome)
    )
    by_outcome = {outcome: (count, on_time) for outcome, count, on_time in session.exec(matters)}
    attendance = session.exec(
        select(ReceptionSession.status, func.count())
        .join(Stationing, col(Stationing.id) == col(ReceptionSession.stationing_id))
        .where(col(Stationing.village_id) == village_id, col(ReceptionSession.status).in_(("held", "missed")))
        .group_by(ReceptionSession.status)
    ).all()
    held, missed = dict(attendance).get("held", 0), dict(attendance).get("missed", 0)
    return BoardResults(
        received=sum(count for count, _ in by_outcome.values()),
        solved_on_spot=by_outcome.get("solved_on_spot", (0, 0))[0],
        fed_back_on_time=sum(on_time for _, on_time in by_outcome.values()),
        sessions_held=held,
        sessions_missed=missed,
        attendance_rate=round(held / (held + missed), 4) if held + missed else None,
    )


# The page's only style, inline so it prints from one file; the page's CSP allows exactly it, by hash.
STYLE = """
@page { size: A4; margin: 15mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif;
  color: #000; margin: 0 auto; max-width: 180mm; font-size: 12pt; line-height: 1.6; }
h1 { text-align: center; font-size: 22pt; margin: 0 0 4mm; }
h2 { font-size: 15pt; border-bottom: 1pt solid #000; margin: 6mm 0 2mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.75pt solid #000; padding: 2mm 3mm; text-align: left; vertical-align: top; }
th { width: 30%; background: #eee; }
.cadre { page-break-inside: avoid; break-inside: avoid; margin-bottom: 5mm; }
footer { margin-top: 8mm; font-size: 10pt; text-align: center; }
@media print { th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


def _row(label: str, value: object) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(str(value))}</td></tr>"


def render_html(data: BoardPublic) -> str:
    """The board as a printable A4 page in Chinese; every value is escaped."""
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(data.village_name)} 驻点直联公示牌</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(data.village_name)} 驻点直联公示牌</h1>",
    ]
    if not data.cadres:
        parts.append("<p>本村暂无驻点干部安排。</p>")
    for cadre in data.cadres:
        slot = f"{cadre.frequency_label}{cadre.weekday_label} {cadre.start_time:%H:%M}–{cadre.end_time:%H:%M}"
        next_on = f"{cadre.next_session_on:%Y年%m月%d日}" if cadre.next_session_on else "待定"
        parts += [
            f'<section class="cadre"><h2>驻点干部：{escape(cadre.name)}</h2><table>',
            _row("职务", cadre.title),
            _row("办公电话", cadre.work_phone or "—"),
            _row("固定接待时间", slot),
            _row("固定接待地点", cadre.place),
            _row("下次接待日期", next_on),
            "</table></section>",
        ]
    results, rate = data.results, data.results.attendance_rate
    parts += [
        "<h2>工作成效</h2><table>",
        _row("收到群众诉求（件）", results.received),
        _row("当场解决（件）", results.solved_on_spot),
        _row("按时反馈（件）", results.fed_back_on_time),
        _row("已接待 / 未接待（次）", f"{results.sessions_held} / {results.sessions_missed}"),
        _row("到岗率", f"{rate * 100:.1f}%" if rate is not None else "暂无记录"),
        "</table><footer>节假日接待顺延至下一个工作日。欢迎群众在接待日前来反映问题。</footer></body></html>",
    ]
    return "".join(parts)
