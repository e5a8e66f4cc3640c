"""HIPS autograd's way of defining ops (``chainrule.extend``): ``@primitive``, ``defvjp``,
``defjvp``, ``defvjp_argnum``, on Scalars and on Tensors, first and second order, reverse
and forward mode."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.extend as ext
from chainrule.extend import AutogradPrimitive, defjvp, defvjp, defvjp_argnum, primitive
from chainrule.primitive import Primitive


def central(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d sum(f(x)) / dx by central differences in float64."""
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        out[i] = (np.sum(f(x + e)) - np.sum(f(x - e))) / (2 * eps)
    return out


# -- the ops used throughout -----------------------------------------------------------------

@primitive
def xexp(x):
    """x * exp(x)."""
    return x * np.exp(x)


defvjp(xexp, lambda ans, x: lambda g: g * (1.0 + x) * np.exp(x))


@primitive
def twice(x):
    return x * 2.0


defvjp(twice, lambda ans, x: lambda g: g * 2.0)


@primitive
def mulsin(x, y):
    """x * sin(y), broadcasting."""
    return x * np.sin(y)


defvjp(mulsin, lambda ans, x, y: lambda g: g * np.sin(y),
       lambda ans, x, y: lambda g: g * x * np.cos(y))


@primitive
def scaled_power(x, n, mode, *, scale=1.0):
    """scale * x**n, or its negation for mode "neg": n, mode and scale are constants."""
    out = scale * x**n
    return -out if mode == "neg" else out


def _power_vjp(ans, x, n, mode, *, scale=1.0):
    sign = -1.0 if mode == "neg" else 1.0
    return lambda g: g * sign * scale * n * x ** (n - 1)


defvjp(scaled_power, _power_vjp)


# -- plain values ----------------------------------------------------------------------------

def test_a_primitive_on_plain_values_just_runs():
    assert xexp(1.5) == 1.5 * math.exp(1.5)
    assert not isinstance(xexp(1.5), cr.Scalar)
    np.testing.assert_array_equal(mulsin(np.array([1.0, 2.0]), 0.5),
                                  np.array([1.0, 2.0]) * np.sin(0.5))
    assert scaled_power(2.0, 3, "neg", scale=0.5) == -4.0
    assert xexp.__name__ == "xexp" and xexp.__doc__ == "x * exp(x)."
    assert repr(xexp) == "<primitive xexp>"
    assert primitive(xexp) is xexp                      # decorating twice: the same op


# -- one argument ----------------------------------------------------------------------------

def test_one_argument_on_scalars_value_and_gradient():
    x = cr.Scalar(0.7)
    y = xexp(x)
    assert isinstance(y, cr.Scalar) and y.value == pytest.approx(0.7 * math.exp(0.7))
    y.backward()
    assert x.grad == pytest.approx(1.7 * math.exp(0.7), rel=1e-12)
    assert cr.grad(xexp)(0.7) == pytest.approx(1.7 * math.exp(0.7), rel=1e-12)


def test_one_argument_on_tensors_matches_closed_form_and_central_differences():
    x0 = np.array([[-1.0, 0.3], [0.5, 2.0]])
    g = cr.grad(lambda x: cr.sum(xexp(x) ** 2))(x0)
    expected = 2 * x0 * np.exp(x0) * (1 + x0) * np.exp(x0)
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    np.testing.assert_allclose(g, central(lambda v: (v * np.exp(v)) ** 2, x0), rtol=1e-7)
    assert cr.gradcheck(lambda x: xexp(x), x0)


def test_the_recorded_node_is_one_op_named_after_the_function():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = xexp(x)
    assert isinstance(y.prim, Primitive) and y.prim.name == "xexp"
    assert y.prim.inputs == ("x",)
    assert y.parents[0] is x


def test_a_builtin_without_a_signature_can_be_made_a_primitive():
    hypot = primitive(math.hypot)
    defvjp(hypot, lambda ans, x, y: lambda g: g * x / ans, lambda ans, x, y: lambda g: g * y / ans)
    x = cr.Scalar(3.0)
    y = hypot(x, 4.0)
    assert y.prim.inputs == ("x0",) and y.value == 5.0
    y.backward()
    assert x.grad == pytest.approx(0.6)


def test_explanations_show_the_constants_of_the_call():
    x = cr.Scalar(2.0)
    y = scaled_power(x, 3, "neg", scale=0.5)
    y.backward()
    assert repr(y.parents[1]) == "(_, 3, 'neg', scale=0.5)"
    assert "scaled_power(constants=(_, 3, 'neg', scale=0.5))" in str(cr.explain(y))


