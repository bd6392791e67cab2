"""Household edits keep what they overwrote: the previous values (a phone still sealed), the version, who and
when."""

from __future__ import annotations

import uuid

import httpx
from sqlmodel import Session, col, select

from core.crypto import get_cipher
from models.enums import Role
from models.grid import HouseholdRevision
from tests.factories import auth_header, make_town, make_user

URL = "/api/v1/households"


async def test_edits_keep_the_previous_values(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    user = make_user(session, Role.grid_member, town.grid_a1)
    member = auth_header(user)
    body = {"grid_id": town.grid_a1.id, "head_name": "张三", "address_text": "一组 12 号", "phone": "13812345678"}
    hid = (await client.post(URL, json=body, headers=member)).json()["id"]
    first = await client.patch(
        f"{URL}/{hid}", json={"base_version": 1, "head_name": "张四", "member_count": 4}, headers=member
    )
    assert first.status_code == 200, first.text
    second = await client.patch(f"{URL}/{hid}", json={"base_version": 2, "phone": "13900001111"}, headers=member)
    assert second.status_code == 200, second.text

    query = select(HouseholdRevision).where(HouseholdRevision.household_id == uuid.UUID(hid))
    revisions = session.exec(query.order_by(col(HouseholdRevision.id))).all()
    assert [(r.version, r.changed_by_id) for r in revisions] == [(1, user.id), (2, user.id)]
    assert revisions[0].before["head_name"] == "张三" and set(revisions[0].before) == {"head_name", "member_count"}
    sealed = revisions[1].before["phone_ciphertext"]
    assert "13812345678" not in str(revisions[1].before) and get_cipher().decrypt(sealed) == "13812345678"
    assert revisions[0].changed_at <= revisions[1].changed_at
