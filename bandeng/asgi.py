"""The ASGI app for `uvicorn bandeng.asgi:app` and `bandeng serve`: the API, with the periodic jobs inside it
when BANDENG_SCHEDULER_IN_PROCESS is true (several processes: set it false and run `python -m workers`)."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from api.main import create_app
from core.settings import get_settings
from workers.scheduler import build_scheduler


def build_app() -> FastAPI:
    """The app as deployed: the scheduler runs in-process only when the settings ask for it."""
    in_process = get_settings().scheduler_in_process
    return create_app(scheduler_factory=partial(build_scheduler, background=True) if in_process else None)


app = build_app()
