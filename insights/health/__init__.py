"""Customer health scores: profiles, set-based scoring, daily snapshots, alerts, summaries."""
