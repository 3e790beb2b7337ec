"""Who may see what: viewer resolution, readable statements, and (for tests) a reference predicate."""

from insights.permissions.viewer import Viewer, load_viewer

__all__ = ["Viewer", "load_viewer"]
