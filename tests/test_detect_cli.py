"""The detection commands' exact CLI and JSON contracts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openiru.cli import app
from openiru.model import AccountKey, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.store.db import open_database
from source_support import ListSource

runner = CliRunner()
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def db(sqlite_url: str) -> str:
    engine = open_database(sqlite_url)
    ingest_source(
        engine,
        ListSource(
            [
                Post(
                    PostKey("telegram", "-1001/7"),
                    AccountKey("telegram", "chan1"),
                    T0,
                    text="Read the Velmor Herald bulletin now",
                ),
                Post(PostKey("x", "55"), AccountKey("x", "u55"), T0, text="nothing to see here"),
                Post(
                    PostKey("x", "56"),
                    AccountKey("x", "u56"),
                    T0,
                    text="Donate: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                ),
                Post(
                    PostKey("x", "57"),
                    AccountKey("x", "u57"),
                    T0,
                    text="also bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                ),
            ]
        ),
    )
    engine.dispose()
    run("user", "add", "ana", "--role", "analyst", "--db", sqlite_url)
    return sqlite_url


def test_bank_lexicon_scan_alerts_decide(db: str, tmp_path: Path) -> None:
    hashes = tmp_path / "hashes.csv"
    hashes.write_text(
        "hash,kind,organisation,outlet,item,source\n" + "ab" * 32 + ",pdq,Org,Herald,img-1,unit\n"
    )
    imported = json.loads(run("bank", "import", str(hashes), "--bank", "demo", "--json", "--db", db))
    assert imported["added"] == 1
    banks = json.loads(run("bank", "list", "--json", "--db", db))
    assert banks[0]["name"] == "demo" and banks[0]["items"] == 1
    assert run("bank", "export", "--bank", "demo", "--db", db).splitlines()[1].startswith("ab" * 32 + ",pdq")
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("term,language,kind,label\nVelmor Herald,en,outlet,org\n", encoding="utf-8")
    run("lexicon", "import", str(lexicon), "--name", "demo", "--db", db)
    summary = json.loads(run("scan", "--json", "--db", db))
    assert summary["posts"] == 4 and summary["alerts"] == 1
    alerts = json.loads(run("alerts", "--limit", "10", "--json", "--db", db))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["post"] == {"platform": "telegram", "post_id": "-1001/7"}
    assert alert["account"] == {
        "platform": "telegram",
        "account_id": "chan1",
        "handle": None,
        "display_name": None,
    }
    assert isinstance(alert["priority"], float)
    hit = alert["hits"][0]
    assert hit["matcher"] == "term" and hit["term"] == "Velmor Herald" and hit["span"] == [9, 22]
    assert {"matcher", "bank", "item", "label"} <= set(hit)
    run("decide", "telegram:-1001/7", "reject", "--reason", "research", "--as", "ana", "--db", db)
    assert json.loads(run("alerts", "--json", "--db", db)) == []
    decided = json.loads(run("alerts", "--status", "rejected", "--json", "--db", db))
    assert decided[0]["reason"] == "research" and decided[0]["decided_by"] == "ana"
    run("decide", "x:55", "confirm", "--db", db, env={"OPENIRU_USER": "ana"})
    links = json.loads(run("alerts", "--links", "wallet", "--json", "--db", db))
    assert (
        links[0]["value"] == "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" and len(links[0]["accounts"]) == 2
    )


def test_decide_needs_an_analyst(db: str) -> None:
    result = runner.invoke(app, ["decide", "x:55", "confirm", "--db", db])
    assert result.exit_code != 0


def test_match_one_object_per_input(db: str, tmp_path: Path) -> None:
    near = "ab" * 31 + "aa"  # 1 bit from the banked hash
    bank = tmp_path / "b.txt"
    bank.write_text("ab" * 32 + "\n")
    run("bank", "import", str(bank), "--bank", "b", "--kind", "pdq", "--db", db)
    queries = tmp_path / "q.txt"
    queries.write_text(f"{near}\n{'00' * 32}\n")
    lines = run("match", "--from-file", str(queries), "--kind", "pdq", "--json", "--db", db).splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["input"] for o in objects] == [near, "00" * 32]
    assert objects[0]["matches"][0]["bank"] == "b" and objects[0]["matches"][0]["distance"] == 1
    assert "item" in objects[0]["matches"][0] and "label" in objects[0]["matches"][0]
    assert objects[1]["matches"] == []
