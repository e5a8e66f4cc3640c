"""The homework's numbers (docs/homework.md), with gradients derived in closed form here."""

import math

import numpy as np
import pytest

import chainrule as cr


def problem1(x1, w1, x2, w2, sin=cr.sin, cos=cr.cos):
    return 1 / (2 + sin(x1 * w1) ** 2 + cos(x2 * w2))


def problem1_closed_form(x1, w1, x2, w2):
    """d/dv of 1/D with D = 2 + sin(x1 w1)^2 + cos(x2 w2) is -dD/dv / D^2."""
    D = 2 + math.sin(x1 * w1) ** 2 + math.cos(x2 * w2)
    s1c1 = 2 * math.sin(x1 * w1) * math.cos(x1 * w1)
    return {
        "x1": -s1c1 * w1 / D**2, "w1": -s1c1 * x1 / D**2,
        "x2": math.sin(x2 * w2) * w2 / D**2, "w2": math.sin(x2 * w2) * x2 / D**2,
    }


def test_problem1_published_values_at_half_pi():
    v = {n: cr.Scalar(val, n) for n, val in
         dict(x1=math.pi / 2, w1=1.0, x2=math.pi / 2, w2=1.0).items()}
    f = problem1(v["x1"], v["w1"], v["x2"], v["w2"])
    f.backward()
    assert f.value == pytest.approx(1 / 3, abs=1e-15)
    assert v["x2"].grad == pytest.approx(1 / 9, abs=1e-15)
    assert v["w2"].grad == pytest.approx(math.pi / 18, abs=1e-15)
    assert v["x1"].grad == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("point", [(0.3, 1.7, -0.4, 2.2), (1.1, -0.5, 2.0, 0.9),
                                   (-2.0, 0.25, 0.7, -1.3)])
def test_problem1_matches_closed_form_away_from_half_pi(point):
    names = ("x1", "w1", "x2", "w2")
    v = {n: cr.Scalar(p, n) for n, p in zip(names, point)}
    problem1(*v.values()).backward()
    expected = problem1_closed_form(*point)
    for n in names:
        assert v[n].grad == pytest.approx(expected[n], rel=1e-12)


def test_problem2_value_and_closed_form_gradients():
    W0 = np.eye(3)
    x0 = np.array([[1.0], [2.0], [3.0]])
    W = cr.tensor(W0, requires_grad=True)
    x = cr.tensor(x0, requires_grad=True)
    f = np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2
    f.backward()
    assert f.item() == pytest.approx(2.2176476050544203, abs=1e-15)
    # f = sum(s**2), s = sigmoid(W x): df/ds = 2 s, ds/dz = s(1-s), dz/dW = x^T, dz/dx = W^T
    s = 1 / (1 + np.exp(-(W0 @ x0)))
    upstream = 2 * s * s * (1 - s)
    np.testing.assert_allclose(W.grad, upstream @ x0.T, rtol=1e-13)
    np.testing.assert_allclose(x.grad, W0.T @ upstream, rtol=1e-13)


def test_problem2_gradient_with_non_identity_W_uses_W_transpose():
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((3, 3))
    x0 = np.array([[1.0], [2.0], [3.0]])
    g = cr.grad(lambda x: cr.norm(cr.sigmoid(W0 @ x)) ** 2)(x0)
    s = 1 / (1 + np.exp(-(W0 @ x0)))
    np.testing.assert_allclose(g, W0.T @ (2 * s * s * (1 - s)), rtol=1e-12)
