"""One plugin registry (issue 13 item 4): every entry-point group named in openiru.plugins, each
with a built-in registered like a plug-in, a loader that survives a broken plug-in, and
suppression and quarantine applied to a plug-in matcher's hits."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from importlib.metadata import EntryPoint, distribution
from pathlib import Path

import pytest

from openiru import plugins
from openiru.detect import pipeline
from openiru.detect.evidence import Hit, ScanMedia, ScanPost
from openiru.detect.matcher import MEDIA, TEXT, Matcher
from openiru.detect.pipeline import BankItem, BankSpec, Detector, Ruleset

ROOT = Path(__file__).resolve().parents[1]
GROUP_NAME = re.compile(
    r"openiru\.(?:sources|matchers|channels|ingest_hooks|demo_steps|connectors|[a-z]+_[a-z_]+s)\b"
)


@pytest.fixture(autouse=True)
def fresh_registry():
    plugins.reload()
    yield
    plugins.reload()


def declared_groups() -> dict[str, dict[str, str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {g: dict(eps) for g, eps in data["project"]["entry-points"].items()}


def test_pyproject_declares_exactly_the_groups_plugins_names() -> None:
    assert set(declared_groups()) == set(plugins.GROUPS)


@pytest.mark.parametrize("group", sorted(plugins.GROUPS))
def test_each_group_has_a_builtin_registered_as_an_entry_point(group: str) -> None:
    declared = declared_groups()[group]
    assert declared and all(v.startswith("openiru.") for v in declared.values())
    installed = {ep.name: ep.value for ep in distribution("openiru").entry_points if ep.group == group}
    assert installed == declared, "reinstall (pip install -e .): the installed entry points are stale"
    loaded = plugins.load_group(group)
    assert set(declared) <= set(loaded)
    assert plugins.broken(group) == []


def test_developers_guide_and_docs_name_the_same_groups() -> None:
    guide = (ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")
    docs = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md")))
    for group in plugins.GROUPS:
        assert f"`{group}`" in guide, f"DEVELOPERS.md does not name {group}"
        assert group in docs, f"no page under docs/ names {group}"
    named = set(GROUP_NAME.findall(guide)) | set(GROUP_NAME.findall(docs))
    assert named <= set(plugins.GROUPS), (
        f"groups named in the docs but unknown: {named - set(plugins.GROUPS)}"
    )


def test_builtin_matchers_are_the_seven_split_by_kind() -> None:
    found = {
        name: cls for name, cls in plugins.matchers().items() if cls.__module__ == "openiru.detect.matchers"
    }
    assert set(found) == {"hashes", "pdq", "text", "term", "url", "wallet", "classifier"}
    assert {n for n, c in found.items() if c.kind == MEDIA} == {"hashes", "pdq"}
    detector = Detector(Ruleset())
    assert [m.name for m in detector.media_matchers][:2] == ["hashes", "pdq"]
    assert [m.name for m in detector.text_matchers][:5] == ["text", "term", "url", "wallet", "classifier"]


def test_delivery_channels_come_from_the_entry_points_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from openiru.services.referral import delivery

    assert set(delivery.channel_classes()) == set(declared_groups()["openiru.channels"])
    monkeypatch.setattr(
        plugins,
        "entry_points",
        lambda group: [EntryPoint("export", "openiru.services.referral.channels:ExportChannel", group)],
    )
    plugins.reload()
    assert set(delivery.channel_classes()) == {"export"}  # nothing hard-coded beside them


def test_a_broken_plugin_is_left_out_named_and_listed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = plugins.entry_points

    def with_broken(group: str) -> list[EntryPoint]:
        eps = list(real(group=group))
        if group == plugins.MATCHER_GROUP:
            eps += [
                EntryPoint("gone", "openiru_no_such_plugin.matcher:Gone", group),
                EntryPoint("misspelt", "openiru.detect.matchers:NoSuchMatcher", group),
            ]
        return eps

    monkeypatch.setattr(plugins, "entry_points", with_broken)
    loaded = plugins.matchers()
    assert "gone" not in loaded and "misspelt" not in loaded
    assert {"hashes", "term"} <= set(loaded)  # the others still load
    assert {b.name for b in plugins.broken(plugins.MATCHER_GROUP)} == {"gone", "misspelt"}
    assert {b.name for b in plugins.broken()} == {"gone", "misspelt"}
    err = capsys.readouterr().err
    assert "openiru.matchers plugin 'gone'" in err and "ModuleNotFoundError" in err
    assert "'misspelt'" in err and "AttributeError" in err
    assert Detector(Ruleset()).text_matchers  # detection still works without them


def test_an_unknown_group_is_an_error() -> None:
    with pytest.raises(KeyError, match="openiru.matcher"):
        plugins.load_group("openiru.matcher")


# ---------------------------------------------------------------- plug-in matchers and suppression
SUPPRESSED_SHA = "ab" * 32
KNOWN_FP_TEXT = (
    "the fictional harbour office posted its routine placeholder notice about ferry times "
    "and the volunteer rota for the spring market"
)


class ProbeMedia(Matcher):
    """A plug-in media matcher: a hit on every media item, naming bank item 7."""

    name, kind = "probe-media", MEDIA

    def __init__(self, ruleset: Ruleset) -> None:
        pass

    def scan(self, posts: Sequence[ScanPost], normalised: Sequence[str]) -> list[list[Hit]]:
        return [[Hit(self.name, 0.9, "probe", 7, media_key=m.key) for m in p.media] for p in posts]


class ProbeText(Matcher):
    """A plug-in text matcher: a hit on every post with text, on bank item 8 (or 9 when it says 'nine')."""

    name, kind = "probe-text", TEXT

    def __init__(self, ruleset: Ruleset) -> None:
        pass

    def scan(self, posts: Sequence[ScanPost], normalised: Sequence[str]) -> list[list[Hit]]:
        return [[Hit(self.name, 0.9, "probe", 9 if "nine" in n else 8)] if n else [] for n in normalised]


def ruleset() -> Ruleset:
    banks = {
        "fp-media": BankSpec("fp-media", "sha256", purpose="suppression"),
        "fp-text": BankSpec("fp-text", "text", purpose="suppression"),
        "probe": BankSpec("probe", "sha256"),
    }
    items = [
        BankItem(1, "fp-media", "sha256", SUPPRESSED_SHA),
        BankItem(2, "fp-text", "text", KNOWN_FP_TEXT),
        BankItem(9, "probe", "sha256", "cd" * 32, status="quarantined"),
    ]
    return Ruleset(banks, items)


@pytest.fixture
def detector(monkeypatch: pytest.MonkeyPatch) -> Detector:
    real = plugins.matchers
    monkeypatch.setattr(
        pipeline,
        "registered_matchers",
        lambda: {**real(), "probe-media": ProbeMedia, "probe-text": ProbeText},
    )
    return Detector(ruleset())


def probe_hits(result, name: str) -> list[Hit]:  # noqa: ANN001
    return [h for h in result.hits if h.matcher == name]


def test_plugin_matchers_run_through_the_registry(detector: Detector) -> None:
    assert "probe-media" in [m.name for m in detector.media_matchers]
    assert detector.text_matchers[-1].name == "probe-text"  # plug-ins after the built-ins


def test_suppression_bank_vetoes_a_plugin_hit_on_the_same_media(detector: Detector) -> None:
    posts = [
        ScanPost("x", "1", "a", "", media=[ScanMedia("m-fp", sha256=SUPPRESSED_SHA), ScanMedia("m-ok")]),
        ScanPost("x", "2", "a", "", media=[ScanMedia("m-other", sha256="ef" * 32)]),
    ]
    first, second = detector.scan(posts)
    by_media = {h.media_key: h.suppressed for h in probe_hits(first, "probe-media")}
    assert by_media == {"m-fp": True, "m-ok": False}
    assert [h.suppressed for h in probe_hits(second, "probe-media")] == [False]
    # the parallel scanner's media half applies it too
    assert [h.suppressed for h in probe_hits(detector.scan_media(posts)[0], "probe-media")] == [True, False]


def test_suppressed_text_vetoes_a_plugin_text_hit(detector: Detector) -> None:
    fp, other = detector.scan(
        [
            ScanPost("x", "1", "a", KNOWN_FP_TEXT.upper()),
            ScanPost("x", "2", "a", "a different neutral sentence about the weather"),
        ]
    )
    assert [h.suppressed for h in probe_hits(fp, "probe-text")] == [True]
    assert [h.suppressed for h in probe_hits(other, "probe-text")] == [False]
    assert not fp.alerting_hits and other.alerting_hits


def test_quarantine_applies_to_a_plugin_hit(detector: Detector) -> None:
    nine, eight = detector.scan([ScanPost("x", "1", "a", "item nine here"), ScanPost("x", "2", "a", "eight")])
    assert [(h.suppressed, h.detail.get("quarantined")) for h in probe_hits(nine, "probe-text")] == [
        (True, True)
    ]
    assert [h.suppressed for h in probe_hits(eight, "probe-text")] == [False]
    detector.quarantine([8])
    assert [
        h.suppressed for h in probe_hits(detector.scan([ScanPost("x", "3", "a", "eight")])[0], "probe-text")
    ] == [True]


def test_a_matcher_of_unknown_kind_is_refused() -> None:
    class Odd(ProbeText):
        kind = "audio"

    with pytest.raises(ValueError, match="kind 'audio'"):
        Detector(Ruleset(), [Odd(Ruleset())])
