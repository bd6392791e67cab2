"""Versioned SLA policies: edits make versions, timers stay pinned, a re-pin moves them with one audit row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from models.audit import AuditLog
from models.enums import Action, RequestClass, Role, SlaClock, SlaStage
from models.resident_request import Category, ResidentRequest
from models.resident_request_schemas import ActionCommand
from models.sla import SlaPolicy, SlaTimer
from models.sla_schemas import SlaPolicyChange, SlaPolicyPublic, SlaPolicyRepin
from services.actor import Actor
from services.clocks import sla, sla_policies
from services.clocks.sla_sweep import sweep
from services.errors import Conflict, Invalid, PermissionDenied
from services.requests import request_actions
from tests.factories import Town, actor_of, category_id, make_resident_request, make_town, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9AM = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
EDITED_AT = MONDAY_9AM + timedelta(hours=1)


def end_of(day: int) -> datetime:
    """23:59:59 local on that day of November 2026."""
    return datetime(2026, 11, day, 23, 59, 59, tzinfo=SHANGHAI)


@dataclass
class People:
    town: Town
    admin: Actor
    member: Actor


@pytest.fixture
def people(session: Session) -> People:
    town = make_town(session)
    admin = actor_of(session, make_user(session, Role.admin, town.district, name="管理员"))
    member = actor_of(session, make_user(session, Role.grid_member, town.grid_a1, name="网格员甲"))
    return People(town, admin, member)


def change(session: Session, actor: Actor, now: datetime = EDITED_AT, **fields: Any) -> SlaPolicyPublic:
    body = {"request_class": "general", "clock": "feedback", "unit": "calendar_days", "amount": 5, "reason": "试点"}
    return sla_policies.change_policy(session, actor, SlaPolicyChange.model_validate(body | fields), now=now)


def register(session: Session, people: People, now: datetime, category: str = "基础设施") -> ResidentRequest:
    return make_resident_request(session, people.member, people.town.grid_a1, category=category, now=now)


def feedback_timer(session: Session, rr: ResidentRequest) -> SlaTimer:
    found = session.exec(
        select(SlaTimer).where(SlaTimer.resident_request_id == rr.id, SlaTimer.clock == SlaClock.feedback)
    ).one()
    session.refresh(found)
    return found


def policy(session: Session, scope: str, version: int, clock: SlaClock = SlaClock.feedback) -> SlaPolicy:
    found = session.exec(
        select(SlaPolicy).where(SlaPolicy.scope == scope, SlaPolicy.clock == clock, SlaPolicy.version == version)
    ).one()
    session.refresh(found)
    return found


def audit_rows(session: Session, action: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.action == action)).all())


def test_an_edit_makes_a_new_version_and_running_timers_keep_theirs(session: Session, people: People) -> None:
    before = register(session, people, MONDAY_9AM)
    pinned = feedback_timer(session, before)
    assert pinned.due_at == end_of(9)  # 7 calendar days, the end of the 7th day

    edited = change(session, people.admin)

    assert (edited.version, edited.is_current, edited.duration_label) == (2, True, "5 个自然日")
    assert policy(session, "class:general", 1).is_current is False
    assert pinned.id is not None
    session.expire_all()
    still = session.get(SlaTimer, pinned.id)
    assert still is not None and still.policy_id == policy(session, "class:general", 1).id
    assert still.due_at == end_of(9) and before.feedback_due_at == end_of(9)
    after = register(session, people, EDITED_AT)
    assert feedback_timer(session, after).policy_id == edited.id
    assert after.feedback_due_at == end_of(7)
    (entry,) = audit_rows(session, "sla_policy.change")
    assert entry.reason == "试点" and entry.detail is not None
    assert entry.detail["before"]["amount"] == 7 and entry.detail["after"]["amount"] == 5
    assert entry.detail["after"]["quiet_start"] == "22:00"


def test_a_category_policy_wins_over_its_class_until_retired(session: Session, people: People) -> None:
    infrastructure = category_id(session, "基础设施")
    own = change(session, people.admin, request_class=None, category_id=infrastructure, amount=3, unit="working_days")
    assert (own.scope, own.version, own.scope_label) == (f"category:{infrastructure}", 1, "基础设施")

    ruled = register(session, people, MONDAY_9AM)
    other = register(session, people, MONDAY_9AM, category="环境卫生")  # same class, no policy of its own
    assert feedback_timer(session, ruled).policy_id == own.id
    assert ruled.feedback_due_at == end_of(5)  # 3 working days from Monday: Tue, Wed, Thu
    assert other.feedback_due_at == end_of(9)

    sla_policies.retire(session, people.admin, own.id, "试点结束", now=EDITED_AT)
    later = register(session, people, EDITED_AT)
    assert feedback_timer(session, later).policy_id == policy(session, "class:general", 1).id
    assert feedback_timer(session, ruled).policy_id == own.id  # the running timer stays pinned
    again = change(session, people.admin, request_class=None, category_id=infrastructure, amount=4)
    assert again.version == 2  # versions go on after a retirement
    assert [e.reason for e in audit_rows(session, "sla_policy.retire")] == ["试点结束"]


def test_preview_counts_live_timers_on_older_versions_and_writes_nothing(session: Session, people: People) -> None:
    first, second = register(session, people, MONDAY_9AM), register(session, people, MONDAY_9AM)
    answered = register(session, people, MONDAY_9AM)
    on_the_spot = ActionCommand(action=Action.resolve_on_spot, note="已修好")
    request_actions.act(session, answered, on_the_spot, actor=people.member, now=EDITED_AT)
    register(session, people, MONDAY_9AM, category="邻里纠纷")  # another class: out of scope
    edited = change(session, people.admin)
    register(session, people, EDITED_AT)  # already on version 2

    result = sla_policies.repin(session, people.admin, edited.id, SlaPolicyRepin(preview=True), now=EDITED_AT)

    assert (result.preview, result.timers, result.repinned, result.due_moved) == (True, 2, 0, 0)
    old = policy(session, "class:general", 1).id
    assert {feedback_timer(session, rr).policy_id for rr in (first, second)} == {old}
    assert audit_rows(session, "sla_policy.repin") == []


@contextmanager
def in_session(session: Session) -> Iterator[Session]:
    yield session
    session.flush()


def test_repin_moves_due_times_in_one_audited_step_and_never_lowers_a_stage(session: Session, people: People) -> None:
    warned, extended = register(session, people, MONDAY_9AM), register(session, people, MONDAY_9AM)
    sla.extend(session, extended, end_of(20), MONDAY_9AM + timedelta(days=1))
    sweep(MONDAY_9AM + timedelta(days=6), scope=lambda: in_session(session))
    assert feedback_timer(session, warned).stage == SlaStage.warning
    repin_at = MONDAY_9AM + timedelta(days=6, hours=1)
    edited = change(session, people.admin, now=repin_at, amount=10)

    body = SlaPolicyRepin(preview=False, reason="统一按新时限")
    result = sla_policies.repin(session, people.admin, edited.id, body, now=repin_at)

    assert (result.timers, result.repinned, result.due_moved) == (2, 2, 1)
    timer = feedback_timer(session, warned)
    assert timer.policy_id == edited.id and timer.due_at == end_of(12)
    assert timer.stage == SlaStage.warning  # the new warning time lies ahead, yet the card stays
    assert timer.next_action_at == end_of(12)  # the next stage is the breach
    assert warned.feedback_due_at == end_of(12)
    kept = feedback_timer(session, extended)
    assert kept.policy_id == edited.id and kept.due_at == end_of(20) == extended.feedback_due_at
    (entry,) = audit_rows(session, "sla_policy.repin")
    assert entry.reason == "统一按新时限" and entry.target_id == str(edited.id)
    assert entry.detail is not None and (entry.detail["repinned"], entry.detail["due_moved"]) == (2, 1)
    again = sla_policies.repin(session, people.admin, edited.id, SlaPolicyRepin(preview=True), now=repin_at)
    assert again.timers == 0


def test_only_the_current_version_is_repinned_or_retired(session: Session, people: People) -> None:
    edited = change(session, people.admin)
    old = policy(session, "class:general", 1)
    assert old.id is not None
    for preview in (True, False):
        body = SlaPolicyRepin(preview=preview, reason="试试")
        with pytest.raises(Conflict) as caught:
            sla_policies.repin(session, people.admin, old.id, body, now=EDITED_AT)
        assert caught.value.code == "policy_not_current"
    with pytest.raises(Conflict) as caught:
        sla_policies.retire(session, people.admin, edited.id, "不要了", now=EDITED_AT)
    assert caught.value.code == "class_policy_required"
    with pytest.raises(Conflict) as caught:
        change(session, people.admin)  # the same terms as version 2
    assert caught.value.code == "policy_unchanged"


def test_a_category_must_exist_and_be_active(session: Session, people: People) -> None:
    unused = Category(name="已停用分类", request_class=RequestClass.general, is_active=False)
    session.add(unused)
    session.flush()
    for missing in (unused.id, 999_999):
        with pytest.raises(Invalid) as caught:
            change(session, people.admin, request_class=None, category_id=missing)
        assert caught.value.detail[0]["loc"] == ["body", "category_id"]
    assert session.exec(select(SlaPolicy).where(col(SlaPolicy.scope).startswith("category:"))).all() == []


def test_only_admins_write(session: Session, people: People) -> None:
    with pytest.raises(PermissionDenied):
        change(session, people.member)
    current = policy(session, "class:general", 1)
    assert current.id is not None
    with pytest.raises(PermissionDenied):
        sla_policies.repin(session, people.member, current.id, SlaPolicyRepin(), now=EDITED_AT)
