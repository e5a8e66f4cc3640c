"""Gradients at extreme and degenerate inputs where a textbook formula underflows or
divides 0 by 0: division by a tiny number, arctan2 and hypot near and at the origin, the
product over an empty axis. Each against torch (when installed) and closed forms."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _grads(f, *values):
    """Gradients of sum(f(*inputs)) with respect to each input (Tensors)."""
    xs = [cr.tensor(np.asarray(v, dtype=float), requires_grad=True) for v in values]
    f(*xs).sum().backward()
    return [x.grad for x in xs]


def _torch_grads(f, *values):
    xs = [torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for v in values]
    f(*xs).sum().backward()
    return [x.grad.numpy() for x in xs]


# -- division ---------------------------------------------------------------------------
TINY = np.array([1e-200, -3e-170, 2.5e-300, 1e-160, 1e-155])


def test_a_quotient_by_tiny_numbers_has_finite_gradients_where_they_are():
    x = np.array([1e-200, 4e-170, -2.5e-300, 1.5e-160, 1e-310])
    gx, gy = _grads(lambda a, b: a / b, x, TINY)
    exact = [float(-Fraction(a) / Fraction(b) ** 2) for a, b in zip(x, TINY)]
    np.testing.assert_allclose(gy, exact, rtol=1e-15)
    np.testing.assert_allclose(gx, [float(1 / Fraction(b)) for b in TINY], rtol=1e-15)
    assert np.all(np.isfinite(gy))


@needs_torch
def test_a_quotient_by_tiny_numbers_matches_torch():
    x = np.array([1.0, 1e-200, 4e-170, -2.5e-300, 3.0])
    y = np.array([1e-200, 1e-200, -3e-170, 2.5e-300, 1e-300])
    with np.errstate(over="ignore"):
        ours = _grads(lambda a, b: a / b, x, y)
    for o, t in zip(ours, _torch_grads(lambda a, b: a / b, x, y)):
        np.testing.assert_allclose(o, t, rtol=1e-15)    # -1/y**2 overflows to -inf in both


# -- arctan2 and hypot --------------------------------------------------------------------
def _atan2_exact(y, x):
    """(d/dy, d/dx) of arctan2(y, x) = (x, -y) / (x**2 + y**2), in exact arithmetic."""
    fy, fx = Fraction(y), Fraction(x)
    d = fx * fx + fy * fy
    return float(fx / d), float(-fy / d)


# (y, x) pairs where x**2 + y**2 underflows or overflows but the gradient is finite
EXTREME = [(1e-200, 1e-200), (-3e-170, 2e-171), (1e-160, -4e-162), (5e-324, 1e-300),
           (1e200, 1e200), (-2e190, 7e185), (3.0, 4.0), (0.0, 2.5e-300), (-1e-300, 0.0)]


@pytest.mark.parametrize("y, x", EXTREME)
def test_arctan2_has_its_exact_gradient_at_extreme_scales(y, x):
    gy, gx = _grads(cr.arctan2, y, x)
    ey, ex = _atan2_exact(y, x)
    assert gy == pytest.approx(ey, rel=4e-16, abs=0) and gx == pytest.approx(ex, rel=4e-16, abs=0)
    s_y, s_x = cr.Scalar(y), cr.Scalar(x)
    cr.arctan2(s_y, s_x).backward()
    assert (s_y.grad, s_x.grad) == (float(gy), float(gx))     # both engines, same numbers


@needs_torch
@pytest.mark.parametrize("y, x", [(0.0, 0.0), (-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0)])
def test_arctan2_at_the_origin_follows_torch_signed_zeros_included(y, x):
    ours = _grads(cr.arctan2, y, x)
    theirs = _torch_grads(torch.atan2, y, x)
    for o, t in zip(ours, theirs):
        assert o == t == 0.0 and np.signbit(o) == np.signbit(t)
    s_y, s_x = cr.Scalar(y), cr.Scalar(x)
    cr.arctan2(s_y, s_x).backward()
    assert [np.signbit(s_y.grad), np.signbit(s_x.grad)] == [np.signbit(t) for t in theirs]


def test_arctan2_second_derivatives_at_small_scales_match_the_closed_form():
    # Hessian of arctan2(y, x): [[-2xy, y**2 - x**2], [y**2 - x**2, 2xy]] / (x**2 + y**2)**2,
    # where (x**2 + y**2)**2 underflows
    y, x = 3e-150, 4e-150
    h = cr.hessian(lambda v: cr.arctan2(v[0], v[1]))(np.array([y, x]))
    fy, fx = Fraction(y), Fraction(x)
    d2 = (fx * fx + fy * fy) ** 2
    exact = [[float(-2 * fx * fy / d2), float((fy * fy - fx * fx) / d2)],
             [float((fy * fy - fx * fx) / d2), float(2 * fx * fy / d2)]]
    np.testing.assert_allclose(h, exact, rtol=1e-15)


def test_arctan2_gradient_matches_central_differences():
    rng = np.random.default_rng(3)
    y, x = rng.standard_normal(6), rng.standard_normal(6)
    gy, gx = _grads(cr.arctan2, y, x)
    h = 1e-6
    np.testing.assert_allclose(gy, (np.arctan2(y + h, x) - np.arctan2(y - h, x)) / (2 * h),
                               rtol=1e-8)
    np.testing.assert_allclose(gx, (np.arctan2(y, x + h) - np.arctan2(y, x - h)) / (2 * h),
                               rtol=1e-8)


@pytest.mark.parametrize("x, y", [(0.0, 0.0), (-0.0, 0.0), (0.0, -0.0)])
def test_hypot_at_the_origin_has_gradient_zero_as_a_norm(x, y):
    gx, gy = _grads(cr.hypot, x, y)
    assert gx == 0.0 and gy == 0.0
    np.testing.assert_array_equal(cr.grad(lambda v: cr.norm(v))(np.array([x, y])), [0.0, 0.0])
    s_x, s_y = cr.Scalar(x), cr.Scalar(y)
    cr.hypot(s_x, s_y).backward()
    assert (s_x.grad, s_y.grad) == (0.0, 0.0)


@pytest.mark.parametrize("x, y", [(1e-200, 0.0), (0.0, -1e-200), (1e-200, 1e-200),
                                  (1e200, -1e200), (5e-324, 0.0), (3.0, 4.0)])
def test_hypot_gradient_away_from_the_origin_is_x_over_r(x, y):
    gx, gy = _grads(cr.hypot, x, y)
    fx, fy = Fraction(x), Fraction(y)
    r = Fraction(np.hypot(x, y))        # the correctly rounded radius, as computed
    assert gx == pytest.approx(float(fx / r), rel=4e-16, abs=0)
    assert gy == pytest.approx(float(fy / r), rel=4e-16, abs=0)


# -- the product over an empty axis ---------------------------------------------------------
EMPTY_PRODS = [((0, 3), None), ((0, 3), 0), ((0, 3), 1), ((2, 0, 3), 1), ((2, 0, 3), (0, 1)),
               ((0,), None), ((2, 0), -1)]


@pytest.mark.parametrize("shape, axis", EMPTY_PRODS)
def test_the_gradient_of_an_empty_product_is_empty(shape, axis):
    x = cr.tensor(np.zeros(shape), requires_grad=True)
    out = cr.prod(x, axis=axis)
    np.testing.assert_array_equal(out.data, np.prod(np.zeros(shape), axis=axis))  # ones
    out.sum().backward()
    assert x.grad.shape == shape and x.grad.dtype == np.float64
    g = cr.grad(lambda v: cr.sum(cr.prod(v, axis=axis) * 2.0))(np.zeros(shape))
    assert g.shape == shape
    h = cr.hessian(lambda v: cr.sum(cr.prod(v, axis=axis)))(np.zeros(shape))   # graph mode
    assert h.shape == shape + shape


@needs_torch
@pytest.mark.parametrize("shape, axis", [s for s in EMPTY_PRODS if not isinstance(s[1], tuple)])
def test_the_gradient_of_an_empty_product_matches_torch(shape, axis):
    x = cr.tensor(np.zeros(shape), requires_grad=True)
    t = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    (cr.prod(x) if axis is None else cr.prod(x, axis=axis)).sum().backward()
    (t.prod() if axis is None else t.prod(axis)).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    assert x.grad.shape == tuple(t.grad.shape)


@pytest.mark.parametrize("shape, axis", [((0, 3), 0), ((2, 0), 1), ((0,), 0)])
def test_the_gradient_of_a_running_product_over_an_empty_axis_is_empty(shape, axis):
    x = cr.tensor(np.zeros(shape), requires_grad=True)
    cr.cumprod(x, axis=axis).sum().backward()
    assert x.grad.shape == shape
    h = cr.hessian(lambda v: cr.sum(cr.cumprod(v, axis=axis)))(np.zeros(shape))
    assert h.shape == shape + shape
