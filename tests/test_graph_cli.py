"""Graph commands on SQLite and PostgreSQL: JSON contracts of accounts, seed, coordination,
resurgence, platforms and graph export over an imported generated ecosystem."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from openiru.commands import graph as graph_commands
from openiru.graph.synthetic import Rows, Truth, small_ecosystem_rows
from openiru.model import Account, AccountKey, AccountStatus, Media, Mention, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.sources.base import Record, Source

runner = CliRunner()
# Only this area's commands: the test does not depend on other areas' command modules.
app = typer.Typer()
graph_commands.register(app)


class RowsSource(Source):
    """The synthetic ecosystem as model records, as an importer would yield them."""

    name = "synthetic"
    default_platform = "x"

    def __init__(self, rows: Rows) -> None:
        super().__init__(Path("memory"), None)
        self.rows = rows

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        return 0.0

    def records(self) -> Iterator[Record]:
        for a in self.rows.accounts:
            yield Account(
                AccountKey(a.platform, a.account_id),
                handle=a.handle,
                display_name=a.display_name,
                bio=a.bio,
                followers=a.followers,
                status=AccountStatus(a.status),
                status_changed_at=a.status_changed_at,
            )
        for p in self.rows.posts:
            media = [
                Media(sha256=m.split(":", 1)[1]) for m in self.rows.media.get((p.platform, p.post_id), [])
            ]
            yield Post(
                PostKey(p.platform, p.post_id),
                AccountKey(p.platform, p.account_id),
                p.timestamp,
                text=p.text,
                urls=list(p.urls or []),
                hashtags=list(p.hashtags or []),
                mentions=[Mention(account_id=m) for m in p.mentions],
                repost_of=PostKey(p.platform, p.repost_of) if p.repost_of else None,
                quote_of=PostKey(p.platform, p.quote_of) if p.quote_of else None,
                forward_from=AccountKey(p.platform, p.forward_from) if p.forward_from else None,
                media=media,
            )


@pytest.fixture
def loaded(engine: sa.Engine, db_url: str) -> tuple[str, Truth]:
    rows, truth = small_ecosystem_rows(seed=5, benign=40, core=4, amplifiers=12, distributors=6, days=28)
    ingest_source(engine, RowsSource(rows), after_batch=())
    return db_url, truth


def _json(*args: str) -> object:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_commands_return_the_contracted_json(loaded: tuple[str, Truth], tmp_path: Path) -> None:
    url, truth = loaded
    rows = _json("accounts", "--top", "10", "--json", "--db", url)
    assert isinstance(rows, list) and len(rows) == 10
    assert set(rows[0]) >= {"platform", "account_id", "handle", "score", "role", "community", "evidence"}
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    community = {
        *truth.core,
        *truth.distributors,
        *truth.amplifiers,
        *(n for n, _ in truth.recreated),
        *(b for _, b in truth.cross_platform),
    }
    assert sum((r["platform"], r["account_id"]) in community for r in rows) >= 9
    outsiders = {*truth.journalists, *truth.researchers}
    assert not any((r["platform"], r["account_id"]) in outsiders for r in rows)
    tg = _json("accounts", "--platform", "telegram", "--json", "--db", url)
    assert tg and all(r["platform"] == "telegram" for r in tg)
    assert [r["score"] for r in tg] == sorted((r["score"] for r in tg), reverse=True)
    floor = rows[4]["score"] - 1e-6  # scores are printed rounded to six places
    above = _json("accounts", "--min-score", str(floor), "--json", "--db", url)
    assert above and len(above) >= 5 and all(r["score"] >= floor for r in above)

    core = truth.core[-1]
    result = runner.invoke(app, ["seed", "add", core[0], core[1], "--as", "analyst1", "--db", url])
    assert result.exit_code == 0, result.output
    seeds = _json("seed", "list", "--json", "--db", url)
    assert seeds[0]["account_id"] == core[1] and seeds[0]["added_by"] == "analyst1"
    after = _json("accounts", "--top", "20", "--json", "--db", url)
    seeded = next(r for r in after if r["account_id"] == core[1])
    assert seeded["evidence"]["is_seed"] and "analysts" in seeded["evidence"]["seed_source"]
    assert runner.invoke(app, ["seed", "remove", core[0], core[1], "--db", url]).exit_code == 0
    assert _json("seed", "list", "--json", "--db", url) == []

    groups = _json("coordination", "--window", "60", "--min-repeats", "3", "--json", "--db", url)
    assert groups and set(groups[0]) == {"accounts", "kind", "score", "evidence"}
    assert set(groups[0]["accounts"][0]) == {"platform", "account_id", "handle"}
    amps = set(truth.groups[0][1])
    reposters = [g for g in groups if g["kind"] == "co-repost"]
    assert any(
        len(amps & {(a["platform"], a["account_id"]) for a in g["accounts"]}) >= len(amps) - 1
        for g in reposters
    )

    links = _json("resurgence", "--json", "--db", url)
    assert all(
        set(x)
        >= {
            "platform",
            "account_id",
            "predecessor_platform",
            "predecessor_account_id",
            "score",
            "evidence",
            "handle",
            "predecessor_handle",
        }
        for x in links
    )
    assert all(x["score"] >= 0.9 for x in links)
    assert len(_json("resurgence", "--min-score", "0.999999", "--json", "--db", url)) <= len(links)
    assert runner.invoke(app, ["resurgence", "--min-score", "2", "--db", url]).exit_code != 0
    got = {
        (
            (x["platform"], x["account_id"]),
            (x["predecessor_platform"], x["predecessor_account_id"]),
            x["evidence"]["link"],
        )
        for x in links
    }
    for new, old in truth.recreated:
        assert (new, old, "recreated") in got
    # ban-evasion links only by default; the same actor on other platforms on request
    assert all(link == "recreated" for *_, link in got)
    both = _json("resurgence", "--cross-platform", "--json", "--db", url)
    assert any(x["evidence"]["link"] == "cross-platform" for x in both)
    assert len(both) > len(links)

    domains = _json("platforms", "--json", "--db", url)
    assert set(domains[0]) >= {"domain", "platform", "known", "flagged_links", "first_seen", "weekly"}
    emerging = _json("platforms", "--emerging", "--json", "--db", url)
    assert [d["domain"] for d in emerging] == truth.emerging

    weeks = _json("migration", "--json", "--db", url)
    assert weeks and all(abs(sum(v["share"] for v in w["platforms"].values()) - 1.0) < 0.01 for w in weeks)
    assert {"x", "telegram"} <= {p for w in weeks for p in w["platforms"]}
    one = _json("migration", "--community", "0", "--json", "--db", url)
    assert one and sum(w["posts"] for w in one) < sum(w["posts"] for w in weeks)

    out = tmp_path / "g.gexf"
    result = runner.invoke(app, ["graph", "export", "--format", "gexf", "--out", str(out), "--db", url])
    assert result.exit_code == 0, result.output
    assert ET.parse(out).getroot().tag.endswith("gexf")
    result = runner.invoke(app, ["graph", "export", "--format", "csv", "--db", url])
    assert result.exit_code == 0 and result.stdout.startswith("source,target,kind,weight")
