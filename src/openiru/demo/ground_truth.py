"""The ground truth the demo planted, as ``ground_truth.json`` (schema in DEVELOPERS.md).

Keys beyond the fixed schema are additions (``lookalikes``, group ``posts``,
``platform`` and ``window_seconds``, account ``display_name`` and ``language``,
``timeline``) that later issues may use; none of the fixed keys changes.

``planted_terms`` is found by scanning the text of every post exactly as it
was written to the export (a retweet's truncated ``RT @user:`` text included)
after a light normalisation (NFKC, case folding, Arabic diacritics and tatweel
removed, Latin/Cyrillic look-alikes folded): every whole-word occurrence of a
lexicon term, with the poster's stance (the organisation's content or a
critical mention) so the exemption cases can be scored separately.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .coordination import WINDOW, Group
from .known_texts import ARABIC_DIACRITICS, CYRILLIC_TO_LATIN, LATIN_TO_CYRILLIC, TATWEEL
from .records import DemoAccount, DemoPost
from .texts_org import LEXICON, ORGANISATION
from .world import CHAT_HOST, END, FILE_HOST, MIGRATION_START, START, World
from .write_telegram import ANALYST_USER_ID

_TO_LATIN = str.maketrans({**{v: k for k, v in LATIN_TO_CYRILLIC.items()}})
_TO_CYRILLIC = str.maketrans({**{v: k for k, v in CYRILLIC_TO_LATIN.items()}})
_STRIP = str.maketrans({c: None for c in (*ARABIC_DIACRITICS, TATWEEL)})


def iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def folds(text: str) -> tuple[str, str]:
    base = unicodedata.normalize("NFKC", text).casefold().translate(_STRIP)
    return base.translate(_TO_LATIN), base.translate(_TO_CYRILLIC)


def _alternation(index: int) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex over every term (folded one way), and folded form -> term."""
    by_fold = {folds(term)[index]: term for term, _language, _kind in LEXICON}
    body = "|".join(re.escape(f) for f in sorted(by_fold, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + body + r")(?!\w)"), by_fold


_PATTERNS = (_alternation(0), _alternation(1))


def terms_in(text: str) -> list[str]:
    """Lexicon terms occurring as whole words in ``text`` (after folding), in lexicon order."""
    found: set[str] = set()
    for (pattern, by_fold), folded in zip(_PATTERNS, folds(text), strict=True):
        found.update(by_fold[m.group(0)] for m in pattern.finditer(folded))
    return [term for term, _language, _kind in LEXICON if term in found]


def key(account: DemoAccount) -> dict[str, str]:
    return account.key


def build_ground_truth(
    world: World,
    posts: list[DemoPost],
    groups: list[Group],
    lookalikes: list[tuple[DemoPost, str, str]],
    files: dict[str, str],
) -> dict[str, Any]:
    real = [p for p in posts if not p.system]
    accounts = [
        {
            "platform": a.platform,
            "account_id": a.account_id,
            "handle": a.handle,
            "role": a.role,
            "community": a.community,
            "status": a.status,
            "suspended_at": iso(a.suspended_at),
            "display_name": a.display_name,
            "language": a.language,
            "created_at": iso(a.created_at),
        }
        for a in world.accounts
    ]
    accounts.append(
        {
            "platform": "telegram",
            "account_id": f"user{ANALYST_USER_ID}",
            "handle": "Analyst",
            "role": "benign",
            "community": False,
            "status": "active",
            "suspended_at": None,
            "display_name": "Analyst",
            "language": "en",
            "created_at": None,
            "note": "the analyst whose Telegram Desktop full export this is",
        }
    )
    planted_media = [
        {"post": p.key, "item": m.item, "variant": m.variant, "file": m.file}
        for p in real
        for m in p.media
        if m.item
    ]
    planted_texts = [
        {"post": p.key, "item": p.known_text[0], "variant": p.known_text[1]} for p in real if p.known_text
    ]
    planted_terms = [
        {"post": p.key, "term": term, "stance": _stance(p)} for p in real for term in terms_in(p.text)
    ]
    wallets = []
    for address, currency, _owners in world.wallets:
        posters: dict[tuple[str, str], DemoAccount] = {}
        relays: dict[tuple[str, str], DemoAccount] = {}
        for p in real:
            if address in p.text:
                relayed = p.repost_of is not None or p.forward_of is not None
                (relays if relayed else posters).setdefault((p.platform, p.account.account_id), p.account)
        wallets.append(
            {
                "address": address,
                "currency": currency,
                "accounts": [a.key for a in posters.values()],
                "relayed_by": [a.key for k, a in relays.items() if k not in posters],
            }
        )
    return {
        "seed": world.seed,
        "scale": world.scale,
        "organisation": ORGANISATION,
        "timeline": {"start": iso(START), "end": iso(END)},
        "accounts": accounts,
        "core_propagandists": [a.key for a in world.accounts if a.role in ("core", "outlet")],
        "journalists": [a.key for a in world.accounts if a.role == "journalist"],
        "researchers": [a.key for a in world.accounts if a.role == "researcher"],
        "coordination_groups": [
            {
                "kind": g.kind,
                "platform": g.platform,
                "accounts": [a.key for a in g.accounts],
                "items": g.items,
                "posts": [p.key for p in g.posts],
                "window_seconds": WINDOW,
            }
            for g in groups
        ],
        "recreated": [
            {
                "platform": new.platform,
                "account_id": new.account_id,
                "predecessor_platform": old.platform,
                "predecessor_account_id": old.account_id,
                "variation": new.extra.get("variation"),
                "handle": new.handle,
                "predecessor_handle": old.handle,
            }
            for new, old in world.recreated
        ],
        "cross_platform": [{"a": a.key, "b": b.key} for a, b in world.cross_platform],
        "migration": {
            "from_platform": "telegram",
            "to_platform": "rocketchat",
            "host": CHAT_HOST,
            "start": iso(MIGRATION_START),
        },
        "emerging_domains": [CHAT_HOST, FILE_HOST],
        "planted_media": planted_media,
        "planted_texts": planted_texts,
        "planted_terms": planted_terms,
        "wallets": wallets,
        "lookalikes": [{"post": p.key, "kind": kind, "of": of} for p, kind, of in lookalikes],
        "files": files,
    }


def _stance(post: DemoPost) -> str:
    if post.account.role in ("journalist", "researcher"):
        return "critical"
    return "propaganda" if post.account.community else "other"
