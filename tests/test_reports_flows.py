"""Migration drawn as flows: the transfers between two weeks' shares by hand, the alluvial
chart's band widths proportional to them, names escaped, and the weeks the chart shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from openiru.report.charts import flow_chart
from openiru.report.modus import transfers
from openiru.services.report.modus_operandi import _flow_weeks

SVG = "{http://www.w3.org/2000/svg}"


def test_transfers_by_hand() -> None:
    # x keeps 20 of 80, telegram keeps 20; x loses 60, gab gains 50 and telegram 10 -> 60 split 50:10
    f = transfers({"x": 80, "telegram": 20}, {"x": 20, "gab": 50, "telegram": 30})
    assert f == {("x", "x"): 20, ("telegram", "telegram"): 20, ("x", "gab"): 50, ("x", "telegram"): 10}
    # two shrinking, one growing: each loser's whole loss goes to the one that grows
    g = transfers({"a": 50, "b": 50}, {"a": 30, "b": 10, "c": 60})
    assert g == {("a", "a"): 30, ("b", "b"): 10, ("a", "c"): 20, ("b", "c"): 40}
    assert transfers({"a": 100}, {"a": 100}) == {("a", "a"): 100}


def test_flow_widths_proportional_to_counts() -> None:
    stacks = [{"x": 80.0, "telegram": 20.0}, {"x": 20.0, "gab": 50.0, "telegram": 30.0}, {"gab": 100.0}]
    flows = [transfers(stacks[0], stacks[1]), transfers(stacks[1], stacks[2])]
    hand = {
        ("x", "x", 0): 20,
        ("telegram", "telegram", 0): 20,
        ("x", "gab", 0): 50,
        ("x", "telegram", 0): 10,
        ("gab", "gab", 1): 50,
        ("x", "gab", 1): 20,
        ("telegram", "gab", 1): 30,
    }
    root = ET.fromstring(
        flow_chart("Flows", ["2026-W01", "2026-W02", "2026-W03"], stacks, flows, "week", "%")
    )
    bands = {
        tuple(p.get("data-flow").split("|")): float(p.get("stroke-width")) for p in root.iter(SVG + "path")
    }
    assert {(a, b, int(i)) for a, b, i in bands} == set(hand)
    scale = bands[("x", "gab", "0")] / 50
    assert scale > 0
    for (a, b, i), w in bands.items():
        assert w == pytest.approx(hand[(a, b, int(i))] * scale, abs=0.01)
    # the blocks use the same scale: x's block in the first week is 80 units high
    blocks = {
        r.findtext(SVG + "title"): float(r.get("height"))
        for r in root.iter(SVG + "rect")
        if r.find(SVG + "title") is not None
    }
    assert blocks["x: 80 %"] == pytest.approx(80 * scale, abs=0.1)
    assert root.findtext(SVG + "text") == "Flows"


def test_flow_chart_escapes_names_and_handles_no_data() -> None:
    svg = flow_chart(
        "A <b> & c",
        ["w1", "w2"],
        [{"<script>": 100.0}, {"x&y": 100.0}],
        [transfers({"<script>": 100.0}, {"x&y": 100.0})],
        "week",
        "%",
    )
    root = ET.fromstring(svg)  # well-formed: every name escaped
    assert "<script>" not in svg and not list(root.iter(SVG + "script"))
    assert any(t.text == "<script>" for t in root.iter(SVG + "text"))
    assert "no data" in flow_chart("Flows", [], [], [], "week", "%")


def test_flow_weeks() -> None:
    weeks = [f"2026-W{i:02d}" for i in range(1, 31)]
    assert _flow_weeks(weeks[:5], []) == weeks[:5]
    assert _flow_weeks(weeks, ["2026-W10", "2026-W20"]) == [
        "2026-W01",
        "2026-W09",
        "2026-W10",
        "2026-W19",
        "2026-W20",
        "2026-W30",
    ]
    assert len(_flow_weeks(weeks, weeks[1::2])) <= 10
