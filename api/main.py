"""ASGI entry point for process managers: ``uvicorn api.main:app`` (settings from the environment)."""

from api.app import create_app

app = create_app()
