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
        (S.registered, A.take_over, S.in_progress),
        (S.dispatched, A.take_over, S.in_progress),
        (S.in_progress, A.supervise, S.in_progress),
        (S.accepted, A.whistle, S.accepted),
        (S.dispatched, A.report_in, S.dispatched),
        (S.in_progress, A.request_extension, S.in_progress),
        (S.dispatched, A.approve_extension, S.dispatched),
        (S.in_progress, A.deny_extension, S.in_progress),
        (S.dispatched, A.whistle_overdue, S.dispatched),
        (S.replied, A.callback, S.replied),
        (S.closed, A.callback, S.closed),  # after a rating, as 未评价, or on the spot
        (S.replied, A.close_unrated, S.closed),
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
        (S.replied, A.take_over),
        (S.closed, A.supervise),
        (S.replied, A.whistle),
        (S.registered, A.request_extension),
        (S.replied, A.approve_extension),
        (S.not_accepted, A.report_in),
        (S.in_progress, A.callback),  # nothing answered yet
        (S.not_accepted, A.callback),
        (S.closed, A.close_unrated),
        (S.dispatched, A.close_unrated),
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
        (Role.town_cadre, A.whistle, True),
        (Role.village_staff, A.whistle, False),
        (Role.department_handler, A.report_in, True),
        (Role.town_cadre, A.report_in, False),
        (Role.department_handler, A.request_extension, True),
        (Role.grid_member, A.request_extension, True),
        (Role.department_handler, A.approve_extension, False),
        (Role.village_staff, A.deny_extension, False),
        (Role.town_cadre, A.take_over, True),
        (Role.grid_leader, A.take_over, False),
        (Role.town_cadre, A.supervise, True),
        (Role.town_cadre, A.whistle_overdue, False),
        (Role.village_staff, A.callback, False),  # recorded through its own route, with its outcome
        (Role.town_cadre, A.close_unrated, False),  # the scheduler's
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
        A.take_over,
        A.supervise,
        A.whistle,
    ]
    assert allowed_actions(S.in_progress, Role.department_handler) == [
        A.return_,
        A.first_contact,
        A.reply,
        A.report_in,
        A.request_extension,
    ]
    assert allowed_actions(S.closed, Role.grid_member) == []


@pytest.mark.parametrize(
    ("action", "given", "missing"),
    [
        (A.reject, {}, ["reject_reason"]),
        (A.reply, {"note": "已修好"}, ["closure_type"]),
        (A.reply, {"closure_type": "substantive", "note": ""}, ["note"]),
        (A.dispatch, {"handling_unit_id": 3}, []),
        (A.accept, {}, []),
        (A.whistle, {"note": "请到现场"}, ["department_id"]),
        (A.request_extension, {"due_at": "2026-12-01T00:00:00+08:00"}, ["note"]),
        (A.deny_extension, {}, ["note"]),
        (A.take_over, {"note": "镇里直接办"}, []),
    ],
)
def test_required_inputs(action: Action, given: dict[str, object], missing: list[str]) -> None:
    assert missing_inputs(action, given) == missing
