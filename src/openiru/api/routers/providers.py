"""The provider registry: list, show, add or edit, and resolve which provider hosts a target."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from ...referral.providers import ProviderInfo
from ...services.referral import providers
from ..deps import UNIT, Principal, current_principal, engine_of, roles
from ..pagination import PageParams, page_params, paged_list

router = APIRouter(prefix="/api/v1/providers", tags=["providers"])


class Provider(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    legal_name: str | None = Field(None, max_length=500)
    platforms: list[str] = Field(default_factory=list, max_length=100)
    domains: list[str] = Field(default_factory=list, max_length=500)
    contacts: dict[str, str] = Field(default_factory=dict, max_length=20)
    languages: list[str] = Field(default_factory=lambda: ["en"], max_length=30)
    tco_contact: str | None = Field(None, max_length=500)
    legal_representative: str | None = Field(None, max_length=500)
    main_establishment: str | None = Field(None, max_length=8)
    identification_required: bool | None = None
    kind: str | None = Field(None, max_length=32)
    notes: str | None = Field(None, max_length=5000)


@router.get("", **roles(*UNIT))
def list_providers(request: Request, page: PageParams = Depends(page_params)) -> dict[str, Any]:
    """The registry (as ``openiru provider list --json``)."""
    return paged_list([p.as_dict() for p in providers.list_providers(engine_of(request))], page)


@router.get("/resolve", **roles(*UNIT))
def resolve(request: Request, target: str = Query(..., min_length=1, max_length=2000)) -> dict[str, Any]:
    """Which provider must receive this URL, post or account (as ``openiru provider resolve``)."""
    found, url = providers.resolve_text(engine_of(request), target)
    return {
        "target": target,
        "url": url,
        "provider": found.name if found else None,
        "details": found.as_dict() if found else None,
    }


@router.get("/{name}", **roles(*UNIT))
def get_provider(request: Request, name: str = Path(max_length=200)) -> dict[str, Any]:
    return providers.get_provider(engine_of(request), name).as_dict()


@router.put("/{name}", **roles("admin", "analyst"))
def save_provider(
    body: Provider,
    request: Request,
    name: str = Path(max_length=200),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Add a provider or replace the one of that name (audited)."""
    info = ProviderInfo.from_mapping({**body.model_dump(), "name": name})
    saved, created = providers.save_provider(engine_of(request), principal.name, info)
    return {**saved.as_dict(), "created": created}
