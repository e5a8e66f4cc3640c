"""Complex numbers end to end, in the convention of JAX and HIPS autograd.

For a real loss L of a complex z = x + iy the gradient is dL/dx - i dL/dy; every case here
is checked against central differences in the real and the imaginary direction of each
input (float64, no other library). A holomorphic f with ``holomorphic=True`` gives f'(z).
Ops whose rules are for real numbers refuse complex data by name.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(7)
Z = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
ZM = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
WM = RNG.standard_normal((3, 2)) + 1j * RNG.standard_normal((3, 2))


def numeric_complex_grad(f, z, h=1e-6):
    """dL/dx - i dL/dy by central differences (z complex), or dL/dx (z real)."""
    z = np.asarray(z)
    out = np.zeros(z.shape, dtype=z.dtype)
    for i in np.ndindex(z.shape):
        e = np.zeros(z.shape, dtype=z.dtype)
        e[i] = h
        dx = (f(z + e) - f(z - e)) / (2 * h)
        if np.iscomplexobj(z):
            dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * h)
            out[i] = dx - 1j * dy
        else:
            out[i] = dx
    return out


def _plain(f):
    """f on plain arrays (its numpy reference), as a float."""
    return lambda z: float(np.asarray(f(z)))


# -- the convention, on the examples JAX and HIPS autograd document --------------------------

def test_gradient_of_abs_squared_is_conjugate_direction():
    assert cr.grad(lambda z: cr.abs(z) ** 2)(3 + 4j) == 6 - 8j


def test_gradient_of_a_complex_argument_is_a_complex_number():
    g = cr.grad(lambda z: cr.real(z * (1 + 2j)))(3 + 4j)
    assert isinstance(g, complex) and g == 1 + 2j


def test_parts_of_a_complex_number():
    assert cr.grad(lambda z: cr.imag(z))(3 + 4j) == -1j
    assert cr.grad(lambda z: cr.real(cr.conj(z) * 1j))(3 + 4j) == pytest.approx(-1j)
    assert cr.grad(lambda z: cr.angle(z))(3 + 4j) == pytest.approx(-0.16 - 0.12j)
    assert cr.grad(lambda z: cr.abs(z))(3 + 4j) == pytest.approx(0.6 - 0.8j)


def test_abs_and_angle_have_gradient_zero_at_zero():
    assert cr.grad(lambda z: cr.abs(z))(0j) == 0
    assert cr.grad(lambda z: cr.sum(cr.angle(z)))(np.zeros(2, complex)).tolist() == [0, 0]


def test_angle_in_degrees():
    g = cr.grad(lambda z: cr.angle(z, deg=True))(3 + 4j)
    assert g == pytest.approx((-0.16 - 0.12j) * 180 / np.pi)


def test_holomorphic_gradient_is_the_complex_derivative():
    assert cr.grad(lambda z: z ** 2, holomorphic=True)(1 + 1j) == 2 + 2j
    assert cr.grad(lambda z: cr.exp(z) * cr.sin(z), holomorphic=True)(0.5 + 1j) == \
        pytest.approx(np.exp(0.5 + 1j) * (np.sin(0.5 + 1j) + np.cos(0.5 + 1j)))


def test_holomorphic_jacobian_is_the_complex_derivative():
    jac = cr.jacobian(lambda z: z ** 3, holomorphic=True)(Z)
    np.testing.assert_allclose(jac, np.diag(3 * Z ** 2), rtol=1e-12)


def test_complex_output_without_holomorphic_is_refused():
    with pytest.raises(TypeError, match="grad: f returned complex values.*holomorphic=True"):
        cr.grad(lambda z: z ** 2)(1 + 1j)
    with pytest.raises(TypeError, match="jacobian: f returned complex values"):
        cr.jacobian(lambda z: z ** 2)(Z)


def test_holomorphic_needs_complex_inputs_and_outputs():
    with pytest.raises(TypeError, match="argument 0 has dtype float64"):
        cr.grad(lambda z: z ** 2 * 1j, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match="needs a complex output"):
        cr.grad(lambda z: cr.abs(z), holomorphic=True)(1 + 1j)


def test_real_input_through_complex_intermediates_gets_a_real_gradient():
    g = cr.grad(lambda x: cr.abs(x * (1 + 0.2j)) ** 2)(1.5)
    assert isinstance(g, float) and g == pytest.approx(2 * 1.5 * 1.04)


# -- every op that supports complex data, against differences in both directions ----------

CASES = {
    "add-sub": lambda z: cr.sum(cr.abs(z + 2j - z[::-1]) ** 2),
    "mul": lambda z: cr.sum(cr.real(z * z[::-1] * (0.5 - 1j))),
    "div": lambda z: cr.sum(cr.imag(z / (z[::-1] + 3))),
    "pow": lambda z: cr.sum(cr.real(z ** 3 + (z + 3) ** (0.5 + 0.5j))),
    "exp-log": lambda z: cr.sum(cr.abs(cr.exp(z) + cr.log(z))),
    "sin-cos": lambda z: cr.sum(cr.imag(cr.sin(z) * cr.cos(z))),
    "tan-tanh-sqrt": lambda z: cr.sum(cr.real(cr.tan(z) + cr.tanh(z) + cr.sqrt(z))),
    "sinh-cosh": lambda z: cr.sum(cr.real(cr.sinh(z) * cr.cosh(z))),
    "neg-conj": lambda z: cr.sum(cr.real(-cr.conj(z) * z * 1j)),
    "angle": lambda z: cr.sum(cr.angle(z) * cr.abs(z)),
    "sum-mean": lambda z: cr.abs(cr.sum(z)) + cr.real(cr.mean(z * z)),
    "reshape-transpose": lambda z: cr.sum(cr.real(cr.transpose(cr.reshape(z, (2, 2)))
                                                  * np.array([[1, 2j], [3, 4]]))),
    "index-concatenate": lambda z: cr.sum(cr.abs(cr.concatenate([z[1:], z[:2] * 1j])) ** 2),
    "stack": lambda z: cr.sum(cr.imag(cr.stack([z, z * z]) * 1j)),
    "where": lambda z: cr.sum(cr.abs(cr.where(np.array([1, 0, 1, 0], bool), z, z * z))),
    "broadcast": lambda z: cr.sum(cr.abs(cr.reshape(z, (4, 1)) + z) ** 2),
    "inverse-trig": lambda z: cr.sum(cr.real(cr.arcsin(z / 4) + cr.arccos(z / 4) * 1j
                                             + cr.arctan(z / 4))),
    "inverse-hyperbolic": lambda z: cr.sum(cr.imag(cr.arcsinh(z) + cr.arctanh(z / 4))),
    "log-exp-family": lambda z: cr.sum(cr.abs(cr.log1p(z / 4) + cr.expm1(z) + cr.log2(z)
                                              + cr.log10(z) + cr.exp2(z))),
    "cumsum": lambda z: cr.sum(cr.abs(cr.cumsum(z)) ** 2),
    "prod-cumprod": lambda z: cr.abs(cr.prod(z)) + cr.sum(cr.imag(cr.cumprod(z * (1 - 1j)))),
    "arccosh": lambda z: cr.sum(cr.real(cr.arccosh(z) * (1 + 2j))),
    "norm": lambda z: np.linalg.norm(z) + np.linalg.norm(cr.reshape(z * (1 - 2j), (2, 2)), "fro")
    + cr.sum(np.linalg.norm(cr.reshape(z, (2, 2)), axis=1) * np.array([1.0, 3.0])),
}


def test_arccosh_cases_cross_its_branch_cut_sides():
    # arccosh'(z) = 1/(sqrt(z-1) sqrt(z+1)), not 1/sqrt(z**2-1): they differ in sign
    # where Re z < 0, so the CASES point must have such entries
    assert np.any(Z.real < 0) and np.any(Z.real > 0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_differences_in_real_and_imaginary_directions(name):
    f = CASES[name]
    got = cr.grad(f)(Z)
    assert got.dtype == complex and got.shape == Z.shape
    np.testing.assert_allclose(got, numeric_complex_grad(_plain(f), Z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["matmul", "einsum", "dot"])
def test_products_match_differences(name):
    f = {"matmul": lambda a, b: cr.sum(cr.abs(a @ b) ** 2),
         "einsum": lambda a, b: cr.real(cr.einsum("ij,jk->", a, b * 1j)),
         "dot": lambda a, b: cr.sum(cr.imag(cr.dot(a, b)))}[name]
    for i, arg in enumerate((ZM, WM)):
        got = cr.grad(f, argnums=i)(ZM, WM)

        def one(v, i=i):
            return float(np.asarray(f(*(v, WM) if i == 0 else (ZM, v))))
        np.testing.assert_allclose(got, numeric_complex_grad(one, arg), rtol=1e-6, atol=1e-8)


def test_the_difference_check_catches_a_planted_wrong_convention(monkeypatch):
    from chainrule.rules import complex as cx
    f = CASES["neg-conj"]
    monkeypatch.setattr(cx.CONJ, "vjps", (lambda M, g, ans, x: g,))   # forgets conj(g)
    got = cr.grad(f)(Z)
    assert not np.allclose(got, numeric_complex_grad(_plain(f), Z), rtol=1e-3)


@pytest.mark.parametrize("zero_at", [0, 2])
def test_prod_and_cumprod_are_exact_at_a_complex_zero(zero_at):
    z = Z.copy()
    z[zero_at] = 0
    for f in (lambda v: cr.abs(cr.prod(v)) ** 2 + cr.real(cr.prod(v * 1j)),
              lambda v: cr.sum(cr.abs(cr.cumprod(v)) ** 2)):
        np.testing.assert_allclose(cr.grad(f)(z), numeric_complex_grad(_plain(f), z),
                                   rtol=1e-6, atol=1e-8)


def test_holomorphic_derivatives_of_prod_cumprod_arccosh():
    assert cr.grad(lambda z: cr.prod(z), holomorphic=True)(Z) == pytest.approx(
        [np.prod(np.delete(Z, i)) for i in range(4)])
    jac = cr.jacobian(lambda z: cr.arccosh(z), holomorphic=True)(Z)
    np.testing.assert_allclose(jac, np.diag(1 / (np.sqrt(Z - 1) * np.sqrt(Z + 1))))
    jac = cr.jacobian(lambda z: cr.cumprod(z), holomorphic=True)(Z)
    expected = [[np.prod(np.delete(Z[:k + 1], i)) if i <= k else 0 for i in range(4)]
                for k in range(4)]
    np.testing.assert_allclose(jac, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["prod-cumprod", "arccosh", "norm"])
def test_second_order_of_newly_enabled_ops(name):
    # the Jacobian of each part of the gradient, against differences of the gradient
    f = CASES[name]
    g = cr.grad(f)
    for part in (np.real, np.imag):
        got = cr.jacobian(lambda v, part=part: (cr.real if part is np.real else cr.imag)(
            cr.grad(f)(v)))(Z)
        for k in range(4):
            def comp(v, k=k, part=part):
                return float(part(g(v)[k]))
            num = numeric_complex_grad(comp, Z)
            np.testing.assert_allclose(got[k], num, rtol=1e-5, atol=1e-6)


def test_the_difference_check_catches_arccosh_with_the_wrong_branch(monkeypatch):
    from chainrule.rules import special_elementwise as se
    f = CASES["arccosh"]
    monkeypatch.setattr(se.ARCCOSH, "vjps", (lambda M, g, ans, x: g / M.sqrt(x * x - 1),))
    got = cr.grad(f)(Z)
    assert not np.allclose(got, numeric_complex_grad(_plain(f), Z), rtol=1e-3)


def test_the_difference_check_catches_a_conjugated_prod_rule(monkeypatch):
    from chainrule.rules import cumulative as cu
    f = CASES["prod-cumprod"]
    right = cu.PROD.vjps[0]
    monkeypatch.setattr(cu.PROD, "vjps",
                        (lambda M, g, ans, x, *a: np.conj(right(M, g, ans, x, *a)),))
    got = cr.grad(f)(Z)
    assert not np.allclose(got, numeric_complex_grad(_plain(f), Z), rtol=1e-3)


def test_second_order_through_complex_intermediates():
    def f(x):
        return cr.sum(cr.abs(cr.exp(x * (1 + 2j)) + x) ** 2)
    x = np.array([0.3, -0.2])
    h = cr.hessian(f)(x)
    g = cr.grad(f)
    numeric = np.stack([(g(x + e) - g(x - e)) / 2e-6 for e in np.eye(2) * 1e-6], axis=1)
    np.testing.assert_allclose(h, numeric, rtol=1e-5)


def test_backward_on_tensors_fills_grad_in_the_same_convention():
    z = cr.tensor([3 + 4j, 1 - 2j], requires_grad=True)
    w = cr.tensor([0.5, 2.0], requires_grad=True)
    loss = cr.sum(cr.abs(z * w) ** 2)
    loss.backward()
    np.testing.assert_allclose(z.grad, 2 * np.conj([3 + 4j, 1 - 2j]) * np.array([0.25, 4]))
    assert w.grad.dtype == np.float64
    np.testing.assert_allclose(w.grad, 2 * np.array([0.5, 2.0]) * np.array([25, 5]))


def test_backward_of_a_complex_output_needs_a_cotangent():
    z = cr.tensor([3 + 4j], requires_grad=True)
    with pytest.raises(TypeError, match="the output is complex"):
        cr.sum(z * z).backward()


def test_forward_mode_matches_differences_for_complex_primals():
    f = CASES["exp-log"]
    v = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    _, jv = cr.jvp(f, (Z,), (v,))
    eps = 1e-6
    expected = (float(f(Z + eps * v)) - float(f(Z - eps * v))) / (2 * eps)
    assert float(jv) == pytest.approx(expected, rel=1e-6)


# -- refusals ----------------------------------------------------------------------------

@pytest.mark.parametrize("name,call", [
    ("logsumexp", lambda z: cr.logsumexp(z)), ("maximum", lambda z: cr.maximum(z, 0.5)),
    ("clip", lambda z: cr.clip(z, 0, 1)), ("relu", lambda z: cr.relu(z))])
def test_an_op_without_complex_rules_refuses_complex_input_by_name(name, call):
    z = cr.tensor(Z, requires_grad=True)
    with pytest.raises(TypeError, match=f"cr.{name} does not support complex input yet"):
        call(z)


def test_a_complex_constant_into_a_real_only_op_is_refused():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="cr.maximum does not support complex input yet"):
        cr.maximum(x, 1j)


def test_the_scalar_engine_refuses_complex_numbers():
    with pytest.raises(TypeError, match="not complex"):
        cr.Scalar(1j)


@pytest.mark.parametrize("name,f", [
    ("vdot", lambda z: cr.real(np.vdot(z, z[::-1] * 1j))),
    ("var", lambda z: np.var(z * (1 + 1j), ddof=1)),
    ("std", lambda z: np.std(z)),
    ("real-imag-attributes", lambda z: cr.sum(z.real * z.imag)),
    ("dot-inner", lambda z: cr.imag(np.dot(z, z) + np.inner(z, z[::-1]))),
])
def test_numpy_functions_built_from_complex_ops_match_numpy_and_differences(name, f):
    np.testing.assert_allclose(float(f(cr.tensor(Z))), float(np.asarray(f(Z))), rtol=1e-12)
    np.testing.assert_allclose(cr.grad(f)(Z), numeric_complex_grad(_plain(f), Z),
                               rtol=1e-6, atol=1e-8)


def test_vdot_conjugates_its_first_argument_as_numpy():
    assert complex(np.vdot(cr.tensor([1j]), cr.tensor([1j])).data) == 1


def test_plain_complex_arrays_into_a_real_only_op_are_refused():
    with pytest.raises(TypeError, match="cr.maximum does not support complex input yet"):
        cr.maximum(Z, 0.5)


def test_a_complex_tensor_without_grad_into_a_real_only_op_is_refused():
    with pytest.raises(TypeError, match="cr.maximum does not support complex input yet"):
        np.maximum(cr.tensor(Z), 0.5)


def test_the_guide_lists_exactly_the_ops_whose_rules_support_complex_data():
    from pathlib import Path

    from chainrule.primitive import REGISTRY
    text = (Path(__file__).resolve().parent.parent / "docs" / "complex.md").read_text()
    listed = text.split("<!-- complex ops listed")[1].split("<!-- end of complex ops -->")[0]
    names = set(listed.split("-->", 1)[1].replace("`", "").replace(",", " ").split())
    assert names == {n for n, p in REGISTRY.items() if p.complex}


def test_optimizers_refuse_complex_parameters_rather_than_climb_their_imaginary_part():
    z = cr.tensor([3 + 4j], requires_grad=True)
    with pytest.raises(TypeError, match="parameter 0 is complex"):
        cr.optim.SGD([z], lr=0.1)


def test_gradcheck_refuses_complex_arguments_rather_than_drop_their_imaginary_part():
    with pytest.raises(TypeError, match="argument 0 is complex"):
        cr.gradcheck(lambda z: cr.sum(cr.abs(z) ** 2), (np.array([1 + 2j]),))


@pytest.mark.parametrize("z", [Z, Z[0], np.array([0j, 1 + 1j]), np.array(0j)])
def test_forward_mode_of_angle_matches_reverse_mode(z):
    def f(v):
        return cr.sum(cr.angle(v) * np.arange(1.0, 1.0 + np.size(v)).reshape(np.shape(v)))
    v = RNG.standard_normal(np.shape(z)) + 1j * RNG.standard_normal(np.shape(z))
    _, jv = cr.jvp(f, (z,), (v,))
    g = cr.grad(f)(z)
    assert float(jv) == pytest.approx(float(np.sum(np.real(g * v))), rel=1e-12, abs=1e-12)


def test_autograd_grad_of_a_complex_output_needs_grad_outputs():
    z = cr.tensor([3 + 4j], requires_grad=True)
    with pytest.raises(TypeError, match="the output is complex"):
        cr.autograd.grad(cr.sum(z * z), [z])
    (g,) = cr.autograd.grad(cr.sum(z * z), [z], grad_outputs=[np.array(1 + 0j)])
    np.testing.assert_allclose(g.data, [6 + 8j])


def test_jacfwd_refuses_complex_arguments():
    with pytest.raises(TypeError, match="jacfwd: argument 0 is complex"):
        cr.jacfwd(lambda z: cr.abs(z))(Z)


# -- square matrices: inv, solve, det, slogdet, matrix_power ----------------------------------

B = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
SINGULAR = np.outer(ZM[0], B)          # rank one: det 0, cofactors not all 0 for 2x2 minors
SINGULAR2 = ZM.copy()
SINGULAR2[2] = ZM[0] * (1 - 2j) + ZM[1] * 0.5j   # rank two: the cofactor matrix is not 0

MATRIX_CASES = {
    "inv": lambda a: cr.sum(cr.abs(np.linalg.inv(a)) ** 2),
    "solve-vector": lambda a: cr.sum(cr.real(np.linalg.solve(a, B) * (1 + 2j))),
    "solve-matrix": lambda a: cr.sum(cr.imag(np.linalg.solve(a, a[:, ::-1] * 1j + WM[:, :1]))),
    "det": lambda a: cr.abs(np.linalg.det(a)) + cr.real(np.linalg.det(a) * (0.5 - 1j)),
    "slogdet": lambda a: np.linalg.slogdet(a)[1] + cr.real(np.linalg.slogdet(a)[0] * (1 + 2j)),
    "matrix_power": lambda a: cr.sum(cr.abs(np.linalg.matrix_power(a, 3))
                                     + cr.real(np.linalg.matrix_power(a, -2))),
}


@pytest.mark.parametrize("name", sorted(MATRIX_CASES))
def test_square_matrix_ops_match_differences(name):
    f = MATRIX_CASES[name]
    np.testing.assert_allclose(float(f(cr.tensor(ZM))), float(np.asarray(f(ZM))), rtol=1e-12)
    np.testing.assert_allclose(cr.grad(f)(ZM), numeric_complex_grad(_plain(f), ZM),
                               rtol=1e-6, atol=1e-8)


def test_solve_gradient_of_the_right_hand_side_matches_differences():
    def f(b):
        return cr.sum(cr.abs(np.linalg.solve(ZM, b)) ** 2)
    np.testing.assert_allclose(cr.grad(f)(B), numeric_complex_grad(_plain(f), B),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("a", [SINGULAR, SINGULAR2])
def test_det_gradient_is_exact_at_singular_complex_matrices(a):
    def f(m):
        return cr.real(np.linalg.det(m) * (1 - 1j))
    got = cr.grad(f)(a)
    np.testing.assert_allclose(got, numeric_complex_grad(_plain(f), a), rtol=1e-6, atol=1e-8)
    assert np.abs(got).max() > 1e-3 or np.linalg.matrix_rank(a) < 2


def test_holomorphic_derivatives_of_det_and_inv():
    g = cr.grad(lambda a: np.linalg.det(a), holomorphic=True)(ZM)
    np.testing.assert_allclose(g, np.linalg.det(ZM) * np.linalg.inv(ZM).T, rtol=1e-10)
    jac = cr.jacobian(lambda a: np.linalg.inv(a), holomorphic=True)(ZM)
    ai = np.linalg.inv(ZM)
    np.testing.assert_allclose(jac, -np.einsum("ik,lj->ijkl", ai, ai), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["inv", "det", "solve-vector", "slogdet"])
def test_second_order_of_square_matrix_ops(name):
    f = MATRIX_CASES[name]
    g = cr.grad(f)
    for part, take in ((np.real, cr.real), (np.imag, cr.imag)):
        got = cr.jacobian(lambda v, take=take: take(cr.grad(f)(v)))(ZM)
        for k in np.ndindex(ZM.shape):
            def comp(v, k=k, part=part):
                return float(part(g(v)[k]))
            np.testing.assert_allclose(got[k], numeric_complex_grad(comp, ZM, h=1e-5),
                                       rtol=1e-5, atol=1e-6)


def test_the_difference_check_catches_unconjugated_cofactors(monkeypatch):
    from chainrule.rules import linalg_decomp as la

    def real_formula(a):        # u diag(cofactors of s) vt: right for real matrices only
        u, s, vt = np.linalg.svd(a)
        sign = np.linalg.det(u) * np.linalg.det(vt)
        return sign[..., None, None] * (u * la._exclusive_products(s)[..., None, :]) @ vt
    monkeypatch.setattr(la, "_cofactors", real_formula)
    f = MATRIX_CASES["det"]
    assert not np.allclose(cr.grad(f)(ZM), numeric_complex_grad(_plain(f), ZM), rtol=1e-3)


# -- norms -----------------------------------------------------------------------------------

def test_norm_of_a_complex_vector_is_real_with_gradient_conj_z_over_norm():
    z = np.array([3 + 4j, 1 - 2j])
    assert float(np.linalg.norm(cr.tensor(z))) == pytest.approx(np.sqrt(30))
    np.testing.assert_allclose(cr.grad(lambda v: np.linalg.norm(v))(z),
                               np.conj(z) / np.sqrt(30), rtol=1e-12)   # as jax.grad gives
    assert cr.grad(lambda v: cr.norm(v))(np.zeros(2, complex)).tolist() == [0, 0]


def test_forward_mode_of_a_complex_norm_is_real_and_matches_reverse_mode():
    v = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    _, jv = cr.jvp(lambda z: np.linalg.norm(z), (Z,), (v,))
    assert np.isrealobj(np.asarray(jv))
    g = cr.grad(lambda z: np.linalg.norm(z))(Z)
    assert float(jv) == pytest.approx(float(np.sum(np.real(g * v))), rel=1e-12)


def test_the_difference_check_catches_an_unconjugated_norm_direction(monkeypatch):
    from chainrule.rules import reductions as rd
    monkeypatch.setattr(rd, "conjugate", lambda x: x)
    f = CASES["norm"]
    assert not np.allclose(cr.grad(f)(Z), numeric_complex_grad(_plain(f), Z), rtol=1e-3)


# -- forward mode: the tangent has the output's dtype -------------------------------------------

@pytest.mark.parametrize("name", ["prod-cumprod", "arccosh", "norm", *sorted(MATRIX_CASES)])
def test_forward_mode_of_newly_enabled_ops_matches_directional_differences(name):
    f, z = (CASES[name], Z) if name in CASES else (MATRIX_CASES[name], ZM)
    v = RNG.standard_normal(z.shape) + 1j * RNG.standard_normal(z.shape)
    _, jv = cr.jvp(f, (z,), (v,))
    assert np.isrealobj(np.asarray(jv))
    eps = 1e-6
    expected = (float(np.asarray(f(z + eps * v))) - float(np.asarray(f(z - eps * v)))) / (2 * eps)
    assert float(jv) == pytest.approx(expected, rel=1e-6)


def test_forward_mode_tangent_dtype_follows_the_output():
    v = np.array([0.5 - 1j, 2 + 0.3j])
    z = Z[:2]
    _, t = cr.jvp(lambda a: cr.prod(a) * a, (z,), (v,))          # complex out, complex in
    assert np.asarray(t).dtype == complex
    np.testing.assert_allclose(t, (v[0] * z[1] + z[0] * v[1]) * z + np.prod(z) * v)
    _, t = cr.jvp(lambda x: x * (1 + 1j), (np.array([1.0, 2.0]),), (np.ones(2),))
    assert np.asarray(t).dtype == complex                        # real in, complex out
    _, t = cr.jvp(lambda x: cr.sum(cr.abs(x * (1 + 1j))), (np.array([1.0, 2.0]),),
                  (np.ones(2),))
    assert np.isrealobj(np.asarray(t)) and float(t) == pytest.approx(2 * np.sqrt(2))


# -- scipy.special.erf and erfc --------------------------------------------------------------

def _erf_loss(z):
    from chainrule.scipy import special as cs
    return cr.sum(cr.real(cs.erf(z) * (1 + 2j)) + cr.abs(cs.erfc(z * 0.5)))


def test_erf_and_erfc_of_complex_data_match_differences():
    np.testing.assert_allclose(cr.grad(_erf_loss)(Z), numeric_complex_grad(_plain(_erf_loss), Z),
                               rtol=1e-6, atol=1e-8)
    from chainrule.scipy import special as cs
    g = cr.grad(lambda z: cr.sum(cs.erf(z)), holomorphic=True)(Z)
    np.testing.assert_allclose(g, 2 / np.sqrt(np.pi) * np.exp(-Z * Z), rtol=1e-12)


def test_second_order_of_erf_on_complex_data():
    g = cr.grad(_erf_loss)
    got = cr.jacobian(lambda v: cr.imag(cr.grad(_erf_loss)(v)))(Z)
    for k in range(4):
        np.testing.assert_allclose(got[k], numeric_complex_grad(
            lambda v, k=k: float(np.imag(g(v)[k])), Z), rtol=1e-5, atol=1e-6)


def test_the_difference_check_catches_a_conjugated_erf_rule(monkeypatch):
    from chainrule.scipy import special as cs
    monkeypatch.setattr(cs.ERF, "vjps", (lambda M, g, ans, x: g * 2 / np.sqrt(np.pi)
                                         * np.exp(-np.conj(x) * np.conj(x)),))
    assert not np.allclose(cr.grad(_erf_loss)(Z), numeric_complex_grad(_plain(_erf_loss), Z),
                           rtol=1e-3)



# -- singular values and the matrix norms built from them --------------------------------------

RECT = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
SV_CASES = {
    "singular_values": lambda a: cr.sum(np.linalg.svd(a, compute_uv=False)
                                        * np.array([1.0, 2.0, -0.5])),
    "nuc": lambda a: np.linalg.norm(a, "nuc"),
    "spectral": lambda a: np.linalg.norm(a, 2) + np.linalg.norm(a, -2),
    "spectral-of-a-column": lambda a: np.linalg.norm(a[:, :1], 2),
    "matrix-norms-of-abs": lambda a: np.linalg.norm(a, 1) + np.linalg.norm(a, -np.inf),
}


@pytest.mark.parametrize("name", sorted(SV_CASES))
def test_singular_values_of_complex_matrices_match_differences(name):
    f = SV_CASES[name]
    for a in (RECT, RECT.T, ZM):
        np.testing.assert_allclose(float(f(cr.tensor(a))), float(np.asarray(f(a))), rtol=1e-12)
        np.testing.assert_allclose(cr.grad(f)(a), numeric_complex_grad(_plain(f), a),
                                   rtol=1e-6, atol=1e-8)


def test_second_order_of_complex_singular_values_matches_differences():
    f = SV_CASES["singular_values"]
    g = cr.grad(f)
    got = cr.jacobian(lambda a: cr.real(cr.grad(f)(a)))(RECT)
    for k in np.ndindex(RECT.shape):
        np.testing.assert_allclose(
            got[k], numeric_complex_grad(lambda v, k=k: float(np.real(g(v)[k])), RECT, h=1e-5),
            rtol=1e-5, atol=1e-6)


def test_the_difference_check_catches_unconjugated_singular_vectors(monkeypatch):
    from chainrule.rules import linalg_decomp as la
    monkeypatch.setattr(la, "conjugate", lambda x: x)
    f = SV_CASES["singular_values"]
    assert not np.allclose(cr.grad(f)(RECT), numeric_complex_grad(_plain(f), RECT), rtol=1e-3)


def test_the_cotangent_of_a_complex_input_of_real_is_complex_in_every_mode():
    # forward mode through real's VJP gave a real tangent (and primal) for a complex input;
    # JAX: jvp(v -> vjp(real, 1+2j)(v)) at 0.5 along 0.186 is (0.5+0j, 0.186+0j)
    x = np.array(1 + 2j)
    pullback = lambda v: cr.vjp(lambda z: np.real(z), x)[1](v)[0]   # noqa: E731
    primal, tangent = cr.jvp(pullback, (np.array(0.5),), (np.array(0.186),))
    assert np.iscomplexobj(primal) and np.iscomplexobj(tangent)
    assert complex(primal) == 0.5 and complex(tangent) == pytest.approx(0.186)
    assert cr.grad(lambda x: np.real(x) ** 2)(1.5) == 3.0     # real data: real gradient


def test_real_if_close_as_numpy_and_differentiable():
    close = np.array([1 + 1e-17j, 2.0 + 0j])
    far = np.array([1 + 1e-3j])
    for a in (close, far, np.array([1.0, 2.0]), np.array([1 + 1e-10j])):
        got = np.real_if_close(cr.tensor(a))
        want = np.real_if_close(a)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.value, want)
    loose = np.real_if_close(cr.tensor(np.array([1 + 1e-10j])), tol=1e-9)
    np.testing.assert_array_equal(loose.value, [1.0])
    # the real part's gradient, in the convention of docs/complex.md: d|Re z|^2 = 2 Re z
    g = cr.grad(lambda z: cr.sum(np.real_if_close(z) ** 2))(np.array([3 + 0j, 1 + 0j]))
    np.testing.assert_array_equal(g, [6 + 0j, 2 + 0j])
