"""Coordination on small hand-built data: edited copies are one text (detection's normalisation),
and a group is reported only when a null model (times shuffled within each account) does not
explain its co-activity."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from openiru.graph.assemble import AccountRow, PostRow, assemble, forward_sources
from openiru.graph.content import normalise_text
from openiru.graph.coordination import find_coordination
from openiru.graph.nullmodel import MAX_P_VALUE

T0 = datetime(2026, 4, 6, tzinfo=UTC)
STATEMENTS = [
    "the lantern society invites every resident to the evening reading in the old garden hall on friday",
    "volunteers of the lantern society will repaint the benches along the river path next weekend",
    "the lantern society thanks the neighbours who brought books for the small library by the square",
    "a quiet walk with the lantern society starts at the bridge and ends at the market at noon",
    "the lantern society asks everyone to keep the park clean after the spring concert on sunday",
    "هذا نص تجريبي محايد عن الحديقة العامة في المدينة ونشرة الأخبار اليومية للسكان جميعا",
]
ARABIC_EDIT = "هَذَا نَصٌّ تَجْرِيبِيٌّ مُحَايِد عن الحـــديقة العامة في المدينـــة ونشرة الأخبار اليومية للسكان جميعا"


def _variant(text: str, k: int) -> str:
    """The edits detection sees through: homoglyphs, marks and tatweel, an emoji, an inserted word,
    an invisible character."""
    if text.startswith("هذا"):
        return ARABIC_EDIT if k % 2 else text
    words = text.split()
    return [
        text,
        text.replace("o", "\u043e").replace("a", "\u0430"),  # Cyrillic look-alikes
        " ".join(words[:6] + ["\U0001f33f"] + words[6:]),  # an emoji
        " ".join(words[:8] + ["indeed"] + words[8:]),  # an inserted word
        text.replace("society", "soc\u200biety").replace("é", "e"),  # a zero-width space
    ][k % 5]


def _background(rng: random.Random, account: str, n: int) -> list[PostRow]:
    vocab = [f"word{i}" for i in range(3000)]
    return [
        PostRow(
            "x",
            f"{account}-bg-{j}",
            account,
            T0 + timedelta(seconds=rng.uniform(0, 6 * 86400)),
            " ".join(rng.choice(vocab) for _ in range(12)),
        )
        for j in range(n)
    ]


def test_edited_copies_are_one_text() -> None:
    base = normalise_text(STATEMENTS[0])
    for k in range(5):
        words = normalise_text(_variant(STATEMENTS[0], k)).split()
        assert [w for w in words if w != "indeed"] == base.split()
    assert normalise_text(ARABIC_EDIT) == normalise_text(STATEMENTS[5])


def test_ring_posting_edited_copies_is_one_group_and_chance_is_not_a_group() -> None:
    rng = random.Random(5)
    posts: list[PostRow] = []
    ring = [f"ring{k}" for k in range(12)]
    for s, statement in enumerate(STATEMENTS):
        at = T0 + timedelta(hours=9 + 11 * s)
        for k, account in enumerate(ring):
            posts.append(
                PostRow(
                    "x", f"{account}-{s}", account, at + timedelta(seconds=9 * k), _variant(statement, k + s)
                )
            )
    for account in ring:
        posts += _background(rng, account, 20)
    # two busy accounts using the same pair of hashtags all week, at unrelated times
    for account in ("busy1", "busy2"):
        posts += [
            PostRow(
                "x",
                f"{account}-tag-{j}",
                account,
                T0 + timedelta(seconds=rng.uniform(0, 6 * 86400)),
                f"update {j} from {account}",
                hashtags=["town", ["garden", "river", "market"][j % 3]],
            )
            for j in range(300)
        ]
    data = assemble([], sorted(posts, key=lambda p: p.timestamp), [])
    groups = find_coordination(data, window=120, min_repeats=3)
    ids = data.accounts.account_id
    found = [(g.kind, sorted(ids[i] for i in g.accounts)) for g in groups]
    assert found == [("co-similar-text", sorted(ring))]
    null = groups[0].evidence["null_model"]
    assert (
        null["p_value"] <= MAX_P_VALUE
        and null["z"] > 3
        and null["co_occurrences"] > null["expected_by_chance"]
    )
    # without the null model the busy pair is a "group" that chance explains
    chance = find_coordination(data, window=120, min_repeats=3, kinds=["co-hashtag"], max_p_value=1.0)
    assert [sorted(ids[i] for i in g.accounts) for g in chance] == [["busy1", "busy2"]]
    assert chance[0].evidence["null_model"]["p_value"] > MAX_P_VALUE


def test_a_ring_whose_members_each_join_only_some_posts_is_one_group() -> None:
    """Six accounts share six links, each link posted by four of them within a minute: some pairs
    are together on only two links, yet the ring is one group, not fragments."""
    rng = random.Random(9)
    ring = [f"part{k}" for k in range(6)]
    posts: list[PostRow] = []
    for item in range(6):
        at = T0 + timedelta(hours=5 + 13 * item)
        for k in rng.sample(range(6), 4):
            posts.append(
                PostRow(
                    "x",
                    f"{ring[k]}-{item}",
                    ring[k],
                    at + timedelta(seconds=7 * k),
                    "see this",
                    urls=[f"https://files.example/item/{item}"],
                )
            )
    for account in ring:
        posts += _background(rng, account, 25)
    data = assemble([], sorted(posts, key=lambda p: p.timestamp), [])
    groups = find_coordination(data, window=120, min_repeats=3, kinds=["co-link"])
    ids = data.accounts.account_id
    assert [sorted(ids[i] for i in g.accounts) for g in groups] == [sorted(ring)]


def test_short_copies_each_with_a_word_of_its_own_are_one_text() -> None:
    """Seven-word statements, each member's copy with one word of its own inserted (word and
    word-pair Jaccard 0.71 to the original, below the 0.8 of near-duplicates): one text, one ring;
    a word replaced (templated boilerplate) or the words reordered are not the same text."""
    from openiru.graph.content import build_content
    from openiru.graph.data import ContentKind

    def same_text(a: str, b: str) -> bool:
        c = build_content([0, 0], [a, b], [None] * 2, [None] * 2, [None] * 2, [None] * 2)
        near = c.item[c.kind == ContentKind.TEXT_NEAR]
        return bool(near[0] == near[1])

    assert same_text("بيان جديد من الدائرة متاح الآن للجميع", "بيان جديد عاجل من الدائرة متاح الآن للجميع")
    assert not same_text("neutral placeholder post number 1 here", "neutral placeholder post number 2 here")
    assert not same_text("one two three four five six", "two one three four five six seven")
    statements = [
        "بيان رقم واحد من الدائرة للجميع الآن",
        "نشرة اليوم من الدائرة متاحة الآن هنا",
        "الإصدار الثالث من الدائرة منشور الآن",
        "دعوة جديدة من الدائرة لكل الأعضاء اليوم",
    ]
    extra = ["عاجل", "مهم", "جديد", "اليوم", "هنا", "الآن", "حصري", "رسمي"]
    ring = [f"ring{k}" for k in range(6)]
    rng = random.Random(3)
    posts: list[PostRow] = []
    for s, statement in enumerate(statements):
        at = T0 + timedelta(hours=9 + 11 * s)
        for k, account in enumerate(ring):
            words = statement.split()
            cut = 1 + (k + s) % (len(words) - 1)
            posts.append(
                PostRow(
                    "telegram",
                    f"{account}-{s}",
                    account,
                    at + timedelta(seconds=15 * k),
                    " ".join(words[:cut] + [extra[(k + s) % len(extra)]] + words[cut:]),
                )
            )
    for account in ring:
        posts += _background(rng, account, 20)
    data = assemble([], sorted(posts, key=lambda p: p.timestamp), [])
    ids = data.accounts.account_id
    groups = find_coordination(data, window=120, min_repeats=3)
    assert [(g.kind, sorted(ids[i] for i in g.accounts)) for g in groups] == [
        ("co-similar-text", sorted(ring))
    ]


def test_a_ring_forwarding_a_channels_photos_without_captions_is_one_group() -> None:
    """A Telegram forward names only its source: forwards without text are told apart by their
    media, so five photos forwarded by a ring within a minute each are five items, and the ring is
    a co-repost group."""
    ring = [f"user{k}" for k in range(5)]
    rng = random.Random(7)
    posts: list[PostRow] = []
    media: dict[tuple[str, str], list[str]] = {}
    for r in range(5):
        at = T0 + timedelta(hours=5 + 13 * r)
        for k, account in enumerate(ring):
            pid = f"{account}-fw{r}"
            posts.append(
                PostRow(
                    "telegram",
                    pid,
                    account,
                    at + timedelta(seconds=10 * k),
                    "",
                    forward_from="channel9",
                    forward_from_name="Vale Studio",
                )
            )
            media[("telegram", pid)] = [f"sha256:{r:064x}"]
    for account in ring:
        posts += [
            PostRow("telegram", p.post_id, account, p.timestamp, p.text)
            for p in _background(rng, account, 20)
        ]
    data = assemble([], sorted(posts, key=lambda p: p.timestamp), [], media)
    ids = data.accounts.account_id
    groups = find_coordination(data, window=120, min_repeats=3)
    assert [(g.kind, sorted(ids[i] for i in g.accounts)) for g in groups] == [("co-repost", sorted(ring))]
    assert groups[0].evidence["item_count"] == 5


def test_forwards_naming_their_source_by_id_or_by_title_are_one_item() -> None:
    """An export names a forward's source by id where it can and by its title otherwise: a ring
    forwarding one channel's posts, half of it seen with the id and half with the title only, is one
    co-repost group; a title two accounts share is not resolved."""
    ring = [f"user{k}" for k in range(6)]
    rng = random.Random(11)
    posts: list[PostRow] = []
    for r in range(5):
        at = T0 + timedelta(hours=5 + 13 * r)
        for k, account in enumerate(ring):
            by_id = k % 2 == 0
            posts.append(
                PostRow(
                    "telegram",
                    f"{account}-fw{r}",
                    account,
                    at + timedelta(seconds=10 * k),
                    STATEMENTS[r],
                    forward_from="channel9" if by_id else None,
                    forward_from_name="Vale Studio",
                )
            )
    for account in ring:
        posts += [
            PostRow("telegram", p.post_id, account, p.timestamp, p.text)
            for p in _background(rng, account, 20)
        ]
    channel = AccountRow("telegram", "channel9", display_name="Vale Studio")
    data = assemble([channel], sorted(posts, key=lambda p: p.timestamp), [])
    ids = data.accounts.account_id
    groups = [g for g in find_coordination(data, window=120, min_repeats=3) if g.kind == "co-repost"]
    assert [sorted(ids[i] for i in g.accounts) for g in groups] == [sorted(ring)]
    assert groups[0].evidence["item_count"] == 5
    namesake = AccountRow("telegram", "channel8", display_name="Vale Studio")
    assert forward_sources([channel, namesake], []) == {}
    assert forward_sources([channel], []) == {("telegram", "Vale Studio"): "channel9"}


def test_a_text_pushed_together_again_on_another_day_is_a_repeat() -> None:
    """A ring posts statement 0 together, statement 1 two days later, and statement 0 again five
    days after that: three occasions of acting together on two texts, one group (a repeat is a new
    occasion, not only a new item).  Two accounts quoting one text within a minute of each other
    three times in one afternoon, hours apart, acted on one occasion: not a group."""
    rng = random.Random(21)
    ring = [f"ring{k}" for k in range(6)]
    posts: list[PostRow] = []
    for r, (statement, day) in enumerate([(0, 0), (1, 2), (0, 7)]):
        at = T0 + timedelta(days=day, hours=10)
        for k, account in enumerate(ring):
            posts.append(
                PostRow(
                    "x",
                    f"{account}-{r}",
                    account,
                    at + timedelta(seconds=12 * k),
                    _variant(STATEMENTS[statement], k + r),
                )
            )
    for r in range(3):
        at = T0 + timedelta(days=3, hours=13 + 2 * r)
        for k, account in enumerate(("analyst1", "analyst2")):
            posts.append(
                PostRow("x", f"{account}-q{r}", account, at + timedelta(seconds=40 * k), STATEMENTS[4])
            )
    for account in [*ring, "analyst1", "analyst2"]:
        posts += _background(rng, account, 20)
    data = assemble([], sorted(posts, key=lambda p: p.timestamp), [])
    ids = data.accounts.account_id
    groups = find_coordination(data, window=120, min_repeats=3)
    assert [(g.kind, sorted(ids[i] for i in g.accounts)) for g in groups] == [
        ("co-similar-text", sorted(ring))
    ]
    assert groups[0].evidence["item_count"] == 2 and groups[0].evidence["occasion_count"] == 3


def _three_events(posts: list[PostRow], rng: random.Random, crowd: Callable[[int], list[str]]) -> None:
    """Three public events on days 5, 12 and 20, each's live link posted by fan0 and fan1 (100 s
    and 160 s after the start) and by ``crowd(event)``, most within minutes."""
    for event, day in enumerate((5, 12, 20)):
        start = T0 + timedelta(days=day, hours=19)
        link = f"https://cup.example/live/{event}"
        for k, fan in enumerate(["fan0", "fan1", *crowd(event)]):
            delay = (100.0, 160.0)[k] if k < 2 else rng.expovariate(1 / 400)
            at = start + timedelta(seconds=delay)
            posts.append(PostRow("x", f"{fan}-event-{event}", fan, at, "live now", urls=[link]))


def _ring_of_four(posts: list[PostRow]) -> list[str]:
    """Four accounts pushing four links no one else posts, each within half a minute; their ids."""
    ring = [f"ring{k}" for k in range(4)]
    for item in range(4):
        at = T0 + timedelta(days=3 + 6 * item, hours=9)
        for k, acc in enumerate(ring):
            link = f"https://r.example/{item}"
            posts.append(
                PostRow("x", f"{acc}-{item}", acc, at + timedelta(seconds=8 * k), "read", urls=[link])
            )
            posts.append(PostRow("x", f"{acc}-own-{item}", acc, at + timedelta(days=2, hours=k), "note"))
    return ring


def test_two_of_a_crowd_meeting_three_times_is_chance_a_ring_is_not() -> None:
    """Three public events, each posted by a crowd of 35 fans within a quarter of an hour; two fans
    who post little else were at all three and happened to post within two minutes of each other
    each time.  They are one of hundreds of pairs that met at all, and among hundreds a pair meets
    three times by chance: corrected for the pairs tested, chance explains them.  A ring of four
    pushing four links together within half a minute each stays a group."""
    rng = random.Random(58)
    fans = [f"fan{k}" for k in range(2 + 3 * 33)]
    posts: list[PostRow] = []
    for fan in fans:
        for j in range(3):
            at = T0 + timedelta(seconds=rng.uniform(0, 30 * 86400))
            posts.append(PostRow("x", f"{fan}-own-{j}", fan, at, f"loved the match {j}"))
    _three_events(posts, rng, lambda event: fans[2 + 33 * event : 35 + 33 * event])
    ring = _ring_of_four(posts)
    data = assemble([], sorted(posts, key=lambda p: p.timestamp), [])
    ids = data.accounts.account_id
    groups = find_coordination(data, window=120, min_repeats=3, kinds=["co-link"])
    assert [sorted(ids[i] for i in g.accounts) for g in groups] == [ring]
    assert groups[0].evidence["null_model"]["p_value_corrected"] <= MAX_P_VALUE
    everything = find_coordination(data, window=120, min_repeats=3, kinds=["co-link"], max_p_value=1.0)
    pair = [g for g in everything if sorted(ids[i] for i in g.accounts) == ["fan0", "fan1"]]
    assert len(pair) == 1
    null = pair[0].evidence["null_model"]
    assert null["p_value_corrected"] > MAX_P_VALUE and null["pairs_tested"] > 100


def test_members_of_a_public_crowd_are_drawn_from_its_times() -> None:
    """Three public events, each posted by 35 of 60 fans within a quarter of an hour (most in the
    first minutes).  Four fans who were at all three met 13 times: shuffled over their own month of
    posts they would rarely meet, but at each event they are four of the 35 who posted the link,
    and drawn from those 35's times they meet about six times by chance.  A ring of four pushing
    four links no one else posts stays a group."""
    rng = random.Random(60)
    fans = [f"fan{k}" for k in range(60)]
    posts: list[PostRow] = []
    for fan in fans:
        for j in range(6):
            at = T0 + timedelta(seconds=rng.uniform(0, 30 * 86400))
            posts.append(PostRow("x", f"{fan}-own-{j}", fan, at, f"loved the match {j}"))
    _three_events(posts, rng, lambda _event: rng.sample(fans[2:], 33))
    ring = _ring_of_four(posts)
    data = assemble([], sorted(posts, key=lambda p: p.timestamp), [])
    ids = data.accounts.account_id
    groups = find_coordination(data, window=120, min_repeats=3, kinds=["co-link"])
    assert [sorted(ids[i] for i in g.accounts) for g in groups] == [ring]
    assert groups[0].evidence["null_model"]["public_occasions"] == 0
    everything = find_coordination(data, window=120, min_repeats=3, kinds=["co-link"], max_p_value=1.0)
    crowd = [g for g in everything if "fan0" in {ids[i] for i in g.accounts}]
    assert len(crowd) == 1 and len(crowd[0].accounts) == 4
    null = crowd[0].evidence["null_model"]
    assert null["public_occasions"] == 3 and null["expected_by_chance"] > 3
    assert null["p_value_corrected"] > MAX_P_VALUE


def test_two_rings_sharing_their_leaders_post_once_are_two_groups() -> None:
    """Two rings of six, each posting its own links together, both repost their leader's link in one
    rush (every cross pair meets once) and two of the 36 cross pairs meet once more, each on a link
    of its own: together those pairs cover three occasions, but only two members of each ring are in
    them; the rings are two groups, not one."""
    rng = random.Random(11)
    rings = [[f"a{k}" for k in range(6)], [f"b{k}" for k in range(6)]]
    posts: list[PostRow] = []

    def link(account: str, item: str, at: datetime) -> PostRow:
        return PostRow(
            "x", f"{account}-{item}", account, at, "see this", urls=[f"https://files.example/{item}"]
        )

    for r, ring in enumerate(rings):
        for item in range(4):
            at = T0 + timedelta(hours=5 + 13 * item + 6 * r)
            posts += [
                link(account, f"r{r}-{item}", at + timedelta(seconds=8 * k)) for k, account in enumerate(ring)
            ]
    leader = T0 + timedelta(days=3, hours=2)
    posts += [
        link(account, "leader", leader + timedelta(seconds=9 * k))
        for k, account in enumerate(rings[0] + rings[1])
    ]
    for n, (a, b) in enumerate([("a0", "b0"), ("a1", "b1")]):
        at = T0 + timedelta(days=4 + n, hours=7)
        posts += [link(a, f"extra{n}", at), link(b, f"extra{n}", at + timedelta(seconds=30))]
    for account in rings[0] + rings[1]:
        posts += _background(rng, account, 25)
    data = assemble([], sorted(posts, key=lambda p: p.timestamp), [])
    groups = find_coordination(data, window=120, min_repeats=3, kinds=["co-link"])
    ids = data.accounts.account_id
    assert sorted(sorted(ids[i] for i in g.accounts) for g in groups) == [rings[0], rings[1]]
