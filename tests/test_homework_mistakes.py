"""The homework (docs/homework.md) as the acceptance case: each of its three mistakes is
caught, named and located. The learner's code is copied verbatim where it runs (with
math/numpy), and written with cr where it is the function being differentiated."""

import functools
import math

import numpy as np
import pytest

import chainrule as cr

HALF_PI = dict(x1=0.5 * math.pi, w1=1.0, x2=0.5 * math.pi, w2=1.0)


# -- Problem 1: the code has sin(x1*w1), the hand formulas were derived for sin(x1*w1)**2 --

def originalFunction(x1, w1, x2, w2):
    return 1 / (2 + cr.sin(x1 * w1) + cr.cos(x2 * w2))


def dfdx1(x1, w1, x2, w2):
    numerator = -2 * math.sin(x1*w1) * math.cos(x1*w1) * w1
    denominator = (2 + (math.sin(x1*w1))**2 + math.cos(x2*w2))**2
    return numerator / denominator


def dfdx2(x1, w1, x2, w2):
    numerator = math.sin(x2*w2) * w2
    denominator = (2 + (math.sin(x1*w1))**2 + math.cos(x2*w2))**2
    return numerator / denominator


def dfdw1(x1, w1, x2, w2):
    numerator = -2 * math.sin(x1*w1) * math.cos(x1*w1) * x1
    denominator = (2 + (math.sin(x1*w1))**2 + math.cos(x2*w2))**2
    return numerator / denominator


def dfdw2(x1, w1, x2, w2):
    numerator = math.sin(x2*w2) * x2
    denominator = (2 + (math.sin(x1*w1))**2 + math.cos(x2*w2))**2
    return numerator / denominator


HAND = {"x1": dfdx1, "w1": dfdw1, "x2": dfdx2, "w2": dfdw2}


def compGraph(x1, w1, x2, w2, key: str):
    """The learner's hand backpropagation (cos(0.5*pi) and 2*0 hard-coded)."""
    upstream_grad = 1
    f_xw = 1 / (2 + math.sin(x1 * w1) + math.cos(x2 * w2))
    local_grad = upstream_grad * (f_xw**2) * (-1)
    upstream_grad = local_grad
    local_grad = upstream_grad * 1
    upstream_grad = local_grad
    if key == 'x1':
        local_grad = upstream_grad * 2 * 0
        upstream_grad = local_grad
        local_grad = upstream_grad * math.cos(0.5 * math.pi)
        upstream_grad = local_grad
        local_grad = upstream_grad * w1
    elif key == 'w1':
        local_grad = upstream_grad * 2 * 0
        upstream_grad = local_grad
        local_grad = upstream_grad * math.cos(0.5 * math.pi)
        upstream_grad = local_grad
        local_grad = upstream_grad * x1
    elif key == 'x2':
        local_grad = upstream_grad * (-math.sin(0.5 * math.pi))
        upstream_grad = local_grad
        local_grad = upstream_grad * w2
    elif key == 'w2':
        local_grad = upstream_grad * (-math.sin(0.5 * math.pi))
        upstream_grad = local_grad
        local_grad = upstream_grad * x2
    return local_grad


def code_gradient(x1, w1, x2, w2):
    """Closed form for the code's function: f = 1/D, D = 2 + sin(x1 w1) + cos(x2 w2)."""
    D = 2 + math.sin(x1 * w1) + math.cos(x2 * w2)
    return {"x1": -math.cos(x1 * w1) * w1 / D**2, "w1": -math.cos(x1 * w1) * x1 / D**2,
            "x2": math.sin(x2 * w2) * w2 / D**2, "w2": math.sin(x2 * w2) * x2 / D**2}


def test_problem1_hand_formulas_agree_at_half_pi_as_the_homework_reports():
    report = cr.check_hand_gradients(originalFunction, HAND, HALF_PI, n_random=0)
    assert report.ok
    given = {r.name: r.got for r in report.rows}
    assert given["x2"] == pytest.approx(0.11111111111111111, rel=1e-15)
    assert given["w2"] == pytest.approx(0.17453292519943295, rel=1e-15)


def test_problem1_hand_formulas_disagree_with_the_code_at_random_points():
    report = cr.check_hand_gradients(originalFunction, HAND, HALF_PI, n_random=20)
    assert report.wrong == ["x1", "w1", "x2", "w2"]
    assert report.hidden == ["x1", "w1", "x2", "w2"]  # pi/2 hides every one of them
    for name in HAND:
        assert len(report.failures(name)) == 20
    for row in report.rows:  # the engine's side is the code's true derivative
        assert row.expected == pytest.approx(code_gradient(**row.point)[row.name],
                                             rel=1e-12, abs=1e-15)
    assert "the given point hides the error" in report.text()


