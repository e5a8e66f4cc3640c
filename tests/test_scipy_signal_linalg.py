"""chainrule.scipy.signal.convolve and chainrule.scipy.linalg: values match scipy, gradients
match central differences of scipy's own functions, forward mode (derived JVPs) matches
reverse mode, second derivatives exist."""

from __future__ import annotations

import numpy as np
import pytest

sl = pytest.importorskip("scipy.linalg")
ss = pytest.importorskip("scipy.signal")

import chainrule as cr  # noqa: E402
from chainrule.scipy import linalg as L  # noqa: E402
from chainrule.scipy.signal import convolve  # noqa: E402

RNG = np.random.default_rng(0)


def _fd(f, x, eps=1e-6):
    x = np.array(x, float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("sa, sb", [((7,), (3,)), ((3,), (7,)), ((5, 6), (2, 3)),
                                    ((4, 3, 5), (2, 2, 2))])
def test_convolve_matches_scipy_and_differentiates(sa, sb, mode):
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    ref = ss.convolve(a, b, mode=mode)
    got = convolve(cr.tensor(a, requires_grad=True), b, mode)
    np.testing.assert_allclose(got.value, ref, rtol=1e-12, atol=1e-13)
    u = RNG.normal(size=ref.shape)
    ga, gb = cr.grad(lambda a, b: cr.sum(convolve(a, b, mode) * u), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, _fd(lambda a: np.sum(ss.convolve(a, b, mode) * u), a),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, _fd(lambda b: np.sum(ss.convolve(a, b, mode) * u), b),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cr.jacfwd(lambda a: convolve(a, b, mode))(a),
                               cr.jacobian(lambda a: convolve(a, b, mode))(a), atol=1e-14)


def test_convolve_errors_and_second_order():
    with pytest.raises(ValueError, match="mode must be"):
        convolve(np.ones(3), np.ones(2), "circular")
    with pytest.raises(ValueError, match="same dimensionality"):
        convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="at least as large"):
        convolve(np.ones((3, 1)), np.ones((1, 3)), "valid")
    a, b = RNG.normal(size=4), RNG.normal(size=3)
    hess = cr.hessian(lambda a: cr.sum(convolve(a, b) ** 2))(a)
    full = np.array([np.convolve(e, b) for e in np.eye(4)])      # rows: d conv / d a_i
    np.testing.assert_allclose(hess, 2 * full @ full.T, rtol=1e-12)


