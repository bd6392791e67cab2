"""Sync push and pull against the migrated schema: idempotency, per-op isolation, merge, scope, devices."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from models.enums import Channel, NotificationChannel, Role
from models.grid import AppliedOp, Device, Household, HouseholdConflict, SyncChange, Visit, VisitItem
from models.notification import Notification
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.sync_schemas import OpStatus, PushEnvelope
from models.user import User
from services.actor import Actor
from services.errors import Conflict
from services.gridwork import sync
from tests.factories import Town, actor_of, category_id, make_town, make_user, run_at_once

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
DEVICE = uuid.UUID("00000000-0000-4000-8000-0000000000d1")


def visit_op(household_id: uuid.UUID | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"visited_at": "2026-11-25T09:30:00+08:00", "notes": "入户走访", **fields}
    if household_id is not None:
        body["household_id"] = str(household_id)
    elif "place_text" not in body:
        body["place_text"] = "村委会门口"
    return {
        "op_id": str(uuid.uuid4()),
        "entity": "visit",
        "action": "create",
        "entity_id": str(uuid.uuid4()),
        "fields": body,
    }


def push(session: Session, actor: Actor, ops: list[dict[str, Any]], device: uuid.UUID = DEVICE) -> list[Any]:
    envelope = PushEnvelope.model_validate({"device_id": str(device), "ops": ops, "pending_count": len(ops)})
    return sync.push(session, actor, envelope, now=NOW).results


def count(session: Session, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session, "990301")


@pytest.fixture
def member(session: Session, town: Town) -> Actor:
    return actor_of(session, make_user(session, Role.grid_member, town.grid_a1, name="网格员乙"))


def make_household(session: Session, grid: OrgUnit, **fields: Any) -> Household:
    assert grid.id is not None
    household = Household(grid_id=grid.id, head_name="张三", address_text="一组 12 号", **fields)
    session.add(household)
    session.flush()
    return household


def test_the_same_batch_twice_answers_duplicates_and_writes_nothing_new(session: Session, member: Actor) -> None:
    ops = [visit_op(), visit_op()]
    assert [r.status for r in push(session, member, ops)] == [OpStatus.applied, OpStatus.applied]
    visits, changes = count(session, Visit), count(session, SyncChange)
    again = push(session, member, ops)
    assert [r.status for r in again] == [OpStatus.duplicate, OpStatus.duplicate]
    assert [r.entity_id for r in again] == [uuid.UUID(op["entity_id"]) for op in ops]
    assert (count(session, Visit), count(session, SyncChange)) == (visits, changes)
    device = session.get(Device, DEVICE)
    assert device is not None and device.last_push_at == NOW and device.pending_count == 2


def test_a_changed_payload_under_an_old_op_id_is_rejected(session: Session, member: Actor) -> None:
    op = visit_op()
    push(session, member, [op])
    changed = {**op, "fields": {**op["fields"], "notes": "改过的内容"}}
    [result] = push(session, member, [changed])
    assert result.status == OpStatus.rejected and result.error["code"] == "idempotency_key_reuse"
    assert session.exec(select(Visit.notes).where(Visit.id == uuid.UUID(op["entity_id"]))).one() == "入户走访"


def test_a_replayed_create_under_a_new_op_id_makes_no_second_row(session: Session, member: Actor) -> None:
    op = visit_op()
    push(session, member, [op])
    [result] = push(session, member, [{**op, "op_id": str(uuid.uuid4())}])
    assert result.status == OpStatus.duplicate
    assert count(session, Visit) == 1


def test_the_same_visit_in_another_offset_is_still_a_duplicate(session: Session, member: Actor) -> None:
    op = visit_op()
    push(session, member, [op])
    utc = {**op, "op_id": str(uuid.uuid4()), "fields": {**op["fields"], "visited_at": "2026-11-25T01:30:00Z"}}
    assert push(session, member, [utc])[0].status == OpStatus.duplicate


def test_a_changed_item_time_or_photo_under_a_recorded_visit_id_is_a_conflict(session: Session, member: Actor) -> None:
    item = {"id": str(uuid.uuid4()), "kind": "suggestion", "description": "修路", "outcome": "noted"}
    op = visit_op(items=[item])
    push(session, member, [op])
    photo = {"attachment_id": str(uuid.uuid4()), "sha256": "a" * 64, "bytes": 10, "mime": "image/jpeg"}
    fields = {**op["fields"], "items": [{**item, "kind": "difficulty"}], "visited_at": "2026-11-25T10:30:00+08:00"}
    [result] = push(session, member, [{**op, "op_id": str(uuid.uuid4()), "fields": fields, "attachments": [photo]}])
    assert result.status == OpStatus.conflict
    assert result.conflict == {"type": "hard", "fields": ["attachments", "items", "visited_at"]}
    assert session.exec(select(VisitItem.kind)).all() == ["suggestion"] and count(session, AppliedOp) == 1


def test_one_invalid_op_does_not_block_the_rest_of_its_batch(session: Session, member: Actor, town: Town) -> None:
    bad = visit_op(visited_at="not a time")
    foreign = visit_op(make_household(session, town.grid_b1).id)  # another village's grid
    unknown = {**visit_op(), "entity": "spaceship"}
    results = push(session, member, [visit_op(), bad, foreign, unknown, visit_op()])
    assert [r.status for r in results] == [
        OpStatus.applied,
        OpStatus.rejected,
        OpStatus.rejected,
        OpStatus.rejected,
        OpStatus.applied,
    ]
    assert "visited_at" in results[1].error["fields"]
    assert results[2].error["code"] == "forbidden"
    assert results[3].error["code"] == "unsupported_op"
    assert count(session, Visit) == 2
    assert session.get(AppliedOp, uuid.UUID(bad["op_id"])) is None  # a fixed resend is applied later


def test_an_item_that_became_a_request_registers_it_linked(session: Session, member: Actor, town: Town) -> None:
    household = make_household(session, town.grid_a1)
    request_id, item_id = uuid.uuid4(), uuid.uuid4()
    item = {
        "id": str(item_id),
        "kind": "difficulty",
        "description": "屋后排水沟堵塞",
        "outcome": "became_request",
        "resident_request": {
            "id": str(request_id),
            "category_id": category_id(session),
            "description": "排水沟堵塞需清理",
        },
    }
    op = visit_op(
        household.id, items=[item, {**item, "id": str(uuid.uuid4()), "outcome": "noted", "resident_request": None}]
    )
    op["attachments"] = [{"attachment_id": str(uuid.uuid4()), "sha256": "a" * 64, "bytes": 1000, "mime": "image/jpeg"}]
    envelope = PushEnvelope.model_validate({"device_id": str(DEVICE), "ops": [op]})
    answer = sync.push(session, member, envelope, now=NOW)
    assert answer.results[0].status == OpStatus.applied
    assert answer.missing_attachments == [uuid.UUID(op["attachments"][0]["attachment_id"])]
    rr = session.get(ResidentRequest, request_id)
    assert rr is not None and rr.channel == Channel.visit and rr.unit_id == town.grid_a1.id
    linked = session.get(VisitItem, item_id)
    assert linked is not None and linked.resident_request_id == request_id
    visit = session.get(Visit, uuid.UUID(op["entity_id"]))
    assert visit is not None and visit.received_at == NOW and visit.grid_id == town.grid_a1.id


def household_update(
    household: Household, base_version: int, fields: dict[str, Any], base: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "entity": "household",
        "action": "update",
        "entity_id": str(household.id),
        "base_version": base_version,
        "base_fields": base,
        "fields": fields,
    }


def test_a_stale_base_version_is_merged_and_flagged(session: Session, member: Actor, town: Town) -> None:
    leader = make_user(session, Role.grid_leader, town.grid_a1, name="网格长")
    household = make_household(session, town.grid_a1, version=3, member_count=4, notes="低保户")
    base = {"head_name": "张三", "address_text": "一组 10 号", "member_count": 3, "notes": "低保户"}
    # Since version 1 the server changed the address and member count; the phone changed count and notes.
    op = household_update(household, 1, {"member_count": 5, "notes": "低保户，老人独居"}, base)
    [result] = push(session, member, [op])
    assert result.status == OpStatus.conflict
    assert result.conflict == {"type": "hard", "fields": ["member_count"]}
    assert result.server_record is not None and result.server_record["version"] == 4
    session.refresh(household)
    assert (household.member_count, household.notes, household.address_text) == (5, "低保户，老人独居", "一组 12 号")
    assert household.has_conflict and household.version == 4
    conflict = session.exec(select(HouseholdConflict).where(HouseholdConflict.household_id == household.id)).one()
    assert (conflict.field_name, conflict.server_value, conflict.client_value) == ("member_count", 4, 5)
    notified = session.exec(select(Notification).where(Notification.recipient_id == leader.id)).one()
    assert notified.channel == NotificationChannel.inbox and notified.kind == "household_conflict"


def test_a_current_base_version_applies_without_a_conflict(session: Session, member: Actor, town: Town) -> None:
    household = make_household(session, town.grid_a1)
    [result] = push(session, member, [household_update(household, 1, {"phone": "13800001111"}, None)])
    assert result.status == OpStatus.applied and result.server_version == 2
    session.refresh(household)
    assert household.phone_last4 == "1111" and not household.has_conflict


def test_clearing_a_required_field_is_rejected_not_retried(session: Session, member: Actor, town: Town) -> None:
    household = make_household(session, town.grid_a1)
    cleared = household_update(household, 1, {"head_name": None, "notes": None}, None)
    too_many = household_update(household, 1, {"member_count": 60}, None)
    results = push(session, member, [cleared, too_many])
    assert [r.status for r in results] == [OpStatus.rejected, OpStatus.rejected]
    assert results[0].error is not None and results[0].error["code"] == "validation_failed"
    session.refresh(household)
    assert household.version == 1 and household.head_name


def test_an_unknown_cursor_answers_resync_required(session: Session, member: Actor) -> None:
    push(session, member, [visit_op()])
    latest = session.exec(select(func.max(SyncChange.seq))).one()
    for cursor in ("abc", str((latest or 0) + 1000), "-1"):
        with pytest.raises(Conflict) as raised:
            sync.pull(session, member, DEVICE, cursor, 100, now=NOW)
        assert raised.value.code == "resync_required"


def test_pull_pages_the_actors_grids_only(session: Session, member: Actor, town: Town) -> None:
    mine, other = make_household(session, town.grid_a1), make_household(session, town.grid_b1)
    push(session, member, [visit_op(mine.id), visit_op(), visit_op()])
    from services.gridwork.sync_log import record_change

    record_change(session, grid_id=town.grid_b1.id or 0, entity="household", entity_id=other.id, version=1, now=NOW)
    first = sync.pull(session, member, DEVICE, None, 2, now=NOW)
    assert first.has_more and len(first.changes) == 2
    rest = sync.pull(session, member, DEVICE, first.next_cursor, 100, now=NOW)
    assert not rest.has_more and len(rest.changes) == 1
    assert all(c["data"]["grid_id"] == town.grid_a1.id for c in first.changes + rest.changes)
    device = session.get(Device, DEVICE)
    assert device is not None and device.last_pull_at == NOW


def test_a_silent_device_alerts_the_grid_leader_once_a_day(session: Session, member: Actor, town: Town) -> None:
    leader = make_user(session, Role.grid_leader, town.grid_a1, name="网格长")
    session.add(
        Device(
            id=DEVICE,
            user_id=member.id,
            last_push_at=NOW - timedelta(days=4),
            last_pull_at=NOW - timedelta(days=3, hours=1),
            created_at=NOW - timedelta(days=30),
        )
    )
    session.add(
        Device(
            id=uuid.uuid4(),
            user_id=member.id,
            last_push_at=NOW - timedelta(days=5),
            last_pull_at=NOW - timedelta(days=1),
            created_at=NOW - timedelta(days=30),
        )
    )
    session.flush()
    assert sync.silent_device_ids(session, NOW) == [DEVICE]
    assert sync.alert_silent_device(session, DEVICE, NOW) == 1
    assert sync.alert_silent_device(session, DEVICE, NOW + timedelta(hours=1)) == 0
    assert sync.alert_silent_device(session, DEVICE, NOW + timedelta(days=1)) == 1
    alerts = session.exec(select(Notification).where(Notification.recipient_id == leader.id)).all()
    assert len(alerts) == 2 and alerts[0].kind == "device_silent"


# Twenty phones (or retries) pushing one op at once need committed rows and separate connections.


@pytest.fixture
def committed(engine: Engine) -> Iterator[tuple[Actor, Town]]:
    with Session(engine, expire_on_commit=False) as session:
        town = make_town(session, "990388")
        actor = actor_of(session, make_user(session, Role.grid_member, town.grid_a1, name="并发网格员"))
        session.commit()
    try:
        yield actor, town
    finally:
        with Session(engine) as session:
            visit_ids = select(Visit.id).where(col(Visit.visitor_id) == actor.id)
            session.execute(delete(SyncChange).where(col(SyncChange.entity_id).in_(visit_ids)))
            session.execute(delete(Visit).where(col(Visit.visitor_id) == actor.id))
            session.execute(delete(AppliedOp).where(col(AppliedOp.user_id) == actor.id))
            session.execute(delete(Device).where(col(Device.user_id) == actor.id))
            session.execute(delete(User).where(col(User.id) == actor.id))
            units = session.exec(select(OrgUnit.id).where(col(OrgUnit.code).startswith("990388"))).all()
            for unit_id in sorted((u for u in units if u is not None), reverse=True):
                session.execute(delete(OrgUnit).where(col(OrgUnit.id) == unit_id))
            session.commit()


def test_twenty_concurrent_pushes_of_one_op_make_one_row(engine: Engine, committed: tuple[Actor, Town]) -> None:
    actor, _ = committed
    op = visit_op()
    statuses: list[OpStatus] = []

    def push_once() -> None:
        with Session(engine, expire_on_commit=False) as session:
            [result] = push(session, actor, [op])
            session.commit()
        statuses.append(result.status)

    errors = run_at_once(20, push_once)
    assert errors == []
    assert sorted(statuses).count(OpStatus.applied) == 1
    assert set(statuses) <= {OpStatus.applied, OpStatus.duplicate, OpStatus.retry}
    with Session(engine) as session:
        assert (
            session.exec(select(func.count()).select_from(Visit).where(Visit.id == uuid.UUID(op["entity_id"]))).one()
            == 1
        )
        assert (
            session.exec(
                select(func.count()).select_from(AppliedOp).where(AppliedOp.op_id == uuid.UUID(op["op_id"]))
            ).one()
            == 1
        )
