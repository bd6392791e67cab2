"""回访 in Debian Chromium at phone size: village staff open 待回访, log a call nobody answered, then record the
callback in two taps and see the request leave the list; a 不满意 callback asks once more and reopens it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser

# Demo accounts (bandeng/demo.py).
VILLAGE_STAFF = "13800000004"  # 村干部1号, 东湖村
GRID_MEMBER = "13800000006"  # 网格员, 东湖村第1网格
SCREENSHOTS = Path("/tmp")  # bandeng-callbacks*.png: to look at, not compared
SMALL_PHONE: ViewportSize = {"width": 360, "height": 640}


def _replied(server: LiveServer, description: str) -> dict[str, Any]:
    """A request 村干部1号 registers for 东湖村第1网格 with the resident's phone, dispatched to the grid, where the
    grid member answers it: the summary (id, case code) of a reply waiting for its callback."""
    staff, member = server.token(VILLAGE_STAFF), server.token(GRID_MEMBER)
    grid = next(u["id"] for u in server.api("GET", "/public/units") if u["name"] == "东湖村第1网格")
    category = next(c["id"] for c in server.api("GET", "/public/categories") if c["name"] == "基础设施")
    body = {
        "channel": "service_point", "category_id": category, "unit_id": grid, "description": description,
        "reporter_name": "王大妈", "reporter_phone": "13912345678",
    }  # fmt: skip
    rr = dict(server.api("POST", "/requests", body, token=staff))
    steps = [
        (staff, {"action": "accept"}),
        (staff, {"action": "dispatch", "handling_unit_id": grid}),
        (member, {"action": "start"}),
        (member, {"action": "reply", "closure_type": "substantive", "note": "已更换路灯灯泡，晚上已经亮了"}),
    ]
    for token, command in steps:
        server.api("POST", f"/requests/{rr['id']}/actions", command, token=token)
    return rr


def _code(case_code: str) -> str:
    return f"{case_code[:5]}-{case_code[5:]}"


def _open_callbacks(page: Page) -> None:
    page.get_by_role("button", name="待回访").click()
    expect(page).to_have_url(re.compile(r"#/staff\?callbacks=true$"))
    expect(page.get_by_role("heading", name="待回访")).to_be_visible()
    expect(page.get_by_role("button", name="待回访")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="超期")).to_have_count(0)  # no status filters on this list


def test_village_staff_record_a_callback_in_two_taps(page: Page, live_server: LiveServer) -> None:
    rr = _replied(live_server, "村口路灯坏了，晚上看不见路")
    page.set_viewport_size(SMALL_PHONE)
    sign_in(page, live_server, VILLAGE_STAFF)
    expect(page).to_have_url(re.compile(r"#/staff$"))
    _open_callbacks(page)
    card = page.locator(".req-card").filter(has_text=_code(rr["case_code"]))
    expect(card).to_contain_text("王大妈 ")
    expect(card).to_contain_text("5678")
    expect(card).not_to_contain_text("13912345678")  # masked on the list
    page.screenshot(path=str(SCREENSHOTS / "bandeng-callbacks-list.png"))

    # Nobody answers: one tap records the attempt, and the request stays on the list with it.
    card.click()
    expect(page).to_have_url(re.compile(r"#/staff/r/[0-9a-f-]{36}\?callback=1$"))
    form = page.locator(".callback-form")
    expect(form).to_be_visible()  # opened at once, from the list
    expect(form.locator(".cb-reply")).to_contain_text("已更换路灯灯泡")
    expect(form.locator(".cb-phone")).to_contain_text("5678")
    expect(form.get_by_role("button", name="查看号码并拨打")).to_be_visible()  # the audited reveal, not a number
    page.screenshot(path=str(SCREENSHOTS / "bandeng-callbacks-form.png"))
    form.get_by_label("回访说明（选填）").fill("电话无人接听")
    form.get_by_role("button", name="未接通（记一次）").click()
    expect(page.locator("#toast")).to_have_text("已记录未接通，可稍后再回访")
    expect(page).to_have_url(re.compile(r"#/staff\?callbacks=true$"))
    expect(card.locator(".req-tags")).to_contain_text("已 1 次未接通")

    # The resident answers: 已解决, 满意 — two taps, and it is saved and gone from the list.
    card.click()
    form.get_by_role("button", name="已解决").click()
    expect(form.get_by_role("button", name="已解决")).to_have_attribute("aria-pressed", "true")
    form.get_by_role("button", name="满意", exact=True).click()
    expect(page.locator("#toast")).to_have_text("已记录回访")
    expect(page).to_have_url(re.compile(r"#/staff\?callbacks=true$"))
    expect(page.locator(".req-list")).to_be_visible()
    expect(page.locator(".req-card").filter(has_text=_code(rr["case_code"]))).to_have_count(0)

    # The request shows both attempts, and the reached one counts (a 满意 callback closes the reply).
    page.goto(f"{live_server.url}/#/staff/r/{rr['id']}")
    expect(page.locator(".result-head")).to_contain_text("已办结")
    records = page.locator("h2:has-text('回访记录') + ul li")
    expect(records).to_have_count(2)
    expect(records.nth(0)).to_contain_text("未接通")
    expect(records.nth(0)).to_contain_text("电话无人接听")
    expect(records.nth(1)).to_contain_text("已解决 · 满意")
    expect(records.nth(1)).to_contain_text("计入满意率")
    expect(page.locator(".timeline li strong", has_text="回访 · 已解决 · 满意")).to_have_count(1)
    expect(page.get_by_role("button", name="回访", exact=True)).to_have_count(0)  # this reply is called back
    page.screenshot(path=str(SCREENSHOTS / "bandeng-callbacks-done.png"), full_page=True)


def test_an_unsatisfied_callback_asks_once_more_and_reopens(page: Page, live_server: LiveServer) -> None:
    rr = _replied(live_server, "垃圾桶满了没人清运")
    sign_in(page, live_server, VILLAGE_STAFF)
    expect(page).to_have_url(re.compile(r"#/staff$"))
    page.goto(f"{live_server.url}/#/staff/r/{rr['id']}")
    page.get_by_role("button", name="回访", exact=True).click()
    form = page.locator(".callback-form")
    form.get_by_role("button", name="不满意").click()
    form.get_by_role("button", name="未解决").click()
    sure = form.get_by_role("button", name="确认不满意，重新办理")
    expect(sure).to_be_visible()  # not saved yet: a reopen is asked for once more
    expect(page.locator(".result-head")).to_contain_text("已答复")
    sure.click()
    expect(page.locator("#toast")).to_have_text("已记录回访，诉求退回重办")
    expect(page.locator(".result-head")).to_contain_text("已派单")
    expect(page.locator("h2:has-text('回访记录') + ul li")).to_contain_text("未解决 · 不满意")
    expect(page.locator(".facts")).to_contain_text("第 2 轮")
