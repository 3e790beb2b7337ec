"""The customer-health page in a real browser (Debian's chromium through Playwright): the category
split, the chart of the split and the average over time, at-risk records and alerts, per user.

Set SCREENSHOT_HEALTH=docs/health.png to refresh the README's picture.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from insights.core.config import Settings
from insights.crm.demo_health import seed_health
from tests.browser.test_widget import CHROMIUM, FLAGS, serving
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.browser


@pytest.fixture
async def health_demo(demo: Any) -> Any:
    async with demo() as s:
        await seed_health(s, DEMO_NOW)
        await s.commit()
    return demo


@pytest.fixture
def server(health_demo: Any, settings: Settings) -> Iterator[str]:
    with serving(settings) as url:
        yield url


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
async def test_the_health_page_charts_the_split_and_the_average_for_the_signed_in_user(server: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 520, "height": 900})
        await page.goto(f"{server}/widget/health.html#user=101")

        await expect(page.locator("#headline")).to_contain_text("Customer health: 5 records, average 70.6")
        await expect(page.locator("#shares li")).to_have_text(
            ["At risk 20% (1)", "Neutral 20% (1)", "Good 60% (3)"]
        )
        await expect(page.locator("#split .part")).to_have_count(3)
        await expect(page.locator("#chart rect.bar")).to_have_count(30 * 3)  # 30 days × 3 categories
        points = await page.locator("#average-line").get_attribute("points")
        assert points is not None and len(points.split()) == 30
        # the average fell and rose over the month: the line is not flat
        assert len({p.split(",")[1] for p in points.split()}) > 1
        await expect(page.locator("#at-risk li")).to_have_text(["Fabrikam — 41"])
        await expect(page.locator("#alerts")).to_contain_text("Contoso: Good → Neutral (66 → 56)")
        if os.environ.get("SCREENSHOT_HEALTH"):
            await page.screenshot(path=os.environ["SCREENSHOT_HEALTH"], full_page=True)

        await page.locator("#user").select_option("104")  # Diego: his alerts, not Ana's
        await expect(page.locator("#alerts")).not_to_contain_text("Contoso")
        await expect(page.locator("#alerts")).to_contain_text("Tailspin Toys")
        await browser.close()
