"""The token index: which posts a newly added lexicon term can match, without rescanning every post.

Every scan writes the tokens of each post it scans into ``detect_post_tokens``: one row per
post, its distinct tokens as 32-bit hashes (CRC-32) packed in one array; the tokens are the
words of the post's text and of its hashtag list after :func:`~openiru.detect.normalise.normalise`,
exactly the strings the lexicon matcher (:class:`~openiru.detect.lexicon.LexiconMatcher`)
searches.  A match there starts at the beginning of a word or right after a ``#`` and ends at
the end of a word, so a post can match a term only if it holds every word of the term's key,
the first word possibly as the part of a word after a ``#``; each word is therefore indexed
with its parts after a ``#`` (``a#b`` gives ``a#b`` and ``b``).  Finding the posts that hold
some words reads the arrays in chunks and compares them with NumPy (no post text is read,
normalised or matched); a hash collision only adds a candidate, since the rescan of the
candidates runs the whole detector and decides.  One appended row per post keeps the scan's
writes small (a row per token, in token order, cost the scan more than it saved).  Posts keep
their text once stored (the import never rewrites one), so a post's tokens never go stale.

:func:`posts_for_terms` answers only when the index covers every scanned post (the marker
``post_tokens`` in ``detect_state``, set whenever every post is marked for re-scanning,
from which point every scanned post has its tokens) and every new term can be answered;
otherwise the caller re-scans every post.  Terms it cannot answer: keys that begin or end
in a script written without spaces (matched inside words), outlet terms that look like a
domain (matched against links too), and any ruleset with a matcher plug-in other than the
built-ins (it may read terms in its own way).  Posts with a stored media file or stored media
text are always candidates: the media-text matcher looks terms up in their images' OCR and
documents' pages.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ...store import schema
from ...store import tables_detect as td
from ...store import tables_media as tm
from ...store.writer import dialect_insert

if TYPE_CHECKING:
    from ...detect.evidence import ScanResult

MARKER = "post_tokens"


def token_hash(token: str) -> int:
    """A token's index key: its CRC-32 (the same in every process and version)."""
    return zlib.crc32(token.encode())


def index_tokens(normalised: str) -> set[str]:
    """The indexed forms of a normalised text's words: each word and its parts after a ``#``."""
    words = normalised.split()
    out = set(words)
    if "#" in normalised:
        for word in words:
            at = word.find("#")
            while at != -1:
                if at + 1 < len(word):
                    out.add(word[at + 1 :])
                at = word.find("#", at + 1)
    return out


def post_tokens(text: str, hashtags: Sequence[str]) -> set[str]:
    """Every indexed token of a post: its text and its hashtag list, as the term matcher reads them."""
    from ...detect.normalise import normalise  # here: a bank import needs no text normaliser

    tokens = index_tokens(normalise(text))
    if hashtags:
        tokens |= index_tokens(" ".join("#" + normalise(h).lstrip("#") for h in hashtags))
    return tokens


#: array's code of a 32-bit unsigned integer here, and whether it must be byte-swapped to the
#: little-endian layout the index stores (``<u4``, read back with NumPy)
_UINT32 = "I" if array("I").itemsize == 4 else "L"
_SWAP = sys.byteorder == "big"


def _packed(hashes: set[int]) -> bytes:
    """Token hashes sorted and packed as little-endian 32-bit values, one post's index row."""
    values = array(_UINT32, sorted(hashes))
    if _SWAP:
        values.byteswap()
    return values.tobytes()


#: One row per post, in the driver's own SQL: SQLAlchemy's executemany of 36,566 rows (a bind
#: processor per value, the statement's parameters built per row) cost four times the insert.
_INSERT_TOKENS = (
    "INSERT INTO detect_post_tokens (platform, post_id, tokens) VALUES ({0}, {0}, {0}) ON CONFLICT DO NOTHING"
)


def write_tokens(conn: sa.Connection, results: Sequence[ScanResult]) -> None:
    """Index the tokens of these scanned posts (a post indexed before keeps its row: its text is the same)."""
    crc32 = zlib.crc32
    rows = [
        (
            r.post.platform,
            r.post.post_id,
            _packed({crc32(t.encode()) for t in post_tokens(r.post.text, r.post.hashtags)}),
        )
        for r in results
    ]
    if rows:
        conn.exec_driver_sql(_INSERT_TOKENS.format("?" if conn.dialect.name == "sqlite" else "%s"), rows)


