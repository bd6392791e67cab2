from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, func, select

from models.audit import AuditLog
from models.enums import Channel, Role, SlaClock
from models.notification import Notification
from models.resident_request import ResidentRequest
from models.resident_request_schemas import ResidentRequestCreate
from models.sla import SlaTimer, WorkCalendarDay, WorkCalendarYear
from services.clocks import calendar, deadlines
from services.errors import Invalid, PermissionDenied
from services.requests.resident_requests import Registration, register
from services.rules import calendar_schedule as schedule
from tests.factories import Town, actor_of, category_id, make_town, make_user
from workers.scheduler import build_scheduler

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
# A small synthetic 2027: New Year's Day, a make-up Saturday, then a Spring Festival week.
SCHEDULE_2027: list[dict[str, Any]] = [
    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    {"date": "2027-02-06", "kind": "makeup_workday", "name": "春节"},
    *({"date": f"2027-02-{day:02d}", "kind": "holiday", "name": "春节"} for day in range(8, 13)),
]


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=SHANGHAI)


def invalid(year: int, entries: list[Any]) -> Invalid:
    with pytest.raises(Invalid) as caught:
        schedule.validate(year, entries)
    return caught.value


def fields(error: Invalid) -> list[tuple[str, str]]:
    return [(problem["loc"][1], problem["type"]) for problem in error.detail]


@pytest.mark.parametrize(
    ("entries", "field", "code"),
    [
        ([{"date": "2027-02-30", "kind": "holiday"}], "days[0].date", "date_invalid"),
        ([{"date": "2027/01/01", "kind": "holiday"}], "days[0].date", "date_invalid"),
        ([{"date": 20270101, "kind": "holiday"}], "days[0].date", "date_invalid"),
        ([{"kind": "holiday"}], "days[0].date", "date_invalid"),
        ([{"date": "2028-01-01", "kind": "holiday"}], "days[0].date", "date_outside_year"),
        ([{"date": "2027-01-01", "kind": "vacation"}], "days[0].kind", "kind_invalid"),
        ([{"date": "2027-01-01", "kind": "holiday", "name": "节" * 51}], "days[0].name", "name_invalid"),
        ([{"date": "2027-01-01", "kind": "holiday", "name": 1}], "days[0].name", "name_invalid"),
        (["2027-01-01"], "days[0]", "entry_invalid"),
        (
            [{"date": "2027-01-01", "kind": "holiday"}, {"date": "2027-02-08", "kind": "makeup_workday"}],
            "days[1].date",
            "makeup_not_weekend",
        ),
        (
            [{"date": "2027-01-01", "kind": "holiday"}, {"date": "2027-01-01", "kind": "holiday"}],
            "days[1].date",
            "date_duplicate",
        ),
        (
            [{"date": "2027-02-06", "kind": "holiday"}, {"date": "2027-02-06", "kind": "makeup_workday"}],
            "days[1].date",
            "date_conflict",
        ),
        ([{"date": "2027-02-06", "kind": "makeup_workday"}], "days", "no_holidays"),
        ([], "days", "no_holidays"),
    ],
)
def test_each_bad_entry_names_its_field(entries: list[Any], field: str, code: str) -> None:
    error = invalid(2027, entries)
    assert (error.code, error.detail[0]["loc"]) == (code, ["body", field])
    assert error.message.startswith("第 ") or field == "days"


def test_every_problem_is_listed_and_the_year_is_checked() -> None:
    error = invalid(2027, [{"date": "2027-02-30", "kind": "x"}, {"date": "2027-03-01", "kind": "makeup_workday"}])
    assert fields(error) == [
        ("days[0].date", "date_invalid"),
        ("days[0].kind", "kind_invalid"),
        ("days[1].date", "makeup_not_weekend"),
    ]
    assert "另有 2 处错误" in error.message and "2027-03-01 是周一" in error.detail[2]["msg"]
    assert invalid(1999, SCHEDULE_2027).code == "year_out_of_range"


