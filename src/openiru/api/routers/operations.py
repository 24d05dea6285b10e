"""Referral Action Days: operations with agencies, a time window, items and live counters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import AwareDatetime, BaseModel, Field

from ...services.referral import action_days as operations
from ..deps import UNIT, Principal, current_principal, engine_of, roles
from ..pagination import PageParams, page_params, paged_list

router = APIRouter(prefix="/api/v1/operations", tags=["action days"])


class NewOperation(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    agencies: list[str] = Field(default_factory=list, max_length=100)
    hours: float = Field(48, gt=0, le=24 * 90)
    start: AwareDatetime | None = None
    platforms: list[str] | None = Field(None, max_length=200)
    languages: list[str] | None = Field(None, max_length=200)
    organisations: list[str] | None = Field(None, max_length=200)


class Items(BaseModel):
    targets: list[str] = Field(min_length=1, max_length=5000)
    assign: str | None = Field(None, max_length=100)


@router.get("", **roles(*UNIT))
def list_operations(request: Request, page: PageParams = Depends(page_params)) -> dict[str, Any]:
    return paged_list(operations.list_operations(engine_of(request)), page)


@router.post("", status_code=201, **roles("admin", "analyst", "approver"))
def create(
    body: NewOperation, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Create an operation (as ``openiru operation create``)."""
    return operations.create(
        engine_of(request),
        principal.name,
        body.name,
        body.agencies,
        body.hours,
        body.start,
        body.platforms,
        body.languages,
        body.organisations,
    )


@router.get("/{operation_id}", **roles(*UNIT))
def get(request: Request, operation_id: int = Path(ge=1, le=2**31 - 1)) -> dict[str, Any]:
    return operations.get(engine_of(request), operation_id)


@router.post("/{operation_id}/items", **roles("admin", "analyst", "approver"))
def add_items(
    body: Items,
    request: Request,
    operation_id: int = Path(ge=1, le=2**31 - 1),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Add assessed items (as ``openiru operation add``)."""
    return operations.add_items(engine_of(request), principal.name, operation_id, body.targets, body.assign)


@router.get("/{operation_id}/report", **roles(*UNIT))
def report(request: Request, operation_id: int = Path(ge=1, le=2**31 - 1)) -> dict[str, Any]:
    """Live counters and the final report (as ``openiru operation report --json``)."""
    return operations.report(engine_of(request), operation_id)
