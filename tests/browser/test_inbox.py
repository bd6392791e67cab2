"""The staff inbox (消息) in Debian Chromium at phone size: the SLA sweep, run ten days ahead, escalates
overdue requests to the town cadre; the header shows the unread count, the inbox lists the items, a tap
opens the request and lowers the count, "加载更多" pages, "全部标为已读" clears; offline the badge stays.
The service worker shows a Web Push message (delivered through the DevTools protocol, no push service)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, LiveServer, sign_in

pytestmark = pytest.mark.browser

TOWN_CADRE = "13800000003"  # 驻点干部孙镇长, 板凳镇 (bandeng/demo.py): escalations reach the town
ESCALATED = re.compile("升级督办|红牌")
SCREENSHOT = Path("/tmp/bandeng-inbox.png")


@pytest.fixture(scope="module")
def escalated(live_server: LiveServer) -> LiveServer:
    """Ten days on, every open demo request is overdue: the sweep files 升级督办 in the cadre's inbox."""
    live_server.cli("sla", "sweep", "--days", "10")
    return live_server


def _sign_in(page: Page, server: LiveServer) -> None:
    sign_in(page, server, TOWN_CADRE)
    expect(page).to_have_url(re.compile(r"#/staff$"))


def _badge(page: Page) -> int:
    """The header's unread count once it has arrived (hidden means none)."""
    count = page.locator("#bar-actions .count")
    return int(count.inner_text()) if count.is_visible() else 0


def test_an_escalation_opens_its_request_and_lowers_the_count(page: Page, escalated: LiveServer) -> None:
    _sign_in(page, escalated)
    badge = page.locator("#bar-actions .count")
    expect(badge).to_have_text(re.compile(r"^[1-9]\d*$"))
    unread = int(badge.inner_text())

    page.get_by_role("link", name=re.compile("^消息")).click()
    expect(page).to_have_url(re.compile(r"#/staff/inbox$"))
    expect(page.get_by_role("heading", name="消息")).to_be_visible()
    # The test server has no VAPID key: no opt-in is offered.
    expect(page.get_by_role("button", name="开启消息提醒")).to_have_count(0)
    cards = page.locator(".note-card")
    expect(cards.first).to_be_visible()
    total = cards.count()  # one page: the list is filled in one go
    expect(page.locator(".note-card.unread")).to_have_count(min(unread, total))
    page.screenshot(path=str(SCREENSHOT))

    item = page.locator(".note-card.unread").filter(has=page.locator(".card-flag", has_text=ESCALATED)).first
    title = item.locator(".note-title").inner_text()
    code = re.search(r"[0-9A-Z]{5}-[0-9A-Z]{5}", title)
    assert code, title
    item.click()
    expect(page).to_have_url(re.compile(r"#/staff/r/[0-9a-f-]{36}$"))
    expect(page.locator(".result-head")).to_contain_text(code.group())
    expect(page.locator(".result-head .card-flag")).to_have_text("红牌督办")
    if unread > 1:
        expect(badge).to_have_text(str(unread - 1))
    else:
        expect(badge).to_be_hidden()

    page.go_back()
    expect(cards).to_have_count(total)
    expect(page.locator(".note-card.unread")).to_have_count(min(unread - 1, total - 1))
    # By its title: other notes about the same request (a department's 报到, say) carry its code too.
    read = cards.filter(has=page.locator(".note-title", has_text=title))
    expect(read).not_to_have_class(re.compile(r"\bunread\b"))


def test_the_inbox_pages_and_marks_everything_read(page: Page, escalated: LiveServer) -> None:
    _sign_in(page, escalated)
    expect(page.locator("#bar-actions .count")).to_be_visible()

    # Pages of 5 instead of 20: "加载更多" appends older items until next_cursor runs out.
    page.route(
        re.compile(r"/api/v1/notifications\?"),
        lambda route: route.continue_(url=route.request.url.replace("limit=20", "limit=5")),
    )
    page.goto(f"{escalated.url}/#/staff/inbox")
    cards = page.locator(".note-card")
    expect(cards).to_have_count(5)
    more = page.get_by_role("button", name="加载更多")
    while more.is_visible():
        shown = cards.count()
        more.click()
        expect(cards).not_to_have_count(shown)
    titles = page.locator(".note-title").all_inner_texts()
    assert len(titles) > 5
    assert len(set(titles)) == len(titles), "a page repeated an item"
    times = page.locator(".note-card time").evaluate_all("els => els.map((e) => e.getAttribute('datetime'))")
    assert times == sorted(times, reverse=True), "newest first"

    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator("#toast")).to_contain_text("标为已读")
    expect(page.locator(".note-card.unread")).to_have_count(0)
    expect(page.locator("#bar-actions .count")).to_be_hidden()
    page.reload()
    expect(cards.first).to_be_visible()
    expect(page.locator(".note-card.unread")).to_have_count(0)
    assert _badge(page) == 0


def test_offline_the_badge_fails_quietly(page: Page, escalated: LiveServer) -> None:
    _sign_in(page, escalated)
    page.wait_for_load_state("networkidle")
    before = _badge(page)
    page.context.set_offline(True)
    page.get_by_role("link", name=re.compile("^消息")).click()
    expect(page.locator(".form-error")).to_have_text("网络不可用，请检查网络后再试")
    assert _badge(page) == before
    expect(page.locator("#toast")).to_be_hidden()


SHOWN_FOR_TAG = """async (tag) => {
    const reg = await navigator.serviceWorker.getRegistration('/');
    return (await reg.getNotifications({ tag })).map((n) => [n.title, n.body, n.tag, n.data.url]);
}"""


def test_the_service_worker_shows_a_push_message(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    try:
        context.grant_permissions(["notifications"], origin=live_server.url)
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        cdp = context.new_cdp_session(page)
        registrations: list[dict[str, object]] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        for _ in range(50):  # the registration arrives as an event shortly after enable
            if any(not r["isDeleted"] for r in registrations):
                break
            page.wait_for_timeout(100)
        (registration,) = [r for r in registrations if not r["isDeleted"]]

        def shown(payload: dict[str, str]) -> list[str]:
            """Delivers one push and returns what the worker showed for its tag: title, body, tag, url.
            Headless Chromium now and then drops a push delivered through DevTools, so it is sent again
            (a notification with the same tag replaces the earlier one, so a repeat changes nothing)."""
            data = json.dumps(payload, ensure_ascii=False)
            for _attempt in range(3):
                cdp.send(
                    "ServiceWorker.deliverPushMessage",
                    {"origin": live_server.url, "registrationId": str(registration["registrationId"]), "data": data},
                )
                for _ in range(30):  # showNotification runs in the worker, after the push event
                    found: list[list[str]] = page.evaluate(SHOWN_FOR_TAG, payload["tag"])
                    if found:
                        return found[0]
                    page.wait_for_timeout(100)
            pytest.fail(f"no notification shown for {payload}")

        request_url = "/#/staff/r/8a41f0fe-1902-440e-8c6c-22cb2ed1cfa6"
        red = {"title": "【红牌超期】诉求 ABCDE-23456", "body": "超期未反馈", "url": request_url, "tag": "sla:1:2"}
        assert shown(red) == [red["title"], red["body"], red["tag"], f"{live_server.url}{request_url}"]
        # Only the app's own pages open from a message: anything else lands on the inbox.
        away = {"title": "别处的链接", "body": "不应打开外站", "url": "https://evil.example/x", "tag": "other"}
        assert shown(away) == [away["title"], away["body"], away["tag"], f"{live_server.url}/#/staff/inbox"]
    finally:
        context.close()