# -- two arguments, constants, keyword arguments, argnums ------------------------------------

def test_two_arguments_on_tensors_with_broadcasting():
    x0, y0 = np.array([[1.0, -2.0, 0.5]]), np.array([[0.3], [1.1]])
    gx, gy = cr.grad(lambda x, y: cr.sum(mulsin(x, y)), argnums=(0, 1))(x0, y0)
    np.testing.assert_allclose(gx, np.full((1, 3), np.sin(0.3) + np.sin(1.1)), rtol=1e-12)
    np.testing.assert_allclose(gy, np.sum(x0) * np.cos(y0), rtol=1e-12)
    assert cr.gradcheck(lambda x, y: mulsin(x, y), x0,
                        y0, rtol=1e-6)


def test_two_arguments_on_scalars_and_one_constant():
    gx, gy = cr.grad(lambda x, y: mulsin(x, y), argnums=(0, 1))(1.5, 0.4)
    assert gx == pytest.approx(math.sin(0.4)) and gy == pytest.approx(1.5 * math.cos(0.4))
    # a plain number among the arguments is a constant
    assert cr.grad(lambda y: mulsin(3.0, y))(0.4) == pytest.approx(3.0 * math.cos(0.4))
    assert cr.grad(lambda x: mulsin(x, 0.4))(3.0) == pytest.approx(math.sin(0.4))


def test_constants_and_keyword_arguments_reach_forward_and_makers():
    def f(x):
        return scaled_power(x, 3, "neg", scale=0.5)
    assert cr.grad(f)(2.0) == pytest.approx(-0.5 * 3 * 4.0)
    x0 = np.array([0.5, -1.5, 2.0])
    g = cr.grad(lambda x: cr.sum(scaled_power(x, 4, "pos", scale=2.0)))(x0)
    np.testing.assert_allclose(g, 2.0 * 4 * x0**3, rtol=1e-12)
    np.testing.assert_allclose(g, central(lambda v: 2.0 * v**4, x0), rtol=1e-7)


def test_argnums_gives_the_gradient_of_some_arguments_only():
    @primitive
    def affine(a, x, b):
        return a * x + b

    defvjp(affine, lambda ans, a, x, b: lambda g: g * a, argnums=[1])
    defvjp(affine, lambda ans, a, x, b: lambda g: g, argnums=(2,))
    assert cr.grad(lambda x: affine(3.0, x, 1.0))(2.0) == pytest.approx(3.0)
    assert cr.grad(lambda b: affine(3.0, 2.0, b))(5.0) == pytest.approx(1.0)
    with pytest.raises(NotImplementedError, match="affine wrt argnum 0"):
        cr.grad(lambda a: affine(a, 2.0, 1.0))(3.0)


def test_none_means_no_gradient_flows():
    @primitive
    def first(x, y):
        return x + 0.0 * y

    defvjp(first, lambda ans, x, y: lambda g: g, None)
    gx, gy = cr.grad(lambda x, y: first(x, y) * y, argnums=(0, 1))(2.0, 3.0)
    assert gx == 3.0 and gy == 2.0      # y's gradient comes only through the product


def test_defvjp_argnum_gives_every_argument_with_one_maker():
    @primitive
    def prod(x, y):
        return x * y

    seen = []

    def maker(argnum, ans, args, kwargs):
        seen.append((argnum, kwargs))
        other = args[1 - argnum]
        return lambda g: g * other

    defvjp_argnum(prod, maker)
    gx, gy = cr.grad(lambda x, y: prod(x, y), argnums=(0, 1))(2.0, 5.0)
    assert (gx, gy) == (5.0, 2.0)
    assert sorted(a for a, _ in seen) == [0, 1] and all(k == {} for _, k in seen)


def test_defvjp_after_a_first_call_takes_effect():
    @primitive
    def late(x):
        return x * 3.0

    with pytest.raises(NotImplementedError):
        cr.grad(late)(1.0)
    defvjp(late, lambda ans, x: lambda g: g * 3.0)
    assert cr.grad(late)(1.0) == 3.0
    defvjp(late, lambda ans, x: lambda g: g * 4.0)      # redefined: the new rule counts
    assert cr.grad(late)(1.0) == 4.0


# -- second order ----------------------------------------------------------------------------

@primitive
def square(x):
    return x * x


defvjp(square, lambda ans, x: lambda g: g * twice(x))   # the maker calls another primitive


