"""Prometheus metrics of the service (exposed at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("insights_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "insights_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
MODEL_CALLS = Counter("insights_model_calls_total", "Model calls by outcome", ["outcome"])
TOKENS = Counter("insights_model_tokens_total", "Model tokens", ["direction"])
CACHE = Counter("insights_cache_total", "Insight cache lookups", ["result"])
INSIGHTS = Counter("insights_built_total", "Insights built, by status and reason", ["status", "reason"])
DROPPED = Counter(
    "insights_dropped_statements_total",
    "Model statements dropped for invalid citations, by reason (no_citation, unknown_id)",
    ["reason"],
)
JOBS = Counter(
    "insights_jobs_total",
    "Background jobs by name and outcome (done, retrying, parked)",
    ["job", "outcome"],
)
JOBS_PARKED = Gauge("insights_jobs_parked", "Jobs that failed every retry and were parked (all processes)")
