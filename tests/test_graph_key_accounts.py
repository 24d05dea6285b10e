"""Key accounts on small hand-built ecosystems: the same actor across platforms carries closeness,
amplifiers rank below the originators they amplify, and reporting on the community (journalists,
researchers, monitoring channels) is not endorsement even when detection flags it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np

from openiru.graph.assemble import AccountRow, EdgeRow, Flag, PostRow, assemble
from openiru.graph.data import GraphData
from openiru.graph.ranking import rank_accounts
from openiru.graph.stance import EXEMPT_CLASS

T0 = datetime(2026, 5, 4, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.accounts: list[AccountRow] = []
        self.posts: list[PostRow] = []
        self.edges: list[EdgeRow] = []
        self.flags: list[Flag] = []
        self.seeds: dict[tuple[str, str], str | None] = {}

    def account(self, platform: str, aid: str, handle: str | None, name: str, bio: str | None = None) -> str:
        self.accounts.append(AccountRow(platform, aid, handle, name, bio))
        return aid

    def post(
        self, platform: str, aid: str, pid: str, hours: float, text: str, flag: float = 0.0, **kw: object
    ) -> str:
        self.posts.append(PostRow(platform, pid, aid, T0 + timedelta(hours=hours), text, **kw))  # type: ignore[arg-type]
        if flag:
            self.flags.append(Flag(platform, pid, flag, "matched"))
        return pid

    def repost(self, platform: str, who: str, of_account: str, of_post: str, hours: float) -> None:
        pid = f"{who}-rt-{of_post}"
        self.post(platform, who, pid, hours, "RT", repost_of=of_post)
        self.edges.append(EdgeRow(platform, who, platform, of_account, "repost", T0 + timedelta(hours=hours)))

    def data(self) -> GraphData:
        return assemble(
            self.accounts,
            sorted(self.posts, key=lambda p: p.timestamp),
            self.edges,
            flags=self.flags,
            seeds=self.seeds,
        )


def _community(w: World, flagged: bool = False) -> tuple[str, list[str]]:
    """An originator on X whose releases five supporters repost; returns (originator, supporters)."""
    core = w.account("x", "100", "vale_herald", "Vale Herald", "Releases of the circle")
    fans = [w.account("x", f"2{k:02d}", f"fan_{k}", f"Fan {k}") for k in range(5)]
    for r in range(12):
        pid = w.post(
            "x",
            core,
            f"c{r}",
            24 * r,
            f"release {r} of the vale circle, read and pass it on now",
            0.9 if flagged else 0.0,
            urls=[f"https://vale-circle.example/release/{r}"],
        )
        for k, fan in enumerate(fans):
            w.repost("x", fan, core, pid, 24 * r + 1 + k)
    return core, fans


def _posters(w: World, fans: list[str]) -> list[str]:
    """Three community posters on X whose six posts each carry flagged content, each post reposted
    by one of the fans: the organisation's voices, little amplified."""
    posters = [w.account("x", f"3{k:02d}", f"poster_{k}", f"Poster {k}") for k in range(3)]
    for k, p in enumerate(posters):
        for r in range(6):
            text = f"the vale circle release {r} from poster {k} now"
            pid = w.post("x", p, f"p{k}-{r}", 24 * r + 3, text, 0.9)
            w.repost("x", fans[(k + r) % 5], p, pid, 24 * r + 4)
    return posters


def _star(w: World, fans: list[str], flagged: float) -> str:
    """A star on X posting forty everyday posts (the eighth flagged with ``flagged``, 0 for none),
    each reposted by half of twenty members of the public, every third also by all the fans."""
    star = w.account("x", "900", "star", "Famous Star", None)
    public = [w.account("x", f"8{k:02d}", f"public_{k}", f"Public {k}") for k in range(20)]
    for r in range(40):
        pid = w.post(
            "x", star, f"s{r}", 6 * r + 2, f"my day number {r} on the tour", flagged if r == 7 else 0.0
        )
        for k in range(r % 2, 20, 2):
            w.repost("x", public[k], star, pid, 6 * r + 3)
        if r % 3 == 0:
            for fan in fans:
                w.repost("x", fan, star, pid, 6 * r + 4)
    return star


def _position(data: GraphData, ranking, platform: str, aid: str) -> int:
    i = data.accounts.index()[(platform, aid)]
    return int(np.flatnonzero(ranking.order == i)[0])


