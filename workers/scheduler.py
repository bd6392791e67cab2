"""The APScheduler 3.x scheduler: the same jobs in-process (`bandeng serve`) or alone (`python -m workers`)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.settings import get_settings
from workers import jobs

# Every job: coalesce missed runs into one, never two copies at once, and a stated grace for misfires.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 600}


def build_scheduler(*, background: bool) -> BaseScheduler:
    # Every 20 seconds "Running job …" would drown the log; the jobs log what they did themselves.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    tz = get_settings().tz
    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler: BaseScheduler = cls(timezone=tz, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        jobs.prune_rate_limits, CronTrigger(minute=17, timezone=tz), id="prune_rate_limits", replace_existing=True
    )
    scheduler.add_job(
        jobs.prune_refresh_tokens,
        CronTrigger(hour=3, minute=41, timezone=tz),
        id="prune_refresh_tokens",
        replace_existing=True,
    )
    # A skipped minute is caught up by the next run, which finds the same rows still due.
    scheduler.add_job(
        jobs.sweep_sla, IntervalTrigger(seconds=60), id="sweep_sla", replace_existing=True, misfire_grace_time=30
    )
    # Daily; a missed morning still runs later that day (the alerts are deduplicated per year and admin).
    scheduler.add_job(
        jobs.check_calendar_coverage,
        CronTrigger(hour=8, minute=0, timezone=tz),
        id="check_calendar_coverage",
        replace_existing=True,
        misfire_grace_time=None,
    )
    # The outbox: a late run is useless when the next one is 20 s away.
    scheduler.add_job(
        jobs.deliver_notifications,
        IntervalTrigger(seconds=20),
        id="deliver_notifications",
        replace_existing=True,
        misfire_grace_time=15,
    )
    # The cadres' morning digest; up to an hour late still goes out (once a day per cadre, by its key).
    scheduler.add_job(
        jobs.send_daily_digests,
        CronTrigger(hour=8, minute=30, timezone=tz),
        id="send_daily_digests",
        replace_existing=True,
        misfire_grace_time=3600,
    )
    # Phones silent for 3 days; a missed morning still runs later that day (one alert per device per day).
    scheduler.add_job(
        jobs.alert_silent_devices,
        CronTrigger(hour=9, minute=10, timezone=tz),
        id="alert_silent_devices",
        replace_existing=True,
        misfire_grace_time=None,
    )
    # Sessions 8 weeks ahead; idempotent per slot, so a missed night simply runs later that day.
    scheduler.add_job(
        jobs.generate_reception_sessions,
        CronTrigger(hour=2, minute=23, timezone=tz),
        id="generate_reception_sessions",
        replace_existing=True,
        misfire_grace_time=None,
    )
    # Monday 08:15; a restart later that day still sends it once (the dedupe key is per cadre and week).
    scheduler.add_job(
        jobs.send_stationing_summaries,
        CronTrigger(day_of_week="mon", hour=8, minute=15, timezone=tz),
        id="send_stationing_summaries",
        replace_existing=True,
        misfire_grace_time=12 * 3600,
    )
    return scheduler
