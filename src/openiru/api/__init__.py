"""The REST API and web application of OpenIRU (FastAPI)."""

from .app import create_app

__all__ = ["create_app"]
