"""vjp, make_vjp, elementwise_grad, tensor_jacobian_product, make_hvp, make_ggnvp and
grad_and_aux against closed forms and float64 central differences."""

import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(0)


def central_jacobian(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    y = np.asarray(f(x))
    jac = np.zeros(y.shape + x.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        jac[(...,) + idx] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h)
    return jac


def f_mixed(a, b):
    return np.sin(a)[:, None] * b + a[:, None] ** 2      # (3,) x (3, 2) -> (3, 2)


def test_vjp_is_cotangent_times_jacobian_for_each_primal():
    a, b = RNG.normal(size=3), RNG.normal(size=(3, 2))
    ct = RNG.normal(size=(3, 2))
    out, back = cr.vjp(f_mixed, a, b)
    np.testing.assert_allclose(out, f_mixed(a, b))
    ga, gb = back(ct)
    ja = central_jacobian(lambda x: f_mixed(x, b), a)
    jb = central_jacobian(lambda x: f_mixed(a, x), b)
    np.testing.assert_allclose(ga, np.tensordot(ct, ja, 2), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, np.tensordot(ct, jb, 2), rtol=1e-6, atol=1e-8)


def test_vjp_of_floats_gives_floats_and_can_be_called_again():
    out, back = cr.vjp(lambda x, y: x * np.exp(y), 2.0, 0.5)
    assert out == pytest.approx(2.0 * np.exp(0.5))
    gx, gy = back(3.0)
    assert isinstance(gx, float) and gx == pytest.approx(3.0 * np.exp(0.5))
    assert gy == pytest.approx(3.0 * 2.0 * np.exp(0.5))
    assert back(1.0)[0] == pytest.approx(np.exp(0.5))


def test_vjp_of_a_container_output_takes_a_container_cotangent():
    x = RNG.normal(size=3)
    _, back = cr.vjp(lambda v: {"s": np.sum(v ** 2), "c": np.cos(v)}, x)
    (g,) = back({"s": 2.0, "c": np.ones(3)})
    np.testing.assert_allclose(g, 4.0 * x - np.sin(x))


def test_vjp_differentiates_again_in_the_primal_and_the_cotangent():
    # d/dx of vjp(sin, x)(x) = d/dx [cos(x) * x] = cos(x) - x sin(x)
    x = np.array([0.3, -1.1, 2.0])
    g = cr.grad(lambda v: np.sum(cr.vjp(np.sin, v)[1](v)[0]))(x)
    np.testing.assert_allclose(g, np.cos(x) - x * np.sin(x))
    # d/dc of vjp(sin, x)(c) = cos(x)
    gc = cr.grad(lambda c: np.sum(cr.vjp(np.sin, x)[1](c)[0]))(np.ones(3))
    np.testing.assert_allclose(gc, np.cos(x))


def test_vjp_refuses_a_cotangent_of_the_wrong_shape_and_no_primal():
    _, back = cr.vjp(np.sin, np.zeros(3))
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\).*\(3,\)"):
        back(np.ones(2))
    _, back2 = cr.vjp(lambda v: (v, v), np.zeros(3))
    with pytest.raises(ValueError, match="structure of f's output"):
        back2(np.ones(3))
    with pytest.raises(TypeError, match="at least one primal"):
        cr.vjp(np.sin)


def test_make_vjp_follows_autograd_order_vjp_then_value():
    a, b = RNG.normal(size=3), RNG.normal(size=(3, 2))
    ct = RNG.normal(size=(3, 2))
    back, out = cr.make_vjp(f_mixed, argnums=1)(a, b)
    np.testing.assert_allclose(out, f_mixed(a, b))
    jb = central_jacobian(lambda x: f_mixed(a, x), b)
    np.testing.assert_allclose(back(ct), np.tensordot(ct, jb, 2), rtol=1e-6, atol=1e-8)
    with pytest.raises(TypeError, match="one int"):
        cr.make_vjp(f_mixed, argnums=(0, 1))


def test_elementwise_grad_is_the_derivative_elementwise():
    x = np.array([-1.5, 0.2, 3.0])
    np.testing.assert_allclose(cr.elementwise_grad(np.tanh)(x), 1 - np.tanh(x) ** 2)
    ga, gb = cr.elementwise_grad(lambda a, b: a * np.exp(b), (0, 1))(x, 2 * x)
    np.testing.assert_allclose(ga, np.exp(2 * x))
    np.testing.assert_allclose(gb, x * np.exp(2 * x))
    assert cr.elementwise_grad(np.tanh).__name__ == "elementwise_grad(tanh)"


def test_elementwise_grad_of_a_mixing_function_is_the_gradient_of_its_sum():
    x = RNG.normal(size=4)
    np.testing.assert_allclose(cr.elementwise_grad(lambda v: np.cumsum(v))(x),
                               np.arange(4, 0, -1.0))


