from __future__ import annotations

import pytest

from models.enums import Action, RequestStatus, Role
from services.rules.lifecycle import (
    InvalidTransitionError,
    allowed_actions,
    may_take,
    missing_inputs,
    transition,
)

S, A = RequestStatus, Action


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (S.registered, A.accept, S.accepted),
        (S.registered, A.reject, S.not_accepted),
        (S.registered, A.resolve_on_spot, S.closed),
        (S.accepted, A.dispatch, S.dispatched),
        (S.dispatched, A.sign_for, S.dispatched),
        (S.dispatched, A.first_contact, S.dispatched),
        (S.dispatched, A.start, S.in_progress),
        (S.dispatched, A.return_, S.accepted),
        (S.in_progress, A.reply, S.replied),
        (S.replied, A.close, S.closed),
        (S.replied, A.reopen, S.dispatched),
        (S.closed, A.reopen, S.dispatched),
        (S.in_progress, A.escalate, S.in_progress),
        (S.accepted, A.transfer, S.dispatched),
    ],
)
def test_allowed_moves(status: RequestStatus, action: Action, expected: RequestStatus) -> None:
    assert transition(status, action) == expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.registered, A.reply),
        (S.registered, A.close),
        (S.accepted, A.start),
        (S.dispatched, A.reply),
        (S.closed, A.accept),
        (S.not_accepted, A.reopen),
        (S.not_accepted, A.escalate),
        (S.replied, A.escalate),
        (S.closed, A.transfer),
        (S.in_progress, A.sign_for),
    ],
)
def test_refused_moves(status: RequestStatus, action: Action) -> None:
    with pytest.raises(InvalidTransitionError):
        transition(status, action)


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        (Role.grid_member, A.resolve_on_spot, True),
        (Role.grid_member, A.accept, False),
        (Role.grid_leader, A.dispatch, True),
        (Role.department_handler, A.reply, True),
        (Role.department_handler, A.accept, False),
        (Role.village_staff, A.transfer, False),
        (Role.town_cadre, A.transfer, True),
        (Role.admin, A.accept, False),
        (Role.auditor, A.reply, False),
        (Role.town_cadre, A.rate, False),
    ],
)
def test_roles(role: Role, action: Action, allowed: bool) -> None:
    assert may_take(role, action) is allowed


def test_allowed_actions_follow_status_and_role() -> None:
    assert allowed_actions(S.registered, Role.grid_member) == [A.resolve_on_spot, A.escalate]
    assert allowed_actions(S.registered, Role.town_cadre) == [
        A.accept,
        A.reject,
        A.resolve_on_spot,
        A.escalate,
        A.transfer,
    ]
    assert allowed_actions(S.in_progress, Role.department_handler) == [A.return_, A.first_contact, A.reply]
    assert allowed_actions(S.closed, Role.grid_member) == []


@pytest.mark.parametrize(
    ("action", "given", "missing"),
    [
        (A.reject, {}, ["reject_reason"]),
        (A.reply, {"note": "已修好"}, ["closure_type"]),
        (A.reply, {"closure_type": "substantive", "note": ""}, ["note"]),
        (A.dispatch, {"handling_unit_id": 3}, []),
        (A.accept, {}, []),
    ],
)
def test_required_inputs(action: Action, given: dict[str, object], missing: list[str]) -> None:
    assert missing_inputs(action, given) == missing
