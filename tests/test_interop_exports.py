"""Interop exports of real referrals: STIX 2.1 (stix2-validator), MISP (loads back in PyMISP),
DSA statements of reasons (required fields and enums), Lumen notices, hash lists."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string

from openiru.interop import dsa
from openiru.services.referral import delivery
from openiru.services.referral import export as referrals_export
from openiru.services.referral import workflow as referrals
from openiru.store.db import open_database
from test_referral_service import Clock, seed


def _offline(url: str):  # type: ignore[no-untyped-def]
    import httpx

    raise httpx.ConnectError("offline test")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """One database of sent and answered referrals, shared by the export tests (read-only)."""
    tmp_path = tmp_path_factory.mktemp("exports")
    sqlite_engine = open_database(f"sqlite:///{tmp_path / 'openiru.db'}")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
        _fill(sqlite_engine)
    yield sqlite_engine
    sqlite_engine.dispose()


def _fill(sqlite_engine: sa.Engine) -> None:
    seed(sqlite_engine)
    clock = Clock()
    made = referrals.create_referrals(
        sqlite_engine, "ana", ["x:1", "x:@100", "telegram:-100/7"], reason="placeholder reason", now=clock
    )
    [order] = referrals.create_referrals(
        sqlite_engine, "ana", ["x:2"], kind="removal-order", grounds=["a"], now=clock
    )
    for r in [*made, order]:
        referrals.approve(sqlite_engine, "bob", r["id"], now=clock)
        delivery.send(sqlite_engine, "bob", r["id"], "portal", now=clock, fetch=_offline)
    clock.advance(minutes=30)
    x_ref = next(r for r in made if r["provider"] == "X Corp")
    referrals.feedback(sqlite_engine, "bob", x_ref["id"], "removed", now=clock)
    referrals.feedback(sqlite_engine, "bob", order["id"], "access_disabled", now=clock)


def test_stix_bundle_passes_the_oasis_validator(exported: sa.Engine) -> None:
    text = referrals_export.export(exported, "stix")
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    bundle = json.loads(text)
    types = [o["type"] for o in bundle["objects"]]
    for needed in (
        "identity",
        "user-account",
        "url",
        "file",
        "observed-data",
        "report",
        "indicator",
        "extension-definition",
        "social-media-post",
    ):
        assert needed in types, needed
    posts = {o["post_id"]: o for o in bundle["objects"] if o["type"] == "social-media-post"}
    assert set(posts) == {"1", "2", "-100/7"}
    ext = next(o for o in bundle["objects"] if o["type"] == "extension-definition")
    assert posts["1"]["extensions"] == {ext["id"]: {"extension_type": "new-sco"}}
    assert posts["1"]["text"].startswith("Neutral placeholder") and posts["1"]["author_ref"].startswith(
        "user-account--"
    )
    indicator = next(o for o in bundle["objects"] if o["type"] == "indicator" and "SHA-256" in o["pattern"])
    assert indicator["pattern"] == f"[file:hashes.'SHA-256' = '{'ab' * 32}']"
    assert sum(1 for t in types if t == "report") == 3


def test_stix_bundle_passes_strict_mode_too(exported: sa.Engine) -> None:
    result = validate_string(
        referrals_export.export(exported, "stix"), ValidationOptions(version="2.1", strict=True)
    )
    assert result.is_valid, [str(e) for e in result.errors]


def test_misp_event_loads_back(exported: sa.Engine) -> None:
    text = referrals_export.export(exported, "misp")
    event = MISPEvent()
    event.load(text)
    names = sorted(o.name for o in event.objects)
    assert names.count("microblog") == 2 and "chat-message" in names and "file" in names
    assert "user-account" in names and "telegram-account" in names
    post = next(
        o for o in event.objects if o.name == "microblog" and o.get_attributes_by_relation("removal-date")
    )
    assert post.get_attributes_by_relation("post")[0].value.startswith("Neutral placeholder")
    assert {r.relationship_type for r in post.references} == {"authored-by", "shares"}
    assert {t.name for t in event.tags} == {"tlp:amber", "PAP:AMBER"}


def test_dsa_statements_are_valid(exported: sa.Engine) -> None:
    data = json.loads(referrals_export.export(exported, "dsa"))
    statements = data["statements"]
    assert len(statements) == 3  # x:1 and x:@100 removed, x:2 disabled; telegram not acted on
    for s in statements:
        assert dsa.validate(s) == [], s
        assert s["category"] == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
        assert s["category_specification"] == ["KEYWORD_TERRORIST_CONTENT"]
        assert s["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"
    grounds = {s["decision_ground"] for s in statements}
    assert grounds == {"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"}
    order = next(s for s in statements if s["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT")
    assert (
        len(order["territorial_scope"]) == 27
        and "Regulation (EU) 2021/784" in order["illegal_content_legal_ground"]
    )
    account = next(s for s in statements if "decision_account" in s)
    assert account["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert len({s["puid"] for s in statements}) == 3


def test_dsa_validator_catches_bad_statements() -> None:
    assert "puid must match" in " ".join(dsa.validate({"puid": "bad puid!"}))
    errors = dsa.validate(
        {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "content_type": ["CONTENT_TYPE_X"],
            "content_date": "01/02/2026",
        }
    )
    joined = " ".join(errors)
    for fragment in (
        "content_type",
        "content_date must be Y-m-d",
        "illegal_content_legal_ground",
        "one of decision_visibility",
    ):
        assert fragment in joined


def test_lumen_notices_and_hash_list(exported: sa.Engine) -> None:
    notices = json.loads(referrals_export.export(exported, "lumen"))["notices"]
    assert len(notices) == 3
    order = next(n for n in notices if n["request_type"] == "Removal order")
    assert order["type"] == "LawEnforcementRequest" and order["action_taken"] == "Yes"
    assert order["regulations"] == ["Regulation (EU) 2021/784"]
    assert order["works"][0]["subject_of_enforcement_request"] == "x:2"
    rows = list(csv.DictReader(io.StringIO(referrals_export.export(exported, "hashes"))))
    assert {(r["hash"], r["kind"]) for r in rows} == {("ab" * 32, "sha256"), ("cd" * 16, "md5")}
    assert rows[0]["item"] == "x:1" and rows[0]["label"] == "referred"
    tx = referrals_export.export(exported, "hashes", hash_format="threatexchange").splitlines()
    assert tx == [f"video_sha256 {'ab' * 32}", f"video_md5 {'cd' * 16}"]


def test_export_cli_writes_file(
    exported: sa.Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_referral_cli import run

    url = exported.url.render_as_string(hide_password=False)
    out = tmp_path / "bundle.json"
    assert run(["export", "stix", "--out", str(out), "--db", url]) == 0
    assert json.loads(out.read_text())["type"] == "bundle"
    capsys.readouterr()
    assert run(["export", "lumen", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out)["notices"]
    assert run(["export", "nonsense", "--db", url]) == 2
