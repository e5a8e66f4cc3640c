"""The Scalar engine (scalar-based backprop): operators, accumulation, shared nodes, depth."""

from __future__ import annotations

import math
import operator

import pytest

import chainrule as cr

# every test here runs with the float loop alone, then with both loops compared
pytestmark = pytest.mark.usefixtures("scalar_loops")

# (operator, d/da, d/db) at a = 1.5, b = -0.75 (b as exponent: a**b is defined for a > 0)
A, B = 1.5, -0.75
BINARY = [
    ("add", operator.add, 1.0, 1.0),
    ("sub", operator.sub, 1.0, -1.0),
    ("mul", operator.mul, B, A),
    ("truediv", operator.truediv, 1 / B, -A / B ** 2),
    ("pow", operator.pow, B * A ** (B - 1), A ** B * math.log(A)),
]


@pytest.mark.parametrize("name,op,da,db", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("left,right", [("Scalar", "Scalar"), ("Scalar", "float"),
                                        ("float", "Scalar")])
def test_binary_operator_with_scalar_or_float_on_either_side(name, op, da, db, left, right):
    a = cr.Scalar(A) if left == "Scalar" else A
    b = cr.Scalar(B) if right == "Scalar" else B
    out = op(a, b)
    assert isinstance(out, cr.Scalar)
    assert out.value == pytest.approx(op(A, B), rel=1e-15)
    out.backward()
    if left == "Scalar":
        assert a.grad == pytest.approx(da, rel=1e-14)
    if right == "Scalar":
        assert b.grad == pytest.approx(db, rel=1e-14)


@pytest.mark.parametrize("name,op", [(b[0], b[1]) for b in BINARY])
def test_binary_operator_with_int_on_either_side(name, op):
    x = cr.Scalar(2.0)
    for out, expected in ((op(x, 3), op(2.0, 3)), (op(3, x), op(3, 2.0))):
        assert isinstance(out, cr.Scalar)
        assert out.value == pytest.approx(expected, rel=1e-15)
    h = 1e-6
    x = cr.Scalar(2.0)
    op(3, x).backward()
    assert x.grad == pytest.approx((op(3, 2.0 + h) - op(3, 2.0 - h)) / (2 * h), rel=1e-7)
    x = cr.Scalar(2.0)
    op(x, 3).backward()
    assert x.grad == pytest.approx((op(2.0 + h, 3) - op(2.0 - h, 3)) / (2 * h), rel=1e-7)


def test_unary_minus():
    x = cr.Scalar(3.0)
    y = -x
    assert isinstance(y, cr.Scalar) and y.value == -3.0
    y.backward()
    assert x.grad == -1.0


@pytest.mark.parametrize("name,deriv", [
    ("sin", math.cos), ("cos", lambda x: -math.sin(x)), ("tan", lambda x: 1 / math.cos(x) ** 2),
    ("exp", math.exp), ("log", lambda x: 1 / x), ("sqrt", lambda x: 0.5 / math.sqrt(x)),
    ("tanh", lambda x: 1 - math.tanh(x) ** 2),
    ("sigmoid", lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
    ("relu", lambda x: 1.0), ("abs", lambda x: 1.0)])
def test_elementwise_functions_accept_and_return_scalars(name, deriv):
    x = cr.Scalar(0.8)
    y = getattr(cr, name)(x)
    assert isinstance(y, cr.Scalar)
    y.backward()
    assert x.grad == pytest.approx(deriv(0.8), rel=1e-13)


def test_grad_is_none_until_a_backward_pass_reaches_it():
    x, z = cr.Scalar(1.0), cr.Scalar(5.0)
    y = x * 2
    assert x.grad is None and y.grad is None
    y.backward()
    assert x.grad == 2.0 and isinstance(x.grad, float)
    assert z.grad is None          # not reached: never a 0 that looks like a true gradient


def test_value_and_name_attributes():
    x = cr.Scalar(2, name="x")
    assert x.value == 2.0 and type(x.value) is float and x.name == "x"


def test_backward_fills_intermediates_too():
    x = cr.Scalar(2.0)
    h = x * 3
    y = h * h
    y.backward()
    assert y.grad == 1.0 and h.grad == 12.0 and x.grad == 36.0


def test_second_backward_doubles_every_gradient():
    x, w = cr.Scalar(0.5), cr.Scalar(-2.0)
    h = cr.sin(x * w)
    y = h * h + x
    y.backward()
    first = (x.grad, w.grad, h.grad)
    y.backward()
    assert (x.grad, w.grad, h.grad) == pytest.approx(tuple(2 * g for g in first), rel=1e-15)


def test_zero_grad_clears_the_whole_graph():
    x, w = cr.Scalar(0.5), cr.Scalar(-2.0)
    h = x * w
    y = cr.exp(h) + x
    y.backward()
    cr.zero_grad(y)
    assert (x.grad, w.grad, h.grad, y.grad) == (None, None, None, None)
    y.backward()
    assert x.grad == pytest.approx(math.exp(-1.0) * -2.0 + 1, rel=1e-15)


def test_x_times_x_keeps_both_edges():
    x = cr.Scalar(3.0)
    y = x * x
    assert y.parents == (x, x)
    y.backward()
    assert x.grad == 6.0


def test_x_times_y_plus_x_keeps_both_paths():
    x, y = cr.Scalar(3.0), cr.Scalar(-4.0)
    z = x * y + x
    z.backward()
    assert x.grad == -3.0 and y.grad == 3.0


def test_a_node_used_in_many_places_sums_all_paths():
    x = cr.Scalar(1.3)
    y = x * x * x + x / x - x ** 2
    y.backward()
    assert x.grad == pytest.approx(3 * 1.3 ** 2 - 2 * 1.3, rel=1e-14)


def test_comparisons_compare_values():
    a, b = cr.Scalar(1.0), cr.Scalar(2.0)
    assert a < b and b > a and a <= 1.0 and b >= 2


def test_float_conversion_warns_that_it_drops_the_gradient():
    with pytest.warns(cr.GradientDroppedWarning, match="float"):
        assert float(cr.Scalar(2.5) * 2) == 5.0
    with cr.no_grad():
        assert float(cr.Scalar(2.5) * 2) == 5.0


def test_bool_is_not_a_number():
    with pytest.raises(TypeError, match="bool"):
        cr.Scalar(1.0) + True


def test_combining_with_a_string_names_the_op_and_type():
    with pytest.raises(TypeError, match="mul.*str"):
        cr.Scalar(1.0) * "a"


def test_scalar_and_tensor_do_not_mix_silently():
    with pytest.raises(TypeError, match="Scalar"):
        cr.sin(cr.Scalar(1.0)) + cr.tensor([1.0], requires_grad=True)


def test_no_grad_records_nothing_for_scalars():
    x = cr.Scalar(2.0)
    with cr.no_grad():
        y = x * x
    assert y.parents == () and y.prim is None


def test_million_deep_chain_builds_and_backprops():
    x = cr.Scalar(0.5)
    y = x
    for _ in range(1_000_000):
        y = cr.sin(y)
    y.backward()
    # the oracle: the same chain on floats, d/dx = product of cos at each step
    v, d = 0.5, 1.0
    for _ in range(1_000_000):
        d *= math.cos(v)
        v = math.sin(v)
    assert y.value == v
    assert x.grad == pytest.approx(d, rel=1e-9)
    cr.zero_grad(y)
    assert x.grad is None


def test_a_quotient_by_a_tiny_scalar_has_its_exact_gradient():
    """d/dy x/y = -(1/y) * (x/y): finite where y*y underflows (|y| < 1e-162), as torch."""
    a, b = cr.Scalar(1e-200), cr.Scalar(1e-200)
    (a / b).backward()
    assert (a.grad, b.grad) == (1e200, -1e200)      # torch: 1e200, -1e200
    x = cr.Scalar(1e-200)
    (1 / x).backward()
    assert x.grad == -math.inf                      # -1e400 overflows, as in torch
    a, b = cr.Scalar(3e-170), cr.Scalar(-7e-170)
    (a / b).backward()
    assert b.grad == pytest.approx(3e-170 / 7e-170 / -7e-170, rel=1e-15)
