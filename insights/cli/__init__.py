"""The ``insights`` command line, the composition root: the one place in ``insights`` that imports
``api`` (to serve) and ``evals`` (to run suites). Each module registers its commands on ``app``."""

from insights.cli import actions, data, evals, health, model, serve, worker  # noqa: F401  (register the commands)
from insights.cli.app import app

__all__ = ["app"]

if __name__ == "__main__":
    app()
