"""Graph core on generated ecosystems: ranking, roles, journalist suppression, coordination,
re-created accounts, cross-platform links, emerging domains, export formats."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import igraph as ig
import numpy as np
import pytest

from openiru.graph.assemble import AccountRow, EdgeRow, Flag, PostRow, assemble
from openiru.graph.coordination import find_coordination
from openiru.graph.export import export_graph
from openiru.graph.identity import handle_similarity, handle_skeleton
from openiru.graph.interaction import interaction_graph
from openiru.graph.platforms import domain_stats
from openiru.graph.ranking import rank_accounts
from openiru.graph.resurgence import find_links
from openiru.graph.synthetic import Truth, small_ecosystem

T0 = datetime(2026, 2, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def eco() -> tuple:
    return small_ecosystem(seed=3, benign=150, core=6, amplifiers=20, distributors=8, days=42)


def _keys(data, idx) -> list[tuple[str, str]]:
    return [(data.accounts.platform[i], data.accounts.account_id[i]) for i in idx]


def test_structural_ranking_puts_the_community_first_and_no_journalist(eco) -> None:
    data, truth = eco
    ranking = rank_accounts(data)
    assert ranking.seed_source == "structure"
    top = _keys(data, ranking.order[:15])
    community = (
        set(truth.core)
        | set(truth.distributors)
        | set(truth.amplifiers)
        | {new for new, _ in truth.recreated}
        | {b for _, b in truth.cross_platform}
    )
    assert sum(k in community for k in top) >= 14
    outsiders = set(truth.journalists) | set(truth.researchers)
    rank_of = {k: r for r, k in enumerate(_keys(data, ranking.order))}
    assert all(rank_of[k] >= 20 for k in outsiders)
    assert all(
        ranking.role[rank_of_idx] == "bystander"
        for rank_of_idx in [data.accounts.index()[k] for k in outsiders]
    )


def test_evidence_breaks_the_score_down_and_roles_follow_behaviour(eco) -> None:
    data, truth = eco
    ranking = rank_accounts(data)
    index = data.accounts.index()
    core = index[truth.core[-1]]
    ev = ranking.evidence(data, core)
    assert set(ev["score_breakdown"]) == {
        "activity",
        "propaganda_volume",
        "originality",
        "reach",
        "centrality",
        "closeness_to_seeds",
        "community",
    }
    assert ev["counts"]["copied_by"] > 0 and ev["why"].startswith("strongest parts")
    assert ranking.role[core] == "originator"
    roles = [ranking.role[index[k]] for k in truth.amplifiers]
    assert roles.count("amplifier") >= 0.8 * len(roles)
    roles = [ranking.role[index[k]] for k in truth.distributors]
    # re-uploads of a suspended originator's posts make the first re-uploader their origin
    assert roles.count("distributor") >= 0.5 * len(roles) and "amplifier" not in roles
    assert all(ranking.role[index[k]] == "bystander" for k in truth.journalists + truth.researchers)


def test_seeds_detection_and_exemptions_steer_the_ranking(eco) -> None:
    data, truth = eco
    index = data.accounts.index()
    journalist = index[truth.journalists[0]]
    # a journalist flagged a lot, but exempted by analysts, stays out of the top
    data.posts.flag[data.posts.account == journalist] = 1.0
    data.exempt_accounts = {journalist: "journalism"}
    data.seeds = {index[truth.core[0]]: "analyst"}
    try:
        ranking = rank_accounts(data)
        assert "analysts" in ranking.seed_source and "detection" in ranking.seed_source
        position = int(np.flatnonzero(ranking.order == journalist)[0])
        assert position > 20 and ranking.role[journalist] == "bystander"
        assert ranking.evidence(data, journalist)["exemption"] == "journalism"
        assert ranking.evidence(data, index[truth.core[0]])["is_seed"]
    finally:
        data.posts.flag[:] = 0
        data.exempt_accounts = {}
        data.seeds = {}


def _rows(times_by_account: dict[str, list[float]], item: str = "https://share.example/x") -> list[PostRow]:
    posts = []
    for acc, times in times_by_account.items():
        for k, t in enumerate(times):
            posts.append(
                PostRow("x", f"{acc}-{k}", acc, T0 + timedelta(seconds=t), "hello there", urls=[f"{item}{k}"])
            )
    return posts


def test_coordination_respects_window_and_min_repeats() -> None:
    # a and b share three links within 10 s; c shares them 10 minutes later; each also posts other
    # things over three days (the null model draws each account's times from its whole activity)
    posts = _rows({"a": [0, 1000, 2000], "b": [10, 1005, 2008], "c": [600, 1600, 2600]})
    posts += [
        PostRow("x", f"{acc}-other-{k}", acc, T0 + timedelta(seconds=3000 + 7919 * k + 977 * n), "other")
        for n, acc in enumerate("abc")
        for k in range(30)
    ]
    data = assemble([], posts, [])
    groups = find_coordination(data, window=60, min_repeats=3, kinds=["co-link"])
    assert [sorted(data.accounts.account_id[i] for i in g.accounts) for g in groups] == [["a", "b"]]
    assert groups[0].evidence["item_count"] == 3 and groups[0].evidence["items"][0]["posts"]
    wide = find_coordination(data, window=900, min_repeats=3, kinds=["co-link"])
    assert sorted(data.accounts.account_id[i] for i in wide[0].accounts) == ["a", "b", "c"]
    assert find_coordination(data, window=60, min_repeats=4, kinds=["co-link"]) == []


def test_coordination_finds_planted_groups(eco) -> None:
    data, truth = eco
    groups = find_coordination(data, window=60, min_repeats=3)
    found = {(g.kind, frozenset(_keys(data, g.accounts))) for g in groups}
    for kind, members in truth.groups:
        best = max((len(members & acc) / len(members | acc) for k, acc in found if k == kind), default=0)
        assert best >= 0.5, kind


def test_handle_variants() -> None:
    assert handle_skeleton("dawn_news_1") == handle_skeleton("dawn_news_2")
    assert handle_similarity("SunriseMedia", "Sunrіse_Media_official") == 0.95  # Cyrillic i, affix
    assert handle_similarity("SunriseMedia", "Sunrіse_Media") == 1.0
    assert handle_similarity("Молния", "molniya") == 1.0  # transliteration
    assert handle_similarity("garden_lamp", "copper_bridge") < 0.5


def _account(aid: str, handle: str, **kw) -> AccountRow:
    return AccountRow("x", aid, handle, kw.pop("name", handle.title()), **kw)


def test_recreated_accounts_link_by_handle_and_timing() -> None:
    stop = T0 + timedelta(days=10)
    accounts = [
        _account("1", "orchard_voice", name="Orchard Voice", status="suspended", status_changed_at=stop),
        _account("2", "orchard_voice_2", name="Orchard Voice"),
        _account("3", "orchard_voice_3", name="Orchard Voice"),  # starts too late (90 days)
        _account("4", "meadow_lamp", name="Meadow Lamp"),
        _account("9", "follower", name="Follower"),
    ]
    posts, edges = [], []
    for aid, start, end in (("1", 0, 10), ("2", 11, 30), ("3", 100, 110), ("4", 0, 110)):
        for d in range(start, end):
            t = T0 + timedelta(days=d, hours=1)
            posts.append(PostRow("x", f"{aid}-{d}", aid, t, f"daily note {d} {aid} placeholder words here"))
            edges.append(EdgeRow("x", "9", "x", aid, "repost", t))
    links = find_links(assemble(accounts, posts, edges))
    pairs = {(lk.evidence["link"], lk.account, lk.predecessor) for lk in links}
    data = assemble(accounts, posts, edges)
    index = data.accounts.index()
    assert ("recreated", index[("x", "2")], index[("x", "1")]) in pairs
    assert not any(lk.account == index[("x", "3")] and lk.predecessor == index[("x", "1")] for lk in links)
    assert not any(index[("x", "4")] in (lk.account, lk.predecessor) for lk in links)
    link = next(lk for lk in links if lk.account == index[("x", "2")])
    assert link.evidence["similarity"]["handle"] == 0.95 and 0 < link.evidence["gap_days"] < 2


def test_cross_platform_and_recreated_found_in_ecosystem(eco) -> None:
    data, truth = eco
    links = find_links(data)
    got = {(lk.evidence["link"], frozenset(_keys(data, [lk.account, lk.predecessor]))) for lk in links}
    for new, old in truth.recreated:
        assert ("recreated", frozenset({new, old})) in got
    for a, b in truth.cross_platform:
        assert ("cross-platform", frozenset({a, b})) in got
    assert len(links) <= len(truth.recreated) + len(truth.cross_platform) + 1


def test_emerging_domain_grows_and_known_domains_are_not_emerging() -> None:
    times, urls = [], []
    for week in range(8):
        for k in range(10):
            t = (T0 + timedelta(weeks=week, hours=k)).timestamp()
            times.append(t)
            urls.append(
                ["https://t.me/somechannel/1"]
                if k < 5
                else ["https://files.newhost.example/a"]
                if week >= 5 and k < 9
                else ["https://old.example.net/b"]
            )
    stats = {s.domain: s for s in domain_stats(np.asarray(times), urls, {"t.me": "telegram"})}
    assert stats["t.me"].known and stats["t.me"].platform == "telegram" and not stats["t.me"].emerging
    assert stats["files.newhost.example"].emerging and not stats["files.newhost.example"].known
    assert not stats["old.example.net"].emerging
    assert len(stats["t.me"].weekly) == 8 and stats["t.me"].weekly[0]["share"] == 0.5


def test_detection_flags_and_rejections_are_read() -> None:
    posts = _rows({"a": [0, 10], "b": [5]})
    flags = [
        Flag("x", "a-0", 0.9, "confirmed"),
        Flag("x", "a-1", 0.5, "rejected"),
        Flag("x", "b-0", 0.8, "matched", "journalism"),
    ]
    data = assemble([], posts, [], flags=flags)
    assert data.detection
    assert data.posts.flag.tolist() == pytest.approx([0.9, 0.0, 0.8])
    assert data.posts.exempt.sum() == 1


@pytest.mark.parametrize("fmt", ["gexf", "graphml", "csv"])
def test_exports_parse(eco, tmp_path: Path, fmt: str) -> None:
    data, _ = eco
    g = interaction_graph(data)
    kinds = {k for k in g.kind.tolist()}
    assert len(kinds) >= 4
    out = tmp_path / f"g.{fmt}"
    written = export_graph(data, g, fmt, out, {"score": rank_accounts(data).score.tolist()})
    if fmt == "graphml":
        parsed = ig.Graph.Read_GraphML(str(out))
        assert parsed.vcount() == len(g.nodes) and parsed.ecount() == len(g)
        assert "kind" in parsed.es.attributes() and "score" in parsed.vs.attributes()
    elif fmt == "gexf":
        root = ET.parse(out).getroot()
        ns = {"g": "http://gexf.net/1.3"}
        assert len(root.findall(".//g:node", ns)) == len(g.nodes)
        assert len(root.findall(".//g:edge", ns)) == len(g)
    else:
        with written[0].open() as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == len(g) and {"source", "target", "kind", "weight"} <= set(rows[0])
        with written[1].open() as fh:
            assert len(list(csv.DictReader(fh))) == len(g.nodes)


def test_interaction_graph_filters_by_time_and_platform(eco) -> None:
    data, _ = eco
    full = interaction_graph(data)
    mid = float(np.median(data.edges.time))
    early = interaction_graph(data, until=mid)
    assert 0 < early.weight.sum() < full.weight.sum() and early.last.max() <= mid
    tg = interaction_graph(data, platforms={"telegram"})
    plat = np.asarray(data.accounts.platform)
    assert len(tg) and np.all((plat[tg.src] == "telegram") | (plat[tg.dst] == "telegram"))


def test_truth_type() -> None:
    assert Truth().core == []


def test_recreation_variants_are_assigned_one_to_one() -> None:
    stops = {"1": 10, "2": 12, "3": 11}
    accounts = [
        _account(
            "1",
            "relay 3",
            name="Vigil Relay 3",
            status="suspended",
            status_changed_at=T0 + timedelta(days=10),
        ),
        _account(
            "2",
            "relay 21",
            name="Vigil Relay 21",
            status="suspended",
            status_changed_at=T0 + timedelta(days=12),
        ),
        _account(
            "3",
            "pavel_orlov",
            name="Pavel Orlov",
            status="deleted",
            status_changed_at=T0 + timedelta(days=11),
        ),
        _account("11", "relay 3", name="Vigil Relay 3", created_at=T0 + timedelta(days=10, hours=3)),
        _account("12", "relay 21", name="Vigil Relay 21", created_at=T0 + timedelta(days=12, hours=5)),
        _account("13", "pavel_orloff", name="Pavel Orlov", created_at=T0 + timedelta(days=11, hours=9)),
        # same name, but created long before: an old account, not a re-creation
        _account("14", "pavel_orlov_2", name="Pavel Orlov", created_at=T0 - timedelta(days=900)),
    ]
    posts = []
    for aid, stop in stops.items():
        for d in range(stop):
            posts.append(PostRow("x", f"{aid}-{d}", aid, T0 + timedelta(days=d, hours=2), f"note {aid} {d}"))
        for d in range(stop + 1, stop + 15):
            posts.append(
                PostRow("x", f"1{aid}-{d}", f"1{aid}", T0 + timedelta(days=d, hours=2), f"new {aid} {d}")
            )
    for d in range(0, 30):
        posts.append(PostRow("x", f"14-{d}", "14", T0 + timedelta(days=d, hours=5), f"old account {d}"))
    data = assemble(accounts, posts, [])
    ids = data.accounts.account_id
    got = {(ids[lk.account], ids[lk.predecessor]) for lk in find_links(data) if lk.link == "recreated"}
    assert got == {("11", "1"), ("12", "2"), ("13", "3")}


def test_commentary_hits_do_not_make_a_journalist_a_propagandist(eco) -> None:
    data, truth = eco
    index = data.accounts.index()
    p = data.posts
    core = [index[k] for k in truth.core]
    watchers = [index[k] for k in truth.journalists + truth.researchers]
    # detection flags the community's posts, and every post of journalists and researchers that
    # quotes or mentions it (commentary), none of them reviewed yet
    p.flag[np.isin(p.account, core)] = 0.9
    p.flag[np.isin(p.account, watchers) & ((p.code == 3) | (p.mentions > 0))] = 0.6
    data.detection = True
    try:
        ranking = rank_accounts(data)
        assert ranking.seed_source == "detection"
        top20 = set(ranking.order[:20].tolist())
        assert not top20 & set(watchers)
        assert all(ranking.role[w] == "bystander" for w in watchers)
        assert all(ranking.features.hit_stance[w] <= 0.5 for w in watchers)
        assert sum(ranking.role[c] == "originator" for c in core) >= len(core) - 1
    finally:
        p.flag[:] = 0
        data.detection = False


def test_a_text_campaign_sharing_its_hashtags_is_one_group() -> None:
    posts = []
    for burst in range(4):
        for k, acc in enumerate("pqrs"):
            t = T0 + timedelta(days=burst, seconds=10 * k)
            posts.append(
                PostRow(
                    "x",
                    f"{acc}{burst}",
                    acc,
                    t,
                    f"placeholder campaign sentence number {burst} about the valley{'!' * k}",
                    hashtags=["valley", f"tag{burst}"],
                )
            )
    data = assemble([], posts, [])
    groups = find_coordination(data, window=120, min_repeats=3)
    assert len(groups) == 1 and groups[0].kind == "co-similar-text"
    assert [a["kind"] for a in groups[0].evidence["also"]] == ["co-hashtag"]


def test_truncated_urls_and_bare_hosts_are_not_domains() -> None:
    times, urls = [], []
    for week in range(4):
        for k in range(6):
            times.append((T0 + timedelta(weeks=week, hours=k)).timestamp())
            urls.append(
                ["https://files.example.net/x"] if k else ["https://files.exam…", "https://filesexample/"]
            )
    times.append((T0 + timedelta(weeks=3)).timestamp())
    urls.append(["https://files.exa"])
    domains = {s.domain for s in domain_stats(np.asarray(times), urls, {})}
    assert domains == {"files.example.net"}


def test_subdomains_belong_to_their_platform() -> None:
    stats = domain_stats(
        np.asarray([T0.timestamp()]), [["https://m.youtube.com/watch?v=1"]], {"youtube.com": "youtube"}
    )
    assert stats[0].platform == "youtube" and stats[0].known


def test_ranking_is_repeatable(eco) -> None:
    data, _ = eco
    first, second = rank_accounts(data), rank_accounts(data)
    assert first.order.tolist() == second.order.tolist()
    assert first.community.tolist() == second.community.tolist()