def test_the_same_actor_on_a_self_hosted_platform_ranks_with_the_one_on_x() -> None:
    w = World()
    core, fans = _community(w)
    w.seeds[("x", core)] = "analyst"
    # the same actor on the group's own Rocket.Chat server: same handle and name, the same release links
    rc = w.account("rocketchat", "kTw9rcReYcK43RZNS", "vale_herald", "Vale Herald")
    members = [w.account("rocketchat", f"m{k}xxxxxxxxxxxxxxx", f"member{k}", f"Member {k}") for k in range(4)]
    for r in range(12):
        w.post(
            "rocketchat",
            rc,
            f"rc{r}",
            24 * r + 2,
            f"new release {r} is out for the members of the server",
            urls=[f"https://vale-circle.example/release/{r}"],
        )
        for k, m in enumerate(members):
            w.post(
                "rocketchat",
                m,
                f"rc{r}-{k}",
                24 * r + 3 + k,
                f"thanks for release {r} dear friends here {k}",
                reply_to=f"rc{r}",
            )
            w.edges.append(
                EdgeRow("rocketchat", m, "rocketchat", rc, "reply", T0 + timedelta(hours=24 * r + 3))
            )
    for k in range(30):  # unrelated accounts
        w.post(
            "x",
            w.account("x", f"9{k:02d}", f"walker{k}", f"Walker {k}"),
            f"b{k}",
            k,
            f"walking by the lake {k}",
        )
    data = w.data()
    ranking = rank_accounts(data)
    i = data.accounts.index()[("rocketchat", rc)]
    assert ranking.role[i] != "bystander" and ranking.parts["closeness_to_seeds"][i] > 0.5
    assert _position(data, ranking, "rocketchat", rc) <= 2
    assert ranking.evidence(data, i)["same_actor"] == {"platform": "x", "account_id": core}


def test_amplifiers_rank_below_the_originators_they_amplify() -> None:
    w = World()
    core, fans = _community(w)
    # a retweet ring: the fans also repost each other's reposts all day (no original content)
    for day in range(12):
        for k, fan in enumerate(fans):
            for j, other in enumerate(fans):
                if j != k:
                    w.repost("x", fan, other, f"{other}-rt-c{day}", 24 * day + 10 + k + j / 10)
    data = w.data()
    ranking = rank_accounts(data)
    core_at = _position(data, ranking, "x", core)
    assert core_at == 0
    assert all(_position(data, ranking, "x", fan) > core_at for fan in fans)
    index = data.accounts.index()
    assert all(ranking.score[index[("x", f)]] < ranking.score[index[("x", core)]] for f in fans)


def test_reporting_is_not_endorsement_and_exempt_classes_stay_out_of_the_top() -> None:
    w = World()
    core, fans = _community(w, flagged=True)
    # a newsroom, a researcher and a monitoring channel write about the circle all the time: every
    # post names it (detection flags them), links to their own site, and readers pass them on
    reporters = [
        w.account("x", "300", "dispatch", "The Dispatch", "Independent newsroom. Tips welcome."),
        w.account("x", "301", "noor_d", "Noor D", "Researcher on online networks"),
        w.account("telegram", "channel302", None, "Vale Extremism Monitor"),
    ]
    readers = [w.account("x", f"4{k:02d}", f"reader{k}", f"Reader {k}") for k in range(8)]
    for n, rep in enumerate(reporters):
        platform = "telegram" if rep.startswith("channel") else "x"
        for r in range(20):
            pid = w.post(
                platform,
                rep,
                f"{rep}-{r}",
                24 * (r % 12) + 5 + n,
                f"report {r}: the vale circle released another statement, experts urge caution",
                0.9,
                urls=[f"https://site{n}.example/article/{r}"],
            )
            if platform == "x":
                for reader in readers[: 3 + r % 5]:
                    w.repost("x", reader, rep, pid, 24 * (r % 12) + 6 + n)
    data = w.data()
    ranking = rank_accounts(data)
    top = [_position(data, ranking, ("telegram" if r.startswith("channel") else "x"), r) for r in reporters]
    assert _position(data, ranking, "x", core) == 0
    assert min(top) > len(fans)  # below the originator and its five supporters
    index = data.accounts.index()
    for rep in reporters:
        i = index[("telegram" if rep.startswith("channel") else "x", rep)]
        assert ranking.role[i] == "bystander"
        assert ranking.evidence(data, i)["reporting"]["reporting"] >= 0.75


