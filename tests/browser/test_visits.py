"""走访 in the PWA, as a grid member in a field without signal: the due list from the last sync, a visit with
a difficulty solved on the spot and one that becomes a request saved on the phone while offline, the outbox
surviving a reload, and everything sent once the network is back — once, however often it is resent. A
visit the server refuses stays on the phone with the reason until it is corrected."""

from __future__ import annotations

import io
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.browser.conftest import LiveServer, phone_context, sign_in

pytestmark = pytest.mark.browser

GRID_MEMBER = "13800000006"  # 网格员, 东湖村第1网格 (bandeng/demo.py)
GRID_LEADER = "13800000005"  # 网格长 of the same grid
SCREENSHOTS = Path("/tmp")  # bandeng-visits.png, bandeng-visit-form.png: to look at, not compared


def _login(page: Page, server: LiveServer, mobile: str) -> None:
    sign_in(page, server, mobile)
    expect(page).to_have_url(re.compile(r"#/staff/visits$"))
    expect(page.locator("#due-list .req-card").first).to_be_visible()  # the first sync brought the due list
    expect(page.locator(".sync-card")).to_contain_text("上次同步")
    expect(page.locator(".sync-card")).not_to_contain_text("尚未同步")


def _photo(width: int, height: int) -> FilePayload:
    """A phone-camera-sized JPEG, made here (synthetic: a gradient, no people)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def _fetch(server: LiveServer, path: str, token: str) -> tuple[str, bytes]:
    request = urllib.request.Request(f"{server.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


def _outbox(page: Page) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('bandeng');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
                const get = open.result.transaction('outbox').objectStore('outbox').getAll();
                get.onsuccess = () => resolve(get.result);
            };
        })"""
    )
    return rows