def _per_slice_reference(a, b, mode):
    # axes=([1], [2]), dot_axes=([0], [0]) on a (3, 5), b (3, 4, 2): out[j, t] =
    # sum_i convolve(a[i, :], b[i, j, :])
    return np.stack([sum(ss.convolve(a[i], b[i, j], mode) for i in range(a.shape[0]))
                     for j in range(b.shape[1])])


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_axes_and_dot_axes_match_loops_of_scipy(mode):
    a, b = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 4, 2))
    got = convolve(a, b, mode, axes=([1], [2]), dot_axes=([0], [0]))
    np.testing.assert_allclose(got, _per_slice_reference(a, b, mode), rtol=1e-12)
    # kept axes: in1's first, then in2's, then the convolved axis
    c = RNG.normal(size=(3, 4))
    got = convolve(a, c, mode, axes=([1], [0]))
    assert got.shape[:2] == (3, 4)
    np.testing.assert_allclose(got[1, 2], ss.convolve(a[1], c[:, 2], mode), rtol=1e-12)
    # no convolved axis: a tensordot
    np.testing.assert_allclose(convolve(a, c, mode, axes=([], []), dot_axes=([0], [0])),
                               np.tensordot(a, c, axes=([0], [0])), rtol=1e-12)
    # every axis convolved, given explicitly in another order
    d, e = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2))
    np.testing.assert_allclose(convolve(d, e, mode, axes=([1, 0], [1, 0])),
                               ss.convolve(d, e, mode).T, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("sa, sb, kw", [
    ((3, 5), (3, 4, 2), {"axes": ([1], [2]), "dot_axes": ([0], [0])}),
    ((4, 3), (3, 2), {"axes": ([0], [1])}),
    ((3, 3, 2), (3, 2, 3), {"axes": ([1], [1]), "dot_axes": ([0], [2])}),
    ((2, 4, 3), (3, 2, 2), {"axes": ([1, 2], [2, 0])}),
])
def test_convolve_axes_gradients_match_finite_differences(sa, sb, kw, mode):
    rng = np.random.default_rng(len(sa) + len(sb))
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    u = rng.normal(size=np.shape(convolve(a, b, mode, **kw)))

    def loss(a, b):
        return cr.sum(convolve(a, b, mode, **kw) * u)

    ga, gb = cr.grad(loss, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, _fd(lambda a: loss(a, b), a), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, _fd(lambda b: loss(a, b), b), rtol=1e-6, atol=1e-8)
    # second order: the gradient in a of a squared loss, differentiated in b
    v = rng.normal(size=sa)

    def mixed(b):
        return cr.sum(cr.grad(lambda a: cr.sum(convolve(a, b, mode, **kw) ** 2))(a) * v)

    np.testing.assert_allclose(cr.grad(mixed)(b), _fd(mixed, b), rtol=1e-5, atol=1e-7)
    # forward mode (JVPs derived by transposition) and batched cotangents (jacobian)
    np.testing.assert_allclose(cr.jacfwd(lambda b: convolve(a, b, mode, **kw))(b),
                               cr.jacobian(lambda b: convolve(a, b, mode, **kw))(b),
                               rtol=1e-12, atol=1e-13)


def test_convolve_axes_errors():
    a, b = np.ones((3, 4)), np.ones((3, 2))
    with pytest.raises(ValueError, match="pair as many axes"):
        convolve(a, b, axes=([0, 1], [0]))
    with pytest.raises(ValueError, match="appears twice"):
        convolve(a, b, axes=([1], [1]), dot_axes=([1], [0]))
    with pytest.raises(ValueError, match="different lengths"):
        convolve(a, b, axes=([0], [0]), dot_axes=([1], [1]))
    with pytest.raises(ValueError, match="out of range"):
        convolve(a, b, axes=([2], [0]))
    with pytest.raises(ValueError, match="at least as large"):
        convolve(np.ones((3, 1)), np.ones((1, 3)), "valid", axes=([0, 1], [0, 1]))
    with pytest.raises(ValueError, match="same dimensionality"):
        convolve(a, np.ones(2), dot_axes=([0], [0]))


@pytest.mark.parametrize("trans", [0, 1, "N", "T"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("rhs_shape", [(4,), (4, 2)])
def test_solve_triangular(trans, lower, rhs_shape):
    a = RNG.normal(size=(4, 4)) + 4 * np.eye(4)
    a = np.tril(a) if lower else np.triu(a)
    b = RNG.normal(size=rhs_shape)
    u = RNG.normal(size=rhs_shape)
    ref = sl.solve_triangular(a, b, trans=trans, lower=lower)
    np.testing.assert_allclose(L.solve_triangular(a, b, trans, lower), ref, rtol=1e-12)
    ga, gb = cr.grad(lambda a, b: cr.sum(L.solve_triangular(a, b, trans, lower) * u),
                     argnums=(0, 1))(a, b)

    def ref_sum(a, b):
        return np.sum(sl.solve_triangular(a, b, trans=trans, lower=lower) * u)

    tri = np.tril if lower else np.triu
    np.testing.assert_allclose(ga, tri(_fd(lambda a: ref_sum(a, b), a)), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, _fd(lambda b: ref_sum(a, b), b), rtol=1e-6, atol=1e-8)
    fwd = cr.jacfwd(lambda a: L.solve_triangular(a, b, trans, lower))(a)
    np.testing.assert_allclose(fwd, cr.jacobian(lambda a: L.solve_triangular(a, b, trans,
                                                                             lower))(a),
                               atol=1e-13)


def test_solve_triangular_unit_diagonal_and_errors():
    a = np.tril(RNG.normal(size=(3, 3)))
    b = RNG.normal(size=3)
    np.testing.assert_allclose(L.solve_triangular(a, b, lower=True, unit_diagonal=True),
                               sl.solve_triangular(a, b, lower=True, unit_diagonal=True))
    ga = cr.grad(lambda a: cr.sum(L.solve_triangular(a, b, lower=True, unit_diagonal=True)))(a)
    assert np.all(np.diag(ga) == 0) and np.all(np.triu(ga, 1) == 0)
    with pytest.raises(ValueError, match="trans must be"):
        L.solve_triangular(a, b, trans=2)
    with pytest.raises(ValueError, match="must be square"):
        L.solve_triangular(np.ones((2, 3)), b)


@pytest.mark.parametrize("lower", [True, False])
def test_cho_solve(lower):
    s = RNG.normal(size=(4, 4))
    s = s @ s.T + 4 * np.eye(4)
    c = sl.cho_factor(s, lower=lower)
    b = RNG.normal(size=4)
    np.testing.assert_allclose(L.cho_solve(c, b), sl.cho_solve(c, b), rtol=1e-12)
    gb = cr.grad(lambda b: cr.sum(L.cho_solve(c, b)))(b)
    np.testing.assert_allclose(gb, np.linalg.solve(s, np.ones(4)), rtol=1e-10)
    gc = cr.grad(lambda m: cr.sum(L.cho_solve((m, lower), b)))(c[0])
    tri = np.tril if lower else np.triu
    expected = _fd(lambda m: np.sum(sl.cho_solve((tri(m), lower), b)), c[0])
    np.testing.assert_allclose(gc, tri(expected), rtol=1e-6, atol=1e-8)


def test_solve_sylvester_and_sqrtm():
    a = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    b = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    q = RNG.normal(size=(3, 3))
    u = RNG.normal(size=(3, 3))
    np.testing.assert_allclose(L.solve_sylvester(a, b, q), sl.solve_sylvester(a, b, q),
                               rtol=1e-12)
    grads = cr.grad(lambda a, b, q: cr.sum(L.solve_sylvester(a, b, q) * u),
                    argnums=(0, 1, 2))(a, b, q)
    for i, x in enumerate((a, b, q)):
        def ref(x, i=i):
            args = [a, b, q]
            args[i] = x
            return np.sum(sl.solve_sylvester(*args) * u)
        np.testing.assert_allclose(grads[i], _fd(ref, x), rtol=1e-6, atol=1e-8)
    s = RNG.normal(size=(3, 3))
    s = s @ s.T + 3 * np.eye(3)
    np.testing.assert_allclose(L.sqrtm(s), sl.sqrtm(s), rtol=1e-12)
    gs = cr.grad(lambda m: cr.sum(L.sqrtm(m) * u))(s)
    np.testing.assert_allclose(gs, _fd(lambda m: np.sum(sl.sqrtm(m).real * u), s),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cr.jacfwd(L.sqrtm)(s), cr.jacobian(L.sqrtm)(s), atol=1e-12)
    hess = cr.hessian(lambda m: cr.sum(L.sqrtm(m) * u))(s)
    grad = cr.grad(lambda z: cr.sum(L.sqrtm(z) * u))
    num = np.stack([_fd(lambda m, i=i: grad(m)[i], s)
                    for i in np.ndindex(3, 3)]).reshape(3, 3, 3, 3)
    np.testing.assert_allclose(hess, num, rtol=1e-5, atol=1e-7)


def _complex_fd(f, z, eps=1e-6):
    """dL/dx - i dL/dy for a real loss L of complex z: chainrule's complex gradient."""
    return _fd(lambda x: f(x + 1j * z.imag), z.real, eps) - 1j * _fd(
        lambda y: f(z.real + 1j * y), z.imag, eps)


def test_sqrtm_of_a_matrix_with_negative_eigenvalues_is_complex_and_differentiable():
    rng = np.random.default_rng(11)
    a = rng.normal(size=(3, 3))
    a = a + a.T
    assert np.linalg.eigvalsh(a).min() < 0
    u, v = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    np.testing.assert_allclose(L.sqrtm(a), sl.sqrtm(a), rtol=1e-12)

    def loss(m):
        x = L.sqrtm(m)
        return cr.sum(cr.real(x) * u + cr.imag(x) * v)

    def ref(m):
        x = sl.sqrtm(m)
        return np.sum(x.real * u + x.imag * v)

    g = cr.grad(loss)(a)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, _fd(ref, a), rtol=1e-6, atol=1e-8)
    grad = cr.grad(loss)
    num = np.stack([_fd(lambda m, i=i: grad(m)[i], a)
                    for i in np.ndindex(3, 3)]).reshape(3, 3, 3, 3)
    np.testing.assert_allclose(cr.hessian(loss)(a), num, rtol=1e-5, atol=1e-7)
    # a complex matrix: the gradient in its real and imaginary directions
    z = a + 1j * rng.normal(size=(3, 3))
    np.testing.assert_allclose(cr.grad(loss)(z), _complex_fd(ref, z), rtol=1e-6, atol=1e-8)


def test_solve_sylvester_with_complex_matrices():
    rng = np.random.default_rng(12)
    a, b = (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3)) + 3 * np.eye(3)
            for _ in range(2))
    q, u, v = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    np.testing.assert_allclose(L.solve_sylvester(a, b, q), sl.solve_sylvester(a, b, q),
                               rtol=1e-12)

    def ref(a):
        x = sl.solve_sylvester(a, b, q)
        return np.sum(x.real * u + x.imag * v)

    g = cr.grad(lambda a: cr.sum(cr.real(x := L.solve_sylvester(a, b, q)) * u
                                 + cr.imag(x) * v))(a)
    np.testing.assert_allclose(g, _complex_fd(ref, a), rtol=1e-6, atol=1e-8)
    with pytest.raises(TypeError, match=r"^solve_triangular does not support complex input "
                       r"yet \(its derivative rule is for real numbers\)"):
        L.solve_triangular(np.eye(2) * (1 + 1j), np.ones(2))


