"""回访 through the API: attempts that do not reach the resident and the one that does, what it settles (a
不满意 reopens with a new cycle and feedback clock), which satisfaction counts when the resident rated too, who
may call back, and the 待回访 list: its scope, order and pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from core.clock import utc_now
from models.audit import AuditLog
from models.enums import RatingLevel, Role, SlaClock
from models.resident_request import ResidentRequest
from models.sla import SlaTimer
from models.user import User
from services.requests import request_actions
from tests.factories import (
    Town,
    actor_of,
    auth_header,
    make_replied_request,
    make_resident_request,
    make_town,
    make_user,
)

DUE = "/api/v1/callbacks"
REACHED_OK = {"reached": True, "resolution": "resolved", "satisfaction": "satisfied", "note": "路灯已亮"}
REACHED_UNHAPPY = {"reached": True, "resolution": "unresolved", "satisfaction": "unsatisfied", "note": "晚上还是不亮"}
NOT_REACHED = {"reached": False, "note": "无人接听"}


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def people(session: Session, town: Town) -> dict[str, User]:
    return {
        "member": make_user(session, Role.grid_member, town.grid_a1, name="张网格"),
        "member_a2": make_user(session, Role.grid_member, town.grid_a2),
        "staff": make_user(session, Role.village_staff, town.village_a, name="陈村干"),
        "staff_b": make_user(session, Role.village_staff, town.village_b),
        "cadre": make_user(session, Role.town_cadre, town.town),
        "dept": make_user(session, Role.department_handler, town.department),
    }


def _replied(session: Session, town: Town, people: dict[str, User], hours_ago: int = 3, **kw: Any) -> ResidentRequest:
    now = utc_now() - timedelta(hours=hours_ago)
    return make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=now, **kw)


async def _call(client: httpx.AsyncClient, user: User, rr: ResidentRequest, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/api/v1/requests/{rr.id}/callbacks", json=body, headers=auth_header(user))


async def _due(client: httpx.AsyncClient, user: User, **params: Any) -> dict[str, Any]:
    response = await client.get(DUE, params=params, headers=auth_header(user))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_an_attempt_that_misses_then_one_that_reaches(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = _replied(session, town, people)
    missed = await _call(client, people["staff"], rr, NOT_REACHED)
    assert missed.status_code == 201, missed.text
    assert missed.json()["status"] == "replied"
    reached = await _call(client, people["staff"], rr, REACHED_OK)
    assert reached.status_code == 201, reached.text
    body = reached.json()
    assert body["status"] == "closed" and body["cycle"] == 1  # a reached 满意 closes it as a rating does
    first, second = body["callbacks"]
    assert (first["attempt"], first["reached"], first["resolution"], first["counts"]) == (1, False, None, False)
    assert (second["attempt"], second["reached"], second["resolution_label"]) == (2, True, "已解决")
    assert (second["satisfaction_label"], second["counts"], second["called_by_name"]) == ("满意", True, "陈村干")
    assert [e["action"] for e in body["events"][-3:]] == ["callback", "callback", "close"]
    assert body["events"][-1]["note"] == "回访后办结" and body["events"][-2]["action_label"] == "回访"
    audited = session.exec(select(AuditLog).where(AuditLog.action == "request.callback")).all()
    assert [a.detail["attempt"] for a in audited if a.detail] == [1, 2]
    again = await _call(client, people["staff"], rr, NOT_REACHED)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_called_back"


async def test_an_unsatisfied_callback_reopens_with_a_new_cycle(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = _replied(session, town, people)
    response = await _call(client, people["cadre"], rr, REACHED_UNHAPPY)  # the town's callback desk
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["cycle"], body["replied_at"]) == ("dispatched", 2, None)
    assert [e["action"] for e in body["events"][-3:]] == ["callback", "reopen", "resident_notified"]
    assert body["events"][-2]["note"] == "回访居民不满意，重新办理"
    timer = session.exec(
        select(SlaTimer).where(
            SlaTimer.resident_request_id == rr.id, SlaTimer.cycle == 2, SlaTimer.clock == SlaClock.feedback
        )
    ).one()
    assert timer.met_at is None and timer.due_at > utc_now() + timedelta(days=6)  # a new 7-day promise
    assert [c["clock"] for c in body["sla"]] == ["feedback"] and body["sla"][0]["cycle"] == 2
    # The new cycle is off the list until it is answered again.
    assert (await _due(client, people["staff"]))["items"] == []


async def test_the_residents_own_rating_counts_over_a_callback(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rated_first = _replied(session, town, people)
    request_actions.rate(session, rated_first, RatingLevel.satisfied, None, now=utc_now())
    response = await _call(client, people["staff"], rated_first, REACHED_UNHAPPY)
    body = response.json()
    assert response.status_code == 201 and (body["status"], body["cycle"]) == ("closed", 1)  # no reopen
    assert body["callbacks"][0]["counts"] is False and body["events"][-1]["data"]["counts"] is False

    called_first = _replied(session, town, people)
    assert (await _call(client, people["staff"], called_first, REACHED_OK)).json()["status"] == "closed"
    request_actions.rate(session, called_first, RatingLevel.unsatisfied, "没修好", now=utc_now())
    assert (called_first.status, called_first.cycle) == ("dispatched", 2)  # the resident's word reopens it
    detail = await client.get(f"/api/v1/requests/{called_first.id}", headers=auth_header(people["staff"]))
    assert detail.json()["callbacks"][0]["counts"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reached": True, "satisfaction": "satisfied"}, "resolution"),
        ({"reached": True, "resolution": "resolved"}, "satisfaction"),
        ({"reached": False, "satisfaction": "satisfied"}, "satisfaction"),
        ({"reached": False, "resolution": "partly_resolved"}, "resolution"),
    ],
)
async def test_answers_must_fit_the_attempt(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User], body: dict[str, Any], field: str
) -> None:
    rr = _replied(session, town, people)
    response = await _call(client, people["staff"], rr, body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "callback_outcome_invalid" and error["detail"][0]["loc"] == ["body", field]
    assert error["message"]


async def test_bad_values_are_field_errors(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = _replied(session, town, people)
    response = await _call(client, people["staff"], rr, {"reached": True, "resolution": "fixed"})
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["loc"] == ["body", "resolution"]


async def test_only_after_an_answer(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    open_request = make_resident_request(session, actor_of(session, people["member"]), town.grid_a1)
    response = await _call(client, people["staff"], open_request, REACHED_OK)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_callable"


@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 201), ("staff", 201), ("cadre", 201), ("member_a2", 404), ("staff_b", 404), ("dept", 404)],
)
async def test_who_may_call_back(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User], who: str, status: int
) -> None:
    rr = _replied(session, town, people)
    assert (await _call(client, people[who], rr, NOT_REACHED)).status_code == status


async def test_the_first_unit_calls_back_not_whoever_reads_it(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    """Registered by the village (its first unit) in grid A1: the grid's member reads it but does not call back."""
    rr = make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=utc_now())
    rr.first_unit_id = town.village_a.id or 0
    session.add(rr)
    response = await _call(client, people["member"], rr, NOT_REACHED)
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_caller"
    assert (await _due(client, people["member"]))["items"] == []
    assert [i["id"] for i in (await _due(client, people["staff"]))["items"]] == [str(rr.id)]


