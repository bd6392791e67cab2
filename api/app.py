"""The ASGI app for `uvicorn api.app:app` (several processes: run the scheduler with `python -m workers`)."""

from api.main import create_app
from core.settings import get_settings

app = create_app(with_scheduler=get_settings().scheduler_in_process)