def test_cholesky_values_and_symmetric_gradient():
    a = RNG.normal(size=(4, 4))
    a = a @ a.T + 4 * np.eye(4)
    u = RNG.normal(size=(4, 4))
    np.testing.assert_allclose(L.cholesky(a), sl.cholesky(a), rtol=1e-12)
    np.testing.assert_allclose(L.cholesky(a, lower=True), sl.cholesky(a, lower=True),
                               rtol=1e-12)
    g = cr.grad(lambda m: cr.sum(L.cholesky(m, lower=True) * u))(a)
    np.testing.assert_allclose(g, g.T)
    e = RNG.normal(size=(4, 4))
    e = e + e.T                                    # a symmetric direction
    eps = 1e-6
    fd = (np.sum(sl.cholesky(a + eps * e, lower=True) * u)
          - np.sum(sl.cholesky(a - eps * e, lower=True) * u)) / (2 * eps)
    assert np.sum(g * e) == pytest.approx(fd, rel=1e-7)
    np.testing.assert_allclose(cr.jacfwd(L.cholesky)(a), cr.jacobian(L.cholesky)(a),
                               atol=1e-13)


def _banded(lower, upper, n, rng):
    ab = rng.normal(size=(lower + upper + 1, n))
    ab[upper] += 4.0                     # a dominant diagonal: well conditioned
    return ab


