"""cr.explain: the homework's tables, computed from the rule table, checked against closed
forms written here."""

import json
import math

import numpy as np
import pytest

import chainrule as cr

HALF_PI = math.pi / 2


def problem1(x1=HALF_PI, w1=1.0, x2=HALF_PI, w2=1.0):
    v = {n: cr.Scalar(val, n) for n, val in dict(x1=x1, w1=w1, x2=x2, w2=w2).items()}
    f = 1 / (2 + cr.sin(v["x1"] * v["w1"]) ** 2 + cr.cos(v["x2"] * v["w2"]))
    return v, f


def section(text: str, caption: str) -> list[str]:
    """The lines of one table of ``text``: from its caption to the next blank line."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(caption))
    end = next((k for k in range(start, len(lines)) if not lines[k].strip()), len(lines))
    return lines[start + 1:end]


def by_input(e: cr.Explanation) -> dict:
    return {g["node"]: g for g in e.gradients}


# -- Problem 1: the scalar graph -----------------------------------------------------------

def test_problem1_gate_table_lists_each_gate_with_its_rule_as_the_homework_writes_it():
    _, f = problem1()
    gates = [(g["gate"], g["derivative_text"], g["nodes"]) for g in cr.explain(f).gates]
    assert gates == [
        ("f(x, y) = x * y", "df/dx = y, df/dy = x", ["v1", "v5"]),
        ("f(x) = sin(x)", "df/dx = cos(x)", ["v2"]),
        ("f(x) = x ** 2", "df/dx = 2 * x", ["v3"]),
        ("f(x) = 2 + x", "df/dx = 1", ["v4"]),
        ("f(x) = cos(x)", "df/dx = -sin(x)", ["v6"]),
        ("f(x, y) = x + y", "df/dx = 1, df/dy = 1", ["v7"]),
        ("f(x) = 1 / x", "df/dx = -1/x**2", ["v8"]),
    ]


def test_problem1_forward_table_text():
    _, f = problem1()
    assert section(cr.explain(f).text(), "Forward pass") == [
        "  step  node  op     inputs  value",
        "  ----  ----  -----  ------  -----------",
        "  1     x1    input          1.5708",
        "  2     w1    input          1.0",
        "  3     v1    mul    x1, w1  1.5708",
        "  4     v2    sin    v1      1.0",
        "  5     v3    pow    v2, 2   1.0",
        "  6     v4    add    2, v3   3.0",
        "  7     x2    input          1.5708",
        "  8     w2    input          1.0",
        "  9     v5    mul    x2, w2  1.5708",
        "  10    v6    cos    v5      6.12323e-17",
        "  11    v7    add    v4, v6  3.0",
        "  12    v8    div    1, v7   0.333333",
    ]


def test_problem1_forward_values_match_math():
    _, f = problem1(0.3, 1.7, -0.4, 2.2)
    values = {r["node"]: r["value"] for r in cr.explain(f).forward}
    assert values["v2"] == pytest.approx(math.sin(0.3 * 1.7), abs=1e-15)
    assert values["v6"] == pytest.approx(math.cos(-0.4 * 2.2), abs=1e-15)
    d = 2 + math.sin(0.51) ** 2 + math.cos(-0.88)
    assert values["v8"] == pytest.approx(1 / d, abs=1e-15)


def test_problem1_backward_table_text_at_half_pi():
    _, f = problem1()
    rows = section(cr.explain(f).text(width=160), "Backward pass")
    assert rows[2].split() == ["1", "v8", "1.0", "v7", "-1/v7**2", "=", "-0.111111",
                               "1.0", "x", "-0.111111", "=", "-0.111111", "-0.111111"]
    assert rows[5].split()[:7] == ["3", "v6", "-0.111111", "v5", "-sin(v5)", "=", "-1.0"]
    assert rows[10].split()[:7] == ["7", "v2", "-0.222222", "v1", "cos(v1)", "=",
                                   "6.12323e-17"]


def test_problem1_backward_rows_are_upstream_times_local_against_closed_forms():
    x1, w1, x2, w2 = 0.3, 1.7, -0.4, 2.2
    _, f = problem1(x1, w1, x2, w2)
    e = cr.explain(f)
    d = 2 + math.sin(x1 * w1) ** 2 + math.cos(x2 * w2)
    first = e.backward[0]
    assert (first["node"], first["input"], first["local_formula"]) == ("v8", "v7", "-1/v7**2")
    assert first["local"] == pytest.approx(-1 / d**2, rel=1e-14)
    sin_row = next(r for r in e.backward if r["node"] == "v2")
    assert sin_row["local"] == pytest.approx(math.cos(x1 * w1), rel=1e-14)
    assert sin_row["upstream"] == pytest.approx(-2 * math.sin(x1 * w1) / d**2, rel=1e-12)
    for r in e.backward:
        assert r["contribution"] == pytest.approx(r["upstream"] * r["local"], rel=1e-14)
    grads = {n: r["grad"] for n, r in by_input(e).items()}
    s1c1 = 2 * math.sin(x1 * w1) * math.cos(x1 * w1)
    assert grads["x1"] == pytest.approx(-s1c1 * w1 / d**2, rel=1e-12)
    assert grads["w1"] == pytest.approx(-s1c1 * x1 / d**2, rel=1e-12)
    assert grads["x2"] == pytest.approx(math.sin(x2 * w2) * w2 / d**2, rel=1e-12)
    assert grads["w2"] == pytest.approx(math.sin(x2 * w2) * x2 / d**2, rel=1e-12)


def test_problem1_published_gradients_appear_in_the_gradient_table():
    _, f = problem1()
    lines = section(cr.explain(f).text(), "Gradients")
    assert lines[4].split()[:3] == ["x2", "1.5708", "0.111111"]
    assert lines[5].split()[:3] == ["w2", "1.0", f"{math.pi / 18:.6g}"]


def test_explain_does_not_change_any_grad():
    v, f = problem1()
    cr.explain(f)
    assert all(n.grad is None for n in v.values()) and f.grad is None
    f.backward()
    before = {n: x.grad for n, x in v.items()}
    cr.explain(f)
    assert {n: x.grad for n, x in v.items()} == before


# -- Problem 2: the tensor graph --------------------------------------------------------------

def problem2(W0=None):
    W = cr.tensor(np.eye(3) if W0 is None else W0, requires_grad=True, name="W")
    x = cr.tensor([[1.0], [2.0], [3.0]], requires_grad=True, name="x")
    return W, x, np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2


def test_problem2_forward_table_shows_shapes_and_small_arrays_in_full():
    _, _, f = problem2()
    lines = section(cr.explain(f).text(), "Forward pass")
    assert lines[0].split() == ["step", "node", "op", "inputs", "shape", "value"]
    assert lines[2].split() == ["1", "W", "input", "(3,", "3)", "[[1,", "0,", "0],", "[0,",
                                "1,", "0],", "[0,", "0,", "1]]"]
    assert "".join(lines[4].split()) == "3v1matmulW,x(3,1)[[1],[2],[3]]"
    s = 1 / (1 + np.exp(-np.array([1.0, 2.0, 3.0])))
    assert "".join(lines[8].split()) == ("7v5div1,v4(3,1)[["
                                         + "],[".join(f"{v:.4g}" for v in s) + "]]")


def test_problem2_backward_shows_vjp_formulas_with_the_graph_names():
    _, _, f = problem2()
    rows = cr.explain(f).backward
    vjps = {(r["node"], r["input"]): r["vjp"] for r in rows}
    assert vjps[("v1", "W")] == "g @ x.T"
    assert vjps[("v1", "x")] == "W.T @ g"
    assert vjps[("v5", "v4")] == "g * -1/v4**2"
    assert all(r["local"] is None for r in rows)
    text = cr.explain(f).text()
    assert "dW = g @ x.T" in text and "dx = W.T @ g" in text


def test_problem2_gradients_match_closed_form_for_a_non_identity_W():
    W0 = np.random.default_rng(1).standard_normal((3, 3))
    _, _, f = problem2(W0)
    grads = {n: r["grad"] for n, r in by_input(cr.explain(f)).items()}
    x0 = np.array([[1.0], [2.0], [3.0]])
    s = 1 / (1 + np.exp(-(W0 @ x0)))
    upstream = 2 * s * s * (1 - s)
    np.testing.assert_allclose(grads["W"], upstream @ x0.T, rtol=1e-12)
    np.testing.assert_allclose(grads["x"], W0.T @ upstream, rtol=1e-12)


def test_sigmoid_gate_shows_its_vjp_in_terms_of_its_output():
    x = cr.tensor([[1.0], [2.0]], requires_grad=True, name="x")
    e = cr.explain(cr.sum(cr.sigmoid(x)))
    sig = next(g for g in e.gates if g["op"] == "sigmoid")
    assert sig["vjps"] == {"x": "g * s*(1-s)"}
    assert sig["derivatives"] == {"x": "s*(1-s), s = sigmoid(x)"}


def test_large_arrays_are_summarized_with_shape_min_mean_max():
    data = np.arange(100.0).reshape(10, 10)
    x = cr.tensor(data, requires_grad=True, name="x")
    text = cr.explain(cr.sum(x * 2.0)).text()
    assert "shape (10, 10): min 0.0, mean 49.5, max 99.0" in text
    assert "shape (10, 10): min 2.0, mean 2.0, max 2.0" in text  # the gradient


def test_non_scalar_tensor_output_is_seeded_with_ones_and_says_so():
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    e = cr.explain(x * x)
    np.testing.assert_allclose(by_input(e)["x"]["grad"], [2.0, 4.0])
    assert any("seed is ones" in n for n in e.notes)


# -- fan-out and zeros ----------------------------------------------------------------------

def test_fan_out_x_times_x_lists_both_contributions():
    x = cr.Scalar(3.0, "x")
    e = cr.explain(x * x)
    into_x = [r for r in e.backward if r["input"] == "x"]
    assert [(r["contribution"], r["accumulated"]) for r in into_x] == [(3.0, 3.0), (3.0, 6.0)]
    assert by_input(e)["x"]["how"] == "receives 2 contributions: 3.0 + 3.0 = 6.0"
    assert "x receives 2 contributions: 3.0 + 3.0 = 6.0" in e.notes
    assert "receives 2 contributions: 3.0 + 3.0 = 6.0" in e.text()
    assert "Notes" not in e.text()  # the note repeats the Gradients table: shown once


def test_fan_out_x_times_y_plus_x():
    x, y = cr.Scalar(3.0, "x"), cr.Scalar(4.0, "y")
    e = cr.explain(x * y + x)
    assert by_input(e)["x"]["grad"] == 5.0
    assert "x receives 2 contributions: 1.0 + 4.0 = 5.0" in e.notes
    assert by_input(e)["y"]["how"] == "1 contribution"


def test_zero_gradient_through_relu_that_is_off():
    x = cr.Scalar(-2.0, "x")
    e = cr.explain(cr.relu(x) * 3.0)
    row = by_input(e)["x"]
    assert row["grad"] == 0.0
    assert row["how"] == "0 because relu is off here (its input is -2.0 <= 0)"


def test_zero_gradient_from_relu_further_down_names_where():
    x = cr.Scalar(2.0, "x")
    e = cr.explain(cr.relu(x * -1.0) + 1.0)
    assert by_input(e)["x"]["how"] == ("0 because relu is off at v2 (its input is -2.0 <= 0),"
                                       " downstream of this node")


def test_zero_gradient_for_an_input_the_output_does_not_depend_on():
    x, z = cr.Scalar(3.0, "x"), cr.Scalar(1.0, "z")
    e = cr.explain(x * 2.0, wrt=[z])
    assert by_input(e)["z"]["how"] == "0: output does not depend on this input"
    assert by_input(e)["z"]["grad"] == 0.0


def test_zero_gradient_from_cancelling_contributions():
    x = cr.Scalar(3.0, "x")
    assert by_input(cr.explain(x - x))["x"]["how"] == ("0: the contributions cancel: "
                                                      "1.0 + -1.0 = 0")


def test_zero_gradient_from_a_product_with_zero():
    x = cr.Scalar(3.0, "x")
    how = by_input(cr.explain(x * 0.0))["x"]["how"]
    assert how == "0 because the local gradient of mul here is 0 (0.0 = 0.0)"


def test_tensor_relu_off_everywhere():
    x = cr.tensor([-1.0, -2.0], requires_grad=True, name="x")
    how = by_input(cr.explain(cr.sum(cr.relu(x))))["x"]["how"]
    assert how.startswith("0 because relu is off here")


# -- renderings ----------------------------------------------------------------------------

def test_custom_primitive_gate_uses_its_own_rule():
    cube = cr.primitive("cube", lambda x: x**3, [lambda M, g, ans, x: g * 3 * x**2],
                        derivs=["3*x**2"])
    x = cr.Scalar(2.0, "x")
    e = cr.explain(cube(x))
    assert e.gates[0]["gate"] == "f(x) = cube(x)"
    assert e.gates[0]["derivative_text"] == "df/dx = 3*x**2"
    assert e.backward[0]["local"] == 12.0


def test_str_markdown_html_and_dict():
    x = cr.Scalar(3.0, "x<1>")
    e = cr.explain(x * x)
    assert str(e) == e.text()
    md = e.markdown()
    assert "| step | node | op | inputs | value |" in md and "|---|" in md
    page = e._repr_html_()
    assert page.count("<table") == 4 and "x&lt;1&gt;" in page and "x<1>" not in page
    data = json.loads(json.dumps(e.to_dict()))
    assert data["engine"] == "scalar"
    assert [r["contribution"] for r in data["backward"]] == [3.0, 3.0]


def test_tensor_to_dict_is_json_serializable():
    _, _, f = problem2()
    data = json.loads(json.dumps(cr.explain(f).to_dict()))
    w = next(r for r in data["gradients"] if r["node"] == "W")
    assert w["grad"]["shape"] == [3, 3] and len(w["grad"]["values"]) == 3


def test_explain_rejects_a_plain_number():
    with pytest.raises(TypeError, match="Scalar or a Tensor"):
        cr.explain(3.0)


def test_tensor_without_requires_grad_explains_forward_only():
    e = cr.explain(cr.tensor([1.0, 2.0]) * 2.0)
    assert e.backward == [] and any("requires_grad" in n for n in e.notes)


def test_100000_deep_chain_explains_collapsed_without_recursion_error():
    x = cr.Scalar(0.5, "x")
    y = x
    for k in range(100_000):
        y = cr.sin(y) if k % 2 else y * 1.0001
    e = cr.explain(y, max_steps=40)
    assert len(e.forward) == 40 and e.elided == {"forward": 99_961, "backward": 99_960}
    assert "... 99,961 steps elided ..." in e.text()
    assert e.forward[-1]["step"] == 100_001
    assert [g["gate"] for g in e.gates] == ["f(x) = x * 1.0001", "f(x) = sin(x)"]
    assert len(e.gates[0]["nodes"]) == 50_000


def test_forward_table_names_parameters_and_leaves_out_defaults():
    W = cr.tensor(np.eye(3), requires_grad=True)
    x = cr.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    f = cr.sum(cr.norm(cr.sigmoid(W @ x), ord=2) * cr.sum(W, axis=1))
    ops = [row["op"] for row in cr.explain(f).forward]
    assert "norm(ord=2)" in ops
    assert "sum(axis=(-1,))" in ops
    assert "sum" in ops