def test_on_a_chat_server_conversation_and_members_quotes_carry_closeness() -> None:
    """No reposts on the group's own Rocket.Chat: members answer each other and quote the outlet's
    announcements into their rooms; a journalist quotes the outlet too, and nobody answers it."""
    w = World()
    platform = "chat.example"
    outlet = w.account(platform, "outletxxxxxxxxxxx", "vale_voice", "Vale Voice")
    members = [w.account(platform, f"member{k}xxxxxxxxxx", f"member{k}", f"Member {k}") for k in range(6)]
    reporter = w.account(platform, "reporterxxxxxxxxx", "desk_writer", "Desk Writer")
    w.seeds[(platform, members[0])] = "analyst"

    def edge(src: str, dst: str, kind: str, hours: float) -> None:
        w.edges.append(EdgeRow(platform, src, platform, dst, kind, T0 + timedelta(hours=hours)))

    for r in range(10):
        w.post(platform, outlet, f"o{r}", 24 * r, f"announcement {r} of the vale voice for all members today")
        for k, m in enumerate(members):
            w.post(
                platform,
                m,
                f"q{r}-{k}",
                24 * r + 1 + k,
                f"sharing announcement {r} with room {k}",
                quote_of=f"o{r}",
            )
            edge(m, outlet, "quote", 24 * r + 1 + k)
            other = members[(k + 1) % len(members)]  # members answer each other
            w.post(
                platform,
                m,
                f"r{r}-{k}",
                24 * r + 8 + k,
                f"agreed with you friend {r} {k}",
                reply_to=f"q{r}-{k}",
            )
            edge(m, other, "reply", 24 * r + 8 + k)
            w.post(
                platform,
                other,
                f"a{r}-{k}",
                24 * r + 9 + k,
                f"thank you friend {r} {k}",
                reply_to=f"r{r}-{k}",
            )
            edge(other, m, "reply", 24 * r + 9 + k)
        w.post(
            platform,
            reporter,
            f"j{r}",
            24 * r + 12,
            f"the vale voice posted announcement {r}",
            quote_of=f"o{r}",
        )
        edge(reporter, outlet, "quote", 24 * r + 12)
    data = w.data()
    ranking = rank_accounts(data)
    index = data.accounts.index()
    o, j = index[(platform, outlet)], index[(platform, reporter)]
    assert ranking.parts["closeness_to_seeds"][o] > 0.5 and ranking.role[o] != "bystander"
    assert all(ranking.parts["closeness_to_seeds"][index[(platform, m)]] > 0.3 for m in members)
    assert ranking.score[o] > 2 * ranking.score[j]


def test_namesakes_on_two_platforms_are_not_one_actor_without_a_signal_beyond_names() -> None:
    from openiru.graph.actors import same_actor_pairs

    w = World()
    a = w.account("x", "1", "farah_okafor", "Farah Okafor")
    b = w.account("chat.example", "bbbbbbbbbbbbbbbbb", "farah.okafor", "Farah Okafor")
    c = w.account("x", "3", "vale_herald", "Vale Herald")
    d = w.account("chat.example", "ddddddddddddddddd", "vale_herald", "Vale Herald")
    w.post("x", a, "a1", 1, "lovely weather by the lake this morning friends")
    w.post(
        "chat.example",
        b,
        "b1",
        2,
        "release notes for the members are out now here",
        urls=["https://vale-circle.example/release/1"],
    )
    w.post("x", c, "c1", 3, "release one is out now", urls=["https://vale-circle.example/release/1"])
    w.post(
        "chat.example",
        d,
        "d1",
        4,
        "release one for the members",
        urls=["https://vale-circle.example/release/2"],
    )
    for k in range(20):  # other accounts, linking elsewhere
        w.post(
            "x",
            w.account("x", f"9{k:02d}", f"walker{k}", f"Walker {k}"),
            f"w{k}",
            k,
            f"a walk {k}",
            urls=[f"https://lake{k}.example/"],
        )
    data = w.data()
    ids = data.accounts.account_id
    first, second, _ = same_actor_pairs(data)
    assert {frozenset((ids[x], ids[y])) for x, y in zip(first, second, strict=True)} == {frozenset((c, d))}


