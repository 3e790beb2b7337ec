"""The reference sidebar widget in a real browser (Debian's chromium through Playwright).

A real uvicorn server on loopback serves the app over the test database with the demo accounts.
Set SCREENSHOT=docs/widget.png to refresh the README's picture.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import respx
import uvicorn
from sqlalchemy import select

from api.app import create_app
from insights.core.config import DemoSettings, Settings
from insights.crm.demo_texts import CONTOSO_SUBJECT
from insights.insight.store import InsightFeedback
from tests.conftest import DEMO_NOW
from tests.http import ai_settings
from tests.llm_fakes import URL, scripted

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    port = free_port()
    # the widget picks its user through the dev endpoints, which only ``insights demo`` mounts
    app = create_app(DemoSettings(**settings.model_dump(by_alias=True)))
    app.state.insights.clock = lambda: DEMO_NOW  # the demo data is anchored at this clock
    srv = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def server(demo, settings: Settings) -> Iterator[str]:
    with serving(settings) as url:
        yield url


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
async def test_rep_reads_copies_and_rates_an_insight(server: str, sessionmaker) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = await browser.new_context(viewport={"width": 440, "height": 1100})
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        page = await context.new_page()
        await page.goto(f"{server}/widget/#user=101&deal=9002")

        await expect(page.locator("h2")).to_have_text(["Recent activity", "Risks", "Buyer goals"])
        await expect(page.locator("#banner")).to_contain_text("No AI model configured")
        await expect(page.locator("#risks li").first).to_contain_text("Deal score fell from 72 to 55")
        await expect(page.locator("#recent li")).to_have_count(3)

        first = page.locator("#recent a").first
        title = await first.text_content()
        await first.click()  # open the activity behind a line
        await expect(page.locator("#activity-dialog")).to_be_visible()
        await expect(page.locator("#activity-title")).to_have_text(title or "")
        await page.locator("#activity-dialog button").click()

        # a risk's link names the activity it rests on, like a recent-activity item (title, type, date)
        pushed = page.locator("#risks li", has_text="Close date pushed back")
        await expect(pushed.locator("a")).to_have_text([CONTOSO_SUBJECT])
        await expect(pushed.locator(".source .tag")).to_contain_text(["email ·"])
        await expect(page.locator("#risks a", has_text="source")).to_have_count(0)
        await pushed.locator("a").click()
        await expect(page.locator("#activity-title")).to_have_text(CONTOSO_SUBJECT)
        await page.locator("#activity-dialog button").click()

        await page.locator("#copy").click()
        await expect(page.locator("#copied")).to_be_visible()
        copied = await page.evaluate("navigator.clipboard.readText()")
        first = copied.splitlines()[0]
        assert first == "Deal insights: Contoso expansion (Contoso)" and "9002" not in first
        assert "RISKS" in copied and "Deal score fell" in copied
        assert "Close date pushed back 2 times" in copied and f'(email "{CONTOSO_SUBJECT}", ' in copied

        # the Globex no-show is found behind a later meeting not yet logged, and links the meeting
        await page.locator("#deal").select_option("9005")
        no_show = page.locator("#risks li", has_text="no-show")
        await expect(no_show.locator("a")).to_have_text(["Steering committee"])

        await page.locator("#not-helpful").click()
        await page.locator("#reason").select_option("missing_information")
        await page.locator("#comment").fill("Nothing about the competitor email.")
        await page.locator("#submit-feedback").click()
        await expect(page.locator("#thanks")).to_be_visible()

        await page.locator("#user").select_option("104")  # Diego may not see Ana's deals
        await expect(page.locator("#deal option[value='9002']")).to_have_count(0)
        await browser.close()

    async with sessionmaker() as s:
        rows = (await s.execute(select(InsightFeedback))).scalars().all()
    assert [(r.user_id, r.rating, r.reason, r.comment) for r in rows] == [
        ("101", "not_helpful", "missing_information", "Nothing about the competitor email.")
    ]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
async def test_ai_sections_with_sources_and_regenerate(demo, settings: Settings) -> None:
    from playwright.async_api import async_playwright, expect

    ai = ai_settings(settings)
    with respx.mock(assert_all_called=False) as router, serving(ai) as url:
        router.route(host="127.0.0.1").pass_through()
        model = router.post(URL)
        model.side_effect = scripted()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = await browser.new_page(viewport={"width": 440, "height": 1000})
            await page.goto(f"{url}/widget/#user=101&deal=9001")
            await expect(page.locator("#summary")).to_contain_text("Recent calls and meetings")
            await expect(page.locator("#banner")).to_be_hidden()
            await expect(page.locator("#risks .tag.model")).to_have_count(1)
            await expect(page.locator("#goals li")).to_have_count(1)
            if os.environ.get("SCREENSHOT"):
                await page.screenshot(path=os.environ["SCREENSHOT"], full_page=True)
            await page.locator("#goals a").first.click()
            await expect(page.locator("#activity-dialog")).to_be_visible()
            await page.locator("#activity-dialog button").click()
            calls = model.call_count
            await page.locator("#regenerate").click()
            await expect(page.locator("#generated")).not_to_contain_text("cached")
            deadline = time.time() + 10
            while model.call_count == calls and time.time() < deadline:
                await asyncio.sleep(0.05)
            assert model.call_count == calls + 1
            await browser.close()
