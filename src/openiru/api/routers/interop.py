"""Imports and exports: bank and lexicon uploads, bank export, referral exports, the classifier."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...errors import OpenIRUError
from ...services.detect import banks as detect_banks
from ...services.detect import classifier as detect_classifier
from ...services.referral import export as referrals_export
from ..deps import UNIT, Principal, checked_principal, engine_of, roles
from ..errors import upload_error, without_paths

router = APIRouter(prefix="/api/v1", tags=["interop"])
WRITERS = ("admin", "analyst")


async def _with_upload(file: UploadFile, work: Callable[[FsPath], Any]) -> Any:
    """``work`` on the uploaded file saved in a temporary folder; its answer and its errors
    name the file as uploaded, never the folder."""
    name = FsPath(file.filename or "upload").name or "upload"
    with tempfile.TemporaryDirectory(prefix="openiru-upload-") as tmp:
        target = FsPath(tmp) / name
        with target.open("wb") as out:
            await run_in_threadpool(shutil.copyfileobj, file.file, out)
        try:
            result = await run_in_threadpool(work, target)
        except OpenIRUError as exc:
            raise upload_error(exc, tmp, name) from None
        return without_paths(result.as_dict() if hasattr(result, "as_dict") else result, tmp, name)


def _download(text: str, filename: str, media_type: str) -> Response:
    return Response(
        text, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.post("/banks/{bank}/import", **roles(*WRITERS))
async def import_bank(
    request: Request,
    bank: str = Path(max_length=100, pattern=r"^[\w.-]+$"),
    file: UploadFile = File(...),
    kind: Literal["pdq", "md5", "sha256", "url", "text"] | None = Form(None),
    format: str = Form("auto", max_length=30),
) -> dict[str, Any]:
    """Import a hash list into a bank (as ``openiru bank import FILE --bank NAME``)."""
    engine = engine_of(request)
    actor = checked_principal(request).name
    summary = await _with_upload(
        file, lambda p: detect_banks.import_hash_list(engine, p, bank, kind=kind, fmt=format, actor=actor)
    )
    request.app.state.analytics.invalidate()
    return summary  # type: ignore[no-any-return]


@router.get("/banks/{bank}/export", **roles(*UNIT), responses={200: {"content": {"text/csv": {}}}})
def export_bank(
    request: Request,
    bank: str = Path(max_length=100),
    format: Literal["csv", "plain", "threatexchange", "jsonl"] = Query("csv"),
) -> Response:
    """A bank as a hash list (as ``openiru bank export --bank NAME``)."""
    text = detect_banks.export_bank(engine_of(request), bank, format)
    return _download(text, f"{bank}.{'csv' if format == 'csv' else 'txt'}", "text/plain; charset=utf-8")


@router.post("/lexicons/{name}/import", **roles(*WRITERS))
async def import_lexicon(
    request: Request, name: str = Path(max_length=100, pattern=r"^[\w.-]+$"), file: UploadFile = File(...)
) -> dict[str, Any]:
    """Import ``term,language,kind,label`` rows (as ``openiru lexicon import FILE --name NAME``)."""
    engine = engine_of(request)
    actor = checked_principal(request).name
    summary = await _with_upload(file, lambda p: detect_banks.import_lexicon(engine, p, name, actor=actor))
    return summary  # type: ignore[no-any-return]


@router.get(
    "/exports/{fmt}", **roles(*UNIT), responses={200: {"content": {"application/json": {}, "text/csv": {}}}}
)
def export_referrals(
    request: Request,
    fmt: Literal["dsa", "stix", "misp", "lumen", "hashes"],
    state: str | None = Query(None, max_length=32),
    referral: list[int] | None = Query(None, max_length=1000),
    hash_format: Literal["csv", "plain", "threatexchange"] = Query("csv"),
) -> Response:
    """Referrals as DSA statements of reasons, STIX 2.1, MISP, Lumen notices or a hash list
    (as ``openiru export FORMAT``)."""
    ids = [i for i in (referral or []) if 0 < i < 2**31]
    text = referrals_export.export(engine_of(request), fmt, state, ids or None, hash_format=hash_format)
    csv = fmt == "hashes" and hash_format == "csv"
    return _download(
        text,
        f"openiru-{fmt}.{'csv' if csv else 'txt' if fmt == 'hashes' else 'json'}",
        "text/csv; charset=utf-8"
        if csv
        else "application/json"
        if fmt != "hashes"
        else "text/plain; charset=utf-8",
    )


@router.post("/classifier/train", **roles(*WRITERS))
async def train(request: Request) -> dict[str, Any]:
    """Train the classifier on analysts' decisions (as ``openiru classifier train``)."""
    engine = engine_of(request)
    principal: Principal = checked_principal(request)
    return await run_in_threadpool(detect_classifier.train, engine, principal.name)  # type: ignore[no-any-return]


@router.get("/classifier/eval", **roles(*UNIT))
async def evaluate(request: Request, folds: int = Query(5, ge=2, le=10)) -> dict[str, Any]:
    """Cross-validated precision, recall and F1 per language (as ``openiru classifier eval``)."""
    return await run_in_threadpool(detect_classifier.evaluate, engine_of(request), folds)  # type: ignore[no-any-return]


@router.get("/classifier/models", **roles(*UNIT))
def models(request: Request) -> dict[str, Any]:
    return {"items": detect_classifier.list_models(engine_of(request)), "next_cursor": None}