@pytest.mark.parametrize("lower, upper, b_shape", [(1, 1, (5,)), (2, 1, (6, 3)), (0, 2, (4,)),
                                                   (1, 0, (4, 2))])
def test_solve_banded_values_and_gradients(lower, upper, b_shape):
    rng = np.random.default_rng(lower * 10 + upper)
    ab, b = _banded(lower, upper, b_shape[0], rng), rng.normal(size=b_shape)
    lu = (lower, upper)
    np.testing.assert_allclose(L.solve_banded(lu, cr.tensor(ab), b).value,
                               sl.solve_banded(lu, ab, b), rtol=1e-12)
    u = rng.normal(size=b_shape)
    ga, gb = cr.grad(lambda ab, b: cr.sum(L.solve_banded(lu, ab, b) * u), argnums=(0, 1))(ab, b)
    np.testing.assert_allclose(ga, _fd(lambda ab: np.sum(sl.solve_banded(lu, ab, b) * u), ab),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, _fd(lambda b: np.sum(sl.solve_banded(lu, ab, b) * u), b),
                               rtol=1e-6, atol=1e-8)
    # the corners of ab that scipy never reads: zero gradient
    corners = np.array([[r + j - upper not in range(b_shape[0]) for j in range(b_shape[0])]
                        for r in range(lower + upper + 1)])
    assert np.all(ga[corners] == 0.0)


def test_solve_banded_second_order_and_forward_mode():
    rng = np.random.default_rng(7)
    ab, b = _banded(1, 2, 5, rng), rng.normal(size=5)
    u = rng.normal(size=5)

    def loss(ab):
        return cr.sum(L.solve_banded((1, 2), ab, b) * u)

    grad = cr.grad(loss)
    eps = 1e-6
    fd = np.stack([(grad(ab + eps * e.reshape(ab.shape)) - grad(ab - eps * e.reshape(ab.shape)))
                   / (2 * eps) for e in np.eye(ab.size)], -1).reshape(ab.shape + ab.shape)
    np.testing.assert_allclose(cr.hessian(loss)(ab), fd, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(cr.jacfwd(lambda b: L.solve_banded((1, 2), ab, b))(b),
                               sl.solve_banded((1, 2), ab, np.eye(5)), rtol=1e-10)
    np.testing.assert_allclose(cr.jacfwd(lambda ab: L.solve_banded((1, 2), ab, b))(ab),
                               cr.jacobian(lambda ab: L.solve_banded((1, 2), ab, b))(ab),
                               rtol=1e-10, atol=1e-14)


def test_solve_banded_errors():
    with pytest.raises(ValueError, match=r"ab must have shape \(3, n\)"):
        L.solve_banded((1, 1), np.ones((2, 4)), np.ones(4))
    with pytest.raises(ValueError, match="infs or NaNs"):
        L.solve_banded((0, 0), np.array([[1.0, np.nan]]), np.ones(2))
