"""The analyst console and the provider portal, served by the API's app.

Server-rendered Jinja2 shells with local CSS and JavaScript (no CDN, no inline
script, so the Content-Security-Policy forbids inline code); each page's
script reads the REST API with the session cookie and the CSRF token from the
page's ``<meta name="csrf-token">``.
"""

from .pages import install

__all__ = ["install"]
