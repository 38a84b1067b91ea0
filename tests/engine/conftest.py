"""Engine-only fixtures, on top of tests/conftest.py: a private PostgreSQL for postgres:// state."""

from support.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]
