"""check_hand_gradients and check_local_gradient: hand-derived derivatives are compared with
the engine at the given point and at random points; values are checked against closed
forms."""

import math

import numpy as np
import pytest

import chainrule as cr


def f(x, y):
    return x * cr.exp(y) + cr.sin(x * y)


RIGHT = {"x": lambda x, y: math.exp(y) + y * math.cos(x * y),
         "y": lambda x, y: x * math.exp(y) + x * math.cos(x * y)}


def test_right_partials_pass_everywhere():
    report = cr.check_hand_gradients(f, RIGHT, {"x": 0.4, "y": -1.3})
    assert report.ok and report.wrong == [] and report.hidden == []
    assert len(report.rows) == 2 * 21
    assert "d/dx: right at all 21 points" in report.text()
    assert report.text().endswith("all partials are right")


def test_a_wrong_partial_is_named_with_where_and_by_how_much():
    wrong = dict(RIGHT, y=lambda x, y: x * math.exp(y) + math.cos(x * y))  # forgot the x
    report = cr.check_hand_gradients(f, wrong, {"x": 0.4, "y": -1.3}, n_random=5)
    assert not report.ok and report.wrong == ["y"] and report.hidden == []
    for row in report.failures("y"):
        x, y = row.point["x"], row.point["y"]
        assert row.expected == pytest.approx(x * math.exp(y) + x * math.cos(x * y), rel=1e-12)
        assert row.error == pytest.approx(abs((x - 1) * math.cos(x * y)), rel=1e-9)
    assert "d/dy: WRONG at 6 of 6 points; at the given point it disagrees" in report.text()


def test_a_point_that_hides_the_error_is_called_out():
    # the hand formula drops a term (cos(x*y)*y) that is 0 at x*y = pi/2
    hidden = dict(RIGHT, x=lambda x, y: math.exp(y))
    report = cr.check_hand_gradients(f, hidden, {"x": math.pi / 2, "y": 1.0})
    assert report.wrong == ["x"] and report.hidden == ["x"]
    assert [r.ok for r in report.rows if r.name == "x"][0] is True
    assert "the given point hides the error" in report.text()


def test_array_variables_use_tensors_and_shapes_are_checked():
    A0 = np.array([[1.0, 2.0], [0.5, -1.0]])
    g = lambda A, v: cr.sum((A @ v) ** 2)
    hand = {"v": lambda A, v: 2 * A.T @ (A @ v), "A": lambda A, v: 2 * (A @ v) @ v.T}
    report = cr.check_hand_gradients(g, hand, {"A": A0, "v": np.array([[1.0], [3.0]])},
                                     n_random=4)
    assert report.ok
    bad = cr.check_hand_gradients(g, {"v": lambda A, v: 2 * (A @ v).ravel()},
                                  {"A": A0, "v": np.array([[1.0], [3.0]])}, n_random=2)
    assert bad.wrong == ["v"] and bad.rows[0].error == math.inf  # shape (2,) vs (2, 1)


def test_unknown_variable_in_hand_formulas_is_refused():
    with pytest.raises(KeyError, match=r"hand formulas for \['z'\]"):
        cr.check_hand_gradients(f, {"z": lambda x, y: 0.0}, {"x": 1.0, "y": 2.0})


def test_local_gradient_right_formula_agrees():
    report = cr.check_local_gradient("tanh", lambda x: 1 - math.tanh(x) ** 2, n=10)
    assert report.ok and len(report.rows) == 10
    assert report.text().startswith("tanh gate: your local gradient 1 - math.tanh(x) ** 2 "
                                    "agrees with d/dx tanh(x) = 1 - tanh(x)**2")


def test_local_gradient_wrong_formula_values_side_by_side():
    report = cr.check_local_gradient("sin", lambda x: -math.cos(x), points=[0.0, 1.0, 2.5])
    assert not report.ok and report.n_wrong == 3
    for row, x in zip(report.rows, [0.0, 1.0, 2.5]):
        assert row.hand == (-math.cos(x),)
        assert row.engine == pytest.approx((math.cos(x),), rel=1e-15)
        assert row.numeric == pytest.approx((math.cos(x),), rel=1e-8)
    lines = report.text().splitlines()
    assert lines[0] == ("sin gate: your local gradient -math.cos(x) is WRONG at 3 of 3 points;"
                        " the engine's rule is d/dx sin(x) = cos(x)")
    assert lines[1].split() == ["x", "yours", "engine", "numeric"]
    assert lines[3].split() == ["1", "-0.540302", "0.540302", "0.540302", "WRONG"]


def test_local_gradient_of_a_two_input_gate():
    report = cr.check_local_gradient("div", lambda x, y: (1 / y, x / y**2), points=[(1.0, 2.0)])
    assert not report.ok
    (row,) = report.rows
    assert row.engine == pytest.approx((0.5, -0.25))
    assert row.hand == (0.5, 0.25)


def test_local_gradient_refuses_unknown_and_tensor_only_ops():
    with pytest.raises(KeyError, match="no primitive named 'sigmoidd'"):
        cr.check_local_gradient("sigmoidd", lambda x: x)
    with pytest.raises(TypeError, match="sum is not an op on numbers"):
        cr.check_local_gradient("sum", lambda x: 1.0)


def test_a_report_is_true_exactly_when_the_check_passed():
    wrong = dict(RIGHT, y=lambda x, y: x * math.exp(y))
    assert bool(cr.check_hand_gradients(f, RIGHT, {"x": 0.4, "y": -1.3}, n_random=2))
    assert not cr.check_hand_gradients(f, wrong, {"x": 0.4, "y": -1.3}, n_random=2)
    assert cr.check_local_gradient("sin", lambda x: math.cos(x), points=[0.0, 1.0])
    assert not cr.check_local_gradient("sin", lambda x: -math.cos(x), points=[0.0, 1.0])
