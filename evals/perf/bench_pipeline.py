"""Insight pipeline figures on the demo account, against a local mock model (300 ms per call).

    python -m evals.perf.bench_pipeline [--delay 0.3] [--runs 10]

1. input tokens per insight for the big deal (9005, 157 activities Ana may see): ours (packed, per
   call) vs a naive prompt that pastes the whole visible timeline; then the same with its emails as
   a mail client stores them (quoted thread, signature, disclaimer), which
   ``insights/insight/clean.py`` strips; then per demo deal, prompt v1's layout (full) against the
   current one (v2: compact, ``insights/insight/compact.py``);
2. cold latency (cache bypassed): three concurrent section calls vs one combined call;
3. cached latency through the API (in-process ASGI client), p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime

os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")

import httpx  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

import insights  # noqa: E402,F401
from api.app import create_app  # noqa: E402
from evals.perf.common import percentiles, show  # noqa: E402
from evals.perf.mock_model import serve_in_thread  # noqa: E402
from insights.core.config import Settings  # noqa: E402
from insights.core.db import make_engine, make_sessionmaker  # noqa: E402
from insights.core.schema import create_schema  # noqa: E402
from insights.core.tokens import mint_token  # noqa: E402
from insights.crm.demo import demo_accounts  # noqa: E402
from insights.crm.importer import import_records  # noqa: E402
from insights.crm.reader import iter_document  # noqa: E402
from insights.insight.ask import build_messages  # noqa: E402
from insights.insight.budget import count_tokens, naive_prompt, pack  # noqa: E402
from insights.insight.context import DealContext  # noqa: E402
from insights.insight.prompts import SECTIONS, load_prompts  # noqa: E402
from insights.insight.retrieval import deal_context  # noqa: E402
from insights.insight.service import InsightService  # noqa: E402
from insights.permissions import load_viewer  # noqa: E402
from insights.permissions.viewer import Viewer  # noqa: E402

DEALS = ["9001", "9002", "9003", "9005"]
SIGNATURE = "\n\nBest regards,\n{name}\nGlobex | Head of IT\n+1 555 0100 | globex.example"
DISCLAIMER = (
    "\n\nCONFIDENTIALITY NOTICE: This email and any attachments are confidential and intended solely for "
    "the addressee. If you received it in error, notify the sender and delete it."
)


def with_mail_noise(ctx: DealContext) -> DealContext:
    """The deal's emails as a mail client stores them: header lines, a signature, the earlier
    message of the thread quoted under ``On … wrote:``, a disclaimer (the demo's are bare prose)."""
    emails = [a for a in ctx.activities if a.type == "email"]
    earlier = {a.id: b for a, b in zip(emails, emails[1:], strict=False)}  # newest first: next = older
    out = []
    for a in ctx.activities:
        if a.type == "email" and a.body:
            prev = earlier.get(a.id)
            quoted = ""
            if prev is not None and prev.body:
                quoted = (
                    f"\n\nOn {prev.occurred_at:%a, %d %b %Y at %H:%M}, {prev.from_email} wrote:\n"
                    + "\n".join(
                        f"> {line}" for line in (prev.body + SIGNATURE.format(name="Mona")).splitlines()
                    )
                )
            head = f"From: {a.from_email}\nSubject: {a.title or ''}\n"
            a = a.model_copy(
                update={"body": head + a.body + SIGNATURE.format(name="Hank") + quoted + DISCLAIMER}
            )
        out.append(a)
    return ctx.model_copy(update={"activities": out})


def combined_tokens(text: str) -> int:
    prompts = load_prompts()
    return count_tokens(
        " ".join(
            m["content"] for m in build_messages(prompts, "en", text, prompts.combined.format(recent_ids="x"))
        )
    )


async def per_deal(s: AsyncSession, deal: str, viewer: Viewer) -> None:
    """One deal's combined-call tokens: naive, prompt v1's full layout, the compact one; bare and noisy."""
    ctx = await deal_context(s, deal, viewer)
    everything = await deal_context(s, deal, viewer, limit=100_000)
    assert ctx is not None and everything is not None
    figures: dict[str, float] = {"visible": everything.activity_count, "kept": len(ctx.activities)}
    for label, make in (("", lambda c: c), ("noisy ", with_mail_noise)):
        naive = count_tokens(naive_prompt(make(everything)))
        full = combined_tokens(pack(make(ctx), 24_000, layout="full").text)
        compact = combined_tokens(pack(make(ctx), 24_000, layout="compact").text)
        figures |= {
            f"{label}naive": naive,
            f"{label}v1": full,
            f"{label}v2": compact,
            f"{label}v1/naive": full / naive,
            f"{label}v2/naive": compact / naive,
        }
    show(f"deal {deal}: combined tokens, v1 full vs v2 compact", figures)


async def main(delay: float, runs: int, port: int) -> None:
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    await create_schema(engine)
    sm = make_sessionmaker(engine)
    async with sm() as s:
        for doc in demo_accounts(datetime.now(UTC)):
            await import_records(s, iter_document(doc))
        await s.commit()
    serve_in_thread(port, delay)
    base = Settings(
        DATABASE_URL=url,
        INSIGHTS_ENV="development",
        INSIGHTS_MODEL="openai/mock",
        INSIGHTS_MODEL_API_BASE=f"http://127.0.0.1:{port}/v1",
        INSIGHTS_MODEL_API_KEY="sk-local",
        INSIGHTS_MODEL_CONTEXT_TOKENS=128000,
    )

    async with sm() as s:  # 1. tokens
        ana = await load_viewer(s, "demo", "101")
        ctx = await deal_context(s, "9005", ana)
        everything = await deal_context(s, "9005", ana, limit=100_000)
        service = InsightService(base)
        insight = await service.insight_for(s, "9005", ana, refresh=True)
        naive = count_tokens(naive_prompt(everything))
        prompts = load_prompts()
        packed = pack(ctx, 24_000, layout=prompts.packing)
        per_call = {
            name: count_tokens(
                " ".join(
                    m["content"]
                    for m in build_messages(
                        prompts, "en", packed.text, prompts.sections[name].format(recent_ids="x")
                    )
                )
            )
            for name in SECTIONS
        }
        combined = count_tokens(
            " ".join(
                m["content"]
                for m in build_messages(prompts, "en", packed.text, prompts.combined.format(recent_ids="x"))
            )
        )
        print(
            f"deal 9005 as Ana: {everything.activity_count} visible activities, {len(ctx.activities)} kept "
            f"(mock-reported input tokens: {insight.model.input_tokens})"
        )
        show("input tokens (tiktoken), mode=sections", {"total": sum(per_call.values()), **per_call})
        show("input tokens (tiktoken), mode=combined", {"total": combined})
        show("input tokens (tiktoken), naive whole timeline", {"total": naive})
        show(f"combined / naive (prompt {prompts.version})", {"ratio": combined / naive})
        noisy_naive = count_tokens(naive_prompt(with_mail_noise(everything)))
        noisy = combined_tokens(pack(with_mail_noise(ctx), 24_000, layout=prompts.packing).text)
        show(
            "same, emails with quotes/signatures/disclaimers",
            {"combined": noisy, "naive": noisy_naive, "ratio": noisy / noisy_naive},
        )
        for deal in DEALS:
            await per_deal(s, deal, ana)

    for mode in ("sections", "combined"):  # 2. cold latency
        service = InsightService(base.model_copy(update={"model_call_mode": mode}))
        times = []
        async with sm() as s:
            ana = await load_viewer(s, "demo", "101")
            for i in range(runs):
                started = time.perf_counter()
                await service.insight_for(s, DEALS[i % len(DEALS)], ana, refresh=True)
                times.append((time.perf_counter() - started) * 1000)
        show(f"cold insight ms, mode={mode}, delay={delay * 1000:.0f} ms", percentiles(times))

    app = create_app(base)  # 3. cached through the API
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            headers = {"Authorization": f"Bearer {mint_token(base, '101', 'demo')}"}
            await c.get("/v1/deals/9001/insights", headers=headers)
            times = []
            for _ in range(runs * 50):
                started = time.perf_counter()
                r = await c.get("/v1/deals/9001/insights", headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert r.json()["cached"]
        show("cached insight ms through the API (in-process)", percentiles(times))
    await engine.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--delay", type=float, default=0.3)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--port", type=int, default=8599)
    a = p.parse_args()
    asyncio.run(main(a.delay, a.runs, a.port))
