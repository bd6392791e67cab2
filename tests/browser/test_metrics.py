"""工作指标 in the PWA: village staff open their village's measures from the list, see every measure with
its numerator and denominator (满意率 by its two sources), rank the grids below, switch the period and drill
down to a grid."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser

VILLAGE_STAFF = "13800000004"  # 村干部1号, 东湖村 (bandeng/demo.py)


def test_village_staff_read_and_rank_their_measures(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, VILLAGE_STAFF)
    expect(page).to_have_url(re.compile(r"#/staff$"))
    page.get_by_role("link", name="工作指标").click()
    expect(page.get_by_role("heading", name="工作指标")).to_be_visible()
    expect(page.locator("#metrics-unit")).to_have_text("东湖村")
    # Every measure the server reports is shown once: 满意率's sources and 部分解决 inside their measure's card.
    keys = set(live_server.api("GET", "/metrics", token=live_server.token(VILLAGE_STAFF))["unit"]["metrics"])
    expect(page.locator("[data-key]")).to_have_count(len(keys))
    assert set(page.locator("[data-key]").evaluate_all("els => els.map((e) => e.dataset.key)")) == keys
    satisfaction = page.locator('.metric[data-key="satisfaction_rate"]')
    for key, label in (("own_satisfaction_rate", "居民自评"), ("callback_satisfaction_rate", "回访")):
        part = satisfaction.locator(f'[data-key="{key}"]')
        expect(part.locator(".metric-label")).to_have_text(label)
        expect(part.locator(".metric-count")).to_have_text(re.compile(r"^\d+ / \d+$"))
    expect(page.locator('.metric[data-key="resolution_rate"] .metric-label').first).to_have_text("解决率")
    expect(page.get_by_role("heading", name="回访与满意度")).to_be_visible()
    handling = page.locator('.metric[data-key="handling_rate"]')
    expect(handling.locator(".metric-label")).to_have_text("办结率")
    expect(handling.locator(".metric-count")).to_have_text(re.compile(r"^\d+ / \d+$"))
    expect(handling.locator(".metric-rate")).to_have_text(re.compile(r"^(\d+\.\d%|—)$"))
    page.screenshot(path="/tmp/bandeng-metrics.png", full_page=True)

    grids = page.locator("#metrics-children .req-card")
    expect(grids).to_have_count(3)  # 东湖村's three grids, ranked
    page.get_by_label("排序依据").select_option("handling_rate")
    expect(page).to_have_url(re.compile(r"sort=handling_rate"))
    metas = page.locator("#metrics-children .req-meta")
    expect(metas.first).to_contain_text("办结率")  # the list drawn again for the new measure
    counts = [re.search(r"(\d+) / (\d+)", t) for t in metas.all_inner_texts()]
    shares = [int(m[1]) / int(m[2]) if m and int(m[2]) else -1.0 for m in counts]
    assert shares == sorted(shares, reverse=True), metas.all_inner_texts()

    page.get_by_role("button", name="今年").click()
    expect(page).to_have_url(re.compile(r"period=year"))
    expect(page.get_by_role("button", name="今年")).to_have_attribute("aria-pressed", "true")
    first = grids.first.locator(".req-top span").first.inner_text()
    grids.first.click()
    expect(page.locator("#metrics-unit")).to_have_text(first)
    expect(page.locator("#metrics-children")).to_have_count(0)  # a grid has nothing below it