def mark_complete(conn: sa.Connection) -> None:
    """Record that every post scanned from now on is indexed (call when every post awaits a scan)."""
    st = td.detect_state
    conn.execute(
        dialect_insert(conn, st)
        .values(key=MARKER, value="complete")
        .on_conflict_do_update(index_elements=["key"], set_={"value": "complete"})
    )


def _covered(conn: sa.Connection) -> bool:
    """Whether every scanned post has its tokens in the index (marked so when no post is scanned)."""
    st, p = td.detect_state, schema.posts
    if conn.execute(sa.select(st.c.value).where(st.c.key == MARKER)).scalar() == "complete":
        return True
    if (
        conn.execute(
            sa.select(sa.literal(1)).select_from(p).where(p.c.scanned_at.is_not(None)).limit(1)
        ).first()
        is not None
    ):
        return False
    mark_complete(conn)  # no post scanned yet: each one will be indexed when it is
    return True


def _only_builtin_matchers() -> bool:
    return all(ep.value.startswith("openiru.detect.") for ep in entry_points(group="openiru.matchers"))


def term_words(term: str, kind: str) -> list[str] | None:
    """The words a post must hold to match this term (empty: it matches nothing); None if the
    index cannot tell (see the module docstring)."""
    from ...detect.lexicon import term_key
    from ...detect.normalise import has_word_boundaries

    key = term_key(term, kind)
    if not key.strip("# "):
        return []
    if not has_word_boundaries(key[0]) or not has_word_boundaries(key[-1]):
        return None
    if kind == "outlet" and "." in term and " " not in term.strip():
        return None
    return key.split(" ")


def _holding(conn: sa.Connection, wanted: list[list[str]], chunk: int = 50_000) -> set[tuple[str, str]]:
    """Keys of the posts that hold every word of at least one of ``wanted``."""
    import numpy as np

    terms = [{token_hash(w) for w in words} for words in wanted if words]
    if not terms:
        return set()
    every = np.array(sorted(set().union(*terms)), dtype="<u4")
    found: set[tuple[str, str]] = set()
    t = td.detect_post_tokens
    result = conn.execute(sa.select(t.c.platform, t.c.post_id, t.c.tokens).execution_options(yield_per=chunk))
    for rows in result.partitions():
        blobs = [bytes(r.tokens) for r in rows]
        tokens = np.frombuffer(b"".join(blobs), dtype="<u4")
        owner = np.repeat(np.arange(len(blobs)), [len(b) // 4 for b in blobs])
        keep = np.isin(tokens, every)
        tokens, owner = tokens[keep], owner[keep]
        order = np.argsort(tokens, kind="stable")
        tokens, owner = tokens[order], owner[order]
        for hashes in terms:
            posts: set[int] | None = None
            for h in hashes:
                lo, hi = np.searchsorted(tokens, h, "left"), np.searchsorted(tokens, h, "right")
                here = set(owner[lo:hi].tolist())
                posts = here if posts is None else posts & here
                if not posts:
                    break
            found.update((rows[i].platform, rows[i].post_id) for i in posts or ())
    return found


def posts_for_terms(conn: sa.Connection, terms: Iterable[tuple[str, str]]) -> set[tuple[str, str]] | None:
    """Keys of the posts that ``(term, kind)`` pairs can newly match (plus every post with media),
    or None when only a rescan of every post is sure to find them all."""
    wanted = [term_words(term, kind) for term, kind in terms]
    if any(w is None for w in wanted) or not _covered(conn) or not _only_builtin_matchers():
        return None
    keys = _holding(conn, [w for w in wanted if w is not None])
    pm, m, mf = schema.post_media, schema.media, tm.media_features
    readable = sa.or_(
        m.c.sha256.is_not(None),  # a stored file: OCR or document text may be read from it
        m.c.media_key.in_(sa.select(mf.c.media_key).where(mf.c.text.is_not(None))),
    )
    keys |= {
        (r.platform, r.post_id)
        for r in conn.execute(
            sa.select(pm.c.platform, pm.c.post_id)
            .join(m, m.c.media_key == pm.c.media_key)
            .where(readable)
            .distinct()
        )
    }
    return keys