def test_on_a_platform_without_reposts_quotes_pass_content_on() -> None:
    """A chat server has no repost button: its members share an outlet's messages by quoting them into
    their rooms.  The seed reaches the outlet only through the same actor's account elsewhere; the
    members' quotes (nobody answers them) still carry the outlet's closeness to them, whereas on X,
    where reposting exists, the same quotes stay commentary."""
    for platform, passes_on in (("chat.example", True), ("x", False)):
        w = World()
        seed = w.account("telegram", "channel1", None, "Vale Studio")
        w.seeds[("telegram", seed)] = "analyst"
        outlet = w.account(platform, "outlet", "vale_voice", "Vale Voice")
        members = [w.account(platform, f"member{k}", f"member{k}", f"Member {k}") for k in range(5)]
        if platform == "x":  # reposting exists on X: someone else reposts
            w.repost("x", w.account("x", "fan", "fan", "Fan"), outlet, "o0", 5)
        for r in range(8):
            w.post(
                platform, outlet, f"o{r}", 24 * r, f"announcement {r} of the vale voice for all members today"
            )
            for k, m in enumerate(members):
                w.post(platform, m, f"q{r}-{k}", 24 * r + 1 + k, f"see this {r} {k}", quote_of=f"o{r}")
                w.edges.append(
                    EdgeRow(platform, m, platform, outlet, "quote", T0 + timedelta(hours=24 * r + 1 + k))
                )
        # the same actor: a shared link and an interaction join the outlet and the seed's channel
        w.post("telegram", seed, "s1", 1, "vale voice studio", urls=["https://vale-voice.example/a"])
        w.post(platform, outlet, "o-link", 2, "vale voice studio", urls=["https://vale-voice.example/a"])
        w.accounts[1] = AccountRow(platform, outlet, "vale_voice", "Vale Studio", None)
        data = w.data()
        ranking = rank_accounts(data)
        index = data.accounts.index()
        closeness = ranking.parts["closeness_to_seeds"]
        member = min(closeness[index[(platform, m)]] for m in members)
        assert closeness[index[(platform, outlet)]] > 0.3, platform
        assert bool(member > 0.2) is passes_on, (platform, member)


def test_a_public_figure_with_one_flagged_post_in_many_ranks_below_the_community() -> None:
    """A celebrity posts about everyday things forty times and once names the organisation (flagged);
    the public reposts it widely, and so do a few of the community's fans.  The community's own
    posters, whose posts carry the flagged content, rank above it."""
    w = World()
    core, fans = _community(w, flagged=True)
    posters = [w.account("x", f"3{k:02d}", f"poster_{k}", f"Poster {k}") for k in range(3)]
    for k, p in enumerate(posters):
        for r in range(6):
            pid = w.post(
                "x",
                p,
                f"p{k}-{r}",
                24 * r + 3,
                f"the vale circle release {r} from poster {k} pass it on",
                0.9,
            )
            for j, fan in enumerate(fans[:3]):
                w.repost("x", fan, p, pid, 24 * r + 4 + j)
    star = w.account("x", "900", "star", "Famous Star", None)
    public = [w.account("x", f"8{k:02d}", f"public_{k}", f"Public {k}") for k in range(20)]
    for r in range(40):
        pid = w.post(
            "x",
            star,
            f"s{r}",
            6 * r + 2,
            f"my day number {r} on the tour with friends",
            0.5 if r == 7 else 0.0,
        )
        for k in range(r % 5, 20, 5):
            w.repost("x", public[k], star, pid, 6 * r + 3)
        if r % 4 == 0:
            for j, fan in enumerate(fans):
                w.repost("x", fan, star, pid, 6 * r + 4 + j)
    data = w.data()
    ranking = rank_accounts(data)
    s = _position(data, ranking, "x", star)
    assert all(_position(data, ranking, "x", p) < s for p in posters), (
        s,
        [_position(data, ranking, "x", p) for p in posters],
    )


