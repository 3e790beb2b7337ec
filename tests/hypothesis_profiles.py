"""Hypothesis profiles: "dev" for local runs (fewer examples), "ci" for the full count.

``tests/conftest.py`` loads "ci" when ``CI=true`` (what CI services set), else "dev", so the README's
plain ``pytest`` is the command in both places; ``HYPOTHESIS_PROFILE=ci pytest`` runs the full count
locally. A test that needs its own count writes ``@settings(max_examples=examples(300))``: 300 in
CI, a fifth of it locally.
"""

from __future__ import annotations

import os

from hypothesis import settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
DEV_SHARE = 5  # locally a fifth of the CI count: a quick signal, CI does the searching
DEV_FLOOR = 10

settings.register_profile("ci", max_examples=100, print_blob=True)  # hypothesis' own default count
settings.register_profile("dev", max_examples=20)


def examples(full: int, dev: int | None = None) -> int:
    """``full`` examples under the "ci" profile; under "dev" ``dev``, else a fifth (at least 10)."""
    if PROFILE == "ci":
        return full
    return min(full, dev if dev is not None else max(DEV_FLOOR, full // DEV_SHARE))