@pytest.mark.parametrize(
    ("raw", "csv_format", "year", "field", "code"),
    [
        (b'{"year": 2027, "days": [', False, None, "body", "json_invalid"),
        (b'{"year": 2027}', False, None, "days", "days_missing"),
        (b'{"year": "2027", "days": []}', False, None, "year", "year_invalid"),
        (b'{"year": 2027, "days": []}', False, 2028, "year", "year_mismatch"),
        (b'{"days": []}', False, None, "year", "year_missing"),
        (b"day,type\n2027-01-01,holiday\n", True, None, "header", "csv_header"),
        (b"x" * (schedule.MAX_FILE_BYTES + 1), True, 2027, "body", "file_too_large"),
    ],
)
def test_unreadable_files_name_what_is_wrong(
    raw: bytes, csv_format: bool, year: int | None, field: str, code: str
) -> None:
    with pytest.raises(Invalid) as caught:
        schedule.read_schedule(raw, csv_format=csv_format, year=year)
    assert (caught.value.code, caught.value.detail[0]["loc"]) == (code, ["body", field])


def test_csv_rows_are_named_by_line_and_the_year_comes_from_the_dates() -> None:
    text = "\ufeffDate,Kind,Name\n2027-01-01,holiday,元旦\n\n2027-02-06,调休上班,春节\n2027-02-07,holiday,\n"
    year, entries = schedule.read_schedule(text.encode(), csv_format=True)
    assert year == 2027 and len(entries) == 3
    days = schedule.validate(year, entries)
    assert [(d.day.isoformat(), d.kind, d.name) for d in days] == [
        ("2027-01-01", "holiday", "元旦"),
        ("2027-02-06", "makeup_workday", "春节"),
        ("2027-02-07", "holiday", None),
    ]
    gbk = "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-04,makeup_workday,元旦\n".encode("gb18030")
    year, entries = schedule.read_schedule(gbk, csv_format=True)
    error = invalid(year, entries)
    assert error.detail[0]["loc"] == ["body", "days[1].date"] and error.message.startswith("第 3 行")


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


def consultation(session: Session, town: Town, at: datetime) -> ResidentRequest:
    """A 政策咨询 request (consultation: feedback in 2 working days) registered at `at`."""
    member = actor_of(session, make_user(session, Role.grid_member, town.grid_a1))
    assert town.grid_a1.id is not None
    data = ResidentRequestCreate(
        channel=Channel.visit,
        category_id=category_id(session, "政策咨询"),
        description="咨询新农合缴费标准",
        unit_id=town.grid_a1.id,
    )
    return register(session, Registration(data, member), now=at).resident_request


def feedback_timer(session: Session, rr: ResidentRequest) -> SlaTimer:
    return session.exec(
        select(SlaTimer).where(SlaTimer.resident_request_id == rr.id, SlaTimer.clock == SlaClock.feedback)
    ).one()


def test_a_good_year_is_written_whole_and_seen_at_once(session: Session) -> None:
    assert calendar.load(session).is_workday(date(2027, 1, 1)) is None
    result = deadlines.import_year(session, 2027, SCHEDULE_2027, source="国办发明电〔2026〕1号", actor=None, now=NOW)
    assert (result.days, result.holidays, result.makeup_workdays, result.replaced) == (365, 6, 1, False)
    assert "已导入 2027 年工作日历" in result.summary
    count = session.exec(
        select(func.count()).where(col(WorkCalendarDay.day).between(date(2027, 1, 1), date(2027, 12, 31)))
    ).one()
    assert count == 365
    cal = calendar.load(session)
    answers = {d: cal.is_workday(date(2027, *d)) for d in [(1, 1), (1, 2), (1, 4), (2, 6), (2, 7), (2, 8), (2, 15)]}
    assert answers == {(1, 1): False, (1, 2): False, (1, 4): True, (2, 6): True, (2, 7): False, (2, 8): False,
                       (2, 15): True}  # fmt: skip
    year = session.get(WorkCalendarYear, 2027)
    assert year is not None and year.source == "国办发明电〔2026〕1号" and year.imported_at == NOW


