"""Getting around as a grid worker, in Debian Chromium at phone size: 诉求 is a tab of the bar; a request
offers 签收 and 首次联系 only until they are done; a request raised on a visit shows its case code on the visit
once it is sent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import LiveServer, first_sync_done, sign_in

pytestmark = pytest.mark.browser

# Demo accounts (bandeng/demo.py).
VILLAGE_STAFF = "13800000004"  # 村干部1号, 东湖村
GRID_MEMBER = "13800000006"  # 网格员, 东湖村第1网格
SCREENSHOTS = Path("/tmp")  # bandeng-nav*.png: to look at, not compared
SMALL_PHONE: ViewportSize = {"width": 360, "height": 640}


def _code(case_code: str) -> str:
    return f"{case_code[:5]}-{case_code[5:]}"


def _dispatched_to_the_grid(server: LiveServer, description: str) -> dict[str, Any]:
    staff = server.token(VILLAGE_STAFF)
    grid = next(u["id"] for u in server.api("GET", "/public/units") if u["name"] == "东湖村第1网格")
    category = next(c["id"] for c in server.api("GET", "/public/categories") if c["name"] == "基础设施")
    body = {"channel": "service_point", "category_id": category, "unit_id": grid, "description": description}
    rr = dict(server.api("POST", "/requests", body, token=staff))
    for command in ({"action": "accept"}, {"action": "dispatch", "handling_unit_id": grid}):
        server.api("POST", f"/requests/{rr['id']}/actions", command, token=staff)
    return rr


def _sign_in_grid_member(page: Page, server: LiveServer) -> None:
    sign_in(page, server, GRID_MEMBER)
    first_sync_done(page)


def _bar(page: Page, name: str) -> Any:
    return page.locator("#bar-actions").get_by_role("link", name=re.compile(f"^{name}"))


def test_a_grid_worker_reaches_requests_from_the_bar(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size(SMALL_PHONE)
    _sign_in_grid_member(page, live_server)
    expect(_bar(page, "走访")).to_have_attribute("aria-current", "page")
    _bar(page, "诉求").click()
    expect(page).to_have_url(re.compile(r"#/staff$"))
    expect(page.get_by_role("heading", name="诉求列表")).to_be_visible()
    expect(_bar(page, "诉求")).to_have_attribute("aria-current", "page")
    expect(_bar(page, "走访")).not_to_have_attribute("aria-current", "page")
    expect(page.locator(".who")).to_have_text("当前账号：网格员1-1")  # the bar has no room for the name
    bar = page.locator(".bar").bounding_box()
    assert bar is not None and bar["height"] < 60  # the tabs fit on one line of a 360px phone
    page.screenshot(path=str(SCREENSHOTS / "bandeng-nav-requests.png"))
    page.locator(".req-card").first.click()
    expect(page.get_by_role("heading", name="诉求详情")).to_be_visible()
    expect(_bar(page, "诉求")).to_have_attribute("aria-current", "page")  # a request belongs to the tab


def test_sign_for_and_first_contact_are_offered_until_done(page: Page, live_server: LiveServer) -> None:
    rr = _dispatched_to_the_grid(live_server, "村道边坡有落石")
    _sign_in_grid_member(page, live_server)
    page.goto(f"{live_server.url}/#/staff/r/{rr['id']}")
    actions = page.locator(".action-row")
    expect(actions.get_by_role("button", name="签收")).to_be_visible()
    actions.get_by_role("button", name="签收").click()
    page.locator(".action-panel form").get_by_role("button", name="确认签收").click()
    expect(page.locator("#toast")).to_have_text("已签收")
    expect(page.locator(".timeline li strong").last).to_have_text("签收")
    expect(actions.get_by_role("button", name="首次联系")).to_be_visible()
    expect(actions.get_by_role("button", name="签收")).to_have_count(0)  # done: no longer offered

    actions.get_by_role("button", name="首次联系").click()
    page.locator(".action-panel form").get_by_label("备注（选填）").fill("已电话联系反映人")
    page.locator(".action-panel form").get_by_role("button", name="确认首次联系").click()
    expect(page.locator("#toast")).to_have_text("已首次联系")
    expect(actions.get_by_role("button", name="首次联系")).to_have_count(0)
    expect(actions.get_by_role("button", name="开始办理")).to_be_visible()
    page.reload()  # the server's word, not only the page's
    expect(page.locator(".action-row").get_by_role("button", name="开始办理")).to_be_visible()
    expect(page.locator(".action-row").get_by_role("button", name="签收")).to_have_count(0)
    expect(page.locator(".action-row").get_by_role("button", name="首次联系")).to_have_count(0)


def test_a_request_raised_on_a_visit_shows_its_case_code(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size(SMALL_PHONE)
    _sign_in_grid_member(page, live_server)
    page.get_by_role("link", name="不入户走访（记录地点）").click()
    page.get_by_label("走访地点").fill("村委会门口")
    page.get_by_role("button", name="＋ 添加一条建议或困难").click()
    item = page.locator(".visit-item")
    item.get_by_label("内容").fill("小桥栏杆松动，孩子上学经过很危险")
    item.get_by_label("处理结果").select_option("became_request")
    item.get_by_label("诉求类别").select_option(label="基础设施")
    page.get_by_role("button", name="保存走访").click()

    expect(page).to_have_url(re.compile(r"#/staff/visits$"))
    expect(page.locator("#sync-pending")).to_have_text("走访记录已全部上传")
    visit = page.locator("#recent-visits li").filter(has_text="村委会门口")
    code = visit.locator(".raised a")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{5}-[0-9A-Z]{5}$"))
    page.screenshot(path=str(SCREENSHOTS / "bandeng-nav-visit-code.png"), full_page=True)
    shown = code.inner_text()
    code.click()
    expect(page.get_by_role("heading", name="诉求详情")).to_be_visible()
    expect(page.locator(".result-head")).to_contain_text(shown)
    expect(page.locator(".desc")).to_have_text("小桥栏杆松动，孩子上学经过很危险")

    page.go_back()  # kept on the phone: shown again without asking the server
    expect(page.locator("#recent-visits li").filter(has_text="村委会门口").locator(".raised a")).to_have_text(shown)
