"""解决率 and 满意率 by source in /metrics, and on the public results board: five of village A's November replies,
each settled another way, every numerator and denominator checked by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session

from core.clock import utc_now
from models.callback_schemas import CallbackCreate
from models.enums import RatingLevel, Resolution, Role
from models.resident_request import ResidentRequest
from models.user import User
from services.requests import callbacks, request_actions, unrated_close
from tests.factories import Town, actor_of, auth_header, make_replied_request, make_town, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
PERIOD = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-12-01T00:00:00+08:00"}
R, L = Resolution, RatingLevel


def _call(session: Session, rr: ResidentRequest, staff: User, at: datetime, *answers: Any) -> None:
    body = {"reached": bool(answers)} | dict(zip(("resolution", "satisfaction"), answers, strict=False))
    callbacks.record(session, rr, CallbackCreate.model_validate(body), actor=actor_of(session, staff), now=at)


@pytest.fixture
def staff(session: Session) -> tuple[Town, User]:
    """Village A's November: rated and called back (the resident's 满意 counts, the callback's 不满意 does not),
    called back partly solved after a missed attempt, called back 不满意 (reopened), and two left untouched
    (one without a phone, one whose only attempt missed) closed as 未评价."""
    town = make_town(session)
    member = make_user(session, Role.grid_member, town.grid_a1)
    staff = make_user(session, Role.village_staff, town.village_a)

    def replied(day: int, phone: str | None = "13812341234") -> ResidentRequest:
        return make_replied_request(session, staff, member, town.grid_a1, now=NOV + timedelta(days=day), phone=phone)

    both = replied(0)
    request_actions.rate(session, both, L.satisfied, None, now=NOV + timedelta(days=1))
    _call(session, both, staff, NOV + timedelta(days=2), R.resolved, L.unsatisfied)
    partly = replied(1)
    _call(session, partly, staff, NOV + timedelta(days=2))
    _call(session, partly, staff, NOV + timedelta(days=3), R.partly_resolved, L.basically_satisfied)
    unhappy = replied(2)
    _call(session, unhappy, staff, NOV + timedelta(days=3), R.unresolved, L.unsatisfied)
    replied(3, phone=None)
    missed = replied(4)
    _call(session, missed, staff, NOV + timedelta(days=5))
    assert unrated_close.close_due(session, NOV + timedelta(days=14)) == 2
    return town, staff


def _figures(unit: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {key: (m["numerator"], m["denominator"]) for key, m in unit["metrics"].items()}


async def test_resolution_and_satisfaction_by_source(client: httpx.AsyncClient, staff: tuple[Town, User]) -> None:
    town, user = staff
    answer = await client.get(
        "/api/v1/metrics", params={"unit_id": town.village_a.id, **PERIOD}, headers=auth_header(user)
    )
    assert answer.status_code == 200, answer.text
    figures = _figures(answer.json()["unit"])
    assert figures["resolution_rate"] == (1, 3)  # three callbacks reached someone; two attempts missed
    assert figures["partial_resolution_rate"] == (1, 3)
    assert figures["own_satisfaction_rate"] == (1, 1)
    assert figures["callback_satisfaction_rate"] == (1, 3)  # every reached callback, the overridden one too
    assert figures["satisfaction_rate"] == (2, 3)  # the resident's 满意, the partly one's 基本满意; 不满意
    assert figures["strict_satisfaction_rate"] == (1, 3)
    assert figures["unrated_close_rate"] == (2, 5)  # of five replied: in no 满意率 at all
    assert figures["uncallable_rate"] == (1, 5)
    assert figures["reopen_rate"] == (1, 5) and figures["handling_rate"] == (4, 5)
    labels = {k: m["label"] for k, m in answer.json()["unit"]["metrics"].items()}
    assert (labels["resolution_rate"], labels["unrated_close_rate"]) == ("解决率", "未评价结案率")


async def test_the_public_board_shows_satisfaction_by_source(client: httpx.AsyncClient, session: Session) -> None:
    """Five replies called back 满意 this month: the callback source is published, the own one (none) withheld."""
    town = make_town(session)
    member = make_user(session, Role.grid_member, town.grid_a1)
    staff = make_user(session, Role.village_staff, town.village_a)
    start = utc_now() - timedelta(hours=2)
    for n in range(5):
        rr = make_replied_request(session, staff, member, town.grid_a1, now=start + timedelta(seconds=n))
        _call(session, rr, staff, utc_now(), R.resolved, L.satisfied)
    body = (await client.get(f"/api/v1/public/results/{town.village_a.id}")).json()
    measures = body["unit"]["measures"]
    assert measures["callback_satisfaction_rate"] == {
        "label": "满意率（回访）",
        "rate": 1.0,
        "counted": 5,
        "note": None,
    }
    assert measures["satisfaction_rate"]["counted"] == 5
    assert measures["own_satisfaction_rate"]["rate"] is None and measures["own_satisfaction_rate"]["counted"] is None
    assert "13812341234"[-4:] not in str(body)
