"""The town's escalation desk (督办台) and a unit's 待办 in Debian Chromium at phone size: the town cadre finds a
request escalated to the town on the desk, whistles 镇水务站 with a report-in deadline, and the department
finds it under 待办 and reports in; a village asks for more time and the cadre approves a shorter extension."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser

# Demo accounts (bandeng/demo.py): the cadre is stationed at 东湖村 and 西岭村 of 板凳镇.
TOWN_CADRE = "13800000003"  # 驻点干部孙镇长, 板凳镇
VILLAGE_STAFF = "13800000004"  # 村干部1号, 东湖村
WATER_STATION = "13800000025"  # 部门承办人1号, 镇水务站
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _registered(server: LiveServer, token: str, description: str) -> dict[str, Any]:
    """A request 村干部1号 registers on a visit in 东湖村第1网格: its summary (id, case code, due date)."""
    grid = next(u["id"] for u in server.api("GET", "/public/units") if u["name"] == "东湖村第1网格")
    category = next(c["id"] for c in server.api("GET", "/public/categories") if c["name"] == "基础设施")
    body = {"channel": "visit", "category_id": category, "unit_id": grid, "description": description}
    return dict(server.api("POST", "/requests", body, token=token))


def _act(server: LiveServer, token: str, request_id: str, **command: object) -> None:
    server.api("POST", f"/requests/{request_id}/actions", command, token=token)


def _code(case_code: str) -> str:
    """As the app shows it: two groups of five."""
    return f"{case_code[:5]}-{case_code[5:]}"


def _local_day(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).date()


def _shown(day: date) -> str:
    """A deadline set to a day, as the app prints it (the year only outside this year)."""
    return f"{day.month}月{day.day}日 23:59"


def _sign_in(page: Page, server: LiveServer, mobile: str) -> None:
    sign_in(page, server, mobile)
    expect(page).to_have_url(re.compile(r"#/staff$"))


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="工作人员登录")).to_be_visible()


def _open_from_list(page: Page, case_code: str, reason: str) -> None:
    """The list's card for this request carries the reason tag; a tap opens the request."""
    card = page.locator(".req-card").filter(has_text=_code(case_code))
    expect(card.locator(".req-tags")).to_contain_text(reason)
    card.click()
    expect(page).to_have_url(re.compile(r"#/staff/r/[0-9a-f-]{36}$"))
    expect(page.locator(".result-head")).to_contain_text(_code(case_code))


def _last_event(page: Page) -> Any:
    return page.locator(".timeline li strong").last


def test_the_desk_whistles_a_department_and_it_reports_in(page: Page, live_server: LiveServer) -> None:
    staff = live_server.token(VILLAGE_STAFF)
    rr = _registered(live_server, staff, "村口涵洞塌陷，雨天积水漫进农户家中")
    for note in ("村里修不了，需要镇上协调", "涉及水利设施，请镇街协调水务站"):
        _act(live_server, staff, rr["id"], action="escalate", note=note)  # grid → 东湖村 → 板凳镇

    _sign_in(page, live_server, TOWN_CADRE)
    expect(page.get_by_role("button", name="全部诉求")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="督办台").click()
    expect(page).to_have_url(re.compile(r"#/staff\?desk=true$"))
    expect(page.get_by_role("heading", name="镇街督办台")).to_be_visible()
    expect(page.get_by_role("button", name="督办台")).to_have_attribute("aria-pressed", "true")
    # Only open statuses are offered on the desk.
    expect(page.get_by_role("button", name="已办结")).to_have_count(0)
    _open_from_list(page, rr["case_code"], "上报至本单位")

    page.get_by_role("button", name="吹哨", exact=True).click()
    form = page.locator(".action-panel form")
    form.get_by_label("向哪个职能部门吹哨").select_option(label="镇水务站")
    hours = form.get_by_label("报到时限（小时）")
    expect(hours).to_have_value("4")
    hours.fill("80")
    form.get_by_role("button", name="确认吹哨").click()
    expect(page.locator("#act-hours-err")).to_have_text("1 到 72 之间的整数")
    expect(page.locator("#act-note-err")).to_have_text("请填写")
    hours.fill("2")
    form.get_by_label("吹哨说明（告知部门做什么）").fill("请水务站今天到现场查看涵洞，提出抢修方案")
    form.get_by_role("button", name="确认吹哨").click()
    expect(page.locator("#toast")).to_have_text("已吹哨")
    expect(_last_event(page)).to_have_text("吹哨")
    expect(page.locator(".timeline li").last).to_contain_text("请水务站今天到现场查看涵洞")
    expect(page.locator(".facts .whistles")).to_contain_text("镇水务站")
    expect(page.locator(".facts .whistles")).to_contain_text("未报到")
    _sign_out(page)

    # 镇水务站 opens on 待办 (#/staff): the whistled request is there with its tag.
    _sign_in(page, live_server, WATER_STATION)
    expect(page.get_by_role("heading", name="本单位待办")).to_be_visible()
    expect(page.get_by_role("button", name="待办")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="督办台")).to_have_count(0)
    expect(page.get_by_role("link", name="＋ 登记诉求")).to_have_count(0)
    _open_from_list(page, rr["case_code"], "吹哨待报到")

    page.get_by_role("button", name="吹哨报到", exact=True).click()
    form = page.locator(".action-panel form")
    form.get_by_label("报到情况（选填）").fill("已派人到现场，明早开始抢修")
    form.get_by_role("button", name="确认吹哨报到").click()
    expect(page.locator("#toast")).to_have_text("已报到")
    expect(_last_event(page)).to_have_text("吹哨报到")
    expect(page.locator(".facts .whistles")).to_contain_text("已报到")
    expect(page.get_by_role("button", name="吹哨报到", exact=True)).to_have_count(0)