def test_a_rolled_back_import_leaves_no_trace_in_the_cache(session: Session) -> None:
    calendar.load(session)  # the process cache holds the committed calendar
    savepoint = session.begin_nested()
    deadlines.import_year(session, 2027, SCHEDULE_2027, source="test", actor=None, now=NOW)
    assert 2027 in calendar.load(session).years
    savepoint.rollback()
    assert 2027 not in calendar.load(session).years
    # A session that never wrote the calendar reads the process cache, which never held the uncommitted year.
    with Session(bind=session.connection()) as other:
        assert 2027 not in calendar.load(other).years and 2026 in calendar.load(other).years


def test_a_rolled_back_correction_of_a_known_year_does_not_stick(session: Session) -> None:
    """Replacing a year keeps the row count, and a clock behind the seed keeps max(imported_at): the stamp
    alone would not notice the rollback, so the importing session never shares what it wrote."""
    assert calendar.load(session).is_workday(date(2026, 3, 2)) is True
    savepoint = session.begin_nested()
    closed = [{"date": "2026-03-02", "kind": "holiday", "name": "测试"}]
    deadlines.import_year(session, 2026, closed, source="test", actor=None, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert calendar.load(session).is_workday(date(2026, 3, 2)) is False
    savepoint.rollback()
    assert calendar.load(session).is_workday(date(2026, 3, 2)) is True
    with Session(bind=session.connection()) as other:
        assert calendar.load(other).is_workday(date(2026, 3, 2)) is True


def test_reimport_replaces_the_year(session: Session) -> None:
    deadlines.import_year(session, 2027, SCHEDULE_2027, source="first", actor=None, now=NOW)
    corrected = [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-01-02", "kind": "makeup_workday"},
    ]
    result = deadlines.import_year(session, 2027, corrected, source="second", actor=None, now=NOW)
    assert result.replaced is True and "已替换" in result.summary
    rows = session.exec(
        select(WorkCalendarDay).where(col(WorkCalendarDay.day).between(date(2027, 1, 1), date(2027, 12, 31)))
    ).all()
    kinds = {row.day: row.kind for row in rows}
    assert len(kinds) == 365 and kinds[date(2027, 2, 8)] == "workday" and kinds[date(2027, 1, 2)] == "makeup_workday"
    cal = calendar.load(session)  # the same stamp as the first import: this session still sees the second
    assert cal.is_workday(date(2027, 2, 8)) is True and cal.is_workday(date(2027, 1, 2)) is True


def test_only_admins_import(session: Session, town: Town) -> None:
    cadre = actor_of(session, make_user(session, Role.town_cadre, town.town))
    with pytest.raises(PermissionDenied):
        deadlines.import_year(session, 2027, SCHEDULE_2027, source="x", actor=cadre, now=NOW)


def test_import_settles_provisional_deadlines(session: Session, town: Town) -> None:
    admin = make_user(session, Role.admin, town.district)
    new_year_eve = consultation(session, town, local(2026, 12, 31, 15, 0))
    before_festival = consultation(session, town, local(2027, 2, 5, 10, 0))
    first, second = feedback_timer(session, new_year_eve), feedback_timer(session, before_festival)
    # Monday–Friday fallback: Fri 01-01 and Mon 01-04; Mon 02-08 and Tue 02-09.
    assert first.provisional and first.due_at == end_of(date(2027, 1, 4)) == new_year_eve.feedback_due_at
    assert second.provisional and second.due_at == end_of(date(2027, 2, 9))
    alert = session.exec(select(Notification).where(Notification.kind == "calendar_missing")).one()
    assert alert.recipient_id == admin.id and "2027" in alert.title

    actor = actor_of(session, admin)
    result = deadlines.import_year(session, 2027, SCHEDULE_2027, source="国办", actor=actor, now=NOW)
    assert (result.timers_recomputed, result.timers_moved) == (2, 2)
    # 01-01 is a holiday: Mon 01-04, Tue 01-05. The make-up Saturday 02-06 counts, the festival week doesn't.
    assert not first.provisional and first.due_at == end_of(date(2027, 1, 5)) == new_year_eve.feedback_due_at
    assert not second.provisional and second.due_at == end_of(date(2027, 2, 15)) == before_festival.feedback_due_at
    assert first.next_action_at == first.warn_at and first.warn_at < first.due_at
    entry = session.exec(select(AuditLog).where(AuditLog.action == "calendar.import")).one()
    assert entry.actor_id == admin.id and entry.target_id == "2027"
    assert entry.detail == {
        "year": 2027,
        "holidays": 6,
        "makeup_workdays": 1,
        "replaced": False,
        "source": "国办",
        "timers_recomputed": 2,
        "timers_moved": 2,
    }


def test_met_and_extended_deadlines_are_left_alone(session: Session, town: Town) -> None:
    rr = consultation(session, town, local(2026, 12, 31, 15, 0))
    timer = feedback_timer(session, rr)
    timer.met_at = NOW
    session.flush()
    assert deadlines.import_year(session, 2027, SCHEDULE_2027, source="x", actor=None, now=NOW).timers_recomputed == 0
    assert timer.due_at == end_of(date(2027, 1, 4)) and timer.provisional


def test_daily_check_alerts_once_per_year_and_settles_stragglers(session: Session, town: Town) -> None:
    admin = make_user(session, Role.admin, town.district)
    assert deadlines.check_coverage(session, local(2026, 11, 1, 8)).missing == []  # before 15 November
    check = deadlines.check_coverage(session, local(2026, 11, 15, 8))
    assert check.missing == [2027]
    assert deadlines.check_coverage(session, local(2026, 11, 16, 8)).missing == [2027]
    # Counted from the table: outbox.enqueue's rowcount is -1 on PostgreSQL (psycopg).
    keys = session.exec(select(Notification.dedupe_key).where(Notification.recipient_id == admin.id)).all()
    assert keys == [f"calendar-missing:2027:inbox:{admin.id}"]

    # A request registered while the import was committing kept the fallback; the next check settles it.
    rr = consultation(session, town, local(2026, 12, 31, 15, 0))
    deadlines.import_year(session, 2027, SCHEDULE_2027, source="x", actor=None, now=NOW)
    timer = feedback_timer(session, rr)
    timer.provisional, timer.due_at = True, end_of(date(2027, 1, 4))
    session.flush()
    check = deadlines.check_coverage(session, local(2027, 1, 2, 8))
    assert (check.missing, check.recomputed, check.moved) == ([], 1, 1)
    assert not timer.provisional and timer.due_at == end_of(date(2027, 1, 5)) == rr.feedback_due_at


def test_years_to_alert() -> None:
    known = frozenset({2026})
    assert calendar.years_to_alert(known, date(2026, 11, 14)) == []
    assert calendar.years_to_alert(known, date(2026, 11, 15)) == [2027]
    assert calendar.years_to_alert(known, date(2027, 1, 1)) == [2027]
    assert calendar.years_to_alert(known, date(2027, 12, 1)) == [2027, 2028]


def test_coverage_job_runs_daily_and_survives_a_missed_morning() -> None:
    scheduler = build_scheduler(background=True)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("check_calendar_coverage")
        assert job is not None and job.misfire_grace_time is None and job.max_instances == 1
        assert str(job.trigger) == "cron[hour='8', minute='0']"
    finally:
        scheduler.shutdown(wait=False)


def test_json_round_trip_of_the_example_schedule() -> None:
    raw = json.dumps({"year": 2027, "days": SCHEDULE_2027}, ensure_ascii=False).encode()
    assert schedule.looks_like_json(b"\xef\xbb\xbf  " + raw)
    year, entries = schedule.read_schedule(raw, csv_format=False, year=2027)
    assert year == 2027 and len(schedule.validate(year, entries)) == 7
