"""Collected content: posts, accounts, media files, statistics, and importing exports."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path as FsPath
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...errors import OpenIRUError
from ...services.collect import content
from ...services.collect.counts import platform_stats
from ...services.collect.ingest import ingest_source, source_for
from ..deps import UNIT, engine_of, roles
from ..errors import ApiError, upload_error, without_paths
from ..media import safe_media_response
from ..pagination import PageParams, encode_cursor, page_params

router = APIRouter(prefix="/api/v1", tags=["content"])


@router.get("/posts", **roles(*UNIT))
def list_posts(
    request: Request,
    page: PageParams = Depends(page_params),
    platform: str | None = Query(None, max_length=100),
    account_id: str | None = Query(None, max_length=255),
) -> dict[str, Any]:
    """Posts, newest first; filter by platform and author."""
    after = page.key(datetime, str, str)
    return _page(*content.list_posts(engine_of(request), page.limit, after, platform, account_id))


def _page(items: list[dict[str, Any]], key: list[Any] | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": encode_cursor(key) if key is not None else None}


@router.get("/posts/{platform}/{post_id:path}", **roles(*UNIT))
def get_post(
    request: Request,
    platform: str = Path(max_length=100, pattern=r"^[^/]+$"),
    post_id: str = Path(max_length=255),
) -> dict[str, Any]:
    """One post with its media (Telegram post ids contain a slash: ``chat/message``)."""
    return content.get_post(engine_of(request), platform, post_id)


@router.get("/accounts", **roles(*UNIT))
def list_accounts(
    request: Request,
    page: PageParams = Depends(page_params),
    platform: str | None = Query(None, max_length=100),
    handle: str | None = Query(None, max_length=255),
) -> dict[str, Any]:
    """Accounts by platform and id; filter by platform and handle."""
    after = page.key(str, str)
    return _page(*content.list_accounts(engine_of(request), page.limit, after, platform, handle))


@router.get("/accounts/{platform}/{account_id:path}", **roles(*UNIT))
def get_account(
    request: Request,
    platform: str = Path(max_length=100, pattern=r"^[^/]+$"),
    account_id: str = Path(max_length=255),
) -> dict[str, Any]:
    return content.get_account(engine_of(request), platform, account_id)


@router.get(
    "/media/{media_key:path}", **roles(*UNIT), responses={200: {"content": {"application/octet-stream": {}}}}
)
def get_media(request: Request, media_key: str = Path(max_length=600)) -> Response:
    """A media file, served only as an inert image/video type or as a download."""
    path, _mime = content.media_file(engine_of(request), media_key)
    return safe_media_response(path)


@router.get("/stats", **roles(*UNIT, "auditor"))
def stats(request: Request) -> dict[str, Any]:
    """Posts, accounts, edges and media per platform (as ``openiru stats --json``)."""
    return platform_stats(engine_of(request))


@router.post("/ingest", **roles("admin", "analyst"))
async def ingest(
    request: Request,
    file: UploadFile = File(...),
    format: str = Form("auto", max_length=50),
    platform: str | None = Form(None, max_length=100),
) -> dict[str, Any]:
    """Import one uploaded export file (as ``openiru ingest FILE --json``)."""
    engine = engine_of(request)
    name = FsPath(file.filename or "upload").name or "upload"
    with tempfile.TemporaryDirectory(prefix="openiru-upload-") as tmp:
        target = FsPath(tmp) / name
        with target.open("wb") as out:
            await run_in_threadpool(shutil.copyfileobj, file.file, out)

        def scrub(value: Any) -> Any:  # the upload's temporary folder never leaves the server
            return without_paths(value, tmp, name)

        def run() -> dict[str, Any]:
            try:
                source = source_for(target, format, platform)
                source.boundary = FsPath(tmp)  # files the upload names: from its own folder only
                return scrub(ingest_source(engine, source, label=name).as_dict())  # type: ignore[no-any-return]
            except ImportError as exc:  # an importer plugin that cannot load
                raise ApiError(
                    503, "importer_unavailable", f"an importer could not be loaded: {scrub(str(exc))}"
                ) from None
            except OpenIRUError as exc:
                raise upload_error(exc, tmp, name) from None

        return await run_in_threadpool(run)
