"""The detail offers an action only while it can be taken: 签收 and 首次联系 leave the list once done (pressed
again they answer 409), and 回访 is offered exactly when POST /callbacks would take it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from core.clock import utc_now
from models.enums import Role
from models.resident_request import ResidentRequest
from models.user import User
from tests.factories import (
    Town,
    actor_of,
    auth_header,
    make_replied_request,
    make_resident_request,
    make_town,
    make_user,
)


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def people(session: Session, town: Town) -> dict[str, User]:
    return {
        "member": make_user(session, Role.grid_member, town.grid_a1),
        "staff": make_user(session, Role.village_staff, town.village_a),
    }


async def _offered(client: httpx.AsyncClient, user: User, rr: ResidentRequest) -> list[str]:
    response = await client.get(f"/api/v1/requests/{rr.id}", headers=auth_header(user))
    assert response.status_code == 200, response.text
    return list(response.json()["allowed_actions"])


async def _act(client: httpx.AsyncClient, user: User, rr: ResidentRequest, **command: Any) -> httpx.Response:
    return await client.post(f"/api/v1/requests/{rr.id}/actions", json=command, headers=auth_header(user))


async def test_sign_for_and_first_contact_are_offered_until_done(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    member, staff = people["member"], people["staff"]
    rr = make_resident_request(session, actor_of(session, member), town.grid_a1)
    assert (await _act(client, staff, rr, action="accept")).status_code == 200
    dispatched = await _act(client, staff, rr, action="dispatch", handling_unit_id=town.grid_a1.id)
    assert dispatched.status_code == 200
    assert {"sign_for", "first_contact"} <= set(await _offered(client, member, rr))

    assert (await _act(client, member, rr, action="sign_for")).status_code == 200
    offered = await _offered(client, member, rr)
    assert "sign_for" not in offered and "first_contact" in offered
    again = await _act(client, member, rr, action="sign_for")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"

    assert (await _act(client, member, rr, action="first_contact", note="已电话联系")).status_code == 200
    offered = await _offered(client, member, rr)
    assert "sign_for" not in offered and "first_contact" not in offered and "start" in offered
    assert (await _act(client, member, rr, action="first_contact")).status_code == 409


async def test_callback_is_offered_when_it_would_be_taken(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    member, staff = people["member"], people["staff"]
    rr = make_replied_request(session, staff, member, town.grid_a1, now=utc_now() - timedelta(hours=3))
    assert "callback" in await _offered(client, staff, rr)
    assert "callback" in await _offered(client, member, rr)  # the grid where it was first received

    missed = {"reached": False, "note": "无人接听"}
    response = await client.post(f"/api/v1/requests/{rr.id}/callbacks", json=missed, headers=auth_header(staff))
    assert response.status_code == 201 and "callback" in response.json()["allowed_actions"]  # try again

    reached = {"reached": True, "resolution": "resolved", "satisfaction": "satisfied"}
    response = await client.post(f"/api/v1/requests/{rr.id}/callbacks", json=reached, headers=auth_header(staff))
    assert response.status_code == 201
    assert "callback" not in response.json()["allowed_actions"]  # this cycle is called back
    assert "callback" not in await _offered(client, member, rr)


async def test_callback_is_not_offered_before_a_reply_or_outside_reach(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    open_request = make_resident_request(session, actor_of(session, people["member"]), town.grid_a1)
    assert "callback" not in await _offered(client, people["staff"], open_request)
    replied = make_replied_request(
        session, people["staff"], people["member"], town.grid_a1, now=utc_now() - timedelta(hours=3)
    )
    replied.first_unit_id = town.village_a.id or 0  # first received by the village, above the grid
    session.add(replied)
    assert "callback" not in await _offered(client, people["member"], replied)
    assert "callback" in await _offered(client, people["staff"], replied)
