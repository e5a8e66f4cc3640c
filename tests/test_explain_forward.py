"""cr.explain(f, mode="forward", wrt=...): the tangent table."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule as cr


def _problem1():
    x1, w1 = cr.Scalar(math.pi / 2, "x1"), cr.Scalar(1.0, "w1")
    x2, w2 = cr.Scalar(math.pi / 2, "x2"), cr.Scalar(1.0, "w2")
    return 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2)), (x1, w1, x2, w2)


def test_problem1_tangent_table_ends_in_the_published_gradients():
    f, (x1, w1, x2, w2) = _problem1()
    table = cr.explain(f, mode="forward", wrt="x2")
    assert table.rows[-1]["tangent"] == pytest.approx(0.1111111111111111)
    assert cr.explain(f, mode="forward", wrt=w2).rows[-1]["tangent"] == \
        pytest.approx(0.17453292519943295)
    assert cr.explain(f, mode="forward", wrt="x1").rows[-1]["tangent"] == pytest.approx(0.0)
    text = str(table)
    assert "d/dx2" in text and "seed: dot(x2) = 1.0" in text
    assert "(-1/v7**2) x dot(v7) = -0.111111 x -1.0" in text
    assert "-sin(v5) x dot(v5) = -1.0 x 1.0" in text
    row = next(r for r in table.rows if r["node"] == "v5")
    assert row["terms"] == [{"input": "x2", "local_formula": "w2", "local": 1.0,
                             "input_tangent": 1.0, "contribution": 1.0}]
    assert "0 (does not depend on x2)" in text


def test_every_tangent_matches_reverse_mode_per_node():
    f, leaves = _problem1()
    f.backward()
    for leaf in leaves:
        assert cr.explain(f, mode="forward", wrt=leaf).rows[-1]["tangent"] == \
            pytest.approx(leaf.grad, abs=1e-15)


def test_tensor_tangent_table_and_renderings():
    W = cr.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True, name="W")
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = cr.sum(cr.tanh(W @ x))
    table = cr.explain(y, mode="forward", wrt="x", seed=np.array([1.0, 0.0]))
    expected = cr.jvp(lambda x: cr.sum(cr.tanh(W.value @ x)), (x.value,),
                      (np.array([1.0, 0.0]),))[1]
    assert table.rows[-1]["tangent"] == pytest.approx(expected)
    assert "dv1/dx . dot(x)" in table.text()
    assert table.markdown().startswith("**")
    assert "<table" in table._repr_html_()
    data = json.loads(json.dumps(table.to_dict()))
    assert data["mode"] == "forward" and data["wrt"] == "x"
    assert repr(table).startswith("<TangentTable")


def test_forward_explain_errors():
    f, _ = _problem1()
    with pytest.raises(ValueError, match="wrt='nope' is not an input.*x1, w1"):
        cr.explain(f, mode="forward", wrt="nope")
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward'"):
        cr.explain(f, mode="sideways")


def test_the_picture_shows_tangents_on_nodes_and_edges(tmp_path):
    f, _ = _problem1()
    dot = cr.to_dot(f, wrt="x2")
    assert "d/dx2 0.1111" in dot                         # the output's tangent
    assert "(tangent 0.1111)" in dot                     # the last edge carries it
    assert "(tangent -1.0)" in dot
    assert "tangent" not in cr.to_dot(f)
    path = cr.render(f, tmp_path / "p1.dot", wrt="w2")
    assert "d/dw2 0.1745" in path.read_text()
