"""Scheduled jobs: thin sweeps over services, each item in its own transaction."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from core.clock import utc_now
from core.db import session_scope
from services.clocks import deadlines
from services.people import auth, rate_limit, revocation

log = logging.getLogger("bandeng.workers")


def prune_rate_limits(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Drop rate-limit windows that ended more than a day ago."""
    with session_scope(engine) as session:
        removed = rate_limit.prune(session, now=now or utc_now())
    log.info("pruned %d rate-limit windows", removed)
    return removed


def prune_refresh_tokens(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Drop refresh tokens that expired, and denials of access tokens that have all expired: neither can
    matter again (the tokens are refused by their expiry)."""
    with session_scope(engine) as session:
        removed = auth.purge_expired_refresh_tokens(session, now or utc_now())
        denials = revocation.purge_expired(session, now or utc_now())
    log.info("pruned %d expired refresh tokens and %d access-token denials", removed, denials)
    return removed + denials


def check_calendar_coverage(now: datetime | None = None, engine: Engine | None = None) -> list[int]:
    """Alert admins when this year's working-day calendar is missing, or next year's from 15 November;
    settle provisional deadlines whose years were imported since."""
    with session_scope(engine) as session:
        check = deadlines.check_coverage(session, now or utc_now())
    if check.missing:
        log.warning("working-day calendar missing for %s: admins alerted", check.missing)
    if check.recomputed:
        log.info("recomputed %d provisional deadlines, %d moved", check.recomputed, check.moved)
    return check.missing


def sweep_sla(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Move every SLA clock whose next stage has come; returns how many moved."""
    from services.clocks.sla_sweep import sweep

    return sweep(now or utc_now(), engine=engine).advanced


def deliver_notifications(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Deliver due outbox rows (inbox, push, SMS); returns how many were delivered."""
    from services.notify.outbox import deliver_due

    report = deliver_due(now or utc_now(), engine=engine)
    if report.retried or report.failed:
        log.warning("notifications: %d to retry, %d failed for good", report.retried, report.failed)
    return report.inbox + report.sent


def send_daily_digests(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Fold each cadre's pending digest items into one push and one SMS; returns how many digests."""
    from services.notify.digest import send_digests

    written = send_digests(now or utc_now(), engine=engine)
    log.info("wrote %d daily digests", written)
    return written


def alert_silent_devices(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Tell grid leaders about phones silent for 3 days (one alert per device per day, one transaction
    each); returns how many alerts were new."""
    from services.gridwork import sync

    now = now or utc_now()
    with session_scope(engine) as session:
        device_ids = sync.silent_device_ids(session, now)
    alerted = 0
    for device_id in device_ids:
        with session_scope(engine) as session:
            alerted += sync.alert_silent_device(session, device_id, now)
    if alerted:
        log.warning("%d silent devices reported to grid leaders", alerted)
    return alerted


def generate_reception_sessions(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Keep 8 weeks of reception sessions ahead for every active stationing (one transaction each);
    returns how many sessions were new."""
    from services.stationing import stationing

    now = now or utc_now()
    with session_scope(engine) as session:
        ids = stationing.active_ids(session)
    created = 0
    for stationing_id in ids:
        with session_scope(engine) as session:
            found = stationing.get(session, stationing_id)
            created += len(stationing.generate(session, found, weeks=stationing.WEEKS_AHEAD, now=now))
    log.info("generated %d reception sessions", created)
    return created


def send_stationing_summaries(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Monday morning: last week's summary to every stationed cadre (once per week, by its dedupe key)."""
    from services.stationing import stationing_summary

    with session_scope(engine) as session:
        written = stationing_summary.send(session, now or utc_now())
    log.info("queued %d stationing summaries", written)
    return written


def flag_unanswered_whistles(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Whistles past their report deadline: a timeline event and a message, once each."""
    from services.requests import whistle_sweep

    with session_scope(engine) as session:
        return whistle_sweep.flag_unanswered(session, now or utc_now())


def close_unrated_replies(now: datetime | None = None, engine: Engine | None = None) -> int:
    """未评价结案: replies nobody rated or called back in BANDENG_UNRATED_CLOSE_DAYS are closed, a batch per
    transaction; returns how many."""
    from services.requests import unrated_close

    now = now or utc_now()
    closed = 0
    while True:
        with session_scope(engine) as session:
            batch = unrated_close.close_due(session, now)
        closed += batch
        if batch < unrated_close.BATCH:
            break
    if closed:
        log.info("closed %d replies nobody rated or called back", closed)
    return closed


def remind_unrated_replies(now: datetime | None = None, engine: Engine | None = None) -> int:
    """评价提醒: one SMS to each resident whose reply waited BANDENG_RATE_REMINDER_DAYS unrated, a batch per
    transaction; returns how many reminders were queued."""
    from services.requests import rate_reminders

    now = now or utc_now()
    queued, after = 0, None
    while True:
        with session_scope(engine) as session:
            batch = rate_reminders.remind_due(session, now, after=after)
        queued += batch.queued
        if batch.last is None:
            break
        after = batch.last
    if queued:
        log.info("queued %d reminders to rate a reply", queued)
    return queued


def back_up_daily(now: datetime | None = None, engine: Engine | None = None) -> int:
    """The daily backup into BANDENG_BACKUP_DIR, then all but the newest BANDENG_BACKUP_KEEP removed; off at 0.
    Returns how many old backups were removed."""
    from core.settings import get_settings
    from services.backup import archive

    settings = get_settings()
    if settings.backup_keep == 0:
        return 0
    sources = archive.Sources(
        engine.url.render_as_string(hide_password=False) if engine else settings.database_url, settings.attachments_dir
    )
    made = archive.take(sources, settings.backup_dir, now=now or utc_now())
    removed = archive.prune(settings.backup_dir, settings.backup_keep)
    log.info("backed up to %s; removed %d older backups", made, len(removed))
    return len(removed)
