"""What a long-running process does once it has started: leave its start-up objects out of Python's
full garbage collections.

A full collection walks every tracked object, and it pauses whatever request is running. The
imported modules (litellm, pydantic, SQLAlchemy, FastAPI…) are most of a server's objects and live as
long as it does: frozen after start-up, they are no longer walked, and each full collection walks
only what was made since (``bench_retrieval`` prints the pauses). The usual recipe (``gc.freeze``'s
documentation): collect first, so no garbage is frozen with them.
"""

from __future__ import annotations

import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
