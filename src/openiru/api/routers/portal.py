"""The provider portal's API: a provider's users see only referrals sent to their provider.

A referral addressed to another provider, or not sent yet, answers 404 exactly
like one that does not exist, so ids cannot be probed.  Provider users can read
the referral (targets, reason, deadline, the evidence preserved) and answer it:
acknowledge, removed, access disabled, cannot comply, rejected.  The unit's
internal history (who drafted and approved, deconfliction) is never shown.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field

from ...errors import NotFoundError
from ...services.referral import evidence
from ...services.referral import workflow as referrals
from ...services.referral.providers import get_provider
from ...services.referral.records import get_referral, list_referrals, sent_to
from ..deps import Principal, current_principal, engine_of, roles
from ..media import safe_media_response
from ..pagination import PageParams, make_page, page_params

router = APIRouter(prefix="/api/v1/portal", tags=["provider portal"])
PROVIDER = ("provider",)
#: Languages the portal's own interface is translated into (web/static/i18n).
UI_LANGUAGES = ("en", "fr", "de")
_VISIBLE_FIELDS = (
    "id",
    "reference",
    "kind",
    "state",
    "provider",
    "deadline",
    "targets",
    "reason",
    "grounds",
    "sent_at",
    "acknowledged_at",
    "resolved_at",
    "overdue",
    "paused",
    "feedback",
)


def provider_view(ref: dict[str, Any]) -> dict[str, Any]:
    out = {k: ref.get(k) for k in _VISIBLE_FIELDS}
    out["items"] = [
        {"key": t["key"], "url": t["url"], "kind": t["kind"]} for t in ref.get("target_details", [])
    ]
    return out


def _mine(request: Request, principal: Principal, referral_id: int) -> dict[str, Any]:
    # One query filtered by the caller's provider: another provider's id and an unknown id
    # answer the same 404 through the same path (no timing difference to probe ids with).
    engine = engine_of(request)
    if not sent_to(engine, referral_id, principal.user.provider):
        raise NotFoundError(f"no referral {referral_id}")
    return get_referral(engine, referral_id)


class Answer(BaseModel):
    outcome: Literal["removed", "access_disabled", "rejected", "cannot_comply"]
    at: AwareDatetime | None = None
    reason: str | None = Field(None, max_length=2000)
    ground: Literal["force_majeure", "manifest_error", "insufficient_information"] | None = None


@router.get("/me", **roles(*PROVIDER))
def me(request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The provider the caller answers for, and the interface language to use."""
    name = principal.user.provider or ""
    try:
        languages = get_provider(engine_of(request), name).languages
    except NotFoundError:
        languages = ["en"]
    language = next((lang for lang in languages if lang in UI_LANGUAGES), "en")
    return {"provider": name, "languages": languages, "language": language}


@router.get("/referrals", **roles(*PROVIDER))
def my_referrals(
    request: Request,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Referrals and removal orders sent to the caller's provider, with deadlines."""
    rows = [
        r
        for r in list_referrals(engine_of(request), provider=principal.user.provider or "\x00")
        if r["sent_at"] and r["provider"] == principal.user.provider
    ]
    after = page.after_id()
    rows = [r for r in rows if r["id"] > after][: page.limit + 1]
    return make_page(rows, page.limit, lambda r: (r["id"],), provider_view)


@router.get("/referrals/{referral_id}", **roles(*PROVIDER))
def my_referral(
    request: Request,
    referral_id: int = Path(ge=1, le=2**31 - 1),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    return provider_view(_mine(request, principal, referral_id))


@router.get("/referrals/{referral_id}/evidence", **roles(*PROVIDER))
def my_evidence(
    request: Request,
    referral_id: int = Path(ge=1, le=2**31 - 1),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """The evidence preserved for the referral: what was referred, with SHA-256 digests."""
    _mine(request, principal, referral_id)
    items = [
        {k: e[k] for k in ("id", "target", "kind", "sha256", "size", "created_at", "purged_at")}
        for e in evidence.list_evidence(engine_of(request), referral_id)
    ]
    return {"items": items, "next_cursor": None}


@router.get(
    "/referrals/{referral_id}/evidence/{evidence_id}",
    **roles(*PROVIDER),
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def my_evidence_file(
    request: Request,
    referral_id: int = Path(ge=1, le=2**31 - 1),
    evidence_id: int = Path(ge=1, le=2**31 - 1),
    principal: Principal = Depends(current_principal),
) -> Response:
    """One preserved file, as an inert image or a download (never rendered as a page)."""
    _mine(request, principal, referral_id)
    for item in evidence.list_evidence(engine_of(request), referral_id):
        if item["id"] == evidence_id and item["path"] and not item["purged_at"]:
            return safe_media_response(item["path"])
    raise NotFoundError("no such evidence file")


@router.post("/referrals/{referral_id}/acknowledge", **roles(*PROVIDER))
def acknowledge(
    request: Request,
    referral_id: int = Path(ge=1, le=2**31 - 1),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    _mine(request, principal, referral_id)
    return provider_view(referrals.acknowledge(engine_of(request), principal.name, referral_id))


@router.post("/referrals/{referral_id}/answer", **roles(*PROVIDER))
def answer(
    body: Answer,
    request: Request,
    referral_id: int = Path(ge=1, le=2**31 - 1),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Removed or access disabled (TCO Annex II, with the time), cannot comply (Annex III, with the
    ground and the clarification needed), or rejected (a voluntary referral, with the reason)."""
    _mine(request, principal, referral_id)
    result = referrals.feedback(
        engine_of(request), principal.name, referral_id, body.outcome, body.at, body.reason, body.ground
    )
    request.app.state.analytics.invalidate()
    return provider_view(result)
