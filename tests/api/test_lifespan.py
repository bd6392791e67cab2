"""The scheduler an entry point passes to create_app runs exactly as long as the app."""

from __future__ import annotations

from api.main import create_app


class RecordingScheduler:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def shutdown(self, wait: bool = True) -> None:
        self.calls.append(f"shutdown(wait={wait})")


async def test_scheduler_starts_with_the_app_and_stops_without_waiting() -> None:
    scheduler = RecordingScheduler()
    app = create_app(scheduler_factory=lambda: scheduler)
    async with app.router.lifespan_context(app):
        assert scheduler.calls == ["start"]
    assert scheduler.calls == ["start", "shutdown(wait=False)"]


async def test_no_scheduler_unless_one_is_passed() -> None:
    app = create_app()
    async with app.router.lifespan_context(app):
        pass