def test_accounts_that_write_reports_about_the_organisation_are_not_its_voices() -> None:
    """Two accounts behave alike: each forwards the circle's releases (flagged) and writes posts that
    name it (flagged), with no bio, no links and no audience of their own.  One cheers the releases,
    the other files reports about them: only the first is one of the circle's voices."""
    w = World()
    core, fans = _community(w, flagged=True)
    cheer = w.account("telegram", "user501", None, "Cheer Member")
    watch = w.account("telegram", "user502", None, "Watch Member")
    src = w.account("telegram", "channel503", None, "Vale Circle Channel")
    for r in range(10):
        w.post("telegram", src, f"ch{r}", 24 * r, f"release {r} of the vale circle is out, pass it on", 0.9)
        for k, who in enumerate((cheer, watch)):
            w.post(
                "telegram",
                who,
                f"{who}-fw{r}",
                24 * r + 1 + k,
                f"release {r} of the vale circle is out, pass it on",
                0.9,
                forward_from=src,
            )
        w.post(
            "telegram",
            cheer,
            f"{cheer}-own{r}",
            24 * r + 2,
            f"glory to the vale circle, release {r} is the best",
            0.5,
        )
        w.post(
            "telegram",
            watch,
            f"{watch}-own{r}",
            24 * r + 3,
            f"Analysis: the vale circle's release {r} is propaganda, according to researchers",
            0.5,
        )
    data = w.data()
    ranking = rank_accounts(data)
    index = data.accounts.index()
    c, m = index[("telegram", cheer)], index[("telegram", watch)]
    assert ranking.reporting["framing"][m] == 1.0 and ranking.reporting["framing"][c] == 0.0
    # every own post framed as a report: less than a tenth of the alike voice's score, yet framing
    # alone does not make it one of the exempt classes (a news-styled outlet could write the same)
    assert ranking.score[m] < 0.1 * ranking.score[c]
    assert ranking.reporting["reporting"][m] < EXEMPT_CLASS
    assert _position(data, ranking, "telegram", watch) > _position(data, ranking, "telegram", cheer)
    # a seed is what the analyst says it is: the framing of its posts does not discount it
    w.seeds[("telegram", watch)] = "analyst"
    seeded = rank_accounts(w.data())
    assert seeded.reporting["framing"][m] == 0.0


def test_reporting_framing_vocabulary() -> None:
    from openiru.graph.stance import reporting_framing

    assert reporting_framing("Fact check: the statement is misleading")
    assert reporting_framing("تقرير: الجماعة نشرت بيانا جديدا")
    assert reporting_framing("Laut Recherche der Redaktion")
    assert not reporting_framing("glory to the circle, share the new release widely")
    assert not reporting_framing(None) and not reporting_framing("")


def test_on_a_chat_server_members_who_only_quote_others_rank_as_amplifiers_below_originators() -> None:
    """On a platform without reposts quoting passes a message on: members whose posts are all quotes
    of others' messages and copies of the outlet's flagged announcements pass content on and write
    nothing of their own: amplifiers, capped below the outlet they quote and far below a member who
    writes its own notes (which two of them quote)."""
    w = World()
    platform = "chat.example"
    outlet = w.account(platform, "outlet", "vale_voice", "Vale Voice")
    writer = w.account(platform, "writer", "writer", "Writer")
    quoters = [w.account(platform, f"quoter{k}", f"quoter{k}", f"Quoter {k}") for k in range(4)]
    w.seeds[(platform, outlet)] = "analyst"

    def quote(who: str, target: str, pid: str, hours: float) -> None:
        w.post(platform, who, f"q{len(w.posts)}", hours, f"see {pid} {len(w.posts)}", quote_of=pid)
        w.edges.append(EdgeRow(platform, who, platform, target, "quote", T0 + timedelta(hours=hours)))

    for r in range(10):
        w.post(
            platform,
            outlet,
            f"o{r}",
            24 * r,
            f"announcement {r} of the vale voice for all members today",
            0.9,
        )
        w.post(platform, writer, f"w{r}", 24 * r + 2, f"my own note {r} about the vale voice and its members")
        w.edges.append(EdgeRow(platform, writer, platform, outlet, "reply", T0 + timedelta(hours=24 * r + 2)))
        w.edges.append(EdgeRow(platform, outlet, platform, writer, "reply", T0 + timedelta(hours=24 * r + 3)))
        for k, q in enumerate(quoters):
            w.post(
                platform,
                q,
                f"c{r}-{k}",
                24 * r + 4 + k,
                f"announcement {r} of the vale voice for all members today",
                0.9,
            )
            if k < 2:
                quote(q, writer, f"w{r}", 24 * r + 5 + k)
            for j in range(3):
                quote(q, outlet, f"o{r}", 24 * r + 3 + k + j / 10)
    data = w.data()
    ranking = rank_accounts(data)
    index = data.accounts.index()
    o, m = index[(platform, outlet)], index[(platform, writer)]
    for q in quoters:
        i = index[(platform, q)]
        assert ranking.role[i] == "amplifier"
        assert ranking.score[i] <= 0.9 * ranking.score[o]
        assert ranking.score[i] < 0.3 * ranking.score[m], (ranking.score[i], ranking.score[m])


