"""Write the interaction graph for Gephi and other tools: GEXF, GraphML or CSV.

GraphML is written by igraph.  GEXF is written here with ``xml.etree``: igraph has no GEXF writer
and networkx (which has one) is not a dependency; the subset needed (static nodes and weighted,
typed edges with attributes) is small.  CSV writes an edge list and, beside it, a node list.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import igraph as ig
import numpy as np

from .data import GraphData
from .interaction import KIND_NAMES, InteractionGraph

GEXF_NS = "http://gexf.net/1.3"


def _iso(t: float) -> str:
    return np.datetime_as_string(np.datetime64(int(t), "s"), unit="s") + "Z"


def node_rows(
    data: GraphData, g: InteractionGraph, extra: dict[str, np.ndarray | list[Any]] | None = None
) -> list[dict[str, Any]]:
    a = data.accounts
    rows = []
    for i in g.nodes.tolist():
        row = {
            "id": f"{a.platform[i]}:{a.account_id[i]}",
            "platform": a.platform[i],
            "account_id": a.account_id[i],
            "handle": a.handle[i] or "",
            "label": a.handle[i] or a.display_name[i] or a.account_id[i],
        }
        for name, values in (extra or {}).items():
            row[name] = values[i]
        rows.append(row)
    return rows


def edge_rows(data: GraphData, g: InteractionGraph) -> list[dict[str, Any]]:
    a = data.accounts
    return [
        {
            "source": f"{a.platform[s]}:{a.account_id[s]}",
            "target": f"{a.platform[d]}:{a.account_id[d]}",
            "kind": KIND_NAMES[k],
            "weight": float(w),
            "first": _iso(f),
            "last": _iso(la),
        }
        for s, d, k, w, f, la in zip(
            g.src.tolist(),
            g.dst.tolist(),
            g.kind.tolist(),
            g.weight.tolist(),
            g.first.tolist(),
            g.last.tolist(),
            strict=True,
        )
    ]


def write_csv(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], out: Path) -> list[Path]:
    """Edges to ``out``; nodes to ``out`` with ``.nodes`` before the suffix."""
    node_path = out.with_name(out.stem + ".nodes" + (out.suffix or ".csv"))
    for path, rows, fields in (
        (out, edges, ["source", "target", "kind", "weight", "first", "last"]),
        (node_path, nodes, list(nodes[0]) if nodes else ["id"]),
    ):
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    return [out, node_path]


def write_graphml(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], out: Path) -> None:
    index = {row["id"]: k for k, row in enumerate(nodes)}
    graph = ig.Graph(
        n=len(nodes), edges=[(index[e["source"]], index[e["target"]]) for e in edges], directed=True
    )
    for name in nodes[0] if nodes else ():
        # igraph writes its own node ids; the account key goes in as the vertex name
        graph.vs["name" if name == "id" else name] = [row[name] for row in nodes]
    for name in ("kind", "weight", "first", "last"):
        graph.es[name] = [e[name] for e in edges]
    graph.write_graphml(str(out))


def write_gexf(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], out: Path) -> None:
    ET.register_namespace("", GEXF_NS)
    root = ET.Element(f"{{{GEXF_NS}}}gexf", {"version": "1.3"})
    meta = ET.SubElement(root, f"{{{GEXF_NS}}}meta")
    ET.SubElement(meta, f"{{{GEXF_NS}}}creator").text = "OpenIRU"
    graph = ET.SubElement(root, f"{{{GEXF_NS}}}graph", {"defaultedgetype": "directed", "mode": "static"})
    node_fields = [k for k in (nodes[0] if nodes else {}) if k not in ("id", "label")]
    attrs = ET.SubElement(graph, f"{{{GEXF_NS}}}attributes", {"class": "node"})
    for k, name in enumerate(node_fields):
        value = nodes[0][name]
        kind = "double" if isinstance(value, float) else "integer" if isinstance(value, int) else "string"
        ET.SubElement(attrs, f"{{{GEXF_NS}}}attribute", {"id": str(k), "title": name, "type": kind})
    eattrs = ET.SubElement(graph, f"{{{GEXF_NS}}}attributes", {"class": "edge"})
    for k, name in enumerate(("kind", "first", "last")):
        ET.SubElement(eattrs, f"{{{GEXF_NS}}}attribute", {"id": str(k), "title": name, "type": "string"})
    xnodes = ET.SubElement(graph, f"{{{GEXF_NS}}}nodes")
    for row in nodes:
        node = ET.SubElement(xnodes, f"{{{GEXF_NS}}}node", {"id": row["id"], "label": str(row["label"])})
        values = ET.SubElement(node, f"{{{GEXF_NS}}}attvalues")
        for k, name in enumerate(node_fields):
            ET.SubElement(values, f"{{{GEXF_NS}}}attvalue", {"for": str(k), "value": str(row[name])})
    xedges = ET.SubElement(graph, f"{{{GEXF_NS}}}edges")
    for k, e in enumerate(edges):
        edge = ET.SubElement(
            xedges,
            f"{{{GEXF_NS}}}edge",
            {
                "id": str(k),
                "source": e["source"],
                "target": e["target"],
                "weight": str(e["weight"]),
                "label": e["kind"],
            },
        )
        values = ET.SubElement(edge, f"{{{GEXF_NS}}}attvalues")
        for j, name in enumerate(("kind", "first", "last")):
            ET.SubElement(values, f"{{{GEXF_NS}}}attvalue", {"for": str(j), "value": str(e[name])})
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)


def export_graph(
    data: GraphData,
    g: InteractionGraph,
    fmt: str,
    out: Path,
    extra: dict[str, np.ndarray | list[Any]] | None = None,
) -> list[Path]:
    nodes = node_rows(data, g, extra)
    edges = edge_rows(data, g)
    if fmt == "csv":
        return write_csv(nodes, edges, out)
    if fmt == "graphml":
        write_graphml(nodes, edges, out)
    elif fmt == "gexf":
        write_gexf(nodes, edges, out)
    else:
        raise ValueError(f"unknown export format {fmt!r}: gexf, graphml or csv")
    return [out]
