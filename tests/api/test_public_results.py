"""成效公示 without login: a town's and its villages' results this month, aggregates only, a rate over fewer
than five items withheld (it could point at one resident), no personal data in the output."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session

from core.clock import utc_now
from models.enums import Action, RatingLevel, Role
from models.resident_request_schemas import ActionCommand
from services.requests import request_actions
from tests.api.test_board import ID_NUMBER, MOBILE
from tests.factories import Town, actor_of, make_resident_request, make_town, make_user

URL = "/api/v1/public/results"
PHONE = "13812345678"


@pytest.fixture
def town(session: Session) -> Town:
    """Village A: six requests, five solved on the spot and rated 满意; village B: one, just registered."""
    town = make_town(session)
    member = make_user(session, Role.grid_member, town.grid_a1)
    actor = actor_of(session, member)
    for n in range(6):
        rr = make_resident_request(session, actor, town.grid_a1, description=f"张大爷反映第{n}件事", phone=PHONE)
        if n < 5:
            command = ActionCommand(action=Action.resolve_on_spot, note="当场解答")
            request_actions.act(session, rr, command, actor=actor, now=utc_now())
            request_actions.rate(session, rr, RatingLevel.satisfied, "很好", now=utc_now())
    other = make_user(session, Role.grid_member, town.grid_b1)
    make_resident_request(session, actor_of(session, other), town.grid_b1, phone=PHONE)
    return town


async def test_a_town_and_its_villages_without_login(client: httpx.AsyncClient, town: Town) -> None:
    response = await client.get(f"{URL}/{town.town.id}")
    assert response.status_code == 200, response.text
    assert not MOBILE.search(response.text) and not ID_NUMBER.search(response.text)
    for private in ("张大爷", "很好", PHONE[-4:]):
        assert private not in response.text
    body = response.json()
    assert set(body["unit"]["measures"]) == {
        "on_time_feedback_rate",
        "handling_rate",
        "on_spot_rate",
        "satisfaction_rate",
        "own_satisfaction_rate",
        "callback_satisfaction_rate",
        "attendance_rate",
    }
    villages = {v["unit_id"]: v["measures"] for v in body["children"]}
    village_a = villages[town.village_a.id]
    assert (village_a["handling_rate"]["rate"], village_a["handling_rate"]["counted"]) == (round(5 / 5, 4), 5)
    assert village_a["satisfaction_rate"] == {"label": "满意率", "rate": 1.0, "counted": 5, "note": None}
    assert village_a["own_satisfaction_rate"]["counted"] == 5  # by source: all five rated by the residents
    assert village_a["callback_satisfaction_rate"]["note"] == "不足 5 件，暂不公布"  # no callbacks yet
    withheld = villages[town.village_b.id]["handling_rate"]
    assert withheld == {"label": "办结率", "rate": None, "counted": None, "note": "不足 5 件，暂不公布"}
    assert town.department.id not in villages  # departments are not on the public board


async def test_a_village_alone_and_last_month(client: httpx.AsyncClient, town: Town) -> None:
    body = (await client.get(f"{URL}/{town.village_a.id}")).json()
    assert body["children"] == [] and body["unit"]["measures"]["on_spot_rate"]["counted"] == 5
    last = (await client.get(f"{URL}/{town.village_a.id}", params={"period": "last_month"})).json()
    assert last["unit"]["measures"]["handling_rate"]["counted"] is None  # nothing registered last month
    assert last["period_to"] == body["period_from"]


@pytest.mark.parametrize("which", ["grid", "department", "missing"])
async def test_only_towns_and_villages_publish(client: httpx.AsyncClient, town: Town, which: str) -> None:
    unit_id = {"grid": town.grid_a1.id, "department": town.department.id, "missing": 999999}[which]
    response = await client.get(f"{URL}/{unit_id}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unit_not_found"


async def test_a_bad_period_is_named(client: httpx.AsyncClient, town: Town) -> None:
    response = await client.get(f"{URL}/{town.town.id}", params={"period": "forever"})
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["loc"][-1] == "period"
