"""Small helpers shared by the benchmarks: percentiles and a figures table."""

from __future__ import annotations

import statistics


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    s = sorted(samples_ms)
    if not s:
        return {}

    def pick(q: float) -> float:
        return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]

    return {
        "n": len(s),
        "p50": pick(0.50),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": s[-1],
        "mean": statistics.fmean(s),
    }


def show(title: str, figures: dict[str, float]) -> None:
    parts = [f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()]
    print(f"{title:<48} " + "  ".join(parts))
