"""Accounts whose posts detection read and found nothing in, for the re-created accounts' rule
that silence alone is not a removal (:func:`openiru.graph.resurgence.find_links`, ``read_clean``).

A platform removes an account for what it posts.  Where the unit's lexicon is loaded, detection read
every scanned post's words for the organisation's names and terms; an account with at least
:data:`MIN_READ_POSTS` scanned posts of its own words and not one alert (on them, or on what it
reposted or quoted) gave nobody a reason to remove it.  If it then
went silent on a platform that never shows removals (a Telegram export, a Rocket.Chat server), its
owner moved on: a later look-alike is a switch of accounts, not ban evasion.  Without a lexicon
(hash banks alone match only known media) detection did not read the words, and nothing is said.
"""

from __future__ import annotations

import logging

import numpy as np
import sqlalchemy as sa

from ...graph.data import GraphData
from ...store import schema
from ...store import tables_detect as td
from .load import has_lexicon

log = logging.getLogger(__name__)

#: Scanned posts an account needs before a clean record says anything (as the key accounts' rule).
MIN_READ_POSTS = 5


def read_clean(engine: sa.Engine, data: GraphData) -> np.ndarray | None:
    """A mask over ``data``'s accounts: at least :data:`MIN_READ_POSTS` scanned posts with words of
    their own (a bare repost or reblog carries none) with a lexicon loaded, and no alert on any of its
    posts nor on a post it reposted or quoted; None where no lexicon is loaded or detection never ran."""
    p, a = schema.posts, td.detect_alerts

    def alerted(post_id: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
        return sa.exists().where(a.c.platform == p.c.platform, a.c.post_id == post_id)

    read = sa.and_(p.c.scanned_at.is_not(None), p.c.repost_of.is_(None), p.c.text != "")
    flagged = sa.or_(alerted(p.c.post_id), alerted(p.c.repost_of), alerted(p.c.quote_of))
    query = (
        sa.select(p.c.platform, p.c.account_id)
        .group_by(p.c.platform, p.c.account_id)
        .having(
            sa.and_(
                sa.func.sum(sa.case((read, 1), else_=0)) >= MIN_READ_POSTS,
                sa.func.sum(sa.case((flagged, 1), else_=0)) == 0,
            )
        )
    )
    with engine.connect() as conn:
        if not has_lexicon(conn):
            return None
        try:
            with conn.begin_nested():
                rows = conn.execute(query).all()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:  # tables not there
            log.info("no detection results: %s", exc.__class__.__name__)
            return None
    index = data.accounts.index()
    mask = np.zeros(data.n, bool)
    for row in rows:
        i = index.get((row.platform, row.account_id))
        if i is not None:
            mask[i] = True
    return mask