async def test_the_due_list(client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]) -> None:
    older = _replied(session, town, people, hours_ago=30)
    newer = _replied(session, town, people, hours_ago=3, phone=None)
    rated = _replied(session, town, people, hours_ago=10)
    request_actions.rate(session, rated, RatingLevel.basically_satisfied, None, now=utc_now())
    done = _replied(session, town, people, hours_ago=20)
    assert (await _call(client, people["staff"], done, REACHED_OK)).status_code == 201
    assert (await _call(client, people["staff"], older, NOT_REACHED)).status_code == 201

    page = await _due(client, people["staff"])
    assert [i["id"] for i in page["items"]] == [str(older.id), str(rated.id), str(newer.id)]  # oldest reply first
    first, closed, phoneless = page["items"]
    assert (first["attempts"], first["reporter_phone_masked"], first["status_label"]) == (1, "*******1234", "已答复")
    assert first["last_attempt_at"] is not None and first["rating"] is None
    assert (closed["status"], closed["rating"], closed["attempts"]) == ("closed", "basically_satisfied", 0)
    assert phoneless["reporter_phone_masked"] is None and page["next_cursor"] is None


async def test_the_due_list_pages(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    replies = [_replied(session, town, people, hours_ago=h) for h in (9, 7, 5)]
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        page = await _due(client, people["cadre"], limit=1, **({"cursor": cursor} if cursor else {}))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [str(rr.id) for rr in replies] and cursor is None
    bad = await client.get(DUE, params={"cursor": "nonsense"}, headers=auth_header(people["cadre"]))
    assert bad.status_code == 422 and bad.json()["error"]["detail"][0]["loc"][-1] == "cursor"


@pytest.mark.parametrize(
    ("who", "params", "sees"),
    [
        ("member", {}, True),
        ("staff", {}, True),
        ("cadre", {}, True),
        ("cadre", {"unit_id": "village_a"}, True),
        ("cadre", {"unit_id": "village_b"}, False),
        ("member_a2", {}, False),
        ("staff_b", {}, False),  # another village sees nothing
        ("dept", {}, False),
    ],
)
async def test_the_due_list_is_scoped(
    client: httpx.AsyncClient,
    session: Session,
    town: Town,
    people: dict[str, User],
    who: str,
    params: dict[str, str],
    sees: bool,
) -> None:
    rr = _replied(session, town, people)
    units = {"village_a": town.village_a.id, "village_b": town.village_b.id}
    page = await _due(client, people[who], **{k: units[v] for k, v in params.items()})
    assert [i["id"] for i in page["items"]] == ([str(rr.id)] if sees else [])


async def test_the_due_list_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get(DUE)
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