def test_an_extension_is_asked_for_and_approved_at_the_desk(page: Page, live_server: LiveServer) -> None:
    staff = live_server.token(VILLAGE_STAFF)
    rr = _registered(live_server, staff, "村小学门口的减速带被压坏，需要重新安装")
    _act(live_server, staff, rr["id"], action="accept")
    due = _local_day(rr["feedback_due_at"])
    asked, granted = due + timedelta(days=10), due + timedelta(days=6)

    # 东湖村 asks for more time from its 待办 list (a bookmarkable #/staff?inbox=true).
    _sign_in(page, live_server, VILLAGE_STAFF)
    page.get_by_role("button", name="待办").click()
    expect(page).to_have_url(re.compile(r"#/staff\?inbox=true$"))
    expect(page.get_by_role("heading", name="本单位待办")).to_be_visible()
    _open_from_list(page, rr["case_code"], "办理中")
    page.get_by_role("button", name="申请延期", exact=True).click()
    form = page.locator(".action-panel form")
    form.get_by_label("申请延期至").fill(asked.isoformat())
    form.get_by_label("延期理由").fill("减速带需向厂家订货，到货约需一周")
    form.get_by_role("button", name="确认申请延期").click()
    expect(page.locator("#toast")).to_have_text("延期申请已提交，等待审批")
    expect(_last_event(page)).to_have_text("申请延期")
    expect(page.locator(".facts")).to_contain_text(f"申请延期至 {asked.year}年{asked.month}月{asked.day}日（待审批）")
    expect(page.get_by_role("button", name="申请延期", exact=True)).to_have_count(0)
    _sign_out(page)

    # The cadre finds it on the desk and grants less time than asked.
    _sign_in(page, live_server, TOWN_CADRE)
    page.goto(f"{live_server.url}/#/staff?desk=true")
    _open_from_list(page, rr["case_code"], "待批延期")
    expect(page.get_by_role("button", name="不同意延期", exact=True)).to_be_visible()
    page.get_by_role("button", name="同意延期", exact=True).click()
    form = page.locator(".action-panel form")
    form.get_by_label("改定期限（选填）").fill(granted.isoformat())
    form.get_by_label("审批意见（会告知申请人）").fill("给六天，请尽快订货")
    form.get_by_role("button", name="确认同意延期").click()
    expect(page.locator("#toast")).to_have_text("已同意延期")
    expect(_last_event(page)).to_have_text("同意延期")
    facts = page.locator(".facts")
    expect(facts).to_contain_text(_shown(granted))
    expect(facts).not_to_contain_text("待审批")
    expect(page.get_by_role("button", name="同意延期", exact=True)).to_have_count(0)
