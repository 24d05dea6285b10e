"""The whole application ``openiru serve`` runs: the REST API with the console and the portal.

:func:`openiru.api.app.create_app` builds the REST API; this module mounts the analyst console,
the provider portal and their local assets on it (:func:`openiru.web.pages.install`).  The console
builds on the API (its pages use the API's sessions and roles), never the other way round.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from ..api import app as api_app
from ..api.settings import ApiSettings
from ..settings import Settings
from .pages import install


def create_app(engine: sa.Engine, settings: ApiSettings | Settings | None = None) -> FastAPI:
    """The REST API, the analyst console under ``/console`` and the provider portal under ``/portal``."""
    return api_app.create_app(engine, settings, extensions=(install,))


def app_from_env() -> Any:
    """For ``uvicorn --factory openiru.web.app:app_from_env`` (``openiru serve --workers N``)."""
    return api_app.app_from_env(extensions=(install,))
