"""The APScheduler 3.x scheduler: the same jobs in-process (`bandeng serve`) or alone (`python -m workers`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.settings import get_settings
from workers import jobs
from workers.heartbeat import beating

# Every job: coalesce missed runs into one, never two copies at once, and a stated grace for misfires.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 600}
HOUR = 3600


def job_table(tz: ZoneInfo) -> list[tuple[Callable[..., Any], BaseTrigger, int | None]]:
    """(job, trigger, misfire grace in seconds; None: run however late). Every job is idempotent, so a late
    or repeated run does no harm."""
    return [
        (jobs.prune_rate_limits, CronTrigger(minute=17, timezone=tz), 600),
        (jobs.prune_refresh_tokens, CronTrigger(hour=3, minute=41, timezone=tz), 600),
        # A skipped minute is caught up by the next run, which finds the same rows still due.
        (jobs.sweep_sla, IntervalTrigger(seconds=60), 30),
        # Whistles past their report deadline; the next minute's run finds any it skipped.
        (jobs.flag_unanswered_whistles, IntervalTrigger(seconds=60), 30),
        # 未评价结案: the cut-off moves at local midnight; hourly runs catch up on anything skipped.
        (jobs.close_unrated_replies, CronTrigger(minute=7, timezone=tz), None),
        # 评价提醒: hourly by day only (a resident is not asked to rate at night, whatever the request's class).
        (jobs.remind_unrated_replies, CronTrigger(hour="9-20", minute=37, timezone=tz), None),
        # A late delivery run is useless when the next one is 20 s away.
        (jobs.deliver_notifications, IntervalTrigger(seconds=20), 15),
        # Alerts deduplicated per year and admin: a missed morning still runs later that day.
        (jobs.check_calendar_coverage, CronTrigger(hour=8, minute=0, timezone=tz), None),
        # The cadres' morning digest, once a day per cadre by its key.
        (jobs.send_daily_digests, CronTrigger(hour=8, minute=30, timezone=tz), HOUR),
        # Phones silent for 3 days: one alert per device per day.
        (jobs.alert_silent_devices, CronTrigger(hour=9, minute=10, timezone=tz), None),
        # Reception sessions 8 weeks ahead, idempotent per slot.
        (jobs.generate_reception_sessions, CronTrigger(hour=2, minute=23, timezone=tz), None),
        # Monday's summary for stationed cadres, once per cadre and week by its key.
        (jobs.send_stationing_summaries, CronTrigger(day_of_week="mon", hour=8, minute=15, timezone=tz), 12 * HOUR),
        # The daily backup at night; a missed one runs when the scheduler is back (one folder, whatever the hour).
        (jobs.back_up_daily, CronTrigger(hour=2, minute=53, timezone=tz), None),
    ]


def build_scheduler(*, background: bool) -> BaseScheduler:
    # Every 20 seconds "Running job …" would drown the log; the jobs log what they did themselves.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    tz = get_settings().tz
    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler: BaseScheduler = cls(timezone=tz, job_defaults=JOB_DEFAULTS)
    for job, trigger, grace in job_table(tz):
        scheduler.add_job(beating(job), trigger, id=job.__name__, replace_existing=True, misfire_grace_time=grace)
    return scheduler
