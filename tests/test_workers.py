from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from models.audit import RateLimitBucket
from models.enums import Role
from models.user import RefreshToken
from services.people import auth, rate_limit
from tests.factories import make_town, make_user
from workers.scheduler import build_scheduler


def test_prune_keeps_recent_windows(session: Session) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    rate_limit.hit(session, "ip:old", limit=5, seconds=60, now=now - timedelta(days=2))
    rate_limit.hit(session, "ip:new", limit=5, seconds=60, now=now - timedelta(minutes=5))
    assert rate_limit.prune(session, now=now) == 1
    assert [b.key for b in session.exec(select(RateLimitBucket)).all()] == ["ip:new"]


def test_purge_drops_only_expired_refresh_tokens(session: Session) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    user = make_user(session, Role.grid_member, make_town(session).grid_a1)
    auth.issue_tokens(session, user, now=now - timedelta(days=60))
    kept = auth.issue_tokens(session, user, now=now)
    assert auth.purge_expired_refresh_tokens(session, now) == 1
    left = session.exec(select(RefreshToken).where(RefreshToken.user_id == user.id)).all()
    assert [t.expires_at for t in left] == [kept.refresh_expires_at]


# Job id → misfire grace in seconds (None: run however late).
EXPECTED_JOBS = {
    "send_stationing_summaries": 12 * 3600,
    "prune_rate_limits": 600,
    "prune_refresh_tokens": 600,
    "sweep_sla": 30,
    "flag_unanswered_whistles": 30,
    "check_calendar_coverage": None,
    "deliver_notifications": 15,
    "send_daily_digests": 3600,
    "alert_silent_devices": None,
    "generate_reception_sessions": None,
    "close_unrated_replies": None,
    "remind_unrated_replies": None,
    "back_up_daily": None,
}


def test_scheduler_jobs_coalesce_and_never_overlap() -> None:
    scheduler = build_scheduler(background=True)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(EXPECTED_JOBS) == set(jobs)
        for job_id, grace in EXPECTED_JOBS.items():
            job = jobs[job_id]
            assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == grace, job_id
    finally:
        scheduler.shutdown(wait=False)
