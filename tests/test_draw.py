"""Graph pictures: DOT text parsed and checked; SVG and PNG made for real by Graphviz."""

import json
import math
import re
import shutil
import subprocess

import numpy as np
import pytest

import chainrule as cr
from chainrule.explanation import draw

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")

NODE = re.compile(r"^\s*(\w+) \[(.*)\];$")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$")


def parse(dot: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """DOT statements -> ({node id: attributes}, [(tail, head, attributes)])."""
    nodes, edges = {}, []
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    for line in dot.splitlines()[1:-1]:
        if m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
        elif (m := NODE.match(line)) and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = m.group(2)
    return nodes, edges


def node_id(nodes: dict[str, str], name: str) -> str:
    (nid,) = [k for k, attrs in nodes.items() if f"<b>{name}</b>" in attrs]
    return nid


def label(attrs: str) -> str:
    return re.search(r'label=" (.*) "', attrs).group(1)


def problem1():
    v = {n: cr.Scalar(val, n) for n, val in
         dict(x1=math.pi / 2, w1=1.0, x2=math.pi / 2, w2=1.0).items()}
    f = 1 / (2 + cr.sin(v["x1"] * v["w1"]) ** 2 + cr.cos(v["x2"] * v["w2"]))
    return v, f


def test_x_times_x_has_two_edges_from_x():
    x = cr.Scalar(3.0, "x")
    nodes, edges = parse(cr.to_dot(x * x))
    xid, mid = node_id(nodes, "x"), node_id(nodes, "v1")
    into = [e for e in edges if e[:2] == (xid, mid)]
    assert len(into) == 2
    assert [label(e[2]) for e in into] == ["x = 3.0", "x = 3.0"]
    assert "grad 6.0" in nodes[xid] and "value 9.0" in nodes[mid]


def test_problem1_nodes_edges_and_labels():
    v, f = problem1()
    nodes, edges = parse(cr.to_dot(f, params=[v["w1"], v["w2"]]))
    graph_nodes = [k for k in nodes if k.startswith("n")]
    constants = [k for k in nodes if k.startswith("c")]
    assert len(graph_nodes) == 12 and "legend" in nodes
    assert sorted(re.search(r'label="(.*?)"', nodes[c]).group(1) for c in constants) == [
        "1", "2", "2"]
    between = [e for e in edges if e[0].startswith("n")]
    assert len(between) == 11 and len(edges) == 14
    ids = {n: node_id(nodes, n) for n in ("x1", "w1", "x2", "w2", "v1", "v5", "v7", "v8")}
    edge = {(t, h): a for t, h, a in edges}
    assert label(edge[ids["v7"], ids["v8"]]) == "-1/v7**2 = -0.1111"
    assert label(edge[ids["w2"], ids["v5"]]) == "x2 = 1.571"
    assert label(edge[ids["x1"], ids["v1"]]) == "w1 = 1.0"
    assert "grad 0.1111" in nodes[ids["x2"]] and "grad 0.1745" in nodes[ids["w2"]]
    assert "v8</b> = 1 / v7" in nodes[ids["v8"]] and "value 0.3333" in nodes[ids["v8"]]


def test_colours_tell_inputs_parameters_constants_and_output_apart():
    v, f = problem1()
    nodes, _ = parse(cr.to_dot(f, params=[v["w1"]]))
    fill = {k: m.group(1) for k, a in nodes.items()
            if (m := re.search(r'fillcolor="(#\w+)"', a))}
    colours = draw.COLOURS
    assert fill[node_id(nodes, "x1")] == colours["input"][0]
    assert fill[node_id(nodes, "w1")] == colours["parameter"][0]
    assert fill[node_id(nodes, "w2")] == colours["input"][0]
    assert fill[node_id(nodes, "v8")] == colours["output"][0]
    assert fill[node_id(nodes, "v3")] == colours["gate"][0]
    assert all(fill[c] == colours["constant"][0] for c in nodes if c.startswith("c"))
    legend = nodes["legend"]
    assert all(text in legend for _, _, text in colours.values())


def test_tensor_edges_show_vjp_formulas_and_shapes():
    W = cr.tensor(np.eye(3), requires_grad=True, name="W")
    x = cr.tensor([[1.0], [2.0], [3.0]], requires_grad=True, name="x")
    f = np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2
    nodes, edges = parse(cr.to_dot(f))
    wid, xid, mid = node_id(nodes, "W"), node_id(nodes, "x"), node_id(nodes, "v1")
    edge = {(t, h): a for t, h, a in edges}
    assert label(edge[wid, mid]) == "dW = g @ x.T"
    assert label(edge[xid, mid]) == "dx = W.T @ g"
    assert "shape (3, 3)" in nodes[wid] and "shape (3, 1)" in nodes[mid]
    s = 1 / (1 + np.exp(-np.array([1.0, 2.0, 3.0])))
    g = 2 * s * s * (1 - s)
    assert f"grad [[{g[0]:.4g}], [{g[1]:.4g}], [{g[2]:.4g}]]" in nodes[xid]


def test_drawing_does_not_change_grad():
    v, f = problem1()
    cr.to_dot(f)
    assert all(n.grad is None for n in v.values())


def test_a_constant_tensor_is_drawn_as_a_constant():
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    c = cr.tensor([3.0, 4.0], name="c")
    nodes, edges = parse(cr.to_dot(cr.sum(x * c)))
    cid = node_id(nodes, "c")
    assert draw.COLOURS["constant"][0] in nodes[cid]
    (into,) = [e for e in edges if e[0] == cid]
    assert "dashed" in into[2] and "label" not in into[2]


@pytest.fixture(scope="module")
def deep_chain():
    x = cr.Scalar(0.5, "x")
    y = x
    for k in range(100_000):
        y = cr.sin(y) if k % 2 else y * 1.0001
    return y


def test_100000_deep_chain_is_collapsed_with_a_count(deep_chain):
    nodes, edges = parse(cr.to_dot(deep_chain, max_nodes=50))
    assert len([k for k in nodes if k.startswith("n")]) == 50
    assert '"... 99,951 nodes elided ..."' in nodes["elided"]
    assert ("n24", "elided", "style=dashed") in edges
    assert ("elided", "n99976", "style=dashed") in edges


@needs_dot
def test_render_svg_and_png_for_real(tmp_path):
    v, f = problem1()
    svg = cr.render(f, tmp_path / "p1.svg")
    assert svg == tmp_path / "p1.svg" and sorted(tmp_path.iterdir()) == [svg]
    text = svg.read_text()
    assert "<svg" in text and ">x1<" in text and "&#45;1/v7**2 = &#45;0.1111" in text
    png = cr.render(f, tmp_path / "p1.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


@needs_dot
def test_graphviz_reads_the_same_graph(tmp_path):
    x, y = cr.Scalar(3.0, "x"), cr.Scalar(4.0, "y")
    source = cr.to_dot(x * y + x, legend=False)
    out = subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True,
                         check=True).stdout
    graph = json.loads(out)
    names = {o["_gvid"]: o["name"] for o in graph["objects"]}
    assert len(graph["objects"]) == 4
    pairs = sorted((names[e["tail"]], names[e["head"]]) for e in graph["edges"])
    assert pairs == [("n0", "n2"), ("n0", "n3"), ("n1", "n2"), ("n2", "n3")]


@needs_dot
def test_render_collapsed_deep_chain(tmp_path, deep_chain):
    out = cr.render(deep_chain, tmp_path / "deep.svg", max_nodes=20)
    assert "99,981 nodes elided" in out.read_text()


def test_render_without_dot_names_the_program_and_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(draw.shutil, "which", lambda name: None)
    x = cr.Scalar(2.0, "x")
    with pytest.raises(cr.GraphvizNotFound, match=r"`dot` program.*apt-get install graphviz"):
        cr.render(x * x, tmp_path / "g.png")
    assert issubclass(cr.GraphvizNotFound, RuntimeError)
    assert list(tmp_path.iterdir()) == []
    assert (x * x)._repr_svg_() is None


def test_render_rejects_an_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"'\.jpg'"):
        cr.render(cr.Scalar(1.0) * 2.0, tmp_path / "g.jpg")


def test_render_dot_path_writes_only_dot(tmp_path):
    out = cr.render(cr.Scalar(1.0, "a") * 2.0, tmp_path / "g.dot")
    assert out.read_text().startswith("digraph chainrule")


@needs_dot
def test_scalar_and_tensor_render_in_jupyter_as_svg():
    x = cr.Scalar(2.0, "x")
    assert "<svg" in (x * x)._repr_svg_()
    t = cr.tensor([1.0, 2.0], requires_grad=True, name="t")
    assert "<svg" in cr.sum(t * t)._repr_svg_()
