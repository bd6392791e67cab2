"""The PWA in Debian Chromium at phone size against a live server: a resident reports and checks a
request; staff sign in (a forced password change included), list, open and accept one; an expired
access token is refreshed and the refresh token rotated; the app shell opens offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bandeng.demo import DEMO_PASSWORD
from tests.browser.conftest import LiveServer, phone_context, sign_in

pytestmark = pytest.mark.browser

VILLAGE_STAFF = "13800000004"  # 村干部1号, 东湖村 (bandeng/demo.py)
SCREENSHOT = Path("/tmp/bandeng-staff-list.png")


def _login(page: Page, server: LiveServer, mobile: str = VILLAGE_STAFF, password: str = DEMO_PASSWORD) -> None:
    sign_in(page, server, mobile, password)


def _unit_id(server: LiveServer, name: str) -> int:
    return int(next(u["id"] for u in server.api("GET", "/public/units") if u["name"] == name))


def _replied_request(server: LiveServer, phone: str) -> str:
    """A resident's report that 东湖村 has accepted, dispatched, handled and answered: its case code."""
    grid = _unit_id(server, "东湖村第3网格")
    category = next(c["id"] for c in server.api("GET", "/public/categories") if c["name"] == "基础设施")
    report = {"category_id": category, "unit_id": grid, "description": "文化广场的路灯坏了两盏", "phone": phone}
    code = str(server.api("POST", "/public/requests", report)["case_code"])
    token = server.token(VILLAGE_STAFF)
    request_id = server.api("GET", f"/requests?q={code}", token=token)["items"][0]["id"]
    for action in (
        {"action": "accept"},
        {"action": "dispatch", "handling_unit_id": grid},
        {"action": "start"},
        {"action": "reply", "closure_type": "substantive", "note": "已更换灯泡，请您查看"},
    ):
        server.api("POST", f"/requests/{request_id}/actions", action, token=token)
    return code


def test_resident_reports_a_problem_then_checks_it(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=re.compile("我要反映")).click()
    page.locator("#rep-unit").select_option(label="东湖村第2网格")
    page.locator("#rep-cat").select_option(label="环境卫生")
    page.get_by_label("具体情况").fill("村后水塘边堆了很多垃圾，好几天没人清理")
    page.get_by_label("手机号").fill("100 1234 4321")
    page.get_by_role("button", name="提交").click()

    code = page.locator(".case-code")
    expect(code).to_be_visible()
    case_code = code.inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z-]{8,16}", case_code), case_code
    expect(page.get_by_text("请记下或截图保存这个案件码")).to_be_visible()

    page.get_by_role("link", name="查询进度").click()
    expect(page.locator("#chk-code")).to_have_value(case_code)  # the view after the link, not the code shown before it
    page.get_by_label("手机号后 4 位").fill("4321")
    page.get_by_role("button", name="查询").click()
    result = page.locator(".result")
    expect(result.locator(".badge")).to_have_text("已登记")
    expect(result).to_contain_text("环境卫生")
    expect(result.locator(".timeline li")).to_have_count(1)


def test_resident_rates_the_reply(page: Page, live_server: LiveServer) -> None:
    code = _replied_request(live_server, "100 2222 6789")
    page.goto(f"{live_server.url}/#/check?code={code}")
    page.get_by_label("手机号后 4 位").fill("6789")
    page.get_by_role("button", name="查询").click()
    result = page.locator(".result")
    expect(result.locator(".badge")).to_have_text("已答复")
    expect(result).to_contain_text("已更换灯泡，请您查看")

    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".rate .form-error")).to_have_text("请选择满意、基本满意或不满意")
    page.get_by_role("radio", name="基本满意").check()
    page.get_by_label("想说的话（选填）").fill("修得挺快")
    page.get_by_role("button", name="提交评价").click()
    expect(result).to_contain_text("您的评价")
    expect(result).to_contain_text("修得挺快")
    expect(page.get_by_role("button", name="提交评价")).to_have_count(0)


def test_first_load_is_small(page: Page, live_server: LiveServer) -> None:
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())))
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/js/app.js") for url in sizes)
    assert sum(sizes.values()) < 100_000, sizes


def test_wrong_digits_show_the_server_message(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/#/check?code=ZZZZZ-ZZZZZ")
    page.get_by_label("手机号后 4 位").fill("0000")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".form-error")).not_to_be_empty()
    expect(page.locator(".result")).to_have_count(0)