def test_second_order_through_makers_that_call_primitives():
    assert cr.grad(cr.grad(square))(1.7) == pytest.approx(2.0)
    assert float(cr.hessian(square)(1.7)) == pytest.approx(2.0)
    x0 = np.array([0.2, -0.9])
    h = cr.hessian(lambda x: cr.sum(xexp(x)))(x0)
    np.testing.assert_allclose(h, np.diag((2 + x0) * np.exp(x0)), rtol=1e-12)


def test_a_wrong_rule_reached_only_at_second_order_is_caught():
    # as autograd's test_check_vjp_2nd_order_fail: foo's VJP calls bar, whose VJP is wrong
    @primitive
    def foo(x):
        return x * 2.0

    @primitive
    def bar(x):
        return x

    defvjp(foo, lambda ans, x: lambda g: bar(g) * 2)
    defvjp(bar, lambda ans, x: lambda g: g * 1.001)
    assert cr.gradcheck(lambda x: foo(x), np.array([1.0]), rtol=1e-6)
    # d/dx of the gradient of x * foo(x) goes through bar's (wrong) rule: 2 * 1.001 + 2
    def f(x):
        return cr.sum(foo(x) * x)
    h = float(cr.hessian(f)(1.0))
    assert h == pytest.approx(4.002, rel=1e-12)
    eps = 1e-5
    numeric = (cr.grad(f)(1.0 + eps) - cr.grad(f)(1.0 - eps)) / (2 * eps)
    assert numeric == pytest.approx(4.0, rel=1e-8)     # central differences see the truth


# -- wrong and missing rules -----------------------------------------------------------------

def test_a_planted_wrong_maker_is_caught_by_gradcheck():
    @primitive
    def cube(x):
        return x**3

    defvjp(cube, lambda ans, x: lambda g: g * 3 * x**2)
    x = np.array([0.5, 1.5])
    assert cr.gradcheck(lambda t: cube(t), x)
    defvjp(cube, lambda ans, x: lambda g: g * 3 * x)     # wrong: 3x instead of 3x**2
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(lambda t: cube(t), x)


def test_no_vjp_defined_raises_not_implemented_naming_function_and_argument():
    fun = primitive(lambda x: 2.0 * x)
    with pytest.raises(NotImplementedError, match="<lambda> wrt argnum 0"):
        cr.grad(fun)(1.0)
    with pytest.raises(NotImplementedError, match="<lambda> wrt argnum 0"):
        cr.grad(lambda x: cr.sum(fun(x)))(np.ones(2))
    x = cr.Scalar(1.0)
    with pytest.raises(NotImplementedError):
        fun(x).backward()
    # forward still works
    assert fun(cr.Scalar(1.5)).value == 3.0


def test_no_rule_at_all_raises_not_implemented_in_forward_mode_too():
    fun = primitive(lambda x: 2.0 * x)
    with pytest.raises(NotImplementedError):
        cr.deriv(fun)(1.0)
    with pytest.raises(NotImplementedError):
        cr.jvp(fun, (np.ones(2),), (np.ones(2),))


def test_a_maker_returning_none_is_an_error_not_a_zero_gradient():
    @primitive
    def forgot(x):
        return x

    def bad(ans, x):
        def vjp(g):
            g * 2.0                                     # no return
        return vjp
    defvjp(forgot, bad)
    with pytest.raises(TypeError, match="forgot for argnum 0 returned None"):
        cr.grad(forgot)(1.0)


def test_defvjp_refuses_what_it_cannot_use():
    with pytest.raises(TypeError, match="not a @primitive"):
        defvjp(lambda x: x, lambda ans, x: lambda g: g)
    with pytest.raises(TypeError, match="not a @primitive"):
        defjvp(math.sin, lambda g, ans, x: g)
    with pytest.raises(TypeError, match="not a @primitive"):
        defvjp_argnum(math.sin, lambda *a: None)
    with pytest.raises(TypeError, match="bad rule"):
        defvjp(twice, "same")
    with pytest.raises(TypeError, match="bad rule"):
        defjvp(twice, 3)


# -- forward mode ----------------------------------------------------------------------------

def test_forward_mode_with_defjvp_on_scalars_and_tensors():
    @primitive
    def triple(x):
        return 3.0 * x

    calls = []

    def jvp(g, ans, x):
        calls.append(1)
        return g * 3.0

    defjvp(triple, jvp)
    # no defvjp: forward mode uses only the JVP
    assert cr.deriv(triple)(2.0) == 3.0
    _, t = cr.jvp(triple, (np.array([1.0, 2.0]),), (np.array([1.0, -1.0]),))
    np.testing.assert_array_equal(t, [3.0, -3.0])
    x = cr.Scalar(2.0, tangent=0.5)
    assert triple(x).tangent == 1.5
    assert calls


