"""The public notice board: no login, only public data (its output is scanned for phones and ID numbers)."""

from __future__ import annotations

import re
from datetime import time, timedelta

import httpx
import pytest
from sqlmodel import Session

from core.clock import utc_now
from models.enums import Role
from models.stationing import ReceptionSession, Stationing
from models.stationing_schemas import AttendanceInput, MatterCreate, MemberCreate
from services.clocks.calendar import local_today
from services.stationing import stationing
from tests.factories import Town, actor_of, category_id, make_town, make_user

MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9])")
CADRE_MOBILE, RESIDENT_MOBILE, RESIDENT_ID = "13700001111", "13812345678", "990100199001011235"


@pytest.fixture
def village(session: Session) -> tuple[Town, Stationing]:
    """A village with a stationed cadre, a team, one held and one missed session, and two matters."""
    town = make_town(session)
    cadre = make_user(session, Role.town_cadre, town.town, name="李驻点", mobile=CADRE_MOBILE)
    actor, today = actor_of(session, cadre), local_today(utc_now())
    st = Stationing(
        village_id=town.village_a.id or 0,
        cadre_id=cadre.id or 0,
        title="镇党委委员",
        work_phone="0757-86281234",
        weekday=1,
        start_time=time(14, 30),
        end_time=time(17, 30),
        place="甲村村委会",
        starts_on=today - timedelta(weeks=4),
    )
    session.add(st)
    session.flush()
    helper = make_user(session, Role.village_staff, town.village_a, name="陈志愿", mobile="13900009999")
    stationing.add_member(
        session, actor, st, MemberCreate(name="陈志愿", team="support", user_id=helper.id), now=utc_now()
    )
    receptions = []
    for weeks_ago in (1, 2):
        day = today - timedelta(weeks=weeks_ago)
        reception = ReceptionSession(
            stationing_id=st.id or 0,
            slot_on=day,
            held_on=day,
            start_time=st.start_time,
            end_time=st.end_time,
            place=st.place,
        )
        session.add(reception)
        receptions.append(reception)
    session.flush()
    stationing.attend(session, actor, receptions[0], AttendanceInput(status="held"), now=utc_now())
    stationing.attend(session, actor, receptions[1], AttendanceInput(status="missed", reason="开会"), now=utc_now())
    for outcome, note in (("solved_on_spot", "当场解答"), ("registered", None)):
        matter = MatterCreate.model_validate(
            {
                "outcome": outcome,
                "category_id": category_id(session),
                "description": f"身份证 {RESIDENT_ID} 办理咨询",
                "reporter_name": "张居民",
                "reporter_phone": RESIDENT_MOBILE,
                "note": note,
            }
        )
        stationing.record_matter(session, actor, receptions[0], st, matter, now=utc_now())
    stationing.generate(session, st, weeks=4, now=utc_now())
    return town, st


def _assert_public_only(text: str) -> None:
    assert not MOBILE.search(text), MOBILE.search(text)
    assert not ID_NUMBER.search(text)
    for private in ("张居民", "陈志愿", "身份证", "开会", RESIDENT_MOBILE[-4:], CADRE_MOBILE[-4:]):
        assert private not in text, private


async def test_board_json_is_public_and_counts(client: httpx.AsyncClient, village: tuple[Town, Stationing]) -> None:
    town, _ = village
    response = await client.get(f"/api/v1/public/board/{town.village_a.id}")
    assert response.status_code == 200, response.text
    board = response.json()
    _assert_public_only(response.text)
    (cadre,) = board["cadres"]
    assert (cadre["name"], cadre["title"], cadre["work_phone"]) == ("李驻点", "镇党委委员", "0757-86281234")
    assert (cadre["weekday_label"], cadre["frequency_label"], cadre["place"]) == ("周二", "每周", "甲村村委会")
    assert cadre["next_session_on"] >= local_today(utc_now()).isoformat()
    assert board["results"] == {
        "received": 2,
        "solved_on_spot": 1,
        "fed_back_on_time": 1,
        "sessions_held": 1,
        "sessions_missed": 1,
        "attendance_rate": 0.5,
    }


async def test_board_page_is_printable_chinese(client: httpx.AsyncClient, village: tuple[Town, Stationing]) -> None:
    town, _ = village
    response = await client.get(f"/api/v1/public/board/{town.village_a.id}.html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    _assert_public_only(page)
    assert '<html lang="zh-CN">' in page and "@page { size: A4" in page and "@media print" in page
    for shown in (
        "甲村 驻点直联公示牌",
        "李驻点",
        "镇党委委员",
        "0757-86281234",
        "每周周二 14:30–17:30",
        "到岗率",
        "50.0%",
    ):
        assert shown in page, shown


async def test_the_scan_would_catch_a_leak() -> None:
    assert MOBILE.search(f"电话 {RESIDENT_MOBILE}") and MOBILE.search("+86 138-1234-5678")
    assert ID_NUMBER.search(f"证件 {RESIDENT_ID}") and not MOBILE.search("0757-86281234")


@pytest.mark.parametrize("suffix", ["", ".html"])
async def test_only_villages_have_boards(client: httpx.AsyncClient, session: Session, suffix: str) -> None:
    town = make_town(session)
    for unit_id in (town.grid_a1.id, town.town.id, 999999):
        response = await client.get(f"/api/v1/public/board/{unit_id}{suffix}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    empty = await client.get(f"/api/v1/public/board/{town.village_b.id}{suffix}")
    assert empty.status_code == 200
