"""Background work on Huey: scheduled guided actions, insight rebuilds after changes and before
midnight, a spend cap, retries and parking. ``Jobs`` is the queue; ``insights worker`` runs it."""

from insights.jobs.queue import Jobs

__all__ = ["Jobs"]