def test_forward_mode_derived_from_the_vjps_when_there_is_no_defjvp():
    x0, y0 = np.array([0.3, -1.2]), np.array([0.8, 2.0])
    tx, ty = np.array([1.0, 0.5]), np.array([-0.25, 2.0])
    val, t = cr.jvp(mulsin, (x0, y0), (tx, ty))
    np.testing.assert_allclose(val, x0 * np.sin(y0))
    np.testing.assert_allclose(t, tx * np.sin(y0) + x0 * np.cos(y0) * ty, rtol=1e-12)
    np.testing.assert_allclose(cr.deriv(xexp)(np.array([0.1, 0.4])),
                               (1 + np.array([0.1, 0.4])) * np.exp([0.1, 0.4]), rtol=1e-12)


def test_defjvp_with_argnums_and_none():
    @primitive
    def mix(x, y, z):
        return x * y + z

    defjvp(mix, lambda g, ans, x, y, z: g * y, lambda g, ans, x, y, z: g * x)
    defjvp(mix, None, argnums=[2])                     # no tangent flows from z
    _, t = cr.jvp(mix, (2.0, 3.0, 4.0), (1.0, 10.0, 100.0))
    assert t == pytest.approx(1.0 * 3.0 + 10.0 * 2.0)

    @primitive
    def only_first(x, y):
        return x * y

    defjvp(only_first, lambda g, ans, x, y: g * y)
    with pytest.raises(NotImplementedError, match="JVP of only_first wrt argnum 1"):
        cr.jvp(only_first, (2.0, 3.0), (1.0, 1.0))
    assert cr.jvp(lambda x: only_first(x, 3.0), (2.0,), (1.0,))[1] == 3.0


def test_the_jvp_gets_keyword_arguments_and_constants():
    @primitive
    def shifted(x, k, *, c=0.0):
        return k * x + c

    defjvp(shifted, lambda g, ans, x, k, *, c=0.0: g * k)
    x = cr.Scalar(1.0, tangent=2.0)
    y = shifted(x, 5, c=1.0)
    assert y.value == 6.0 and y.tangent == 10.0


# -- where it is reachable -------------------------------------------------------------------

def test_reachable_from_chainrule_and_chainrule_extend():
    assert cr.defvjp is ext.defvjp and cr.defjvp is ext.defjvp
    assert cr.primitive is ext.primitive
    assert isinstance(cr.primitive(lambda x: x), AutogradPrimitive)
    # chainrule's own spelling is unchanged
    cube = cr.primitive("cube", lambda x: x**3, [lambda M, g, ans, x: g * 3 * x**2])
    assert isinstance(cube, Primitive) and cr.grad(lambda x: cube(x))(2.0) == 12.0
    assert "defvjp" in cr.__all__ and "defjvp" in cr.__all__


# -- batches of cotangents and tangents (jacobian, jacfwd, hessian) ---------------------------

@primitive
def lse(x):
    """log(sum(exp(x))): one number from a vector, so g has no axis of x's."""
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


defvjp(lse, lambda ans, x: lambda g: g * np.exp(x - ans))


@primitive
def scale_by_sum(x):
    """x * sum(x): a vector from a vector."""
    return x * np.sum(x)


defvjp(scale_by_sum, lambda ans, x: lambda g: g * np.sum(x) + np.sum(g * x))
defjvp(scale_by_sum, lambda t, ans, x: t * np.sum(x) + x * np.sum(t))


