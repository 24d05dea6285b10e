"""GET /api/v1/reports/charts: the console's copy of a report's charts is the report's own (the
same SVG as `openiru report`), its figures are the report's, and bad requests are one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.services.report import rendered as reports
from test_api_support import make_world
from test_statistics import S, build


def test_report_charts_route(
    sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    build(sqlite_engine, tmp_path)
    world = make_world(sqlite_engine)
    since, until = datetime(S.year, 1, 1, tzinfo=UTC), datetime(S.year + 1, 1, 1, tzinfo=UTC)
    q = f"since={since:%Y-%m-%dT%H:%M:%SZ}&until={until:%Y-%m-%dT%H:%M:%SZ}"
    got = world.client("analyst").get(f"/api/v1/reports/charts?kind=annual&{q}")
    assert got.status_code == 200, got.text
    body = got.json()
    doc = reports.annual(sqlite_engine, since=since, until=until)
    assert [c["svg"] for c in body["charts"]] == [svg for s in doc.sections for svg in s.charts]
    assert len(body["charts"]) >= 2 and all(c["svg"].startswith("<svg") for c in body["charts"])
    assert body["figures"] == json.loads(json.dumps(doc.figures, default=str))
    assert body["title"] == f"Annual report {S.year}"
    tco = world.client("auditor").get(f"/api/v1/reports/charts?kind=tco-art8&{q}").json()
    assert any("removal orders" in c["svg"] for c in tco["charts"])
    # one line for what cannot be built, 422 for an unknown kind, 403 for a provider
    bad = world.client("analyst").get("/api/v1/reports/charts?kind=action-day")
    assert bad.status_code == 400 and "operation" in bad.text
    assert world.client("analyst").get("/api/v1/reports/charts?kind=nonsense").status_code == 422
    assert world.client("provider").get("/api/v1/reports/charts").status_code == 403
