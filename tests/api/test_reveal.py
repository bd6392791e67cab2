"""Revealing a household's phone and a resident's phone or ID number: a reason, the right role and scope,
an audit row with who, why and what, refusals included; a budget per account and hour; masked everywhere else,
and nothing written when the request itself is malformed or out of scope."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.audit import AuditLog
from models.enums import Role
from tests.factories import Town, auth_header, make_town, make_user

URL = "/api/v1/households"
PHONE, RESIDENT_PHONE, ID_NUMBER = "13812345678", "13987654321", "99010019491231003X"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
async def household(client: httpx.AsyncClient, session: Session, town: Town) -> tuple[str, str, str]:
    """(household id, resident id, resident without an ID number id) in grid A1."""
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    body = {"grid_id": town.grid_a1.id, "head_name": "张三", "address_text": "一组 12 号", "phone": PHONE}
    hid = (await client.post(URL, json=body, headers=member)).json()["id"]
    person = {"name": "张大爷", "relation": "parent", "phone": RESIDENT_PHONE, "id_number": ID_NUMBER}
    rid = (await client.post(f"{URL}/{hid}/residents", json=person, headers=member)).json()["id"]
    child = (await client.post(f"{URL}/{hid}/residents", json={"name": "张小三"}, headers=member)).json()["id"]
    return hid, rid, child


def _audits(session: Session) -> list[AuditLog]:
    found = select(AuditLog).where(col(AuditLog.action).in_(["reveal_phone", "reveal_id_number"]))
    return list(session.exec(found.order_by(col(AuditLog.id))).all())


async def test_a_grid_member_reveals_the_household_phone_with_a_reason(
    client: httpx.AsyncClient, session: Session, town: Town, household: tuple[str, str, str]
) -> None:
    hid, _, _ = household
    member = make_user(session, Role.grid_member, town.grid_a1)
    shown = await client.post(f"{URL}/{hid}/reveal-phone", json={"reason": "电话回访"}, headers=auth_header(member))
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"phone": PHONE}
    [entry] = _audits(session)
    assert (entry.action, entry.actor_id, entry.target_type, entry.target_id, entry.reason) == (
        "reveal_phone",
        member.id,
        "household",
        hid,
        "电话回访",
    )
    detail = await client.get(f"{URL}/{hid}", headers=auth_header(member))
    assert PHONE not in detail.text and RESIDENT_PHONE not in detail.text and ID_NUMBER not in detail.text


async def test_id_numbers_only_for_leaders_and_staff(
    client: httpx.AsyncClient, session: Session, town: Town, household: tuple[str, str, str]
) -> None:
    hid, rid, _ = household
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    body = {"field": "id_number", "reason": "办理残疾补贴"}
    refused = await client.post(f"{URL}/{hid}/residents/{rid}/reveal", json=body, headers=member)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "reveal_not_permitted"
    assert [(e.action, e.result, e.detail) for e in _audits(session)] == [
        ("reveal_id_number", "refused", {"code": "reveal_not_permitted"})
    ]
    phone = await client.post(f"{URL}/{hid}/residents/{rid}/reveal", json=body | {"field": "phone"}, headers=member)
    assert phone.json() == {"field": "phone", "value": RESIDENT_PHONE}

    leader = make_user(session, Role.village_staff, town.village_a)
    shown = await client.post(f"{URL}/{hid}/residents/{rid}/reveal", json=body, headers=auth_header(leader))
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"field": "id_number", "value": ID_NUMBER}
    entries = _audits(session)
    assert [(e.action, e.target_type, e.target_id, e.result) for e in entries] == [
        ("reveal_id_number", "resident", rid, "refused"),
        ("reveal_phone", "resident", rid, "ok"),
        ("reveal_id_number", "resident", rid, "ok"),
    ]
    assert entries[2].actor_id == leader.id and entries[2].reason == "办理残疾补贴"


@pytest.mark.parametrize(
    ("who", "body", "status", "code", "loc"),
    [
        ("outside", {"field": "phone", "reason": "电话回访"}, 404, "household_not_found", None),
        ("admin", {"field": "phone", "reason": "电话回访"}, 404, "household_not_found", None),
        ("member", {"field": "phone"}, 422, "validation_error", "reason"),
        ("member", {"field": "phone", "reason": "看"}, 422, "validation_error", "reason"),
        ("member", {"field": "phone", "reason": "  "}, 422, "validation_error", "reason"),
        ("member", {"field": "phone", "reason": " 看 "}, 422, "validation_error", "reason"),
        ("member", {"field": "passport", "reason": "电话回访"}, 422, "validation_error", "field"),
    ],
    ids=["other grid", "admin", "no reason", "reason too short", "two spaces", "one character spaced", "unknown field"],
)
async def test_refusals_write_nothing(
    client: httpx.AsyncClient,
    session: Session,
    town: Town,
    household: tuple[str, str, str],
    who: str,
    body: dict[str, str],
    status: int,
    code: str,
    loc: str | None,
) -> None:
    hid, rid, _ = household
    unit, role = {
        "outside": (town.grid_b1, Role.grid_member),
        "admin": (town.town, Role.admin),
        "member": (town.grid_a1, Role.grid_member),
    }[who]
    answer = await client.post(
        f"{URL}/{hid}/residents/{rid}/reveal", json=body, headers=auth_header(make_user(session, role, unit))
    )
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    if loc is not None:
        assert error["detail"][0]["loc"][:2] == ["body", loc]
    assert _audits(session) == []


async def test_nothing_to_reveal_is_404_and_audited_as_refused(
    client: httpx.AsyncClient, session: Session, town: Town, household: tuple[str, str, str]
) -> None:
    hid, _, child = household
    staff = auth_header(make_user(session, Role.village_staff, town.village_a))
    for field in ("phone", "id_number"):
        answer = await client.post(
            f"{URL}/{hid}/residents/{child}/reveal", json={"field": field, "reason": "办理医保"}, headers=staff
        )
        assert answer.status_code == 404 and answer.json()["error"]["code"] == f"no_{field}"
    assert [(e.result, e.detail, e.reason) for e in _audits(session)] == [
        ("refused", {"code": "no_phone"}, "办理医保"),
        ("refused", {"code": "no_id_number"}, "办理医保"),
    ]


async def test_reveals_are_throttled_per_account(
    client: httpx.AsyncClient,
    session: Session,
    town: Town,
    household: tuple[str, str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hid, _, _ = household
    monkeypatch.setenv("BANDENG_REVEAL_LIMIT_PER_HOUR", "2")
    get_settings.cache_clear()
    try:
        member, other = (auth_header(make_user(session, Role.grid_member, town.grid_a1)) for _ in range(2))
        statuses = [
            (await client.post(f"{URL}/{hid}/reveal-phone", json={"reason": "电话回访"}, headers=member)).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        last = await client.post(f"{URL}/{hid}/reveal-phone", json={"reason": "电话回访"}, headers=member)
        error = last.json()["error"]
        assert (
            error["code"] == "reveal_rate_limited"
            and "每小时最多 2 次" in error["message"]
            and "后再试" in error["message"]
        )
        assert 0 < error["detail"]["retry_after"] <= 3600 and last.headers["Retry-After"]
        assert PHONE not in last.text
        ok = await client.post(f"{URL}/{hid}/reveal-phone", json={"reason": "电话回访"}, headers=other)
        assert ok.status_code == 200  # the budget is the account's own
        results = [(e.result, (e.detail or {}).get("code")) for e in _audits(session)]
        assert results == [("ok", None)] * 2 + [("refused", "reveal_rate_limited")] * 2 + [("ok", None)]
    finally:
        monkeypatch.delenv("BANDENG_REVEAL_LIMIT_PER_HOUR")
        get_settings.cache_clear()
