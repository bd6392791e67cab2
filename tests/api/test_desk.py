"""The escalation desk (督办台) and departments: whistles with a report-in deadline, extension requests decided
by a town cadre, supervision notes, take-over, the desk and inbox lists, and the stationed cadre's reach."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from models.enums import NotificationChannel, Role
from models.notification import Notification
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.stationing import Stationing
from models.user import User
from services.requests import whistle_sweep
from tests.factories import Town, actor_of, auth_header, make_resident_request, make_town, make_user

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in China


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def people(session: Session, town: Town) -> dict[str, User]:
    return {
        "member": make_user(session, Role.grid_member, town.grid_a1, name="张网格"),
        "cadre": make_user(session, Role.town_cadre, town.town, name="李驻点"),
        "dept": make_user(session, Role.department_handler, town.department, name="王水务"),
        "staff": make_user(session, Role.village_staff, town.village_a, name="陈村干"),
    }


def _request(session: Session, people: dict[str, User], town: Town, **kw: Any) -> ResidentRequest:
    return make_resident_request(session, actor_of(session, people["member"]), kw.pop("unit", town.grid_a1), **kw)


async def _act(client: httpx.AsyncClient, user: User, rr: ResidentRequest, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/requests/{rr.id}/actions", json=body, headers=auth_header(user))


async def _ok(client: httpx.AsyncClient, user: User, rr: ResidentRequest, **body: Any) -> dict[str, Any]:
    response = await _act(client, user, rr, **body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _told(session: Session, user: User, kind: str) -> list[Notification]:
    return list(
        session.exec(
            select(Notification).where(
                Notification.recipient_id == user.id,
                Notification.kind == kind,
                Notification.channel == NotificationChannel.inbox,
            )
        ).all()
    )


async def _public_actions(client: httpx.AsyncClient, rr: ResidentRequest) -> list[str]:
    query = {"case_code": rr.case_code, "phone_last4": "1234"}
    response = await client.post("/api/v1/public/status", json=query)
    assert response.status_code == 200, response.text
    return [event["action"] for event in response.json()["timeline"]]


async def test_whistle_lets_the_department_read_and_report_in(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = _request(session, people, town)
    cadre, dept = people["cadre"], people["dept"]
    assert (await client.get(f"/api/v1/requests/{rr.id}", headers=auth_header(dept))).status_code == 404
    early = await _act(client, dept, rr, action="report_in")
    assert early.status_code == 404  # not readable before the whistle: no hint that it exists
    missing = await _act(client, cadre, rr, action="whistle", note="请水务站到现场")
    assert missing.status_code == 422 and missing.json()["error"]["detail"][0]["loc"] == ["body", "department_id"]
    await _ok(
        client,
        cadre,
        rr,
        action="whistle",
        department_id=town.department.id,
        note="请水务站到现场",
        report_within_hours=2,
    )
    again = await _act(client, cadre, rr, action="whistle", department_id=town.department.id, note="再吹一次")
    assert again.status_code == 409 and again.json()["error"]["code"] == "whistle_pending"
    assert len(_told(session, dept, "desk_whistle")) == 1

    seen = await client.get(f"/api/v1/requests/{rr.id}", headers=auth_header(dept))
    assert seen.status_code == 200 and "report_in" in seen.json()["allowed_actions"]
    assert "request_extension" not in seen.json()["allowed_actions"]  # whistled, not handling it
    inbox = (await client.get("/api/v1/requests", params={"inbox": "true"}, headers=auth_header(dept))).json()
    assert [(i["id"], i["reasons"]) for i in inbox["items"]] == [(str(rr.id), ["whistled"])]
    assert inbox["items"][0]["reason_labels"] == ["吹哨待报到"]

    reported = await _ok(client, dept, rr, action="report_in", note="已到现场")
    assert reported["events"][-1]["data"]["late"] is False
    assert "report_in" not in reported["allowed_actions"]
    [called] = reported["whistles"]
    assert (called["department_name"], called["late"]) == ("镇水务站", False) and called["reported_at"]
    twice = await _act(client, dept, rr, action="report_in")
    assert twice.status_code == 409
    assert len(_told(session, cadre, "desk_report_in")) == 1
    assert not {"whistle", "report_in"} & set(await _public_actions(client, rr))


async def test_an_unanswered_whistle_is_flagged_once_and_reaches_the_desk(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = _request(session, people, town)
    cadre, dept = people["cadre"], people["dept"]
    await _ok(
        client, cadre, rr, action="whistle", department_id=town.department.id, note="请到现场", report_within_hours=1
    )
    later = datetime.now(UTC) + timedelta(hours=2)
    assert whistle_sweep.flag_unanswered(session, later) == 1
    assert whistle_sweep.flag_unanswered(session, later + timedelta(minutes=1)) == 0
    events = session.exec(
        select(ResidentRequestEvent.action).where(ResidentRequestEvent.resident_request_id == rr.id)
    ).all()
    assert events.count("whistle_overdue") == 1
    assert len(_told(session, cadre, "whistle_overdue")) == 1 and len(_told(session, dept, "whistle_overdue")) == 1
    desk = await client.get("/api/v1/requests", params={"desk": "true"}, headers=auth_header(cadre))
    assert [i["reasons"] for i in desk.json()["items"]] == [["whistle_unanswered"]]
    late = await _ok(client, dept, rr, action="report_in")
    assert late["events"][-1]["data"]["late"] is True
    assert "whistle_overdue" not in await _public_actions(client, rr)


async def test_extension_requested_by_the_department_and_decided_at_the_desk(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = _request(session, people, town)
    cadre, dept, staff = people["cadre"], people["dept"], people["staff"]
    await _ok(client, cadre, rr, action="transfer", department_id=town.department.id, note="请水务站处理")
    before = rr.feedback_due_at
    asked_for = (before + timedelta(days=5)).isoformat()
    earlier = await _act(client, dept, rr, action="request_extension", due_at=before.isoformat(), note="需要采购材料")
    assert earlier.status_code == 422 and earlier.json()["error"]["detail"][0]["loc"] == ["body", "due_at"]
    no_reason = await _act(client, dept, rr, action="request_extension", due_at=asked_for)
    assert no_reason.status_code == 422 and no_reason.json()["error"]["detail"][0]["loc"] == ["body", "note"]
    asked = await _ok(client, dept, rr, action="request_extension", due_at=asked_for, note="需要采购材料")
    assert "request_extension" not in asked["allowed_actions"]
    second = await _act(client, dept, rr, action="request_extension", due_at=asked_for, note="再申请")
    assert second.status_code == 409 and second.json()["error"]["code"] == "extension_pending"
    assert len(_told(session, cadre, "desk_request_extension")) == 1

    desk = (await client.get("/api/v1/requests", params={"desk": "true"}, headers=auth_header(cadre))).json()
    assert [(i["id"], i["reasons"]) for i in desk["items"]] == [(str(rr.id), ["extension_requested"])]
    detail = (await client.get(f"/api/v1/requests/{rr.id}", headers=auth_header(cadre))).json()
    assert {"approve_extension", "deny_extension"} <= set(detail["allowed_actions"])
    refused = await _act(client, staff, rr, action="approve_extension", note="同意")
    assert refused.status_code == 403
    no_note = await _act(client, cadre, rr, action="approve_extension")
    assert no_note.status_code == 422 and no_note.json()["error"]["detail"][0]["loc"] == ["body", "note"]
    approved = await _ok(client, cadre, rr, action="approve_extension", note="材料采购属实，同意延期")
    assert datetime.fromisoformat(approved["feedback_due_at"]) == datetime.fromisoformat(asked_for)
    assert "approve_extension" not in approved["allowed_actions"]
    assert len(_told(session, dept, "desk_approve_extension")) == 1
    again = await _act(client, cadre, rr, action="deny_extension", note="不同意")
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_extension_request"

    # A second request after the first was decided, denied this time: the date stays.
    further = (datetime.fromisoformat(asked_for) + timedelta(days=3)).isoformat()
    await _ok(client, dept, rr, action="request_extension", due_at=further, note="还需三天")
    denied = await _ok(client, cadre, rr, action="deny_extension", note="请按期办结")
    assert datetime.fromisoformat(denied["feedback_due_at"]) == datetime.fromisoformat(asked_for)
    assert len(_told(session, dept, "desk_deny_extension")) == 1
    assert [(e["state"], e["state_label"]) for e in denied["extension_requests"]] == [
        ("approved", "已同意"),
        ("denied", "未同意"),
    ]
    assert [t["department_name"] for t in denied["transfers"]] == ["镇水务站"]
    # A third request, overtaken by the department's answer: it lapses instead of waiting forever.
    await _ok(client, dept, rr, action="request_extension", due_at=further, note="再申请一次")
    await _ok(client, dept, rr, action="sign_for")
    await _ok(client, dept, rr, action="start")
    answered = await _ok(client, dept, rr, action="reply", closure_type="substantive", note="已修复")
    assert answered["extension_requests"][-1]["state"] == "lapsed"
    public = await _public_actions(client, rr)
    assert "approve_extension" in public and not {"request_extension", "deny_extension"} & set(public)


async def test_supervision_note_and_take_over(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = _request(session, people, town)
    cadre, staff = people["cadre"], people["staff"]
    await _ok(client, staff, rr, action="accept")
    await _ok(client, staff, rr, action="dispatch", handling_unit_id=town.grid_a1.id, handler_id=people["member"].id)
    await _ok(client, cadre, rr, action="supervise", note="请今天内联系居民")
    assert len(_told(session, people["member"], "desk_supervise")) == 1
    taken = await _ok(client, cadre, rr, action="take_over", note="涉及多个部门，镇里直接办")
    assert taken["status"] == "in_progress" and taken["handling_unit_id"] == town.town.id
    assert taken["first_unit_id"] == town.grid_a1.id  # the first unit stays responsible
    assert len(_told(session, people["member"], "desk_take_over")) == 1
    inbox = (await client.get("/api/v1/requests", params={"inbox": "true"}, headers=auth_header(cadre))).json()
    assert [i["reasons"] for i in inbox["items"]] == [["handling"]]
    replied = await _ok(client, cadre, rr, action="reply", closure_type="substantive", note="已协调修复")
    assert replied["status"] == "replied"
    public = await _public_actions(client, rr)
    assert "take_over" in public and "supervise" not in public


def _station(session: Session, cadre: User, village_id: int) -> None:
    session.add(
        Stationing(
            village_id=village_id,
            cadre_id=cadre.id or 0,
            title="镇党委委员",
            weekday=1,
            start_time=time(9),
            end_time=time(11),
            place="村委会",
            starts_on=date(2026, 1, 6),
        )
    )
    session.flush()


async def test_a_cadre_stationed_at_village_a_acts_on_village_b_only_through_the_desk(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    cadre = people["cadre"]
    _station(session, cadre, town.village_a.id or 0)
    b_member = make_user(session, Role.grid_member, town.grid_b1)
    in_a = _request(session, people, town)
    in_b = make_resident_request(session, actor_of(session, b_member), town.grid_b1)
    await _ok(client, cadre, in_a, action="accept")
    refused = await _act(client, cadre, in_b, action="accept")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "outside_stationing"
    readable = await client.get(f"/api/v1/requests/{in_b.id}", headers=auth_header(cadre))
    assert readable.status_code == 200 and readable.json()["allowed_actions"] == []  # read, not act
    # Village B escalates it to the town: now it is on the town's desk, and any town cadre may take it.
    await _ok(client, b_member, in_b, action="escalate", note="村里解决不了")
    b_staff = make_user(session, Role.village_staff, town.village_b)
    at_town = await _ok(client, b_staff, in_b, action="escalate", note="请镇里协调")
    assert "escalate" not in at_town["allowed_actions"]  # nowhere above the town to go
    desk = (await client.get("/api/v1/requests", params={"desk": "true"}, headers=auth_header(cadre))).json()
    assert [(i["id"], i["reasons"]) for i in desk["items"]] == [(str(in_b.id), ["escalated"])]
    accepted = await _ok(client, cadre, in_b, action="accept")
    assert accepted["status"] == "accepted"
    # A cadre stationed nowhere works across the town, as before.
    roaming = make_user(session, Role.town_cadre, town.town)
    other_b = make_resident_request(session, actor_of(session, b_member), town.grid_b1)
    await _ok(client, roaming, other_b, action="accept")


async def test_department_inbox_lists_what_was_sent_to_it(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    cadre, dept = people["cadre"], people["dept"]
    sent = _request(session, people, town, description="水管爆裂")
    kept = _request(session, people, town, description="路灯不亮")
    await _ok(client, cadre, sent, action="transfer", department_id=town.department.id, note="请水务站处理")
    inbox = (await client.get("/api/v1/requests", params={"inbox": "true"}, headers=auth_header(dept))).json()
    assert [(i["id"], i["reasons"]) for i in inbox["items"]] == [(str(sent.id), ["to_sign"])]
    await _ok(client, dept, sent, action="sign_for")
    inbox = (await client.get("/api/v1/requests", params={"inbox": "true"}, headers=auth_header(dept))).json()
    assert [i["reasons"] for i in inbox["items"]] == [["handling"]]
    returned = await _ok(client, dept, sent, action="return", note="不属于水务站职责")
    assert returned["handling_unit_id"] == town.town.id
    inbox = (await client.get("/api/v1/requests", params={"inbox": "true"}, headers=auth_header(dept))).json()
    assert inbox["items"] == []
    desk = (await client.get("/api/v1/requests", params={"desk": "true"}, headers=auth_header(cadre))).json()
    assert [(i["id"], i["reasons"]) for i in desk["items"]] == [(str(sent.id), ["returned"])]
    assert (await client.get(f"/api/v1/requests/{kept.id}", headers=auth_header(dept))).status_code == 404
