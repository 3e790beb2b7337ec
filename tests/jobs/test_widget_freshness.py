"""The widget while a rebuild runs, in a real browser: after an import that adds an activity it
shows the previous insight with "updating…", then picks up the rebuilt one by itself (polling)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
import respx

from insights.core.config import Settings
from insights.core.tokens import mint_token
from insights.jobs import Jobs
from tests.browser.test_widget import CHROMIUM, FLAGS, serving
from tests.http import ai_settings
from tests.jobs.helpers import ANA, DEAL, NEW_NOTE, SlowModel
from tests.llm_fakes import URL

pytestmark = pytest.mark.browser


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
async def test_the_widget_says_updating_then_shows_the_rebuilt_insight(
    demo, settings: Settings, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    jobs_settings = ai_settings(
        settings,
        jobs="sqlite",
        jobs_url=str(tmp_path / "jobs.db"),
        jobs_name=f"t-{uuid.uuid4().hex[:8]}",
        jobs_in_process=True,
        model_timeout_s=10.0,
        model_total_budget_s=20.0,
    )
    model = SlowModel()
    with respx.mock(assert_all_called=False) as router, serving(jobs_settings) as url:
        router.route(host="127.0.0.1").pass_through()
        router.post(URL).mock(side_effect=model)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = await browser.new_page(viewport={"width": 440, "height": 1000})
            await page.goto(f"{url}/widget/#user={ANA}&deal={DEAL}")
            # the first model call pays litellm's warm-up beside the in-process workers
            summary = page.locator("#summary")
            await expect(summary).to_contain_text("Recent calls and meetings", timeout=20_000)
            await expect(page.locator("#generated")).not_to_contain_text("updating")

            model.slow.set()  # the worker's rebuild takes a while: the widget is asked meanwhile
            token = mint_token(jobs_settings, None, "demo", scope="import")
            async with httpx.AsyncClient(base_url=url) as client:
                r = await client.post(
                    "/v1/crm/import",
                    content=json.dumps({"account": {"id": "demo"}, "notes": [NEW_NOTE]}),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                assert r.status_code == 200
            queue = Jobs(jobs_settings)
            deadline = time.monotonic() + 20
            while not await queue.pending("demo", DEAL, ANA):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            await page.locator("#deal").dispatch_event("change")  # the rep opens the deal again
            await expect(page.locator("#generated")).to_contain_text("updating…")
            await expect(page.locator("#summary")).to_contain_text("Recent calls and meetings")  # stale
            await expect(page.locator("#generated")).to_contain_text("(cached)", timeout=20_000)
            await expect(page.locator("#generated")).not_to_contain_text("updating")
            await expect(page.locator("#recent")).to_contain_text("pilot")
            queue.close()
            await browser.close()