def test_problem1_hand_formulas_are_right_for_the_function_they_were_derived_for():
    squared = lambda x1, w1, x2, w2: 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2))
    assert cr.check_hand_gradients(squared, HAND, HALF_PI).ok


def test_problem1_hand_backprop_with_cos_of_half_pi_hard_coded_fails_elsewhere():
    hand = {k: functools.partial(compGraph, key=k) for k in HAND}
    report = cr.check_hand_gradients(originalFunction, hand, HALF_PI)
    assert report.hidden == ["x1", "w1", "x2", "w2"]


# -- Problem 2: f = ||sigmoid(W x)||^2 ------------------------------------------------------

def originalFunction2(x, W):
    return np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2


def compGraph2(x, W, key: str):
    """The learner's code, verbatim: sigmoid'(z) taken as x*(1-x), dx as upstream * ones."""
    f = 1 / (np.exp(-np.dot(W, x)) + 1)
    local_grad = 2 * f
    upstream_grad = local_grad
    dsigdx = x*(1-x)
    local_grad = upstream_grad * dsigdx
    upstream_grad = local_grad
    if key == 'W':
        local_grad = upstream_grad * np.vstack((x.T, x.T, x.T))
    elif key == 'x':
        local_grad = upstream_grad * np.array([1, 1, 1]).reshape((3, 1))
    return local_grad


def compGraph2_sigmoid_fixed(x, W, key: str, dx_rule: str = "ones"):
    s = 1 / (np.exp(-np.dot(W, x)) + 1)
    upstream = 2 * s * s * (1 - s)
    if key == 'W':
        return upstream * np.vstack((x.T, x.T, x.T))
    return upstream * np.ones((3, 1)) if dx_rule == "ones" else W.T @ upstream


AT2 = {"x": np.array([[1.0], [2.0], [3.0]]), "W": np.eye(3)}


def test_problem2_sigmoid_local_gradient_is_named_wrong_at_the_sigmoid_gate():
    report = cr.check_local_gradient("sigmoid", lambda x: x*(1-x))
    assert not report.ok and report.n_wrong == 20
    assert report.text().startswith("sigmoid gate: your local gradient x*(1-x) is WRONG at "
                                    "20 of 20 points; the engine's rule is d/dx sigmoid(x) = "
                                    "s*(1-s), s = sigmoid(x)")
    for row in report.rows:
        (z,) = row.at
        s = 1 / (1 + math.exp(-z))
        assert row.engine[0] == pytest.approx(s * (1 - s), rel=1e-12)
    sigma = lambda z: 1 / (1 + math.exp(-z))
    assert cr.check_local_gradient("sigmoid", lambda z: sigma(z) * (1 - sigma(z))).ok


def test_problem2_learner_sigmoid_gate_is_blamed_by_gradcheck():
    learner_sigmoid = cr.primitive("learner_sigmoid", lambda z: 1 / (np.exp(-z) + 1),
                                   [lambda M, g, ans, z: g * z * (1 - z)], derivs=["z*(1-z)"])

    def f(W, x):
        return cr.norm(learner_sigmoid(cr.matmul(W, x))) ** 2

    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(f, np.eye(3), AT2["x"])
    assert info.value.blame.op == "learner_sigmoid"
    assert "cr.norm(learner_sigmoid(cr.matmul(W, x))) ** 2" in info.value.blame.source


def test_problem2_homework_code_is_wrong_even_at_the_identity():
    hand = {"W": lambda x, W: compGraph2(x, W, "W"), "x": lambda x, W: compGraph2(x, W, "x")}
    report = cr.check_hand_gradients(originalFunction2, hand, AT2, n_random=5)
    assert report.wrong == ["W", "x"]
    given = {r.name: r for r in report.rows if r.given}
    assert not given["W"].ok and not given["x"].ok


def test_problem2_dx_times_ones_is_right_only_for_the_identity():
    hand = {"W": lambda x, W: compGraph2_sigmoid_fixed(x, W, "W"),
            "x": lambda x, W: compGraph2_sigmoid_fixed(x, W, "x")}
    report = cr.check_hand_gradients(originalFunction2, hand, AT2, n_random=10)
    assert report.wrong == ["x"] and report.hidden == ["x"]  # W = I hides it
    assert len(report.failures("x")) == 10


def test_problem2_dx_with_W_transpose_is_right_for_a_random_W():
    rng = np.random.default_rng(7)
    at = {"x": AT2["x"], "W": rng.standard_normal((3, 3))}
    hand = {"W": lambda x, W: compGraph2_sigmoid_fixed(x, W, "W"),
            "x": lambda x, W: compGraph2_sigmoid_fixed(x, W, "x", dx_rule="W.T")}
    assert cr.check_hand_gradients(originalFunction2, hand, at, n_random=10).ok
