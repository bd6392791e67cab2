"""The measures through the API: a November of one village's requests, every numerator and denominator
checked by hand; the village beside it in the town's children; scope fails closed; the period is checked."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session

from core.clock import utc_now
from models.enums import RatingLevel, Role
from models.resident_request import ResidentRequest
from models.resident_request_schemas import ActionCommand
from models.stationing import ReceptionSession
from models.user import User
from services.clocks.calendar import local_today
from services.requests import request_actions
from tests.factories import Town, actor_of, auth_header, make_resident_request, make_town, make_user, stationing_body

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
PERIOD = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-12-01T00:00:00+08:00"}
URL = "/api/v1/metrics"


def _do(session: Session, rr: ResidentRequest, user: User, at: datetime, **command: object) -> None:
    request_actions.act(session, rr, ActionCommand.model_validate(command), actor=actor_of(session, user), now=at)


class November:
    """Village A's November: replied and rated, left overdue, solved on the spot, refused, reopened after a
    不满意 — and one request in village B."""

    def __init__(self, session: Session, town: Town) -> None:
        self.town = town
        self.member = make_user(session, Role.grid_member, town.grid_a1)
        self.staff = make_user(session, Role.village_staff, town.village_a)
        self.cadre = make_user(session, Role.town_cadre, town.town)
        member = actor_of(session, self.member)

        def taken(day: int) -> ResidentRequest:
            at = NOV + timedelta(days=day)
            rr = make_resident_request(session, member, town.grid_a1, now=at)
            _do(session, rr, self.staff, at + timedelta(minutes=5), action="accept")
            handler = {"handling_unit_id": town.grid_a1.id, "handler_id": self.member.id}
            _do(session, rr, self.staff, at + timedelta(minutes=10), action="dispatch", **handler)
            return rr

        def answered(rr: ResidentRequest, at: datetime) -> None:
            _do(session, rr, self.member, at, action="sign_for")
            _do(session, rr, self.member, at + timedelta(minutes=1), action="first_contact", note="已电话联系")
            _do(session, rr, self.member, at + timedelta(minutes=2), action="start")
            _do(
                session,
                rr,
                self.member,
                at + timedelta(hours=2),
                action="reply",
                closure_type="substantive",
                note="已修好",
            )

        pleased = taken(0)
        answered(pleased, NOV + timedelta(hours=1))  # response and feedback on time
        request_actions.rate(session, pleased, RatingLevel.satisfied, None, now=NOV + timedelta(days=1))

        late = taken(1)  # never answered: both clocks run out in November
        sent = {"action": "transfer", "department_id": town.department.id, "note": "请水务站处理"}
        _do(session, late, self.cadre, NOV + timedelta(days=1, hours=1), **sent)

        spot = make_resident_request(session, member, town.grid_a1, now=NOV + timedelta(days=2))
        _do(session, spot, self.member, NOV + timedelta(days=2, minutes=3), action="resolve_on_spot", note="当场解答")

        refused = make_resident_request(session, member, town.grid_a1, now=NOV + timedelta(days=3))
        _do(session, refused, self.staff, NOV + timedelta(days=3, hours=1), action="reject", reject_reason="duplicate")

        again = taken(4)
        answered(again, NOV + timedelta(days=5))
        request_actions.rate(session, again, RatingLevel.unsatisfied, "没修好", now=NOV + timedelta(days=6))

        other = make_user(session, Role.grid_member, town.grid_b1)
        make_resident_request(session, actor_of(session, other), town.grid_b1, now=NOV + timedelta(days=7))


@pytest.fixture
def november(session: Session) -> November:
    return November(session, make_town(session))


def _figures(unit: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {key: (m["numerator"], m["denominator"]) for key, m in unit["metrics"].items()}


async def test_a_villages_november(client: httpx.AsyncClient, november: November) -> None:
    town = november.town
    answer = await client.get(URL, params={"unit_id": town.village_a.id, **PERIOD}, headers=auth_header(november.staff))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    figures = _figures(body["unit"])
    assert figures["handling_rate"] == (2, 4)  # pleased (closed) + on the spot ÷ four taken on (not the refused)
    assert figures["on_spot_rate"] == (1, 4)
    assert figures["reopen_rate"] == (1, 2)  # of the two replied, one came back 不满意
    assert figures["satisfaction_rate"] == (1, 2) and figures["strict_satisfaction_rate"] == (1, 2)
    assert figures["extension_rate"] == (0, 4)
    # Feedback: pleased and the reopened one's first cycle met on time, the unanswered one late; the on-the-spot
    # one met at once; the reopened cycle's new clock is due in November too, still unmet — late by now.
    assert figures["on_time_feedback_rate"] == (4, 6)  # refused: told at once, so fed back on time
    assert figures["response_rate"] == (2, 3)  # pleased and reopened signed and contacted in time, one not
    rate = body["unit"]["metrics"]["handling_rate"]
    assert rate["rate"] == 0.5 and rate["label"] == "办结率" and "受理" in rate["definition"]
    assert [c["unit_id"] for c in body["children"]] == [town.grid_a1.id, town.grid_a2.id]
    grid_a2 = next(c for c in body["children"] if c["unit_id"] == town.grid_a2.id)
    assert all(m["denominator"] == 0 and m["rate"] is None for m in grid_a2["metrics"].values())


async def test_the_town_ranks_its_villages(client: httpx.AsyncClient, november: November) -> None:
    town = november.town
    body = (
        await client.get(URL, params={"unit_id": town.town.id, **PERIOD}, headers=auth_header(november.cadre))
    ).json()
    children = {c["unit_id"]: _figures(c) for c in body["children"]}
    assert children[town.village_a.id]["handling_rate"] == (2, 4)
    assert children[town.village_b.id]["handling_rate"] == (0, 0)  # registered only: not taken on yet
    assert _figures(body["unit"])["handling_rate"] == (2, 4)
    assert children[town.department.id]["handling_rate"] == (0, 1)  # a department beside them: what it was sent


@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 404), ("admin", 404), ("auditor", 404), ("handler_other", 404), ("handler_own", 200)],
)
async def test_reach_fails_closed(
    client: httpx.AsyncClient, session: Session, november: November, who: str, status: int
) -> None:
    town = november.town
    unit, role, asked = {
        "member": (town.grid_a1, Role.grid_member, town.village_a),  # a grid member sees only their grid
        "admin": (town.town, Role.admin, town.town),
        "auditor": (town.town, Role.auditor, town.town),
        "handler_other": (town.department, Role.department_handler, town.village_a),
        "handler_own": (town.department, Role.department_handler, town.department),
    }[who]
    user = make_user(session, role, unit)
    answer = await client.get(URL, params={"unit_id": asked.id, **PERIOD}, headers=auth_header(user))
    assert answer.status_code == status, answer.text
    if status == 404:
        assert answer.json()["error"]["code"] == "unit_not_found"
        return
    body = answer.json()
    assert body["children"] == [] and body["unit"]["unit_kind"] == "department"
    assert _figures(body["unit"])["handling_rate"] == (0, 1)  # the transferred one, not answered


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"from": "2026-12-01T00:00:00+08:00", "to": "2026-11-01T00:00:00+08:00"}, "from"),
        ({"from": "2025-01-01T00:00:00+08:00", "to": "2026-12-01T00:00:00+08:00"}, "to"),
        ({"from": "2026-11-01T00:00:00"}, "from"),
    ],
    ids=["reversed", "over a year", "no time zone"],
)
async def test_a_bad_period_names_its_field(
    client: httpx.AsyncClient, november: November, params: dict[str, str], loc: str
) -> None:
    answer = await client.get(URL, params=params, headers=auth_header(november.staff))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["detail"][0]["loc"][-1] == loc


async def test_this_month_by_default(client: httpx.AsyncClient, november: November) -> None:
    answer = await client.get(URL, headers=auth_header(november.staff))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["unit"]["unit_id"] == november.town.village_a.id
    start = datetime.fromisoformat(body["period_from"]).astimezone(SHANGHAI)
    assert (start.day, start.hour, start.minute) == (1, 0, 0)


async def test_visit_coverage_and_reception_attendance(client: httpx.AsyncClient, session: Session) -> None:
    """Two households, one visited; reception days from three weeks back, one held and the rest never
    recorded (each counts as not held once its day has passed), the ones ahead not counted yet."""
    town = make_town(session)
    member = make_user(session, Role.grid_member, town.grid_a1)
    staff = make_user(session, Role.village_staff, town.village_a)
    cadre = make_user(session, Role.town_cadre, town.town)
    now = utc_now()
    homes = [
        (await client.post("/api/v1/households", json=body, headers=auth_header(member))).json()["id"]
        for body in (
            {"grid_id": town.grid_a1.id, "head_name": f"户主{n}", "address_text": f"一组 {n} 号"} for n in (1, 2)
        )
    ]
    visit = {
        "op_id": str(uuid.uuid4()),
        "entity": "visit",
        "action": "create",
        "entity_id": str(uuid.uuid4()),
        "fields": {"household_id": homes[0], "visited_at": now.isoformat(), "items": []},
    }
    pushed = await client.post(
        "/api/v1/sync/push", json={"device_id": str(uuid.uuid4()), "ops": [visit]}, headers=auth_header(member)
    )
    assert pushed.json()["results"][0]["status"] == "applied", pushed.text

    today = local_today(now)
    slot = stationing_body(town, cadre, starts_on=(today - timedelta(days=21)).isoformat())
    stationing = (await client.post("/api/v1/stationings", json=slot, headers=auth_header(cadre))).json()
    generated = await client.post(
        f"/api/v1/stationings/{stationing['id']}/sessions/generate", json={"weeks": 5}, headers=auth_header(cadre)
    )
    assert generated.is_success and all(s["held_on"] >= today.isoformat() for s in generated.json())
    for weeks_ago, status in ((1, "held"), (2, "scheduled"), (3, "missed")):  # generation looks ahead only
        day = today - timedelta(weeks=weeks_ago)
        session.add(
            ReceptionSession(
                stationing_id=stationing["id"],
                slot_on=day,
                held_on=day,
                start_time=time(9),
                end_time=time(11, 30),
                place="甲村党群服务中心",
                status=status,
            )
        )
    session.flush()

    period = {"from": (now - timedelta(days=30)).isoformat(), "to": (now + timedelta(days=1)).isoformat()}
    body = (await client.get(URL, params={"unit_id": town.village_a.id, **period}, headers=auth_header(staff))).json()
    figures = _figures(body["unit"])
    assert figures["visit_coverage"] == (1, 2)
    assert figures["attendance_rate"] == (1, 3)  # the days ahead (and today's, unrecorded) are not counted yet
    grid = next(c for c in body["children"] if c["unit_id"] == town.grid_a1.id)
    assert _figures(grid)["visit_coverage"] == (1, 2) and _figures(grid)["attendance_rate"] == (0, 0)