def _visits_of(server: LiveServer, token: str, visit_id: str) -> list[dict[str, Any]]:
    """The visit as the server holds it, from a full pull of the grid: every copy (there must be one)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = server.api("GET", "/sync/pull?limit=500" + (f"&cursor={cursor}" if cursor else ""), token=token)
        found += [c["data"] for c in page["changes"] if c["entity"] == "visit" and c["id"] == visit_id]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return found


def test_a_visit_recorded_offline_is_sent_once_when_the_network_returns(
    browser: Browser, live_server: LiveServer
) -> None:
    context = phone_context(browser, service_workers=True)  # the shell must open again without signal
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, live_server, GRID_MEMBER)
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        first = page.locator("#due-list .req-card").first
        head_name = first.locator(".req-top span").first.inner_text()

        context.set_offline(True)
        page.evaluate("window.dispatchEvent(new Event('offline'))")
        expect(page.locator("#offline")).to_be_visible()
        first.click()
        expect(page.get_by_role("heading", name="记录走访")).to_be_visible()
        expect(page.locator("form .card strong")).to_have_text(head_name)  # the household from the phone's copy
        page.get_by_label("走访情况（选填）").fill("老人身体还好，子女在外打工")
        page.get_by_role("button", name="＋ 添加一条建议或困难").click()
        page.get_by_role("button", name="＋ 添加一条建议或困难").click()
        items = page.locator(".visit-item")
        items.nth(0).get_by_label("内容").fill("家里灯泡坏了，帮忙换好了")
        items.nth(0).get_by_label("处理结果").select_option("solved_on_spot")
        items.nth(1).get_by_label("内容").fill("门口排水沟堵塞，下雨积水")
        items.nth(1).get_by_label("处理结果").select_option("became_request")
        items.nth(1).get_by_label("诉求类别").select_option(label="基础设施")  # categories kept from the sync
        page.locator("#visit-photo").set_input_files([_photo(4000, 3000)])  # shrunk on the phone before it is kept
        expect(page.locator("#visit-photos img")).to_have_count(1)
        page.screenshot(path=str(SCREENSHOTS / "bandeng-visit-form.png"), full_page=True)
        page.get_by_role("button", name="保存走访").click()

        expect(page).to_have_url(re.compile(r"#/staff/visits$"))
        expect(page.locator("#sync-pending")).to_have_text("待上传 1 条走访")
        expect(page.locator(".bar-link", has_text="走访").locator(".count")).to_have_text("1")
        expect(page.locator("#due-list")).to_contain_text("本机已记录")
        page.screenshot(path=str(SCREENSHOTS / "bandeng-visits.png"), full_page=True)
        page.reload()  # still offline: the shell comes from the service worker, the outbox from IndexedDB
        expect(page.locator("#sync-pending")).to_have_text("待上传 1 条走访")
        [row] = _outbox(page)
        assert row["state"] == "pending" and len(row["op"]["fields"]["items"]) == 2
        visit_id = row["op"]["entity_id"]
        [declared] = row["op"]["attachments"]
        assert declared["mime"] == "image/jpeg" and declared["bytes"] < 1_000_000
        expect(page.locator("#sync-photos")).to_have_text("另有 1 张照片待上传")

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page.locator(".req-card.sv-red")).to_have_count(0)
        expect(page.locator("#sync-pending")).to_have_text("走访记录已全部上传")
        expect(page.locator("#recent-visits")).to_contain_text("已上传")
        assert [r["state"] for r in _outbox(page)] == ["sent"]

        # A lost answer makes the phone send the same op again: the server keeps one visit.
        page.evaluate(
            """() => new Promise((resolve) => {
                const open = indexedDB.open('bandeng');
                open.onsuccess = () => {
                    const store = open.result.transaction('outbox', 'readwrite').objectStore('outbox');
                    store.getAll().onsuccess = (e) => {
                        for (const r of e.target.result) store.put({ ...r, state: 'pending', sent_at: null });
                        store.transaction.oncomplete = resolve;
                    };
                };
            })"""
        )
        page.get_by_role("button", name="立即同步").click()
        expect(page.locator("#sync-pending")).to_have_text("走访记录已全部上传")

        token = live_server.token(GRID_LEADER)
        [visit] = _visits_of(live_server, token, visit_id)
        assert visit["notes"] == "老人身体还好，子女在外打工"
        outcomes = sorted((i["outcome"], bool(i["resident_request_id"])) for i in visit["items"])
        assert outcomes == [("became_request", True), ("solved_on_spot", False)]
        request_id = next(i["resident_request_id"] for i in visit["items"] if i["resident_request_id"])
        mime, image = _fetch(live_server, f"/attachments/{declared['attachment_id']}", token)
        assert mime == "image/jpeg" and max(Image.open(io.BytesIO(image)).size) == 1600
        expect(page.locator("#sync-photos")).to_have_count(0)  # the photo left the phone's queue
        registered = live_server.api("GET", f"/requests/{request_id}", token=token)
        assert registered["channel"] == "visit" and registered["description"] == "门口排水沟堵塞，下雨积水"
        assert errors == [], errors
    finally:
        context.close()


def test_a_refused_visit_stays_with_its_reason_until_corrected(page: Page, live_server: LiveServer) -> None:
    _login(page, live_server, GRID_MEMBER)
    page.get_by_label("查找住户").fill("1组3号")  # the households the pull left on the phone
    expect(page.locator("#household-results a")).to_contain_text(["东湖村1组3号"])
    # A visit the form would not let through (an outcome the server does not know), as an older app
    # version might have queued it.
    page.evaluate(
        """async () => {
            const { saveVisit } = await import('/js/outbox.js');
            await saveVisit(crypto.randomUUID(), {
                place_text: '村文化广场', visited_at: new Date().toISOString(),
                items: [{ id: crypto.randomUUID(), kind: 'suggestion', description: '希望多装几盏路灯',
                          outcome: 'forgotten' }],
            });
        }"""
    )
    refused = page.locator(".req-card.sv-red")
    expect(refused).to_contain_text("村文化广场")
    expect(refused.locator(".form-error")).to_contain_text("第 1 条 处理结果：不是可选的值")
    expect(page.locator(".sync-card")).to_contain_text("1 条未被接收")
    [row] = _outbox(page)
    assert row["state"] == "rejected" and row["error"]["code"] == "validation_failed"

    refused.get_by_role("link", name="修改后重新上传").click()
    expect(page.get_by_role("heading", name="修改走访记录")).to_be_visible()
    expect(page.get_by_label("走访地点")).to_have_value("村文化广场")
    page.locator(".visit-item").get_by_label("处理结果").select_option("noted")
    page.get_by_role("button", name="保存走访").click()
    expect(page.locator("#sync-pending")).to_have_text("走访记录已全部上传")
    expect(page.locator(".req-card.sv-red")).to_have_count(0)
    [row] = _outbox(page)  # the correction took the refused op's place; its visit id is the same
    assert row["state"] == "sent" and row["op"]["fields"]["items"][0]["outcome"] == "noted"


def _store_count(page: Page, name: str) -> int:
    count: int = page.evaluate(
        """(name) => new Promise((resolve) => {
            indexedDB.open('bandeng').onsuccess = (e) => {
                e.target.result.transaction(name).objectStore(name).count().onsuccess = (c) => resolve(c.target.result);
            };
        })""",
        name,
    )
    return count


def test_a_shared_phone_keeps_each_workers_unsent_visits_for_them(browser: Browser, live_server: LiveServer) -> None:
    context = phone_context(browser)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        _login(page, live_server, GRID_MEMBER)
        assert _store_count(page, "households") > 0
        context.set_offline(True)
        page.get_by_role("link", name="不入户走访（记录地点）").click()
        page.get_by_label("走访地点").fill("村东头晒谷场")
        page.get_by_role("button", name="保存走访").click()
        expect(page.locator("#sync-pending")).to_have_text("待上传 1 条走访")

        page.get_by_role("button", name="退出").click()
        expect(page.locator("#toast")).to_contain_text("本机还有 1 条走访待上传")
        assert _store_count(page, "households") == 0  # the grid's households leave with the worker
        assert _store_count(page, "outbox") == 1  # the unsent visit stays

        context.set_offline(False)
        _login(page, live_server, GRID_LEADER)  # another account on the same phone
        expect(page.locator("#sync-pending")).to_have_text("走访记录已全部上传")
        [row] = _outbox(page)
        assert row["state"] == "pending"  # not sent under the leader's name
        page.get_by_role("button", name="退出").click()
        expect(page.locator("#toast")).to_have_text("已退出登录")

        _login(page, live_server, GRID_MEMBER)
        expect(page.locator("#recent-visits")).to_contain_text("已上传")
        assert [r["state"] for r in _outbox(page)] == ["sent"]
    finally:
        context.close()
