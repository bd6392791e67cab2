"""create_app(): the API under /api/v1, the PWA at /, error handlers, and optionally the scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from api.errors import install_error_handlers
from api.routes import (
    attachments,
    audit,
    auth,
    board,
    calendar,
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
* 时间均为带时区的 ISO 8601；列表使用 `limit` + `cursor` 分页，返回 `next_cursor`。
"""


def create_app(*, with_scheduler: bool = False) -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if with_scheduler:
            from workers.scheduler import build_scheduler

            scheduler = build_scheduler(background=True)
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
    # Phones on 2G pay for every byte: a grid's pull is ~8x smaller gzipped.
    app.add_middleware(GZipMiddleware, minimum_size=1000)
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
