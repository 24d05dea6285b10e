"""Where the ranking's closeness starts and how much of the community's content an account carries.

* :func:`seed_reset`: the restart vector of personalised PageRank: analysts' seeds, accounts with
  flagged content (and, on a platform detection did not read at all, the accounts removed there), or
  with neither the platforms' own removals, then re-uploaded accounts (structural seeds);
* :func:`topic_share`: the share of an account's posts that carry the community's flagged content,
  and the finding that detection read many of its posts and flagged none;
* :func:`unflagged_where_seen`: accounts without a hit on a platform where detection flagged others.
"""

from __future__ import annotations

import numpy as np

from .data import GraphData
from .features import Features, log_scale

#: An account with detection hits scores fully when at least this share of its posts carries
#: flagged content, and at least TOPIC_FLOOR of its score with a negligible share.
TOPIC_SHARE = 0.1
TOPIC_FLOOR = 0.1
#: With a lexicon loaded, an account with at least NO_HIT_POSTS posts and not one detection hit
#: keeps NO_HIT_FACTOR of its score (detection read its texts and found nothing of the community's).
NO_HIT_POSTS = 5
NO_HIT_FACTOR = 0.5


def seed_reset(data: GraphData, f: Features) -> tuple[np.ndarray, str]:
    n = data.n
    reset = np.zeros(n)
    sources = []
    if data.seeds:
        reset[list(data.seeds)] = 1.0
        sources.append("analysts")
    if f.flagged.any():
        # accounts endorsing flagged content; commentary hits (quotes, replies) weigh little
        reset += log_scale(f.flagged) * f.hit_stance
        sources.append("detection")
        reset += _unseen_platform_seeds(data, f, reset)
    if not sources:
        # No analyst seeds and no detection.  The platforms' own judgement first: the accounts they
        # removed (suspended or deleted) are the community they act against, and re-uploads are
        # what that community does with its material; a public figure whose posts fans re-upload
        # is not thereby one of it.  Without any removal seen: accounts whose content others re-upload.
        reset = data.accounts.removed().astype(np.float64)
        sources.append("structure")
        if not reset.any():
            reset = np.where(f.copied_by >= 2, np.log1p(f.copied_by), 0.0)
        if not reset.any():
            reset = f.amplified_by.copy()
    if data.exempt_accounts:
        reset[list(data.exempt_accounts)] = 0.0
    return reset, "+".join(sources)


def _on_read_platform(data: GraphData, f: Features) -> np.ndarray:
    """Per account, whether detection flagged a post of any account on its platform (it read that
    platform's posts)."""
    platform = np.asarray(data.accounts.platform, dtype=object)
    out: np.ndarray = np.isin(platform, list(set(platform[f.flagged > 0].tolist())))
    return out


def _unseen_platform_seeds(data: GraphData, f: Features, reset: np.ndarray) -> np.ndarray:
    """Structural seeds on platforms detection did not see at all (not one hit on any of their
    posts: a hash bank on a platform whose media were not collected, a lexicon in another
    language): there, the accounts the platform removed, weighted as a typical detection seed, so a
    community present on several platforms is not ranked on one platform's coverage alone."""
    out = np.zeros(data.n)
    removed_unread = ~_on_read_platform(data, f) & data.accounts.removed()
    if removed_unread.any():
        out[removed_unread] = float(np.mean(reset[reset > 0]))
    return out


def unflagged_where_seen(data: GraphData, f: Features) -> np.ndarray:
    """1 for accounts without a detection hit on a platform where detection flagged other accounts'
    posts (it read this one's too and found nothing), else 0."""
    if not f.flagged.any():
        return np.zeros(data.n)
    out: np.ndarray = (_on_read_platform(data, f) & (f.flagged == 0)).astype(np.float64)
    return out


def topic_share(data: GraphData, f: Features) -> np.ndarray:
    """How much of what an account posts is the community's flagged content:
    TOPIC_FLOOR + (1 - TOPIC_FLOOR) x min(1, flagged / (TOPIC_SHARE x posts)) for accounts with a
    detection hit, 1 for accounts without one (detection may not see their content: a hash bank
    only sees media) and for analysts' seeds.  A public figure whose one post in forty names the
    organisation, reposted by its wide audience, is not one of the organisation's voices."""
    out = np.ones(data.n)
    if not f.flagged.any():
        return out
    share = np.minimum(f.flagged / (TOPIC_SHARE * np.maximum(f.posts, 1.0)), 1.0)
    some = f.flagged > 0
    out[some] = TOPIC_FLOOR + (1.0 - TOPIC_FLOOR) * share[some]
    if data.lexicon:  # detection read every text: many posts and not one match is a finding
        silent = (f.flagged == 0) & (f.posts >= NO_HIT_POSTS)
        out[silent] = NO_HIT_FACTOR
    if data.seeds:
        out[list(data.seeds)] = 1.0
    return out
