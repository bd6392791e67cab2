"""create_app(): the API under /api/v1, the PWA at /, error handlers, and any scheduler the entry point passes in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from api.errors import install_error_handlers
from api.limiter import InFlightLimit
from api.middleware import BodyLimit, SecurityHeaders
from api.openapi import install_openapi
from api.routes import (
    attachments,
    audit,
    auth,
    board,
    calendar,
    callbacks,
    categories,
    health,
    households,
    ledgers,
    metrics,
    notifications,
    org_units,
    public,
    requests,
    routing_rules,
    sla_policies,
    stationing,
    sync,
    users,
)
from core.settings import get_settings

DESCRIPTION = """
板凳 Bandeng：网格化管理的后端与移动端。网格员走访、居民诉求登记与流转、7 天反馈承诺、居民查询与评价。

* 登录：`POST /api/v1/auth/login` 得到 `access_token`，点右上角 **Authorize** 填入。
* 每个错误都是 `{"error": {"code", "message", "detail"}}`；字段错误在 `detail` 中列出路径。
* 时刻均为带时区的 ISO 8601；钟点（如接待时间、免打扰时段）为当地时间 HH:MM。
* 列表使用 `limit` + `cursor` 分页，返回 `next_cursor`。
"""


class Scheduler(Protocol):
    """What the app asks of a scheduler it runs in-process (APScheduler's BackgroundScheduler fits)."""

    def start(self) -> None: ...

    def shutdown(self, wait: bool = True) -> None: ...


def _photo_upload(scope: Scope) -> bool:
    """PUT /attachments/{id} reads its body itself, up to BANDENG_ATTACHMENT_MAX_BYTES."""
    return scope["method"] == "PUT" and str(scope["path"]).startswith("/api/v1/attachments/")


def _limited(scope: Scope) -> bool:
    """API requests wait for a slot; photo uploads do not hold one while a phone on 2G sends the body."""
    return str(scope["path"]).startswith("/api/") and not _photo_upload(scope)


def create_app(*, scheduler_factory: Callable[[], Scheduler] | None = None) -> FastAPI:
    """The app; a scheduler from `scheduler_factory` runs from startup to shutdown (api/ never imports workers/)."""
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = scheduler_factory() if scheduler_factory is not None else None
        if scheduler is not None:
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    app = FastAPI(
        title="板凳 Bandeng API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
    )
    install_error_handlers(app)
    install_openapi(app)
    # Phones on 2G pay for every byte: a grid's pull is ~8x smaller gzipped.
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(BodyLimit, max_bytes=settings.request_max_bytes, exempt=_photo_upload)
    app.add_middleware(InFlightLimit, limit=settings.max_in_flight, wait=settings.queue_wait_seconds, applies=_limited)
    app.add_middleware(SecurityHeaders)  # the outermost: a 413 from BodyLimit carries the headers too
    prefix = "/api/v1"
    app.include_router(health.router, prefix=prefix, tags=["health"])
    app.include_router(auth.router, prefix=f"{prefix}/auth", tags=["auth 登录"])
    app.include_router(auth.me_router, prefix=prefix, tags=["auth 登录"])
    app.include_router(users.router, prefix=f"{prefix}/users", tags=["users 账号"])
    app.include_router(org_units.router, prefix=f"{prefix}/org-units", tags=["org 组织架构"])
    app.include_router(categories.router, prefix=f"{prefix}/categories", tags=["categories 诉求分类"])
    app.include_router(routing_rules.router, prefix=f"{prefix}/routing-rules", tags=["routing 分派规则"])
    app.include_router(sla_policies.router, prefix=f"{prefix}/sla/policies", tags=["sla 时限规则"])
    app.include_router(requests.router, prefix=f"{prefix}/requests", tags=["requests 诉求"])
    app.include_router(callbacks.request_router, prefix=f"{prefix}/requests", tags=["callbacks 回访"])
    app.include_router(callbacks.router, prefix=f"{prefix}/callbacks", tags=["callbacks 回访"])
    app.include_router(public.router, prefix=f"{prefix}/public", tags=["public 居民（免登录）"])
    app.include_router(audit.router, prefix=f"{prefix}/audit-log", tags=["audit 审计"])
    app.include_router(calendar.router, prefix=f"{prefix}/calendar", tags=["calendar 工作日历"])
    app.include_router(notifications.router, prefix=f"{prefix}/notifications", tags=["notifications 通知"])
    app.include_router(attachments.router, prefix=f"{prefix}/attachments", tags=["attachments 走访照片"])
    app.include_router(sync.router, prefix=f"{prefix}/sync", tags=["sync 离线同步"])
    app.include_router(households.router, prefix=prefix, tags=["households 住户"])
    app.include_router(ledgers.router, prefix=prefix, tags=["ledgers 台账与走访"])
    app.include_router(stationing.router, prefix=prefix, tags=["stationing 驻点直联"])
    app.include_router(board.router, prefix=f"{prefix}/public/board", tags=["public 居民（免登录）"])
    app.include_router(metrics.router, prefix=f"{prefix}/metrics", tags=["metrics 工作指标"])
    app.include_router(metrics.public_router, prefix=f"{prefix}/public/results", tags=["public 居民（免登录）"])
    if settings.pwa_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.pwa_dir, html=True), name="pwa")
    return app