def test_staff_signs_in_and_sees_the_list(page: Page, live_server: LiveServer) -> None:
    _login(page, live_server)
    expect(page).to_have_url(re.compile(r"#/staff$"))
    cards = page.locator(".req-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 5
    expect(page.locator(".due.overdue").first).to_contain_text("已超期")
    expect(page.locator("#bar-actions")).to_contain_text("村干部1号")
    page.screenshot(path=str(SCREENSHOT))

    # Pages of 5 instead of 20: "加载更多" appends the next page until next_cursor runs out.
    total = cards.count()
    page.route(
        re.compile(r"/api/v1/requests\?"),
        lambda route: route.continue_(url=route.request.url.replace("limit=20", "limit=5")),
    )
    page.reload()
    expect(cards).to_have_count(5)
    more = page.get_by_role("button", name="加载更多")
    loaded = 5
    while loaded < total:
        more.click()
        loaded = min(loaded + 5, total)
        expect(cards).to_have_count(loaded)
    if more.is_visible():  # a full last page may still carry a cursor to an empty one
        more.click()
    expect(more).to_be_hidden()
    expect(cards).to_have_count(total)
    codes = page.locator(".req-card .mono").all_inner_texts()
    assert len(set(codes)) == total
    page.unroute(re.compile(r"/api/v1/requests\?"))

    page.get_by_role("button", name="已登记", exact=True).click()
    expect(page).to_have_url(re.compile(r"status=registered"))
    expect(page.get_by_role("button", name="已登记", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(cards.first).to_be_visible()
    badges = page.locator(".req-card .badge").all_inner_texts()
    assert badges and set(badges) == {"已登记"}


def test_staff_accepts_a_registered_request(page: Page, live_server: LiveServer) -> None:
    _login(page, live_server)
    expect(page).to_have_url(re.compile(r"#/staff$"))
    page.goto(f"{live_server.url}/#/staff?status=registered")
    first = page.locator(".req-card").first
    case_code = first.locator(".mono").inner_text()
    first.click()
    expect(page.locator(".result-head")).to_contain_text(case_code)
    page.get_by_role("button", name="受理", exact=True).click()
    page.get_by_role("button", name="确认受理").click()
    expect(page.locator(".result-head .badge")).to_have_text("已受理")
    expect(page.locator(".timeline")).to_contain_text("受理")

    page.get_by_role("button", name="派单", exact=True).click()
    page.get_by_role("button", name="确认派单").click()
    expect(page.locator("#act-unit-err")).to_have_text("请选择")
    page.get_by_label("派给哪个网格或村").select_option(label="东湖村第2网格")
    page.get_by_role("button", name="确认派单").click()
    expect(page.locator(".result-head .badge")).to_have_text("已派单")
    expect(page.locator(".facts")).to_contain_text("东湖村第2网格")


def test_a_refused_action_shows_the_server_message(page: Page, live_server: LiveServer) -> None:
    _login(page, live_server)
    expect(page).to_have_url(re.compile(r"#/staff$"))
    page.goto(f"{live_server.url}/#/staff?status=registered")
    page.locator(".req-card").first.click()
    page.get_by_role("button", name="受理", exact=True).click()
    # Someone else accepts it first: the page still offers 受理, the server refuses it.
    request_id = page.url.rsplit("/", 1)[1]
    staff = live_server.token(VILLAGE_STAFF)
    live_server.api("POST", f"/requests/{request_id}/actions", {"action": "accept"}, token=staff)
    page.get_by_role("button", name="确认受理").click()
    expect(page.locator(".result-head .badge")).to_have_text("已受理")
    expect(page.get_by_role("alert").filter(has_text="不能")).to_be_visible()
    expect(page.get_by_role("button", name="受理", exact=True)).to_have_count(0)


def test_a_new_account_must_change_its_password_first(page: Page, live_server: LiveServer) -> None:
    grid = _unit_id(live_server, "西岭村第2网格")
    live_server.cli("create-user", "--name", "新网格员", "--mobile", "13900000099", "--role", "grid_member",
                    "--org-unit-id", str(grid), "--password", "Initial-2026")  # fmt: skip
    _login(page, live_server, "13900000099", "Initial-2026")
    expect(page).to_have_url(re.compile(r"#/password$"))
    expect(page.get_by_role("heading", name="请先修改初始密码")).to_be_visible()
    page.goto(f"{live_server.url}/#/staff")
    expect(page).to_have_url(re.compile(r"#/password$"))

    page.get_by_label("当前密码").fill("Initial-2026")
    page.locator("#pw-new").fill("weak")
    page.get_by_label("再输一次新密码").fill("weak")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator("#pw-new-err")).to_contain_text("至少 8 个字")

    page.locator("#pw-new").fill("Grid-2026-mine")
    page.get_by_label("再输一次新密码").fill("Grid-2026-mine")
    page.get_by_role("button", name="修改密码").click()
    expect(page).to_have_url(re.compile(r"#/staff/visits$"))  # a grid worker starts on 走访
    expect(page.locator("h1")).to_have_text("走访")
    expect(page.locator(".sync-card")).not_to_contain_text("尚未同步")


def test_an_expired_access_token_is_refreshed_and_rotated(page: Page, live_server: LiveServer) -> None:
    _login(page, live_server)
    expect(page.locator(".req-card").first).to_be_visible()
    old_refresh = page.evaluate("localStorage.getItem('bd.refresh')")
    page.evaluate("localStorage.setItem('bd.access', 'expired.or.garbage')")
    page.reload()
    expect(page.locator(".req-card").first).to_be_visible()
    new_refresh = page.evaluate("localStorage.getItem('bd.refresh')")
    assert new_refresh and new_refresh != old_refresh
    assert page.evaluate("localStorage.getItem('bd.access')") != "expired.or.garbage"

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="工作人员登录")).to_be_visible()
    assert page.evaluate("localStorage.getItem('bd.refresh')") is None


def test_the_app_shell_opens_offline(browser: Browser, live_server: LiveServer) -> None:
    context = phone_context(browser, service_workers=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/#/report")
        expect(page.locator("#rep-unit")).to_be_visible()  # online: the units came from the API
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        cached = page.evaluate(
            """async () => {
                const urls = [];
                for (const k of await caches.keys()) {
                    for (const r of await (await caches.open(k)).keys()) urls.push(r.url);
                }
                return urls.map((u) => new URL(u).pathname);
            }"""
        )
        assert {"/", "/app.css", "/js/app.js", "/js/api.js", "/js/staff-detail.js"} <= set(cached)
        assert not [u for u in cached if u.startswith("/api/")]

        context.set_offline(True)
        page.reload()
        expect(page.get_by_role("heading", name="我要反映")).to_be_visible()
        expect(page.locator("#offline")).to_be_visible()
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        # API answers are never cached: offline, the form cannot load its choices and says why.
        expect(page.locator(".form-error")).to_have_text("网络不可用，请检查网络后再试")
        page.goto(f"{live_server.url}/")
        expect(page.get_by_role("link", name=re.compile("查询诉求"))).to_be_visible()
    finally:
        context.close()