def test_tensor_jacobian_product_contracts_over_all_output_axes():
    a = RNG.normal(size=(5, 4, 3))
    v = RNG.normal(size=(5, 4))
    f = lambda x: np.roll(np.sin(x), 1)[..., 0]                          # noqa: E731
    jac = central_jacobian(f, a)
    np.testing.assert_allclose(cr.tensor_jacobian_product(f)(a, v),
                               np.tensordot(v, jac, axes=2), rtol=1e-6, atol=1e-8)


def test_tensor_jacobian_product_over_the_leading_output_axes_as_autograd():
    a = RNG.normal(size=(5, 4, 3))
    v = RNG.normal(size=(5, 4))                  # the output is (5, 4, 3): v covers (5, 4)
    f = lambda x: np.roll(np.sin(x), 1)                                  # noqa: E731
    jac = central_jacobian(f, a)                 # (5, 4, 3, 5, 4, 3)
    got = cr.tensor_jacobian_product(f)(a, v)
    assert got.shape == (3, 5, 4, 3)
    np.testing.assert_allclose(got, np.tensordot(v, jac, axes=2), rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="shape"):
        cr.tensor_jacobian_product(f)(a, np.ones((4, 5)))


def test_make_hvp_gives_hessian_times_v_and_the_gradient():
    x, v = RNG.normal(size=4), RNG.normal(size=4)
    hvp, g = cr.make_hvp(lambda z: np.sum(np.sin(z)) * np.sum(z))(x)
    s, t = np.sum(np.sin(x)), np.sum(x)
    np.testing.assert_allclose(g, np.cos(x) * t + s)
    hess = (np.diag(-np.sin(x) * t) + np.cos(x)[:, None] + np.cos(x)[None, :])
    np.testing.assert_allclose(hvp(v), hess @ v)


def test_make_ggnvp_is_jt_hg_j_v():
    A, x, v = RNG.normal(size=(5, 4)), RNG.normal(size=4), RNG.normal(size=4)
    np.testing.assert_allclose(cr.make_ggnvp(lambda z: A @ z)(x)(v), A.T @ A @ v)
    # g(y) = sum(exp(y)): H_g = diag(exp(Ax)), J = diag(1 - tanh^2) A for tanh(A x)
    y = np.tanh(A @ x)
    J = (1 - y ** 2)[:, None] * A
    got = cr.make_ggnvp(lambda z: np.tanh(A @ z), lambda u: np.sum(np.exp(u)))(x)(v)
    np.testing.assert_allclose(got, J.T @ (np.exp(y) * (J @ v)))
    with pytest.raises(TypeError, match="f_argnums must be one int"):
        cr.make_ggnvp(np.sin, f_argnums=(0, 1))


def test_make_ggnvp_in_a_later_argument():
    A, x, v = RNG.normal(size=(3, 2)), RNG.normal(size=2), RNG.normal(size=2)
    got = cr.make_ggnvp(lambda M, z: M @ z, f_argnums=1)(A, x)(v)
    np.testing.assert_allclose(got, A.T @ A @ v)


def test_grad_and_aux_returns_the_aux_as_arrays():
    x = np.array([1.0, 2.0])
    g, aux = cr.grad_and_aux(lambda z: (np.sum(z ** 3), {"sq": z ** 2, "n": 7}))(x)
    np.testing.assert_allclose(g, 3 * x ** 2)
    assert isinstance(aux["sq"], np.ndarray) and aux["n"] == 7
    np.testing.assert_allclose(aux["sq"], x ** 2)
    with pytest.raises(TypeError, match="pair"):
        cr.grad_and_aux(lambda z: np.sum(z))(x)


def test_grad_and_aux_inside_grad_keeps_aux_differentiable():
    # outer d/dx of [grad of x^3 at x] + aux(x^2) = 6x + 2x
    def outer(x):
        g, aux = cr.grad_and_aux(lambda z: (z ** 3, z ** 2))(x)
        return g + aux
    assert cr.grad(outer)(1.5) == pytest.approx(6 * 1.5 + 2 * 1.5)


def test_vjp_of_a_complex_output_is_ct_times_j_real_for_a_real_primal_as_jax():
    # f(x) = x (1 + 2i): ct J = (1 - i)(1 + 2i) = 3 + i, a real primal keeps the real part
    assert cr.vjp(lambda x: x * (1 + 2j), 1.5)[1](1 - 1j) == (3.0,)
    # holomorphic f(z) = z^2: ct * 2z, no conjugate
    z, ct = np.array([1 + 1j, 2j]), np.array([1.0 + 0j, 1j])
    (g,) = cr.vjp(lambda v: v ** 2, z)[1](ct)
    np.testing.assert_allclose(g, 2 * z * ct)
    # the fft of a real vector: Re(F^T ct)
    x, c = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1j, 0.0])
    (g,) = cr.vjp(np.fft.fft, x)[1](c)
    np.testing.assert_allclose(g, np.real(np.fft.fft(np.eye(3)).T @ c), atol=1e-12)
    assert not np.iscomplexobj(g)