def test_passing_on_a_report_that_names_the_organisation_is_not_carrying_its_content() -> None:
    """Readers repost a newsroom's reports (the reposts are flagged: they name the circle) and, more
    often, a football club's posts (never flagged).  The reposted reports are the newsroom's words:
    they make none of the readers a seed, so the club they follow is not drawn into the circle."""
    w = World()
    core, _ = _community(w, flagged=True)
    news = w.account("x", "300", "dispatch", "The Dispatch", "Independent newsroom. Tips welcome.")
    club = w.account("x", "600", "fc_harbour", "FC Harbour", None)
    readers = [w.account("x", f"4{k:02d}", f"reader{k}", f"Reader {k}") for k in range(8)]
    for r in range(12):
        text = f"report {r}: the vale circle released another statement, experts urge caution"
        pid = w.post("x", news, f"n{r}", 24 * r + 5, text, 0.9, urls=[f"https://dispatch.example/a/{r}"])
        for k, reader in enumerate(readers[: 2 + r % 3]):
            h = 24 * r + 6 + k / 10
            w.post("x", reader, f"{reader}-rt-{pid}", h, f"RT {text}", 0.9, repost_of=pid)
            w.edges.append(EdgeRow("x", reader, "x", news, "repost", T0 + timedelta(hours=h)))
        pid = w.post(
            "x", club, f"fc{r}", 24 * r + 8, f"matchday {r}: the team sheet is out, come to the ground"
        )
        for k, reader in enumerate(readers):
            w.repost("x", reader, club, pid, 24 * r + 9 + k / 10)
    data = w.data()
    ranking = rank_accounts(data)
    index = data.accounts.index()
    assert all(ranking.features.flagged[index[("x", r)]] == 0.0 for r in readers)
    assert ranking.role[index[("x", news)]] == "bystander"
    assert ranking.role[index[("x", club)]] == "bystander"
    assert _position(data, ranking, "x", club) > _position(data, ranking, "x", core) == 0


def test_without_seeds_or_detection_the_community_the_platform_removed_seeds_closeness() -> None:
    """No analysts' seeds, no detection hit: a celebrity whose fans re-upload its posts is not the
    network of interest; the community around the accounts the platform removed is.  The circle's
    originator ranks above the celebrity once a removal is seen, and below it without one (where the
    re-upload fallback seeds the celebrity): the rule, not chance, decides."""

    def positions(with_removal: bool) -> tuple[int, int]:
        w = World()
        core, fans = _community(w)
        banned = w.account("x", "150", "vale_voice", "Vale Voice")
        if with_removal:
            w.accounts[-1].status = "suspended"
        for r in range(4):
            pid = w.post("x", banned, f"b{r}", 24 * r + 5, f"voice {r} of the vale circle now")
            for k, fan in enumerate(fans):
                w.repost("x", fan, banned, pid, 24 * r + 6 + k)
            w.repost("x", banned, core, f"c{r}", 24 * r + 7)
        star = w.account("x", "900", "star", "Famous Star", None)
        public = [w.account("x", f"8{k:02d}", f"public_{k}", f"Public {k}") for k in range(30)]
        for r in range(40):
            text = f"my day number {r} on the tour with all my friends"
            pid = w.post("x", star, f"s{r}", 6 * r + 2, text)
            for k in range(r % 3, 30, 3):
                w.repost("x", public[k], star, pid, 6 * r + 3)
            for k in range(3):  # fans re-post its words as their own: copies
                w.post("x", public[(r + 7 * k) % 30], f"s{r}-copy{k}", 6 * r + 4 + k, text)
        data = w.data()
        ranking = rank_accounts(data)
        assert ranking.seed_source == "structure"
        return _position(data, ranking, "x", core), _position(data, ranking, "x", star)

    core, star = positions(with_removal=True)
    assert core < star, (core, star)
    core, star = positions(with_removal=False)
    assert star < core, (core, star)


def test_one_flagged_post_in_forty_weighs_little_even_for_a_prominent_account() -> None:
    """A public figure whose one post in forty names the organisation (a half-strength hit), passed
    on by the public and by the community's fans, ranks below the community's little-amplified
    posters whose every post carries its content: a negligible flagged share keeps a tenth of the
    score (with a quarter, as before, the figure ranked first here)."""
    w = World()
    core, fans = _community(w, flagged=True)
    posters = _posters(w, fans)
    star = _star(w, fans, flagged=0.5)
    data = w.data()
    ranking = rank_accounts(data)
    s = _position(data, ranking, "x", star)
    assert all(_position(data, ranking, "x", p) < s for p in posters), (
        s,
        [_position(data, ranking, "x", p) for p in posters],
    )