def test_the_hessian_of_a_reduction_matches_the_closed_form():
    # the second pass pushes a batch of cotangents through the maker, one at a time
    x0 = np.array([1.0, 2.0, -0.5])
    p = np.exp(x0) / np.sum(np.exp(x0))
    expected = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(cr.hessian(lse)(x0), expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(cr.jacobian(cr.grad(lse))(x0), expected, rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_allclose(cr.jacfwd(cr.grad(lse))(x0), expected, rtol=1e-10, atol=1e-14)


def test_jacobians_of_a_vector_primitive_in_both_modes():
    x0 = np.array([0.5, -1.0, 2.0])
    expected = np.eye(3) * np.sum(x0) + x0[:, None]     # d(x_i s)/dx_j = s d_ij + x_i
    np.testing.assert_allclose(cr.jacobian(scale_by_sum)(x0), expected, rtol=1e-12)
    np.testing.assert_allclose(cr.jacfwd(scale_by_sum)(x0), expected, rtol=1e-12)

    @primitive
    def no_jvp(x):
        return x * np.sum(x)

    defvjp(no_jvp, lambda ans, x: lambda g: g * np.sum(x) + np.sum(g * x))
    np.testing.assert_allclose(cr.jacfwd(no_jvp)(x0), expected, rtol=1e-12)   # derived
    numeric = np.stack([central(lambda v, i=i: (v * np.sum(v))[i], x0) for i in range(3)])
    np.testing.assert_allclose(cr.jacobian(no_jvp)(x0), numeric, rtol=1e-7)


def test_a_batch_of_cotangents_through_a_maker_with_a_narrow_result():
    # the maker returns a number for a vector input: broadcast, then summed back by the core
    @primitive
    def total(x):
        return np.sum(x) * np.ones(2)

    defvjp(total, lambda ans, x: lambda g: np.sum(g))
    np.testing.assert_allclose(cr.jacobian(total)(np.array([1.0, 2.0, 3.0])), np.ones((2, 3)))


# -- the guide's example ---------------------------------------------------------------------

def test_the_guides_autograd_example_runs_as_written():
    import re
    from pathlib import Path
    doc = (Path(__file__).resolve().parent.parent / "docs" / "extending.md").read_text()
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", doc, flags=re.S)
                if "chainrule.extend" in b]
    namespace: dict = {}
    exec(block, namespace)  # noqa: S102 - the doc's own code
    shown = 0
    for line in block.splitlines():
        code, _, comment = line.partition("# ")
        if comment and code.strip() and not code.startswith(("def", "defvjp", "defjvp")):
            value = eval(code, namespace)  # noqa: S307 - the doc's own code
            expected = comment.split(": ")[-1].strip()
            if expected.startswith("array("):
                np.testing.assert_allclose(value, eval("np." + expected))  # noqa: S307
            else:
                assert float(value) == pytest.approx(float(expected), rel=1e-15)
            shown += 1
    assert shown == 3
    lse_doc, double = namespace["logsumexp"], namespace["double"]
    x0 = np.array([1.0, 2.0])
    assert cr.gradcheck(lse_doc, x0, rtol=1e-6)
    p = np.exp(x0) / np.sum(np.exp(x0))
    np.testing.assert_allclose(cr.hessian(lse_doc)(x0), np.diag(p) - np.outer(p, p),
                               rtol=1e-10)
    assert cr.deriv(double)(1.0) == 2.0 and cr.grad(double)(1.0) == 2.0


# -- autograd's deprecated methods -----------------------------------------------------------

def test_the_deprecated_methods_still_work_and_warn():
    @primitive
    def new_mul(x, y):
        return x * y

    with pytest.warns(DeprecationWarning, match="defgrad"):
        new_mul.defgrad(lambda ans, x, y: lambda g: y * g)
    with pytest.warns(DeprecationWarning):
        new_mul.defgrad(lambda ans, x, y: lambda g: x * g, argnum=1)
    m1, m2 = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[0.5, -2.0], [1.5, 4.0]])
    gx, gy = cr.grad(lambda x, y: cr.sum(new_mul(x, y)), argnums=(0, 1))(m1, m2)
    np.testing.assert_array_equal(gx, m2)
    np.testing.assert_array_equal(gy, m1)

    @primitive
    def old_mul(x, y):
        return x * y

    seen = []

    def vjp_y(g, ans, vs, gvs, x, y):
        seen.append((vs.shape, gvs.shape, vs.zeros(), gvs.ones()))
        return x * g

    with pytest.warns(DeprecationWarning, match="defvjp"):
        old_mul.defvjp(lambda g, ans, vs, gvs, x, y: y * g)
        old_mul.defvjp(vjp_y, argnum=1)
    assert cr.gradcheck(lambda x, y: old_mul(x, y), m1, m2, rtol=1e-6)
    assert seen[0][:2] == ((2, 2), (2, 2))
    np.testing.assert_array_equal(seen[0][2], np.zeros((2, 2)))
    np.testing.assert_array_equal(seen[0][3], np.ones((2, 2)))
    assert cr.grad(lambda y: old_mul(2.0, y))(3.0) == 2.0
    assert seen[-1][:2] == ((), ()) and seen[-1][2] == 0.0 and seen[-1][3] == 1.0

    @primitive
    def zero_mul(x, y):
        return 0 * x * y

    with pytest.warns(DeprecationWarning, match="defvjp_is_zero"):
        zero_mul.defvjp_is_zero([0, 1])
    with pytest.warns(cr.IndependentOutputWarning):
        gx, gy = cr.grad(lambda x, y: cr.sum(zero_mul(x, y)), argnums=(0, 1))(m1, m2)
    np.testing.assert_array_equal(gx, np.zeros((2, 2)))
    np.testing.assert_array_equal(gy, np.zeros((2, 2)))