def test_vjp_refuses_a_complex_cotangent_for_a_real_output():
    with pytest.raises(ValueError, match="complex cotangent for a real output"):
        cr.vjp(np.sin, 1.0)[1](1j)


# -- HIPS autograd's other names -------------------------------------------------------------

def test_deriv_is_the_forward_derivative_along_ones():
    f = lambda x: (x + np.sin(x ** 2)) * x                               # noqa: E731
    # d/dx = 2x + sin(x^2) + 2x^2 cos(x^2), autograd's own test value at 1.3
    closed = 2 * 1.3 + np.sin(1.69) + 2 * 1.69 * np.cos(1.69)
    assert cr.deriv(f)(1.3) == pytest.approx(closed, rel=1e-12)
    assert cr.deriv(f)(1.3) == pytest.approx(3.190948746871, abs=1e-9)
    x = np.array([0.0, 0.5, 2.0])
    np.testing.assert_allclose(cr.deriv(np.tanh)(x), 1 - np.tanh(x) ** 2, rtol=1e-12)


def test_holomorphic_grad_is_f_prime_and_takes_real_input():
    g = cr.holomorphic_grad(lambda z: z * (1.0 + 0.2j))(1.0 + 0.0j)
    assert g == pytest.approx(1.0 + 0.2j)
    z = 0.3 + 0.7j
    assert cr.holomorphic_grad(lambda z: z ** 3)(z) == pytest.approx(3 * z ** 2)
    assert cr.holomorphic_grad(lambda x: x * (1.0 + 0.2j))(2.0) == pytest.approx(1.0)


def test_grad_named_and_multigrad_dict_by_argument_name():
    def f(x, w):
        return cr.sum(x * w ** 2)
    x, w = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_array_equal(cr.grad_named(f, "w")(x, w), 2 * x * w)
    both = cr.multigrad_dict(f)(x, w)
    assert list(both) == ["x", "w"]
    np.testing.assert_array_equal(both["x"], w ** 2)
    np.testing.assert_array_equal(both["w"], 2 * x * w)
    with pytest.raises(TypeError, match="no argument named 'v'"):
        cr.grad_named(f, "v")
    with pytest.raises(TypeError, match="by position"):
        cr.multigrad_dict(f)(x)
    with pytest.raises(TypeError, match=r"\*args"):
        cr.grad_named(lambda *a: a[0], "a")


def test_hessian_tensor_product_against_the_hessian():
    a = RNG.normal(size=(3, 2))
    f = lambda x: cr.sum(cr.tanh(x) ** 3)                                # noqa: E731
    hess = central_jacobian(cr.grad(f), a)           # (3, 2, 3, 2), differences of grad
    v = RNG.normal(size=(3, 2))
    np.testing.assert_allclose(cr.hessian_tensor_product(f)(a, v),
                               np.tensordot(hess, v, axes=2), rtol=1e-6, atol=1e-8)
    assert cr.hessian_vector_product is cr.hessian_tensor_product
    assert cr.vector_jacobian_product is cr.tensor_jacobian_product


def test_make_ggnvp_of_a_one_number_function_with_the_default_g():
    x, v = np.array([0.3, 0.5]), np.array([1.0, 2.0])
    f = lambda x: cr.sum(cr.sin(x))                                      # noqa: E731
    # J = cos(x) as a row, H_g = 1: J^T J v = cos(x) (cos(x) . v); autograd gives the same
    np.testing.assert_allclose(cr.make_ggnvp(f)(x)(v), np.cos(x) * (np.cos(x) @ v),
                               rtol=1e-14)


def test_hips_autograd_spelling_argnum_is_taken_by_every_transform():
    f = lambda x, y: x * y ** 3                 # noqa: E731  d/dy = 3 x y^2, d2/dy2 = 6 x y
    assert cr.grad(f, argnum=1)(2.0, 3.0) == pytest.approx(54.0)
    assert cr.value_and_grad(f, argnum=1)(2.0, 3.0)[1] == pytest.approx(54.0)
    assert float(cr.hessian(f, argnum=1)(2.0, 3.0)) == pytest.approx(36.0)
    assert float(cr.jacfwd(f, argnum=1)(2.0, 3.0)) == pytest.approx(54.0)
    assert float(cr.elementwise_grad(f, argnum=1)(2.0, 3.0)) == pytest.approx(54.0)
    assert float(cr.make_hvp(f, argnum=1)(2.0, 3.0)[0](1.0)) == pytest.approx(36.0)
    ggn = cr.make_ggnvp(lambda x, y: x * y, f_argnum=1)(2.0, 3.0)(1.0)   # J^T J v, J = x
    assert float(ggn) == pytest.approx(4.0)
    with pytest.raises(TypeError, match="give argnums or argnum"):
        cr.grad(f, argnum=1, argnums=0)
