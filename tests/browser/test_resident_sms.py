"""Residents' SMS and hand-offs in Debian Chromium at phone size: 居民不接收短信 is offered beside each phone the
app takes (staff registration, a visit's request, the public report) and, ticked, no message is queued for the
resident; a request without a phone says it cannot be called back; a dispatch reaches the grid member's 消息
with its flag."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from tests.browser.conftest import LiveServer, first_sync_done, sign_in

pytestmark = pytest.mark.browser

# Demo accounts (bandeng/demo.py).
VILLAGE_STAFF = "13800000004"  # 村干部1号, 东湖村
GRID_MEMBER = "13800000006"  # 网格员, 东湖村第1网格
GRID = "东湖村第1网格"
SCREENSHOTS = Path("/tmp")  # bandeng-sms-*.png: to look at, not compared
SMALL_PHONE: ViewportSize = {"width": 360, "height": 640}


def _code(case_code: str) -> str:
    return f"{case_code[:5]}-{case_code[5:]}"


def _register(page: Page, description: str, phone: str | None, opt_out: bool) -> None:
    """Fills 登记诉求 as village staff; the 不接收短信 box shows only once a phone is typed."""
    page.goto(page.url.split("#")[0] + "#/staff/new")
    expect(page.get_by_role("heading", name="登记诉求")).to_be_visible()
    page.get_by_label("来源").select_option(label="热线")
    page.get_by_label("问题所在网格或村").select_option(label=GRID)
    page.get_by_label("类别").select_option(label="基础设施")
    page.get_by_label("诉求内容").fill(description)
    box = page.get_by_label("居民不接收短信")
    expect(box).to_be_hidden()
    if phone:
        page.get_by_label("反映人电话（选填）").fill(phone)
        expect(box).to_be_visible()
        expect(box).not_to_be_checked()  # unticked unless the resident asks
        if opt_out:
            box.check()
    page.screenshot(path=str(SCREENSHOTS / f"bandeng-sms-register{'-opt-out' if opt_out else ''}.png"), full_page=True)
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/staff/r/[0-9a-f-]{36}$"))
    expect(page.locator(".desc")).to_have_text(description)


def test_staff_register_with_and_without_the_residents_sms(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size(SMALL_PHONE)
    sign_in(page, live_server, VILLAGE_STAFF)
    expect(page).to_have_url(re.compile(r"#/staff$"))

    _register(page, "村口路灯不亮，居民希望短信告知进度", "13912345001", opt_out=False)
    sent = page.locator(".resident-sms")
    expect(sent).to_contain_text("登记回执")
    expect(sent).to_contain_text(re.compile("待发送|已发送"))
    expect(page.locator(".timeline")).to_contain_text("短信告知居民")
    page.locator(".resident-sms").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "bandeng-sms-detail.png"))

    _register(page, "村口垃圾桶满了，居民不要短信", "13912345002", opt_out=True)
    expect(page.locator(".facts")).to_contain_text("5002")  # the phone is kept: a callback is still possible
    expect(page.locator(".facts")).not_to_contain_text("无法回访")
    expect(page.locator(".resident-sms")).to_have_count(0)  # nothing queued for the resident
    expect(page.locator(".timeline")).not_to_contain_text("短信告知居民")


def test_a_request_without_a_phone_cannot_be_called_back(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size(SMALL_PHONE)
    sign_in(page, live_server, VILLAGE_STAFF)
    expect(page).to_have_url(re.compile(r"#/staff$"))
    _register(page, "路边电线杆倾斜，路过的人反映", None, opt_out=False)
    phone = page.locator(".facts dd").filter(has_text="无法回访")
    expect(phone).to_have_text("无法回访：未留电话")
    expect(page.locator(".resident-sms")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "bandeng-sms-uncallable.png"))


def _outbox_ops(page: Page) -> list[dict[str, Any]]:
    """The visits the phone sent, as it sent them (IndexedDB's outbox)."""
    ops: list[dict[str, Any]] = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('bandeng');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
                const get = open.result.transaction('outbox').objectStore('outbox').getAll();
                get.onsuccess = () => resolve(get.result.map((r) => r.op));
            };
        })"""
    )
    return ops


def test_a_visits_request_keeps_the_residents_no_to_sms(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size(SMALL_PHONE)
    sign_in(page, live_server, GRID_MEMBER)
    first_sync_done(page)
    # A visit to a place, not a household: the due list stays as the visit tests expect it.
    page.get_by_role("link", name="不入户走访（记录地点）").click()
    expect(page.get_by_role("heading", name="记录走访")).to_be_visible()
    page.get_by_label("走访地点").fill("村东头巷子")
    add = page.get_by_role("button", name="＋ 添加一条建议或困难")
    items = page.locator(".visit-item")
    for n, (text, phone) in enumerate([("巷子里的路灯坏了", "13912345004"), ("门前水沟堵了，不要短信", "13912345005")]):
        add.click()
        item = items.nth(n)
        item.get_by_label("内容").fill(text)
        item.get_by_label("处理结果").select_option("became_request")
        item.get_by_label("诉求类别").select_option(label="基础设施")
        box = item.get_by_label("居民不接收短信")
        expect(box).to_be_hidden()
        item.get_by_label("居民电话（选填）").fill(phone)
        expect(box).not_to_be_checked()
    items.nth(1).get_by_label("居民不接收短信").check()
    items.nth(1).scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "bandeng-sms-visit.png"))
    page.get_by_role("button", name="保存走访").click()
    expect(page.locator("#sync-pending")).to_have_text("走访记录已全部上传")

    [op] = _outbox_ops(page)
    wanted = [i["resident_request"] for i in op["fields"]["items"]]
    assert [w["reporter_sms_opt_out"] for w in wanted] == [False, True]
    token = live_server.token(GRID_MEMBER)
    told = [live_server.api("GET", f"/requests/{w['id']}", token=token)["resident_messages"] for w in wanted]
    assert [[m["kind"] for m in messages] for messages in told] == [["resident_registered"], []]


def _note(page: Page, case_code: str) -> Locator:
    return page.locator(".note-card").filter(has_text=_code(case_code))


def test_a_dispatch_reaches_the_grid_members_inbox_with_its_flag(page: Page, live_server: LiveServer) -> None:
    staff = live_server.token(VILLAGE_STAFF)
    grid = next(u["id"] for u in live_server.api("GET", "/public/units") if u["name"] == GRID)
    category = next(c["id"] for c in live_server.api("GET", "/public/categories") if c["name"] == "基础设施")
    body = {"channel": "hotline", "category_id": category, "unit_id": grid, "description": "桥头护栏松动，需要加固"}
    rr: dict[str, Any] = live_server.api("POST", "/requests", body, token=staff)
    for command in ({"action": "accept"}, {"action": "dispatch", "handling_unit_id": grid}):
        live_server.api("POST", f"/requests/{rr['id']}/actions", command, token=staff)

    page.set_viewport_size(SMALL_PHONE)
    sign_in(page, live_server, GRID_MEMBER)
    expect(page).to_have_url(re.compile(r"#/staff/visits$"))
    page.get_by_role("link", name=re.compile("^消息")).click()
    expect(page.get_by_role("heading", name="消息")).to_be_visible()
    card = _note(page, rr["case_code"])
    expect(card).to_have_count(1)  # told once
    expect(card.locator(".card-flag")).to_have_text("派单")
    expect(card.locator(".note-title")).to_have_text(f"【派单】诉求 {_code(rr['case_code'])}")
    expect(card.locator(".note-body")).to_contain_text("请签收并联系居民")
    page.screenshot(path=str(SCREENSHOTS / "bandeng-sms-inbox.png"))
    card.click()
    expect(page).to_have_url(re.compile(rf"#/staff/r/{rr['id']}$"))
    expect(page.locator(".desc")).to_have_text("桥头护栏松动，需要加固")


def test_the_public_report_offers_no_sms(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size(SMALL_PHONE)
    page.goto(f"{live_server.url}/#/report")
    expect(page.get_by_role("heading", name="我要反映")).to_be_visible()
    page.get_by_label("问题在哪个村、哪个网格").select_option(label=GRID)
    page.get_by_label("问题类别").select_option(label="基础设施")
    page.get_by_label("具体情况").fill("小区门口的路灯一直不亮")
    box = page.get_by_label("不接收短信")
    expect(box).to_be_hidden()
    page.get_by_label("手机号").fill("13912345003")
    expect(box).not_to_be_checked()
    box.check()
    page.screenshot(path=str(SCREENSHOTS / "bandeng-sms-public.png"), full_page=True)
    with page.expect_request(re.compile(r"/api/v1/public/requests$")) as sent:
        page.get_by_role("button", name="提交").click()
    body = sent.value.post_data_json
    assert body is not None and body["sms_opt_out"] is True
    expect(page.get_by_role("heading", name="已提交")).to_be_visible()

    # The village's staff see the report at once, with its phone and nothing queued for the resident.
    code = page.locator(".case-code").inner_text().replace("-", "")
    staff = live_server.token(VILLAGE_STAFF)
    found = live_server.api("GET", f"/requests?q={code}", token=staff)["items"]
    [rr] = [r for r in found if r["case_code"] == code]
    detail = live_server.api("GET", f"/requests/{rr['id']}", token=staff)
    assert detail["reporter_phone_masked"] and detail["resident_messages"] == []
