"""One content key for media that are the same content in different files (issue 18, item 4).

The graph reduces a post's media to content keys (``pdq:<hash>`` for an image hashed with PDQ,
else ``sha256:<hash>``), and two posts carry the same content when their keys are equal
(:mod:`.content`).  Two encodes of one video, or one poster re-made on a new background, have
different files and different hashes, so by the keys alone they are different content: a ring
co-posting one video in two encodes would not be a co-post, and the second upload would not be
a copy of the first.

:func:`same_content_keys` joins media into one key when

* detection matched them to the same bank item (a PDQ, vPDQ, pdq+OCR or exact-hash hit, or the
  OCR text of an image matching the same known text): the key is ``item:<bank>/<item name>``
  (``item:<bank>/#<item id>`` for an item without a name);
* they were found similar to each other without any bank (videos whose vPDQ frames match by
  the reference rule, :meth:`openiru.detect.video_match.VideoIndex.similar_pairs`): the key is
  ``similar:<the smallest of their own keys>``.

Both are joined transitively (union-find): a video matching bank item 3 and a re-encode of it
matching nothing are both ``item:<bank>/3``.  A medium matching two items takes the smallest
item key of its component, so the answer does not depend on the order rows were read in.
Nothing here reads the store: the graph loader (:mod:`openiru.services.graph.load`) reads the
hits and the vPDQ signals and hands them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: Detection hits whose bank item *is* the medium's content (a lexicon term found in a poster's
#: text is not: two posters naming one outlet are different posters).
SAME_CONTENT_MATCHERS = frozenset({"md5", "sha256", "pdq", "vpdq", "pdq+ocr", "text"})


def item_key(bank: str, item: str | None, item_id: int | str) -> str:
    """The content key of media matched to one bank item: by the item's name where it has one
    (the PDQ, MD5 and OCR items ``bank add`` writes for one poster share it), else its id."""
    return f"item:{bank}/{item}" if item else f"item:{bank}/#{item_id}"


def same_content_keys(
    base: Mapping[str, str],
    items: Iterable[tuple[str, str]] = (),
    similar: Iterable[tuple[str, str]] = (),
) -> dict[str, str]:
    """The content key of every medium of ``base`` (media key -> its own content key), joined
    by ``items`` ((media key, item key) pairs) and ``similar`` ((media key, media key) pairs);
    media and pairs naming media outside ``base`` are ignored."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        parent.setdefault(a, a), parent.setdefault(b, b)  # every node listed, roots too
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    # media as "m\0<key>", items as "i\0<key>": the two name spaces never collide
    for medium, item in items:
        if medium in base:
            union("m\0" + medium, "i\0" + item)
    for a, b in similar:
        if a in base and b in base and a != b:
            union("m\0" + a, "m\0" + b)
    if not parent:
        return dict(base)
    best_item: dict[str, str] = {}
    own_keys: dict[str, str] = {}
    size: dict[str, int] = {}
    for node in list(parent):
        root = find(node)
        space, key = node.split("\0", 1)
        if space == "i":
            if root not in best_item or key < best_item[root]:
                best_item[root] = key
        else:
            own = base[key]
            if root not in own_keys or own < own_keys[root]:
                own_keys[root] = own
            size[root] = size.get(root, 0) + 1
    out = dict(base)
    for medium in base:
        node = "m\0" + medium
        if node not in parent:
            continue
        root = find(node)
        if root in best_item:
            out[medium] = best_item[root]
        elif size.get(root, 0) > 1:
            out[medium] = "similar:" + own_keys[root]
    return out
