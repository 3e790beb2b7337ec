"""Tables of the guided-actions module (filled in by the guided-actions work)."""
