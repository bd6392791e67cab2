"""`python -m workers`: the scheduler as its own process (run one per deployment)."""

from __future__ import annotations

import contextlib
import logging

from core.settings import get_settings
from workers.scheduler import build_scheduler


def main() -> None:
    logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = build_scheduler(background=False)
    logging.getLogger("bandeng.workers").info("scheduler starting with jobs: %s", [j.id for j in scheduler.get_jobs()])
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


if __name__ == "__main__":
    main()
