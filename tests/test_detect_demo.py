"""Done-when of detection: the demo's hash list, lexicon and known texts, imported through the
commands, find exactly the planted items (every variant) and no benign look-alike."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from openiru.cli import app
from openiru.demo.detect_step import score_against_truth
from openiru.demo.run import run_demo
from openiru.store.db import open_database

SCALE = 0.1


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    root = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{root / 'openiru.db'}"
    # one data folder for the import and the scan: image hashes are read from its media store
    env = pytest.MonkeyPatch()
    env.setenv("OPENIRU_DATA", str(root / "data"))
    try:
        engine = open_database(url)
        run = run_demo(engine, root / "out", seed=3, scale=SCALE, steps=False)
        engine.dispose()
        truth = run.build.ground_truth
        files = truth["files"]
        runner = CliRunner()
        out = root / "out"
        for args in (
            ["bank", "import", str(out / files["hash_list"]), "--bank", "demo"],
            ["lexicon", "import", str(out / files["lexicon"]), "--name", "demo"],
            ["known-texts", "import", str(out / files["known_texts"])],
            ["scan"],
        ):
            result = runner.invoke(app, [*args, "--db", url], catch_exceptions=False)
            assert result.exit_code == 0, result.output
    finally:
        env.undo()
    return url, truth


def test_every_variant_is_planted(demo: tuple[str, dict]) -> None:
    _, truth = demo
    assert {m["variant"] for m in truth["planted_media"]} >= {
        "original",
        "resized",
        "jpeg",
        "crop",
        "watermark",
    }
    assert {t["variant"] for t in truth["planted_texts"]} >= {
        "exact",
        "homoglyph",
        "diacritics",
        "edit",
        "reorder",
    }
    assert truth["planted_terms"]


@pytest.mark.parametrize("family", ["media", "text", "term"])
def test_exactly_the_planted_posts_are_found(demo: tuple[str, dict], family: str) -> None:
    url, truth = demo
    report = score_against_truth(open_database(url), truth)[family]
    assert report["missed"] == [] and report["extra"] == []
    assert report["found"] == report["planted"] > 0


def test_matched_items_are_the_planted_items(demo: tuple[str, dict]) -> None:
    url, truth = demo
    runner = CliRunner()
    result = runner.invoke(
        app, ["alerts", "--limit", "100000", "--json", "--db", url], catch_exceptions=False
    )
    alerts = {(a["post"]["platform"], a["post"]["post_id"]): a for a in json.loads(result.stdout)}
    for planted in truth["planted_media"]:
        alert = alerts[(planted["post"]["platform"], planted["post"]["post_id"])]
        items = {h["item"] for h in alert["hits"] if h["matcher"] in ("pdq", "md5", "sha256")}
        assert planted["item"] in items, planted
    for planted in truth["planted_texts"]:
        alert = alerts[(planted["post"]["platform"], planted["post"]["post_id"])]
        items = {h["item"] for h in alert["hits"] if h["matcher"] == "text"}
        assert items == {planted["item"]}, planted


def test_no_benign_lookalike_alerts(demo: tuple[str, dict]) -> None:
    url, truth = demo
    lookalikes = {(p["post"]["platform"], p["post"]["post_id"]) for p in truth.get("lookalikes", [])}
    assert lookalikes
    runner = CliRunner()
    result = runner.invoke(
        app, ["alerts", "--limit", "100000", "--json", "--db", url], catch_exceptions=False
    )
    flagged = {(a["post"]["platform"], a["post"]["post_id"]) for a in json.loads(result.stdout)}
    assert not (lookalikes & flagged)