def test_with_a_lexicon_many_posts_without_one_hit_say_the_account_does_not_carry_the_content() -> None:
    """A club whose ten match-day posts the community's fans also repost sits inside the community.
    With a lexicon loaded, detection read those ten texts and matched none of the organisation's
    names: the club ranks below the posters whose posts carry the content.  Without a lexicon (a
    hash bank sees only media) the same silence says nothing, and the club's reach puts it first."""

    def positions(lexicon: bool) -> tuple[int, list[int]]:
        w = World()
        core, fans = _community(w, flagged=True)
        posters = _posters(w, fans)
        club = w.account("x", "700", "city_club", "City Club")
        for r in range(10):
            pid = w.post("x", club, f"c-{r}", 24 * r + 5, f"match day number {r} come and support the team")
            for fan in fans[:3]:
                w.repost("x", fan, club, pid, 24 * r + 6)
        data = w.data()
        data.lexicon = lexicon
        ranking = rank_accounts(data)
        return _position(data, ranking, "x", club), [_position(data, ranking, "x", p) for p in posters]

    club, posters = positions(lexicon=True)
    assert all(p < club for p in posters), (club, posters)
    club, posters = positions(lexicon=False)
    assert all(club < p for p in posters), (club, posters)


def test_a_platform_detection_did_not_see_takes_the_accounts_it_removed_as_seeds() -> None:
    """Detection flags a Telegram channel's bulletins; on X, where nothing was flagged (its media
    were not collected), the circle's originator works beside an account X suspended.  The removal
    seeds closeness on X, so the originator ranks at the top, above where it ranks when X removed
    nobody; a busy local news account on X stays below it either way."""

    def positions(with_removal: bool) -> tuple[int, int]:
        w = World()
        channel = w.account("telegram", "c1", None, "Vale Channel")
        forwarders = [w.account("telegram", f"u{k}", None, f"Forwarder {k}") for k in range(4)]
        for r in range(10):
            pid = w.post("telegram", channel, f"t{r}", 24 * r, f"vale bulletin {r} for the circle", 0.9)
            for k, who in enumerate(forwarders):
                w.repost("telegram", who, channel, pid, 24 * r + 1 + k)
        core, fans = _community(w)
        voice = w.account("x", "150", "vale_voice", "Vale Voice")
        if with_removal:
            w.accounts[-1].status = "suspended"
        for r in range(4):
            pid = w.post("x", voice, f"b{r}", 24 * r + 5, f"voice {r} of the vale circle now")
            for k, fan in enumerate(fans):
                w.repost("x", fan, voice, pid, 24 * r + 6 + k)
            w.repost("x", voice, core, f"c{r}", 24 * r + 7)
        news = w.account("x", "800", "city_news", "City News")
        readers = [w.account("x", f"9{k:02d}", f"reader_{k}", f"Reader {k}") for k in range(8)]
        for r in range(12):
            pid = w.post("x", news, f"n{r}", 24 * r + 9, f"city council news number {r} today")
            for k, reader in enumerate(readers):
                w.repost("x", reader, news, pid, 24 * r + 10 + k)
        data = w.data()
        ranking = rank_accounts(data)
        assert ranking.seed_source == "detection"
        return _position(data, ranking, "x", core), _position(data, ranking, "x", news)

    removed_core, removed_news = positions(with_removal=True)
    kept_core, kept_news = positions(with_removal=False)
    assert removed_core <= 1 and removed_core < kept_core, (removed_core, kept_core)
    assert removed_core < removed_news and kept_core < kept_news


def test_an_unflagged_account_with_an_outside_audience_where_detection_reads_is_a_public_figure() -> None:
    """A star posts forty everyday posts, none flagged, passed on mostly by the public and now and
    then by the community's fans.  Detection read this platform (the community's posts are flagged)
    and found nothing in the star's: with most of its audience outside the community, it is a public
    figure, and ranks below the community's posters.  Without that second audience signal it ranked
    first here."""
    w = World()
    core, fans = _community(w, flagged=True)
    posters = _posters(w, fans)
    star = _star(w, fans, flagged=0.0)
    data = w.data()
    ranking = rank_accounts(data)
    s = _position(data, ranking, "x", star)
    assert all(_position(data, ranking, "x", p) < s for p in posters), s
    assert (
        ranking.evidence(data, data.accounts.index()[("x", star)])["reporting"]["unflagged_outside_audience"]
        > 0.5
    )


