"""A ZeroNet ZeroBlog site folder, laid out as ZeroNet keeps it on disk.

``<site address>/content.json`` (address, title, files with ``sha512`` (the
first 64 hex digits, as ZeroNet computes it) and ``size``, includes, modified,
signs), ``data/data.json`` with the blog's ``post`` list, and per commenter
``data/users/<auth address>/content.json`` (with ``cert_user_id``) and
``data.json`` (the ``comment`` list).  Signatures are random bytes in the real
encoding: the demo holds no keys.
"""

from __future__ import annotations

import base64
import hashlib
import random
from pathlib import Path
from typing import Any

import orjson

from .records import DemoAccount, DemoPost
from .wallets import bitcoin_legacy
from .world import END


def _dump(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2)


def _sig(rng: random.Random) -> str:
    return base64.b64encode(rng.randbytes(65)).decode()


def auth_addresses(seed: int, accounts: list[DemoAccount]) -> dict[str, str]:
    rng = random.Random(f"zeronet-auth-{seed}")
    return {a.account_id: bitcoin_legacy(rng) for a in accounts}


def assign_zeronet_ids(site: str, posts: list[DemoPost], auth: dict[str, str]) -> None:
    """Post ids as ZeroNet's own URIs name them: ``<site>/post/<id>``, ``<site>/comment/<id>_<auth>``."""
    counters: dict[str, int] = {}
    for p in sorted(posts, key=lambda p: p.time):
        if p.reply_to is None:
            p.post_id = f"{site}/post/{p.message_id}"
        else:
            address = auth[p.account.account_id]
            counters[address] = counters.get(address, 0) + 1
            p.message_id = counters[address]
            p.post_id = f"{site}/comment/{p.message_id}_{address}"


def write_zeronet(site: str, seed: int, posts: list[DemoPost], auth: dict[str, str], out_root: Path) -> Path:
    rng = random.Random(f"zeronet-sign-{seed}")
    root = out_root / "zeronet" / site
    files: dict[str, bytes] = {}
    blog = sorted((p for p in posts if p.reply_to is None), key=lambda p: p.message_id)
    files["data/data.json"] = _dump(
        {
            "title": "Velmor Herald mirror",
            "description": "Bulletins, mirrored.",
            "links": "",
            "next_post_id": len(blog) + 1,
            "demo": False,
            "modified": int(END.timestamp()),
            "post": [
                {
                    "post_id": p.message_id,
                    "title": p.title,
                    "date_published": p.time.timestamp(),
                    "body": p.text,
                }
                for p in reversed(blog)
            ],
        }
    )
    by_user: dict[str, list[DemoPost]] = {}
    for p in posts:
        if p.reply_to is not None:
            by_user.setdefault(p.account.account_id, []).append(p)
    includes: dict[str, Any] = {}
    for cert, comments in sorted(by_user.items()):
        address = auth[cert]
        comments.sort(key=lambda p: p.message_id)
        data = _dump(
            {
                "next_comment_id": len(comments) + 1,
                "comment": [
                    {
                        "comment_id": p.message_id,
                        "body": p.text,
                        "post_id": p.reply_to.message_id if p.reply_to else 0,
                        "date_added": int(p.time.timestamp()),
                    }
                    for p in comments
                ],
                "comment_vote": {},
            }
        )
        modified = int(max(p.time for p in comments).timestamp())
        user_content = _dump(
            {
                "address": site,
                "cert_auth_type": "web",
                "cert_sign": _sig(rng),
                "cert_user_id": cert,
                "files": {"data.json": {"sha512": hashlib.sha512(data).hexdigest()[:64], "size": len(data)}},
                "inner_path": f"data/users/{address}/content.json",
                "modified": modified,
                "signs": {address: _sig(rng)},
            }
        )
        files[f"data/users/{address}/data.json"] = data
        files[f"data/users/{address}/content.json"] = user_content
    files["data/users/content.json"] = _dump(
        {
            "address": site,
            "files": {},
            "inner_path": "data/users/content.json",
            "modified": int(END.timestamp()),
            "signs": {site: _sig(rng)},
            "user_contents": {
                "cert_signers": {"zeroid.bit": ["1iD5ZQJMNXu43w1qLB8sfdHVKppVMduGz"]},
                "permission_rules": {".*": {"files_allowed": "data.json", "max_size": 10000}},
                "permissions": {},
            },
        }
    )
    includes["data/users/content.json"] = {"signers": [], "signers_required": 1}
    index = b"<!DOCTYPE html><html><head><title>Velmor Herald mirror</title></head><body></body></html>\n"
    files["index.html"] = index
    listed = {
        path: {"sha512": hashlib.sha512(data).hexdigest()[:64], "size": len(data)}
        for path, data in sorted(files.items())
        if not path.startswith("data/users/")
    }
    content = {
        "address": site,
        "background-color": "white",
        "description": "Bulletins, mirrored.",
        "files": listed,
        "ignore": "((js|css)/(?!all.(js|css))|data/.*db|data/users/.*/.*)",
        "includes": includes,
        "inner_path": "content.json",
        "modified": int(END.timestamp()),
        "postmessage_nonce_security": True,
        "signers_sign": _sig(rng),
        "signs": {site: _sig(rng)},
        "title": "Velmor Herald mirror",
        "zeronet_version": "0.7.1",
    }
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (root / "content.json").write_bytes(_dump(content))
    return root
