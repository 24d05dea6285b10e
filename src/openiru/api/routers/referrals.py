"""Referrals (unit side): create, approve, send, withdraw, feedback on behalf, evidence; deconfliction;
the audit log."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from ...services.access import audit
from ...services.referral import deconfliction, delivery, evidence
from ...services.referral import workflow as referrals
from ...services.referral.records import get_referral, list_referrals
from ..deps import UNIT, Principal, current_principal, engine_of, roles
from ..pagination import PageParams, make_page, page_params

router = APIRouter(prefix="/api/v1", tags=["referrals"])
STATES = (
    "draft",
    "approved",
    "sent",
    "acknowledged",
    "removed",
    "access_disabled",
    "rejected",
    "no_response",
    "withdrawn",
    "on_hold",
)
RID = 2**31 - 1


def referral_id_param() -> Any:
    return Path(ge=1, le=RID)


class NewReferral(BaseModel):
    targets: list[str] = Field(min_length=1, max_length=1000)
    kind: Literal["referral", "removal-order"] = "referral"
    reason: str | None = Field(None, max_length=2000)
    grounds: list[str] | None = Field(None, max_length=5)
    provider: str | None = Field(None, max_length=200)
    operation_id: int | None = Field(None, ge=1, le=RID)


class Reason(BaseModel):
    reason: str | None = Field(None, max_length=2000)


class Send(BaseModel):
    channel: Literal["portal", "email", "webhook", "export"] = "portal"


class Feedback(BaseModel):
    outcome: Literal["removed", "access_disabled", "rejected", "cannot_comply"]
    at: AwareDatetime | None = None
    reason: str | None = Field(None, max_length=2000)
    ground: Literal["force_majeure", "manifest_error", "insufficient_information"] | None = None


def _changed(request: Request) -> None:
    request.app.state.analytics.invalidate()


@router.get("/referrals", **roles(*UNIT))
def list_all(
    request: Request,
    page: PageParams = Depends(page_params),
    state: str | None = Query(None, max_length=32),
    overdue: bool = Query(False),
    provider: str | None = Query(None, max_length=200),
    operation_id: int | None = Query(None, ge=1, le=RID),
) -> dict[str, Any]:
    """Referrals by id (as ``openiru referrals --json``), filtered by state, provider, operation."""
    rows = list_referrals(
        engine_of(request),
        state=state,
        overdue=overdue,
        provider=provider,
        operation_id=operation_id,
        after=page.after_id(),
        limit=page.limit + 1,
    )
    return make_page(rows, page.limit, lambda r: (r["id"],), lambda r: r)


@router.post("/referrals", status_code=201, **roles("admin", "analyst"))
def create(
    body: NewReferral, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Draft referrals, one per provider (as ``openiru refer --json``); targets are post keys
    ``PLATFORM:POST_ID``, account keys ``PLATFORM:@ACCOUNT_ID`` or URLs."""
    engine = engine_of(request)
    created = referrals.create_referrals(
        engine,
        principal.name,
        body.targets,
        body.kind,
        body.reason,
        body.grounds,
        body.provider,
        body.operation_id,
    )
    if body.operation_id is not None:
        from ...services.referral import action_days as operations

        operations.link_referrals(engine, body.operation_id, created)
    return {"referrals": created}


@router.get("/referrals/{referral_id}", **roles(*UNIT))
def get_one(request: Request, referral_id: int = referral_id_param()) -> dict[str, Any]:
    return get_referral(engine_of(request), referral_id)


