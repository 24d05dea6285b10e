"""Detection services on SQLite and PostgreSQL: banks, scan, retroactive matching,
suppression, quarantine, alerts, decisions and the detection_results contract."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw

from openiru.detect.pdq import pdq_of_file
from openiru.errors import PermissionDenied
from openiru.model import Account, AccountKey, Media, Post, PostKey
from openiru.services.access.users import add_user
from openiru.services.collect.ingest import ingest_source
from openiru.services.detect import alerts as detect_alerts
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import match as detect_match
from openiru.services.detect import scan as detect_scan
from openiru.services.detect.results import account_exemptions, flagged_posts
from openiru.sources.base import Record
from openiru.sources.media import hash_file
from source_support import ListSource

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _image(path: Path, seed: int, size: tuple[int, int] = (400, 300)) -> Path:
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle(
            (x, y, x + rng.randrange(40, 160), y + rng.randrange(40, 120)),
            fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    image.save(path, quality=92)
    return path


def _post(
    pid: str,
    account: str,
    text: str = "",
    media: list[Media] | None = None,
    platform: str = "testnet",
    minutes: int = 0,
) -> Post:
    return Post(
        PostKey(platform, pid),
        AccountKey(platform, account),
        T0 + timedelta(minutes=minutes),
        text=text,
        media=media or [],
    )


@pytest.fixture
def world(engine: sa.Engine, tmp_path: Path) -> dict[str, Path]:
    """Posts with a known image, a resized copy, an unrelated image, and some text."""
    return _make_world(engine, tmp_path)


@pytest.fixture
def world_sqlite(sqlite_engine: sa.Engine, tmp_path: Path) -> dict[str, Path]:
    """The same world on SQLite only (for tests whose storage paths the others cover)."""
    return _make_world(sqlite_engine, tmp_path)


def _make_world(engine: sa.Engine, tmp_path: Path) -> dict[str, Path]:
    known = _image(tmp_path / "known.jpg", 1)
    Image.open(known).resize((200, 150)).save(tmp_path / "resized.jpg", quality=80)
    other = _image(tmp_path / "other.jpg", 2)
    records: list[Record] = [
        Account(AccountKey("testnet", "a1"), handle="alpha", followers=5000),
        _post("1", "a1", "a plain post", [hash_file(known)]),
        _post("2", "a2", "resized copy", [hash_file(tmp_path / "resized.jpg")]),
        _post("3", "a3", "holiday picture", [hash_file(other)]),
        _post("4", "a3", "Bulletin of the Velmor Herald: the assembly meets at the northern gate tonight."),
        _post("5", "a4", "weather is fine today"),
        _post("-100123/45", "chan", "forwarded #SilverDawn item", platform="telegram"),
    ]
    ingest_source(engine, ListSource(records))
    add_user(engine, "ana", "analyst")
    add_user(engine, "lia", "liaison", agency="X")
    return {"known": known, "other": other, "dir": tmp_path}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _records(engine: sa.Engine, bank: str) -> list:
    with engine.connect() as conn:
        return detect_banks.bank_records(conn, bank)


def _open_alert_posts(engine: sa.Engine) -> set[str]:
    return {a["id"] for a in detect_alerts.list_alerts(engine, limit=None)}


def test_hash_list_formats_import_and_export(engine: sa.Engine, tmp_path: Path) -> None:
    pdq = "f" * 64
    d = tmp_path
    plain = detect_banks.import_hash_list(
        engine, _write(d / "p.txt", f"# list\n{pdq}\nnot-a-hash\n"), "plain", kind="pdq"
    )
    assert (plain.added, plain.errors) == (1, 1)
    csv_text = (
        "hash,kind,organisation,outlet,item,source\n"
        f"{'a' * 64},pdq,Order,Herald,img-1,unit\n{'b' * 32},md5,Order,Herald,vid-1,unit\n"
        f"{'c' * 64},sha256,Order,Herald,file-1,unit\n{'zz'},md5,,,bad,\n"
    )
    summary = detect_banks.import_hash_list(engine, _write(d / "h.csv", csv_text), "demo")
    assert (summary.added, summary.errors) == (3, 1)
    again = detect_banks.import_hash_list(engine, d / "h.csv", "demo")
    assert (again.added, again.existing) == (0, 3)
    tx = detect_banks.import_hash_list(
        engine, _write(d / "tx.txt", f"pdq {'1' * 64}\nvideo_md5 {'2' * 32}\n"), "tx"
    )
    assert tx.added == 2
    tat = {
        "count": 3,
        "next": None,
        "previous": None,
        "checkpoint": "c1",
        "results": [
            {
                "hash_digest": "3" * 64,
                "algorithm": "PDQ",
                "ideology": "islamist",
                "file_type": "jpg",
                "deleted": False,
                "updated_on": 1.0,
                "created_on": "2024-01-01",
                "id": 7,
            },
            {
                "hash_digest": "4" * 32,
                "algorithm": "MD5",
                "ideology": "far-right",
                "file_type": "mp4",
                "deleted": False,
                "updated_on": 1.0,
                "created_on": "2024-01-01",
                "id": 8,
            },
        ],
    }
    assert detect_banks.import_hash_list(engine, _write(d / "tat.json", json.dumps(tat)), "tat").added == 2
    tat["results"][0]["deleted"] = True
    assert detect_banks.import_hash_list(engine, _write(d / "tat2.json", json.dumps(tat)), "tat").removed == 1
    texts = detect_banks.import_known_texts(
        engine,
        _write(
            d / "k.jsonl",
            json.dumps({"id": "t1", "text": "a known text of some length", "language": "en", "label": "x"})
            + "\n{bad\n",
        ),
    )
    assert (texts.added, texts.errors) == (1, 1)
    banks = {b["name"]: b for b in detect_banks.list_banks(engine)}
    assert banks["demo"]["kinds"] == {"md5": 1, "pdq": 1, "sha256": 1}
    assert banks["tat"]["items"] == 1 and banks["known-texts"]["kinds"] == {"text": 1}
    exported = detect_banks.export_bank(engine, "demo", "csv").splitlines()
    assert exported[0].startswith("hash,kind,organisation,outlet,item,source")
    assert f"{'a' * 64},pdq,Order,Herald,img-1,unit" in "\n".join(exported)
    assert detect_banks.export_bank(engine, "tx", "threatexchange").splitlines() == [
        f"pdq {'1' * 64}",
        f"video_md5 {'2' * 32}",
    ]
    # an exported TAT page imports again into another bank with the same hashes
    _write(d / "tat_out.json", detect_banks.export_bank(engine, "demo", "tat"))
    assert detect_banks.import_hash_list(engine, d / "tat_out.json", "roundtrip").added == 3
    assert {r.value for r in _records(engine, "roundtrip")} == {r.value for r in _records(engine, "demo")}


def test_scan_finds_media_and_text_and_only_scans_unscanned(
    engine: sa.Engine, world: dict[str, Path]
) -> None:
    pdq, _ = pdq_of_file(world["known"])
    d = world["dir"]
    detect_banks.import_hash_list(
        engine, _write(d / "b.csv", f"hash,kind,item\n{pdq},pdq,known-image\n"), "img"
    )
    first = detect_scan.scan(engine)
    assert first.posts == 6 and first.media_hashed == 3
    assert _open_alert_posts(engine) == {"testnet:1", "testnet:2"}
    assert detect_scan.scan(engine).posts == 0  # nothing new
    alerts = {a["id"]: a for a in detect_alerts.list_alerts(engine)}
    hit = alerts["testnet:2"]["hits"][0]
    assert hit["matcher"] == "pdq" and hit["bank"] == "img" and hit["item"] == "known-image"
    assert 0 < hit["distance"] <= 31
    assert alerts["testnet:1"]["hits"][0]["distance"] == 0
    assert alerts["testnet:1"]["account"] == {"platform": "testnet", "account_id": "a1"}
    people = {a["id"]: a for a in detect_alerts.list_alerts(engine, limit=None, people=True)}
    assert set(people["testnet:1"]["account"]) == {"platform", "account_id", "handle", "display_name"}
    # a lexicon and known texts change the ruleset: old posts are matched again
    _write(
        d / "lex.csv", "term,language,kind,label\n#SilverDawn,en,hashtag,org\nVelmor Herald,en,outlet,org\n"
    )
    detect_banks.import_lexicon(engine, d / "lex.csv", "lex")
    again = detect_scan.scan(engine)
    assert again.posts == 5  # posts holding the new terms' words and posts with media, not "weather is fine"
    assert _open_alert_posts(engine) == {"testnet:1", "testnet:2", "testnet:4", "telegram:-100123/45"}
    term_hit = next(a for a in detect_alerts.list_alerts(engine) if a["id"] == "testnet:4")["hits"][0]
    text = "Bulletin of the Velmor Herald: the assembly meets at the northern gate tonight."
    assert term_hit["term"] == "Velmor Herald" and text[slice(*term_hit["span"])] == "Velmor Herald"


def test_ingest_hook_scans_new_posts_during_import(
    sqlite_engine: sa.Engine, world_sqlite: dict[str, Path]
) -> None:
    engine, world = sqlite_engine, world_sqlite
    d = world["dir"]
    _write(d / "lex.csv", "term,language,kind,label\nnorthern gate,en,term,org\n")
    detect_banks.import_lexicon(engine, d / "lex.csv")
    detect_scan.scan(engine)
    ingest_source(engine, ListSource([_post("9", "a9", "meet at the Northern   Gate", minutes=5)]))
    with engine.connect() as conn:
        scanned = conn.execute(sa.text("select scanned_at from posts where post_id='9'")).scalar()
    assert scanned is not None
    assert "testnet:9" in _open_alert_posts(engine)
    assert detect_scan.scan(engine).posts == 0


def test_suppression_bank_vetoes_a_match(sqlite_engine: sa.Engine, world_sqlite: dict[str, Path]) -> None:
    engine, world = sqlite_engine, world_sqlite
    pdq, _ = pdq_of_file(world["known"])
    d = world["dir"]
    detect_banks.import_hash_list(engine, _write(d / "m.txt", pdq + "\n"), "img", kind="pdq")
    detect_banks.import_hash_list(
        engine, _write(d / "s.txt", pdq + "\n"), "fp", kind="pdq", purpose="suppression"
    )
    detect_scan.scan(engine)
    assert _open_alert_posts(engine) == set()
    with engine.connect() as conn:
        suppressed = conn.execute(sa.text("select count(*) from detect_hits where suppressed")).scalar()
    assert suppressed >= 4  # the match and the suppression hit on both copies


def test_a_sudden_spike_is_quarantined(sqlite_engine: sa.Engine, world_sqlite: dict[str, Path]) -> None:
    engine, world = sqlite_engine, world_sqlite
    d = world["dir"]
    detect_banks.import_hash_list(
        engine,
        _write(d / "k.jsonl", json.dumps({"id": "t", "text": "common phrase number 1"}) + "\n"),
        "texts",
        fmt="jsonl",
        kind="text",
        text_min_similarity=0.5,
    )
    # a new item has no history yet: its first scan never quarantines it
    assert detect_scan.scan(engine, quarantine_min=1, quarantine_factor=1).quarantined == []
    spike = [_post(f"s{i}", f"u{i}", f"common phrase number {i}") for i in range(12)]
    ingest_source(engine, ListSource(spike), after_batch=())
    summary = detect_scan.scan(engine, batch_size=5, quarantine_min=6, quarantine_factor=3)
    assert len(summary.quarantined) == 1
    banks = {b["name"]: b for b in detect_banks.list_banks(engine)}
    assert banks["texts"]["quarantined"] == 1
    assert len(_open_alert_posts(engine)) < 12  # once quarantined, the item's matches stop alerting
    detect_alerts.release_item(engine, summary.quarantined[0], "ana")
    detect_scan.scan(engine, quarantine_min=1000)
    assert len(_open_alert_posts(engine)) == 12


def test_decisions_feedback_and_results_contract(engine: sa.Engine, world: dict[str, Path]) -> None:
    pdq, _ = pdq_of_file(world["known"])
    d = world["dir"]
    detect_banks.import_hash_list(engine, _write(d / "m.txt", pdq + "\n"), "img", kind="pdq")
    _write(d / "lex.csv", "term,language,kind,label\n#SilverDawn,en,hashtag,org\n")
    detect_banks.import_lexicon(engine, d / "lex.csv")
    detect_scan.scan(engine)
    with pytest.raises(PermissionDenied):
        detect_alerts.decide(engine, "testnet:1", "confirm", actor="lia")
    with pytest.raises(PermissionDenied):
        detect_alerts.decide(engine, "testnet:1", "confirm", actor=None)
    done = detect_alerts.decide(engine, "telegram:-100123/45", "reject", "Journalism", actor="ana")
    assert done["post"] == {"platform": "telegram", "post_id": "-100123/45"}
    assert done["exemption"] == "journalism"
    detect_alerts.decide(engine, "testnet:1", "confirm", actor="ana", add_to_bank="confirmed")
    # rejecting the resized copy and suppressing its hash: the copy never alerts again
    detect_alerts.decide(engine, "testnet:2", "reject", "false-positive", actor="ana", suppress=True)
    with engine.connect() as conn:
        flagged = {(f.platform, f.post_id): f for f in flagged_posts(conn)}
        exemptions = account_exemptions(conn)
    assert flagged[("telegram", "-100123/45")].status == "rejected"
    assert flagged[("telegram", "-100123/45")].exemption == "journalism"
    assert flagged[("testnet", "1")].status == "confirmed" and 0 < flagged[("testnet", "1")].strength <= 1
    assert flagged[("testnet", "2")].exemption is None
    assert exemptions == {("telegram", "chan"): "journalism"}
    banks = {b["name"]: b for b in detect_banks.list_banks(engine)}
    assert banks["confirmed"]["kinds"] == {"md5": 1, "pdq": 1}
    assert banks["suppressed"]["purpose"] == "suppression"
    assert detect_scan.scan(engine).posts == 6  # the feedback changed the ruleset: retroactive
    statuses = {a["id"]: a["status"] for a in detect_alerts.list_alerts(engine, status="all", limit=None)}
    assert statuses["testnet:1"] == "confirmed" and statuses["telegram:-100123/45"] == "rejected"
    with engine.connect() as conn:
        live = conn.execute(
            sa.text("select count(*) from detect_hits where post_id='2' and not suppressed and matcher='pdq'")
        ).scalar()
    assert live == 0


def test_match_service_hashes_files_and_texts(
    sqlite_engine: sa.Engine, world_sqlite: dict[str, Path]
) -> None:
    engine, world = sqlite_engine, world_sqlite
    pdq, _ = pdq_of_file(world["known"])
    d = world["dir"]
    detect_banks.import_hash_list(
        engine, _write(d / "m.csv", f"hash,kind,item,label\n{pdq},pdq,img-1,org\n"), "img"
    )
    detect_banks.import_known_texts(
        engine,
        _write(
            d / "k.jsonl",
            json.dumps(
                {"id": "t1", "text": "the assembly meets at the northern gate tonight", "label": "org"}
            )
            + "\n",
        ),
    )
    results = list(
        detect_match.match(
            engine,
            [
                pdq,
                str(d / "resized.jpg"),
                str(world["other"]),
                "The assembly meets at the northern gate tonight!",
                "0" * 64,
            ],
        )
    )
    assert [r["kind"] for r in results] == ["pdq", "file", "file", "text", "pdq"]
    assert results[0]["matches"][0] | {} == results[0]["matches"][0]
    assert (
        results[0]["matches"][0]["bank"],
        results[0]["matches"][0]["item"],
        results[0]["matches"][0]["distance"],
    ) == ("img", "img-1", 0)
    assert results[1]["matches"][0]["item"] == "img-1" and results[1]["matches"][0]["distance"] <= 31
    assert results[2]["matches"] == [] and results[4]["matches"] == []
    assert results[3]["matches"][0]["item"] == "t1" and results[3]["matches"][0]["similarity"] >= 0.8
    # the second look-up comes from the packed cache and says the same
    again = list(detect_match.match(engine, [pdq]))
    assert again[0]["matches"] == results[0]["matches"]


def test_classifier_trained_from_decisions_scores_posts(sqlite_engine: sa.Engine) -> None:
    from openiru.services.detect import classifier as detect_classifier

    engine = sqlite_engine
    add_user(engine, "ana", "analyst")
    flagged = [
        "Bulletin of the Velmor Herald: join the assembly",
        "The Ashen Meridian order calls the ranks",
        "Velmor Herald statement: share the bulletin",
        "Order of the Ashen Meridian bulletin tonight",
        "Join the Meridian ranks, read the Herald",
        "Ashen order assembly bulletin from the Herald",
    ]
    benign = [
        "The bakery on the corner sells fresh bread",
        "Our team won the football match on Sunday",
        "Rain is expected tomorrow in the valley",
        "The concert in the park starts at eight",
        "Tomatoes grow well on sunny balconies",
        "The library opens a new reading room",
    ]
    posts = (
        [_post(f"f{i}", "core", t) for i, t in enumerate(flagged)]
        + [_post(f"b{i}", "town", t) for i, t in enumerate(benign)]
        + [_post("new1", "core", "Velmor Herald bulletin: the ranks of the Ashen order assemble")]
    )
    ingest_source(engine, ListSource(posts))
    for i in range(len(flagged)):
        detect_alerts.decide(engine, f"testnet:f{i}", "confirm", actor="ana")
    for i in range(len(benign)):
        detect_alerts.decide(engine, f"testnet:b{i}", "reject", "false-positive", actor="ana")
    result = detect_classifier.train(engine, "ana", folds=3)
    assert result["version"] == 1 and result["n_samples"] == 12
    assert set(result["metrics"]["per_language"]) == {"en"}
    assert detect_classifier.list_models(engine)[0]["active"]
    detect_scan.scan(engine, rescan=True)
    alert = next(
        a
        for a in detect_alerts.list_alerts(engine, uncertain=True, status="all", limit=None)
        if a["id"] == "testnet:new1"
    )
    assert alert["model_probability"] > 0.5
    assert alert["hits"][0]["matcher"] == "classifier"