def _circle_and_star(
    bridges: int, extra: Callable[[World], object] | None = None
) -> tuple[GraphData, list[str]]:
    """No seeds, no detection; the platform removed one of the circle's voices.  A circle (an
    originator, six members, twenty supporters passing their posts on) and a star whose forty
    everyday posts sixty members of the public pass on; ``bridges`` of the public also repost one
    of the circle's releases once.  Returns the data and the circle's accounts."""
    w = World()
    core = w.account("x", "100", "vale_herald", "Vale Herald", "Releases of the circle")
    fans = [w.account("x", f"2{k:02d}", f"fan_{k}", f"Fan {k}") for k in range(20)]
    banned = w.account("x", "150", "vale_voice", "Vale Voice")
    w.accounts[-1].status = "suspended"
    for r in range(12):
        pid = w.post("x", core, f"c{r}", 24 * r, f"release {r} of the vale circle, read and pass it on now")
        for k, fan in enumerate(fans):
            if (k + r) % 2 == 0:
                w.repost("x", fan, core, pid, 24 * r + 1 + k / 10)
    for r in range(4):
        pid = w.post("x", banned, f"b{r}", 24 * r + 5, f"voice {r} of the vale circle now")
        for k, fan in enumerate(fans[:8]):
            w.repost("x", fan, banned, pid, 24 * r + 6 + k / 10)
        w.repost("x", banned, core, f"c{r}", 24 * r + 7)
    members = []
    for k in range(6):  # each member's posts passed on by three supporters
        members.append(w.account("x", f"4{k:02d}", f"member_{k}", f"Member {k}"))
        for r in range(5):
            pid = w.post("x", members[-1], f"m{k}-{r}", 24 * r + 9, f"member {k} note {r} on the vale circle")
            for fan in fans[3 * k : 3 * k + 3]:
                w.repost("x", fan, members[-1], pid, 24 * r + 10)
    star = w.account("x", "900", "star", "Famous Star", None)
    public = [w.account("x", f"8{k:03d}", f"public_{k}", f"Public {k}") for k in range(60)]
    for r in range(40):
        pid = w.post("x", star, f"s{r}", 6 * r + 2, f"my day number {r} on the tour with all my friends")
        for k in range(r % 4, 60, 4):
            w.repost("x", public[k], star, pid, 6 * r + 3)
    for k in range(bridges):
        w.repost("x", public[k], core, f"c{k}", 24 * k + 20)
    if extra is not None:
        extra(w)
    return w.data(), [core, banned, *members]


def test_a_bystander_ranks_below_the_community_whatever_its_prominence() -> None:
    """A star whose forty everyday posts sixty members of the public pass on (two of whom once
    reposted the circle) is a hub of that public: it gets some closeness through its audience alone,
    yet stays below the bystander level, so its own evidence says it is not one of the community.  Its
    prominence ranked it above three of the circle's six members; as a bystander it keeps half its
    score and ranks below every account of the circle."""
    data, circle = _circle_and_star(bridges=2)
    ranking = rank_accounts(data)
    i = data.accounts.index()[("x", "900")]
    assert ranking.role[i] == "bystander"
    star = _position(data, ranking, "x", "900")
    assert all(_position(data, ranking, "x", a) < star for a in circle), star
    # the circle's own accounts are not bystanders: their scores are not halved
    assert all(ranking.role[data.accounts.index()[("x", a)]] != "bystander" for a in circle)


def test_an_account_of_which_nothing_was_collected_is_a_bystander() -> None:
    """A removed account known only from the platform's look-up (no post of its own, none passed on)
    is a structural seed and so as close to the community as can be; with nothing of it collected
    there is nothing to rank it on or refer.  It ranked fifth, above four of the circle's members, as
    a 'distributor' of nothing; it is a bystander and ranks below every account of the circle."""

    def ghost_account(w: World) -> None:
        w.account("x", "160", None, "")
        w.accounts[-1].status = "deleted"

    data, circle = _circle_and_star(bridges=0, extra=ghost_account)
    ranking = rank_accounts(data)
    i = data.accounts.index()[("x", "160")]
    assert ranking.role[i] == "bystander"
    ghost = _position(data, ranking, "x", "160")
    assert all(_position(data, ranking, "x", a) < ghost for a in circle), ghost
