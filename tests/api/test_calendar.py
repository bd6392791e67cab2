from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from models.audit import AuditLog
from models.enums import Role
from models.sla import WorkCalendarYear
from tests.factories import Town, auth_header, make_town, make_user

URL = "/api/v1/calendar/years"
BODY_2027: dict[str, Any] = {
    "year": 2027,
    "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-02-06", "kind": "makeup_workday", "name": "春节"},
        *({"date": f"2027-02-{day:02d}", "kind": "holiday", "name": "春节"} for day in range(8, 13)),
    ],
}
CSV_2027 = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,makeup_workday,春节\n2027-02-08,holiday,春节\n"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def admin(session: Session, town: Town) -> dict[str, str]:
    return auth_header(make_user(session, Role.admin, town.district, name="日历管理员"))


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "detail"} and error["code"] == code and error["message"]
    return dict(error)


async def test_admin_imports_json_and_reads_it_back(
    client: httpx.AsyncClient, session: Session, admin: dict[str, str]
) -> None:
    before = (await client.get(URL, headers=admin)).json()
    assert 2027 not in [y["year"] for y in before["years"]] and before["years"][0]["year"] == 2004
    this_year = before["current_year"]
    assert before["missing"] == [y for y in (this_year, this_year + 1) if y > 2026]
    response = await client.put(
        f"{URL}/2027", params={"source": "国办发明电〔2026〕1号"}, json=BODY_2027, headers=admin
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["days"], result["holidays"], result["makeup_workdays"], result["replaced"]) == (365, 6, 1, False)
    assert result["source"] == "国办发明电〔2026〕1号" and "2027" in result["summary"]
    after = (await client.get(URL, headers=admin)).json()
    assert 2027 in [y["year"] for y in after["years"]] and 2027 not in after["missing"]
    detail = (await client.get(f"{URL}/2027", headers=admin)).json()
    assert (
        detail["official"] is True
        and detail["note"] is None
        and (detail["holidays"], detail["makeup_workdays"]) == (6, 1)
    )
    saturday = detail["days"][1]
    assert saturday == {
        "date": "2027-02-06",
        "kind": "makeup_workday",
        "kind_label": "调休上班",
        "name": "春节",
        "is_workday": True,
        "weekday_label": "周六",
    }
    assert detail["days"][0]["kind_label"] == "法定节假日" and len(detail["days"]) == 7
    entry = session.exec(select(AuditLog).where(AuditLog.action == "calendar.import")).one()
    assert entry.actor_role == "admin" and entry.detail is not None and entry.detail["holidays"] == 6
    year = session.get(WorkCalendarYear, 2027)
    assert year is not None and year.imported_by_id == entry.actor_id


async def test_csv_body_works(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    headers = admin | {"Content-Type": "text/csv; charset=utf-8"}
    response = await client.put(f"{URL}/2027", content=CSV_2027.encode(), headers=headers)
    assert response.status_code == 200, response.text
    assert (response.json()["holidays"], response.json()["makeup_workdays"]) == (2, 1)
    assert response.json()["source"] == "管理员上传"
    again = await client.put(f"{URL}/2027", content=CSV_2027.encode(), headers=headers)
    assert again.json()["replaced"] is True


async def test_bad_body_is_422_with_the_field_path_and_writes_nothing(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"days": [{"date": "2027-01-01", "kind": "holiday"}, {"date": "2027-02-30", "kind": "holiday"}]}
    error = assert_error(await client.put(f"{URL}/2027", json=body, headers=admin), 422, "date_invalid")
    assert error["detail"] == [{"loc": ["body", "days[1].date"], "msg": error["message"], "type": "date_invalid"}]
    assert "第 2 条" in error["message"]
    mismatch = await client.put(f"{URL}/2027", json=BODY_2027 | {"year": 2028}, headers=admin)
    assert assert_error(mismatch, 422, "year_mismatch")["detail"][0]["loc"] == ["body", "year"]
    weekday = "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-04,makeup_workday,\n"
    csv_error = await client.put(f"{URL}/2027", content=weekday, headers=admin | {"Content-Type": "text/csv"})
    assert assert_error(csv_error, 422, "makeup_not_weekend")["message"].startswith("第 3 行")
    broken = await client.put(f"{URL}/2027", content=b"{", headers=admin | {"Content-Type": "application/json"})
    assert_error(broken, 422, "json_invalid")
    xml = await client.put(f"{URL}/2027", content=b"<x/>", headers=admin | {"Content-Type": "application/xml"})
    assert_error(xml, 415, "unsupported_media_type")
    assert_error(await client.put(f"{URL}/1999", json=BODY_2027, headers=admin), 422, "validation_error")
    missing = (await client.get(f"{URL}/2027", headers=admin)).json()
    assert missing["official"] is False and missing["days"] == [] and "周一至周五" in missing["note"]


async def test_who_may_read_and_who_may_import(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    cadre = auth_header(make_user(session, Role.town_cadre, town.town))
    auditor = auth_header(make_user(session, Role.auditor, town.district))
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    assert_error(await client.put(f"{URL}/2027", json=BODY_2027, headers=cadre), 403, "permission_denied")
    assert_error(await client.put(f"{URL}/2027", json=BODY_2027), 401, "not_authenticated")
    for reader in (cadre, auditor):
        assert (await client.get(URL, headers=reader)).status_code == 200
        assert (await client.get(f"{URL}/2026", headers=reader)).json()["official"] is True
    assert_error(await client.get(URL, headers=member), 403, "permission_denied")
    assert_error(await client.get(f"{URL}/2026", headers=member), 403, "permission_denied")


async def test_the_import_body_is_documented(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    body = spec["paths"][f"{URL}/{{year}}"]["put"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}
    assert body["application/json"]["schema"]["properties"]["days"]["items"]["required"] == ["date", "kind"]
