"""Detection assets the demo writes beside its exports, in the formats DEVELOPERS.md fixes.

* ``hashes.csv``: ``hash,kind,organisation,outlet,item,source``, one PDQ, one MD5
  and one SHA-256 row per known image (the images themselves go to ``bank/``);
* ``lexicon.csv``: ``term,language,kind,label``;
* ``known_texts.jsonl``: one ``{"id", "text", "language", "label"}`` per line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson

from .images import KnownImage
from .known_texts import KnownText
from .texts_org import LEXICON, ORGANISATION

SOURCE = "openiru-demo"
HASH_LIST = "hashes.csv"
LEXICON_FILE = "lexicon.csv"
KNOWN_TEXTS = "known_texts.jsonl"


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_assets(out: Path, images: list[KnownImage], texts: list[KnownText]) -> dict[str, str]:
    rows = [["hash", "kind", "organisation", "outlet", "item", "source"]]
    for image in images:
        for kind, value in (("pdq", image.pdq), ("md5", image.md5), ("sha256", image.sha256)):
            rows.append([value, kind, ORGANISATION, image.outlet, image.item, SOURCE])
    (out / HASH_LIST).write_bytes(_csv(rows))
    bank = out / "bank"
    bank.mkdir(parents=True, exist_ok=True)
    for image in images:
        (bank / f"{image.item}.jpg").write_bytes(image.data)
    lexicon = [["term", "language", "kind", "label"]]
    lexicon += [[term, language, kind, ORGANISATION] for term, language, kind in LEXICON]
    (out / LEXICON_FILE).write_bytes(_csv(lexicon))
    with open(out / KNOWN_TEXTS, "wb") as fh:
        for text in texts:
            fh.write(
                orjson.dumps(
                    {"id": text.item, "text": text.text, "language": text.language, "label": text.label}
                )
                + b"\n"
            )
    return {"hash_list": HASH_LIST, "lexicon": LEXICON_FILE, "known_texts": KNOWN_TEXTS}
