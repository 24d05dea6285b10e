"""Console and portal page routes: who may open which page, and the login page.

Each page is its own route carrying ``x-roles`` like the API routes, so the
authorisation matrix test covers pages too.  An anonymous visitor is sent to
``/login``; a logged-in user outside the page's roles gets 403.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..api.deps import UNIT, optional_principal

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

#: page name -> (path, title, roles, template).  The order is the menu's order.
PAGES: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "triage": ("/console/triage", "Triage", UNIT, "triage.html"),
    "posts": ("/console/posts", "Posts", UNIT, "posts.html"),
    "post": ("/console/post", "Post", UNIT, "post.html"),
    "accounts": ("/console/accounts", "Accounts", UNIT, "accounts.html"),
    "account": ("/console/account", "Account", UNIT, "account.html"),
    "network": ("/console/network", "Network", UNIT, "network.html"),
    "key-accounts": ("/console/key-accounts", "Key accounts", UNIT, "key_accounts.html"),
    "coordination": ("/console/coordination", "Coordination", UNIT, "coordination.html"),
    "recreated": ("/console/recreated", "Re-created", UNIT, "recreated.html"),
    "referrals": ("/console/referrals", "Referrals", UNIT, "referrals.html"),
    "referral": ("/console/referral", "Referral", UNIT, "referral.html"),
    "deconfliction": ("/console/deconfliction", "Deconfliction", (*UNIT, "liaison"), "deconfliction.html"),
    "watch": ("/console/watch", "Watchlist", UNIT, "watch.html"),
    "action-days": ("/console/action-days", "Action days", UNIT, "action_days.html"),
    "stats": ("/console/stats", "Statistics", (*UNIT, "auditor"), "stats.html"),
    "audit": ("/console/audit", "Audit log", ("admin", "auditor"), "audit.html"),
    "users": ("/console/users", "Users", ("admin",), "users.html"),
    "portal": ("/portal", "Provider portal", ("provider",), "portal.html"),
}

#: Where each role lands after logging in.
HOME = {
    "admin": "/console/triage",
    "analyst": "/console/triage",
    "approver": "/console/referrals",
    "liaison": "/console/deconfliction",
    "provider": "/portal",
    "auditor": "/console/audit",
}


def _menu(role: str) -> list[dict[str, str]]:
    hidden = {"post", "account", "referral"}
    return [
        {"name": n, "path": p, "title": t}
        for n, (p, t, allowed, _) in PAGES.items()
        if role in allowed and n not in hidden
    ]


def _page_handler(name: str) -> Any:
    path, title, allowed, template = PAGES[name]

    def handler(request: Request) -> Response:
        principal = optional_principal(request)
        if principal is None or principal.via != "session":
            return RedirectResponse(f"/login?next={path}", status_code=303)
        if principal.role not in allowed:
            return templates.TemplateResponse(
                request,
                "forbidden.html",
                {
                    "title": "Not allowed",
                    "user": principal.user,
                    "menu": _menu(principal.role),
                    "csrf": principal.csrf_token,
                    "page": "forbidden",
                },
                status_code=403,
            )
        return templates.TemplateResponse(
            request,
            template,
            {
                "title": title,
                "user": principal.user,
                "menu": _menu(principal.role),
                "csrf": principal.csrf_token,
                "page": name,
            },
        )

    handler.__name__ = f"page_{name.replace('-', '_')}"
    return handler


def _login_page(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"title": "Log in", "page": "login", "user": None, "menu": [], "csrf": ""}
    )


def _root(request: Request) -> Response:
    principal = optional_principal(request)
    if principal is None or principal.via != "session":
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME.get(principal.role, "/login"), status_code=303)


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_api_route(
        "/",
        _root,
        methods=["GET"],
        include_in_schema=False,
        response_class=HTMLResponse,
        openapi_extra={"x-roles": ["anonymous"]},
    )
    app.add_api_route(
        "/login",
        _login_page,
        methods=["GET"],
        include_in_schema=False,
        response_class=HTMLResponse,
        openapi_extra={"x-roles": ["anonymous"]},
    )
    for name, (path, _title, allowed, _template) in PAGES.items():
        app.add_api_route(
            path,
            _page_handler(name),
            methods=["GET"],
            include_in_schema=False,
            response_class=HTMLResponse,
            openapi_extra={"x-roles": list(allowed), "x-page": True},
        )
