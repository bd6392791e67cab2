"""The OpenAPI as the app really answers: every error in the one error shape, and the statuses that come from
shared machinery rather than from a route (sign-in, the initial password, the body limit, body parsing)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from api.deps import current_actor, current_sign_in

ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "detail"],
            "properties": {
                "code": {"type": "string", "description": "机器可读的错误代码，如 validation_error、not_found"},
                "message": {"type": "string", "description": "给人看的中文说明"},
                "detail": {"description": '补充信息；字段错误时为 [{loc, msg, type}]，loc 如 ["query", "cursor"]'},
            },
        }
    },
}
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
# FastAPI's own 422 body ({"detail": [...]}) is never sent: api/errors.py answers in the error shape.
UNSENT_SCHEMAS = ("HTTPValidationError", "ValidationError")

SIGNED_OUT = "未登录，或登录已过期、已失效（not_authenticated / token_invalid / token_revoked）"
MUST_CHANGE = "需先修改初始密码（password_change_required）"
TOO_LARGE = "请求体超过上限（payload_too_large；detail.max_bytes 给出上限）"
UNPARSABLE = "请求体无法解析，如 JSON 中含无效的 UTF-8（bad_request）"


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    """Every dependency a route runs, its sub-dependencies included."""
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def implied_errors(dependant: Dependant, operation: dict[str, Any]) -> dict[str, str]:
    """The error statuses an operation answers because of what it depends on and whether it takes a body."""
    calls = set(_calls(dependant))
    implied: dict[str, str] = {}
    if current_sign_in in calls:
        implied["401"] = SIGNED_OUT
    if current_actor in calls:
        implied["403"] = MUST_CHANGE
    body = operation.get("requestBody")
    if body is not None:
        implied["413"] = TOO_LARGE
        if "application/json" in body.get("content", {}):
            implied["400"] = UNPARSABLE
    return implied


def _routes(app: FastAPI) -> Iterable[Any]:
    """The app's routes with their full paths (newer FastAPI keeps included routers nested, older flattens them)."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    return iter_contexts(app.routes) if iter_contexts is not None else app.routes


def _operations(schema: dict[str, Any], routes: Iterable[Any]) -> Iterator[tuple[Dependant, dict[str, Any]]]:
    """Each documented operation beside the dependencies of its route."""
    for route in routes:
        dependant, path_item = getattr(route, "dependant", None), schema["paths"].get(getattr(route, "path_format", ""))
        if isinstance(dependant, Dependant) and path_item is not None:
            for method in getattr(route, "methods", None) or ():
                if method.lower() in path_item:
                    yield dependant, path_item[method.lower()]


def document_errors(schema: dict[str, Any], routes: Iterable[Any]) -> None:
    """Add the implied statuses a route did not describe itself, and give every error status the error shape."""
    for dependant, operation in _operations(schema, routes):
        responses = operation.setdefault("responses", {})
        for status, text in implied_errors(dependant, operation).items():
            described = responses.setdefault(status, {"description": text})
            if status == "403" and "初始密码" not in described["description"]:
                described["description"] += f"；或{MUST_CHANGE}"
        for status, response in responses.items():
            if str(status)[0] in "45":
                response["content"] = ERROR_CONTENT
        operation["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in UNSENT_SCHEMAS:
        schemas.pop(name, None)
    schemas["ErrorResponse"] = ERROR_SCHEMA


def install_openapi(app: FastAPI) -> None:
    """Serve the OpenAPI with the errors documented as they are sent."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # cached by FastAPI until the routes change
        if "ErrorResponse" not in schema.get("components", {}).get("schemas", {}):
            document_errors(schema, _routes(app))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
