"""Domain errors: each knows its code and a message for people, nothing of HTTP."""

from __future__ import annotations

import math
from typing import Any


class DomainError(Exception):
    code = "domain_error"
    message = "操作未能完成"

    def __init__(self, message: str | None = None, *, detail: Any = None, code: str | None = None) -> None:
        self.message = message or type(self).message
        self.detail = detail
        if code:
            self.code = code
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    message = "未找到，或您无权查看"


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    message = "请先登录"


class PermissionDenied(DomainError):
    code = "permission_denied"
    message = "您的角色不能执行此操作"


class PasswordChangeRequired(PermissionDenied):
    code = "password_change_required"
    message = "请先修改初始密码"


class Conflict(DomainError):
    code = "conflict"
    message = "与当前数据冲突"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "当前状态下不能执行此操作"


class Invalid(DomainError):
    """A value that parsed but breaks a rule; `field` names the offending input, found in `part` of the request
    ("body", or "query" for a query parameter such as a cursor)."""

    code = "invalid"
    message = "输入有误"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, part: str = "body") -> None:
        loc = [part, field] if field else []
        super().__init__(message, detail=[{"loc": loc, "msg": message, "type": code or "invalid"}], code=code)


def wait_words(seconds: int) -> str:
    """A wait as people say it: "30 秒", "15 分钟" (minutes rounded up)."""
    return f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"


class TooManyRequests(DomainError):
    """Too many tries; without a message of its own it says how long to wait."""

    code = "rate_limited"
    message = "请求过于频繁，请稍后再试"

    def __init__(self, message: str | None = None, *, retry_after: int = 60, code: str | None = None) -> None:
        self.retry_after = retry_after
        message = message or f"请求过于频繁，请 {wait_words(retry_after)}后再试"
        super().__init__(message, detail={"retry_after": retry_after}, code=code)
