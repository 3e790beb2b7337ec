"""Core: settings, database engine and sessions, schema and migrations, metrics, tokens."""
