"""Media that are one content in different files are one item to coordination and copies (issue 18).

Two accounts post the same videos again and again, each a different encode (different files,
different SHA-256, frame hashes a few bits apart), within a minute of each other.  One video is
in a vPDQ bank (detection matched both encodes to its item); the others are in no bank and are
joined by their stored vPDQ signals.  A third account posts unrelated videos at the same
moments.  Loaded from the store, the two are one co-post group and the later poster copies the
first; the third account is in no group and its videos keep their own keys.  Posters whose OCR
text matched one known text share a key; a lexicon term, or a known text quoted in a document,
joins nothing.  The vPDQ signals are synthetic (random frame hashes, the encode with bits
flipped), so no ffmpeg is needed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from openiru.detect.video import VideoFrameHash, to_signal
from openiru.graph.coordination import find_coordination
from openiru.graph.features import find_copies
from openiru.graph.media_identity import item_key, same_content_keys
from openiru.services.graph.load import load_graph
from openiru.store import schema
from openiru.store import tables_media as tm
from openiru.store.tables_detect import detect_hits

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
RING = ["ring1", "ring2"]
ROUNDS = 5


def _signal(frames: np.ndarray) -> str:
    return to_signal([VideoFrameHash(bytes(f).hex(), 90, float(t)) for t, f in enumerate(frames)])


def _fill(engine: sa.Engine) -> None:
    rng = np.random.default_rng(18)
    words = random.Random(18)
    vocab = [f"word{i}" for i in range(2000)]
    accounts = [*RING, "other"]
    posts: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    post_media: list[dict[str, Any]] = []
    features: list[dict[str, Any]] = []
    hits: list[dict[str, Any]] = []

    def post(account: str, pid: str, at: datetime, key: str | None = None) -> None:
        posts.append({"platform": "x", "post_id": pid, "account_id": account, "timestamp": at, "raw": ""})
        posts[-1]["text"] = "" if key else " ".join(words.choice(vocab) for _ in range(12))
        if key:
            post_media.append({"platform": "x", "post_id": pid, "position": 0, "media_key": key})

    def video(key: str, frames: np.ndarray) -> None:
        media.append({"media_key": key, "sha256": key[-64:], "mime": "video/mp4", "missing": False})
        features.append(
            {"media_key": key, "vpdq": _signal(frames), "vpdq_frames": len(frames), "computed_at": T0}
        )

    for r in range(ROUNDS):
        frames = rng.integers(0, 256, size=(12, 32), dtype=np.uint8)
        encode = frames.copy()
        encode[:, :2] ^= 0x11  # 4 bits off per frame: another encode of the same video
        at = T0 + timedelta(hours=3 + 11 * r)
        for k, (account, version) in enumerate(zip(RING, (frames, encode), strict=True)):
            key = f"sha256:{r:02d}{k}" + "0" * 61
            video(key, version)
            post(account, f"{account}-v{r}", at + timedelta(seconds=40 * k), key)
            if r == 0:  # the first video is in a vPDQ bank: detection matched both encodes to it
                hits.append(
                    {"platform": "x", "post_id": f"{account}-v{r}", "matcher": "vpdq", "bank": "videos"}
                )
                hits[-1].update(
                    item_id=5,
                    item="release-1",
                    media_key=key,
                    strength=0.9,
                    suppressed=False,
                    created_at=T0,
                    detail=None,
                )
        key = f"sha256:{r:02d}9" + "0" * 61
        video(key, rng.integers(0, 256, size=(12, 32), dtype=np.uint8))  # unrelated, same moment
        post("other", f"other-v{r}", at + timedelta(seconds=20), key)
    for account in accounts:
        for j in range(20):
            post(account, f"{account}-bg{j}", T0 + timedelta(seconds=words.uniform(0, 3 * 86400)))
    # posters: two whose OCR text matched known text 9, one only holding a lexicon term, and a
    # document quoting known text 9 among others
    for k, (matcher, item, origin) in enumerate(
        [("text", 9, "ocr"), ("text", 9, "ocr"), ("term", 9, "ocr"), ("text", 9, "pdf")]
    ):
        key = f"sha256:p{k}" + "0" * 62
        media.append({"media_key": key, "sha256": key[-64:], "mime": "image/png", "missing": False})
        post("other", f"other-poster{k}", T0 + timedelta(days=4, minutes=k), key)
        hits.append({"platform": "x", "post_id": f"other-poster{k}", "matcher": matcher, "bank": "texts"})
        hits[-1].update(item_id=item, item=None, media_key=key, strength=0.9, suppressed=False, created_at=T0)
        hits[-1]["detail"] = {"origin": origin}
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schema.accounts),
            [{"platform": "x", "account_id": a, "handle": a, "status": "active"} for a in accounts],
        )
        conn.execute(sa.insert(schema.media), media)
        conn.execute(sa.insert(schema.posts), posts)
        conn.execute(sa.insert(schema.post_media), post_media)
        conn.execute(sa.insert(tm.media_features), features)
        conn.execute(sa.insert(detect_hits), hits)


def _keys(data: Any) -> dict[str, str]:
    """Post id -> the label of its media item."""
    c = data.content
    return {data.posts.post_id[p]: c.labels[i] for p, i in zip(c.post.tolist(), c.item.tolist(), strict=True)}


def test_two_encodes_of_one_video_are_one_item_to_coordination_and_copies(engine: sa.Engine) -> None:
    _fill(engine)
    data = load_graph(engine)
    keys = _keys(data)
    assert keys["ring1-v0"] == keys["ring2-v0"] == "media:item:videos/release-1"  # the bank's item
    for r in range(1, ROUNDS):  # no bank: joined by their vPDQ signals
        assert keys[f"ring1-v{r}"] == keys[f"ring2-v{r}"] == f"media:similar:sha256:{r:02d}0" + "0" * 61
        assert keys[f"other-v{r}"] == f"media:sha256:{r:02d}9" + "0" * 61  # unrelated: its own key
    ids = data.accounts.account_id
    groups = find_coordination(data, window=120, min_repeats=3)
    assert [(g.kind, sorted(ids[i] for i in g.accounts)) for g in groups] == [("co-post", RING)]
    assert groups[0].evidence["item_count"] == ROUNDS
    copies = find_copies(data)
    pairs = {(ids[c], ids[o]) for c, o in zip(copies.copier.tolist(), copies.origin.tolist(), strict=True)}
    assert pairs == {("ring2", "ring1")}
    assert len(copies.copier) == ROUNDS  # one copy of each video


def test_posters_matching_one_known_text_share_a_key_and_terms_join_nothing(engine: sa.Engine) -> None:
    _fill(engine)
    keys = _keys(load_graph(engine))
    assert (
        keys["other-poster0"] == keys["other-poster1"] == "media:item:texts/#9"
    )  # an item without a name: its id
    assert keys["other-poster2"] == "media:sha256:p2" + "0" * 62  # a lexicon term is not the content
    assert keys["other-poster3"] == "media:sha256:p3" + "0" * 62  # a document quoting the text is not it
    without = _keys(load_graph(engine, with_detection=False))  # structure only: no bank items
    assert without["other-poster0"] != without["other-poster1"]
    assert without["ring1-v1"] == without["ring2-v1"]  # the vPDQ signals still join the encodes


def test_same_content_keys_join_transitively_and_in_any_order() -> None:
    base = {"a": "sha256:a", "b": "pdq:b", "c": "sha256:c", "d": "sha256:d", "e": "sha256:e"}
    items = [("a", "item:v/3"), ("c", "item:v/2"), ("c", "item:v/3")]
    similar = [("b", "a"), ("d", "e"), ("x", "e")]  # "x" is not a posted medium
    expected = {
        "a": "item:v/2",  # joined to item 2 through c
        "b": "item:v/2",  # similar to a
        "c": "item:v/2",
        "d": "similar:sha256:d",
        "e": "similar:sha256:d",
    }
    assert same_content_keys(base, items, similar) == expected
    assert same_content_keys(base, items[::-1], similar[::-1]) == expected
    assert same_content_keys(base) == base
    # the PDQ, MD5 and OCR items `bank add` writes for one poster share its name: one key
    assert (
        item_key("posters", "known.png", 3) == item_key("posters", "known.png", 4) == "item:posters/known.png"
    )
    assert item_key("posters", None, 3) == "item:posters/#3"
