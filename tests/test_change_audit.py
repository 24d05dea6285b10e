"""Audit entries with their actor for bank, lexicon and known-text imports, classifier training
and graph seeds (issue 19, deliverable 5): service, command line (--as or local:NAME) and API."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from openiru.cli import app
from openiru.errors import PermissionDenied
from openiru.services.access import audit
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import classifier as detect_classifier
from openiru.services.graph import analysis as graph
from test_api_support import make_world

PDQ = "f" * 63 + "0"


def _entries(engine: sa.Engine, action: str) -> list[dict[str, Any]]:
    return [e for e in audit.entries(engine) if e["action"] == action]


def _files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "in").mkdir()
    files = {
        "hashes": tmp_path / "in" / "hashes.txt",
        "lexicon": tmp_path / "in" / "terms.csv",
        "texts": tmp_path / "in" / "texts.txt",
    }
    files["hashes"].write_text(PDQ + "\n" + "e" * 64 + "\n", "utf-8")
    files["lexicon"].write_text("term,language,kind,label\nVelmor Herald,en,outlet,fictional\n", "utf-8")
    files["texts"].write_text("A neutral placeholder text of the Velmor Herald.\n", "utf-8")
    return files


def test_imports_are_audited_with_their_actor_and_no_server_path(
    sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    files = _files(tmp_path)
    detect_banks.import_hash_list(sqlite_engine, files["hashes"], "img", kind="pdq", actor="ana")
    detect_banks.import_lexicon(sqlite_engine, files["lexicon"], "demo", actor="ana")
    detect_banks.import_known_texts(sqlite_engine, files["texts"], "known", actor="bob")
    detect_banks.import_hash_list(sqlite_engine, files["hashes"], "img", kind="pdq")  # an internal caller
    banks = _entries(sqlite_engine, "bank.import")
    assert [(e["actor"], e["object_id"], e["details"]["added"], e["details"]["existing"]) for e in banks] == [
        ("ana", "img", 2, 0),
        ("bob", "known", 1, 0),
        ("system", "img", 0, 2),
    ]
    [lexicon] = _entries(sqlite_engine, "lexicon.import")
    assert (lexicon["actor"], lexicon["object_type"], lexicon["object_id"]) == ("ana", "lexicon", "demo")
    assert lexicon["details"] == {"file": "terms.csv", "added": 1, "existing": 0, "removed": 0, "errors": 0}
    assert str(tmp_path) not in str(audit.entries(sqlite_engine))
    assert audit.verify(sqlite_engine).ok


def test_a_failed_import_leaves_no_entry(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no such file"):
        detect_banks.import_hash_list(sqlite_engine, tmp_path / "absent.txt", "img", actor="ana")
    assert _entries(sqlite_engine, "bank.import") == []


def test_classifier_training_is_audited(sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"Velmor Herald bulletin number {i} calls the ranks" for i in range(6)] + [
        f"The bakery sells fresh bread on day {i}" for i in range(6)
    ]
    monkeypatch.setattr(
        detect_classifier, "training_data", lambda conn: (texts, [1] * 6 + [0] * 6, ["en"] * 12)
    )
    result = detect_classifier.train(sqlite_engine, "ana", folds=3)
    [entry] = _entries(sqlite_engine, "classifier.train")
    assert (entry["actor"], entry["object_id"]) == ("ana", str(result["version"]))
    assert entry["details"]["n_samples"] == 12


def test_graph_seeds_are_audited(sqlite_engine: sa.Engine) -> None:
    graph.add_seed(sqlite_engine, "testnet", "42", "ana", "known community account")
    graph.remove_seed(sqlite_engine, "testnet", "42", "bob")
    got = [(e["action"], e["actor"], e["object_id"]) for e in audit.entries(sqlite_engine, "account")]
    assert got == [("graph.seed_add", "ana", "testnet:42"), ("graph.seed_remove", "bob", "testnet:42")]


def test_cli_records_as_or_the_local_account(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENIRU_USER", raising=False)
    files = _files(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, [*args, "--db", sqlite_url])

    assert run("user", "add", "ana", "--role", "analyst").exit_code == 0
    assert run("bank", "import", str(files["hashes"]), "--bank", "img", "--kind", "pdq").exit_code == 0
    assert run("lexicon", "import", str(files["lexicon"]), "--name", "demo", "--as", "ana").exit_code == 0
    refused = run("known-texts", "import", str(files["texts"]), "--as", "nobody")  # an unknown user
    assert isinstance(refused.exception, PermissionDenied)
    assert run("seed", "add", "testnet", "7").exit_code == 0
    engine = sa.create_engine(sqlite_url)
    try:
        got = [
            (e["action"], e["actor"])
            for e in audit.entries(engine)
            if e["action"] in ("bank.import", "lexicon.import", "graph.seed_add")
        ]
    finally:
        engine.dispose()
    local = f"local:{getpass.getuser()}"
    assert got == [("bank.import", local), ("lexicon.import", "ana"), ("graph.seed_add", local)]


def test_api_records_the_principal(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    files = _files(tmp_path)
    world = make_world(sqlite_engine)
    client = world.client("analyst")
    with files["hashes"].open("rb") as fh:
        res = client.post(
            "/api/v1/banks/img/import", files={"file": ("hashes.txt", fh)}, data={"kind": "pdq"}
        )
    assert res.status_code == 200, res.text
    assert (
        client.post("/api/v1/graph/seeds", json={"platform": "testnet", "account_id": "9"}).status_code == 201
    )
    assert (
        client.delete("/api/v1/graph/seeds", params={"platform": "testnet", "account_id": "9"}).status_code
        == 200
    )
    got = [
        (e["action"], e["actor"])
        for e in audit.entries(sqlite_engine)
        if e["action"] in ("bank.import", "graph.seed_add", "graph.seed_remove")
    ]
    assert got == [
        ("bank.import", "analyst"),
        ("graph.seed_add", "analyst"),
        ("graph.seed_remove", "analyst"),
    ]
