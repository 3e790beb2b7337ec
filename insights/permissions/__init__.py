"""Who may see what: viewer resolution, SQL filters, and (for tests) a reference predicate."""

from insights.permissions.viewer import Viewer, load_viewer

__all__ = ["Viewer", "load_viewer"]