@router.post("/referrals/{referral_id}/approve", **roles("admin", "analyst", "approver"))
def approve(
    request: Request,
    referral_id: int = referral_id_param(),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Four-eyes approval: by someone other than the referral's author."""
    return referrals.approve(engine_of(request), principal.name, referral_id)


@router.post("/referrals/{referral_id}/send", **roles("admin", "analyst", "approver"))
def send(
    body: Send,
    request: Request,
    referral_id: int = referral_id_param(),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Preserve the evidence and deliver the approved referral through a channel."""
    return delivery.send(engine_of(request), principal.name, referral_id, body.channel)


@router.post("/referrals/{referral_id}/withdraw", **roles("admin", "analyst", "approver"))
def withdraw(
    body: Reason,
    request: Request,
    referral_id: int = referral_id_param(),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    return referrals.withdraw(engine_of(request), principal.name, referral_id, body.reason)


@router.post("/referrals/{referral_id}/feedback", **roles("admin", "analyst", "approver"))
def feedback(
    body: Feedback,
    request: Request,
    referral_id: int = referral_id_param(),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Record a provider's answer received outside the portal (e-mail, phone)."""
    result = referrals.feedback(
        engine_of(request), principal.name, referral_id, body.outcome, body.at, body.reason, body.ground
    )
    _changed(request)
    return result


class Pause(BaseModel):
    reason: Literal["force_majeure", "clarification"] = "force_majeure"


@router.post("/referrals/{referral_id}/pause", **roles("admin", "analyst", "approver"))
def pause(
    body: Pause,
    request: Request,
    referral_id: int = referral_id_param(),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Stop the deadline clock (TCO Art. 3(7), 3(8))."""
    return referrals.pause(engine_of(request), principal.name, referral_id, body.reason)


@router.post("/referrals/{referral_id}/resume", **roles("admin", "analyst", "approver"))
def resume(
    body: Reason,
    request: Request,
    referral_id: int = referral_id_param(),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Restart the deadline clock (the clarification came, the force majeure ended)."""
    return referrals.resume(engine_of(request), principal.name, referral_id, body.reason)


@router.post("/referrals/{referral_id}/release", **roles("liaison", "admin"))
def release(
    body: Reason,
    request: Request,
    referral_id: int = referral_id_param(),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Lift a deconfliction hold: only the agency whose entry holds the referral.  The answer
    says only the new state, nothing of the referral's content."""
    result = referrals.release(engine_of(request), principal.name, referral_id, body.reason)
    return {"id": result["id"], "state": result["state"]}


@router.get("/referrals/{referral_id}/evidence", **roles(*UNIT))
def referral_evidence(request: Request, referral_id: int = referral_id_param()) -> dict[str, Any]:
    engine = engine_of(request)
    get_referral(engine, referral_id)
    return {"items": evidence.list_evidence(engine, referral_id), "next_cursor": None}


@router.get("/referrals/{referral_id}/deliveries", **roles(*UNIT))
def referral_deliveries(request: Request, referral_id: int = referral_id_param()) -> dict[str, Any]:
    engine = engine_of(request)
    get_referral(engine, referral_id)
    return {"items": delivery.deliveries_of(engine, referral_id), "next_cursor": None}


# -- deconfliction -----------------------------------------------------------------------------------


class Entry(BaseModel):
    kind: Literal["account", "url", "hash", "channel"]
    value: str = Field(min_length=1, max_length=700)
    investigation_ref: str = Field(min_length=1, max_length=200)
    expires_in_days: float | None = Field(None, gt=0, le=3650)
    agency: str | None = Field(None, max_length=100)


@router.get("/deconfliction", **roles(*UNIT, "liaison"))
def list_entries(request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The caller's agency's entries in full; of other agencies' entries only that holds exist."""
    data = deconfliction.list_entries(engine_of(request), principal.name)
    return {
        "items": data["entries"],
        "agency": data["agency"],
        "other_holds": data["other_holds"],
        "next_cursor": None,
    }


@router.post("/deconfliction", status_code=201, **roles("liaison", "admin"))
def add_entry(
    body: Entry, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    return deconfliction.add_entry(
        engine_of(request),
        principal.name,
        body.kind,
        body.value,
        body.investigation_ref,
        body.agency,
        body.expires_in_days,
    )


@router.delete("/deconfliction/{entry_id}", **roles("liaison", "admin"))
def remove_entry(
    request: Request, entry_id: int = Path(ge=1, le=RID), principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    deconfliction.remove_entry(engine_of(request), principal.name, entry_id)
    return {"ok": True}


@router.get("/deconfliction/notifications", **roles("liaison", "admin"))
def notifications(request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Referrals held by the caller's agency's entries."""
    return {"items": deconfliction.notifications_for(engine_of(request), principal.name), "next_cursor": None}


# -- audit log ---------------------------------------------------------------------------------------


@router.get("/audit", **roles("admin", "auditor"))
def audit_entries(
    request: Request,
    page: PageParams = Depends(page_params),
    object_type: str | None = Query(None, max_length=50),
    object_id: str | None = Query(None, max_length=100),
) -> dict[str, Any]:
    """The hash-chained audit log, oldest first."""
    rows = audit.entries(engine_of(request), object_type, object_id)
    after = page.after_id()
    rows = [r for r in rows if r["seq"] > after][: page.limit + 1]
    return make_page(rows, page.limit, lambda r: (r["seq"],), lambda r: r)


@router.get("/audit/verify", **roles("admin", "auditor"))
def audit_verify(request: Request) -> dict[str, Any]:
    """Walk the chain (as ``openiru audit verify``)."""
    return audit.verify(engine_of(request)).as_dict()
