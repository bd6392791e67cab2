"""Schemathesis over every operation of the OpenAPI, as five roles: no server error, no status that is not
documented, every answer in its documented schema.

In-process (ASGI), derandomized (the same cases on every run) and bounded: a few valid cases per operation,
and a few invalid ones where the operation takes input, so that CI gets the same answer in about two minutes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from sqlmodel import Session

from models.enums import Role
from models.org import OrgUnit
from models.user import User
from tests.factories import Town, auth_header, make_town, make_user

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}  # ~3,500 requests in all, ~2 minutes
Operation = APIOperation[Any, Any, Any, Any]
ROLES: dict[str, tuple[Role, Callable[[Town], OrgUnit]] | None] = {
    "admin": (Role.admin, lambda town: town.district),
    "village_staff": (Role.village_staff, lambda town: town.village_a),
    "grid_member": (Role.grid_member, lambda town: town.grid_a1),
    "town_cadre": (Role.town_cadre, lambda town: town.town),
    "anonymous": None,
}


def _modes(operation: Operation) -> list[GenerationMode]:
    """Invalid input only where there is input to get wrong (an operation without any has no invalid case)."""
    takes_input = any(True for _ in operation.iter_parameters()) or bool(operation.body)
    return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if takes_input else [GenerationMode.POSITIVE]


def _fuzz(operation: Operation, mode: GenerationMode, user: User | None) -> None:
    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        # A fresh token each time: a fuzzed POST /auth/logout ends the token it was sent with.
        case.call_and_validate(headers=auth_header(user) if user else {}, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_answers_as_documented(app: FastAPI, session: Session, role: str) -> None:
    seat = ROLES[role]
    user = make_user(session, seat[0], seat[1](make_town(session))) if seat else None
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"not understood: {result.err()}")
            continue
        operation = result.ok()
        for mode in _modes(operation):
            try:
                _fuzz(operation, mode, user)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group; report every operation
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
