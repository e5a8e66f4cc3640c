"""The engines' less travelled paths, each as a behaviour with its value asserted: mixed and
refused operands, operators on plain Python values, 3-input Scalar ops, conversions, reprs,
comparisons, and the math namespaces the rules are written against (arrays and recording
Tensors must agree with numpy)."""

import math
from fractions import Fraction

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import ShapeError
from chainrule.math_namespaces import ARRAY
from chainrule.tensor_math import TENSOR_MATH

# -- Scalar: refused operands name the op and the type ------------------------------------


def test_a_scalar_is_not_built_from_a_graph_node():
    with pytest.raises(TypeError, match=r"Scalar\(value\): value must be a number"):
        cr.Scalar(cr.Scalar(1.0))


@pytest.mark.parametrize("expr, op", [
    (lambda s: "a" + s, "add"), (lambda s: s - "a", "sub"), (lambda s: "a" - s, "sub"),
    (lambda s: "a" * s, "mul"), (lambda s: "a" / s, "div"), (lambda s: s ** "a", "pow"),
    (lambda s: Fraction(1, 2) + s, "add"),
])
def test_scalar_operators_refuse_non_numbers_by_op_and_type(expr, op):
    with pytest.raises(TypeError, match=rf"{op}: a Scalar combines with Scalars, ints and floats"):
        expr(cr.Scalar(2.0))


def test_a_scalar_and_a_tensor_do_not_mix_in_one_op():
    with pytest.raises(TypeError, match="add: cannot mix a Scalar and a Tensor in one op"):
        cr.add(cr.Scalar(1.0), cr.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="add: cannot mix a Scalar and a Tensor in one op"):
        cr.tensor([1.0, 2.0]) + cr.Scalar(1.0)


def test_reflected_tensor_operators_refuse_a_scalar_by_name():
    # what Python calls when the left operand's own operator gives up (NotImplemented)
    with pytest.raises(TypeError, match="sub: cannot mix a Scalar and a Tensor in one op"):
        cr.tensor([1.0, 2.0]).__rsub__(cr.Scalar(1.0))


def test_a_scalar_matmul_a_tensor_is_refused_by_name():
    with pytest.raises(TypeError, match="matmul: cannot mix a Scalar and a Tensor"):
        cr.Scalar(2.0) @ cr.tensor([[1.0]])


def test_a_scalar_matmul_a_number_is_pythons_own_error():
    with pytest.raises(TypeError, match="unsupported operand type"):
        cr.Scalar(2.0) @ 3.0
    with pytest.raises(TypeError, match="unsupported operand type"):
        3.0 @ cr.Scalar(2.0)


def test_tensor_only_ops_refuse_scalars_and_say_what_to_use():
    with pytest.raises(TypeError, match=r"where is defined for Tensors only; use cr.tensor"):
        cr.where(True, cr.Scalar(1.0), cr.Scalar(2.0))


# -- Scalar: values on the less common operator paths ---------------------------------------

def test_reflected_operators_with_plain_numbers_give_the_float_results_and_gradients():
    x = cr.Scalar(4.0)
    cases = [(3 + x, 7.0, 1.0), (3 - x, -1.0, -1.0), (3 * x, 12.0, 3.0),
             (2 / x, 0.5, -2 / 16), (2 ** x, 16.0, 16 * math.log(2)), (+x, 4.0, 1.0)]
    for y, value, slope in cases:
        cr.zero_grad(y)
        y.backward()
        assert y.value == pytest.approx(value, rel=1e-15)
        assert x.grad == pytest.approx(slope, rel=1e-15)
    assert (+x) is x


def test_dividing_a_number_by_a_zero_scalar_follows_numpy_not_python():
    with np.errstate(divide="ignore", invalid="ignore"):
        assert (1 / cr.Scalar(0.0)).value == math.inf
        assert (-1 / cr.Scalar(0.0)).value == -math.inf
        assert math.isnan((0.0 / cr.Scalar(0.0)).value)


def test_a_three_input_primitive_on_scalars_gets_every_partial():
    fma = cr.primitive("fma3", lambda x, y, z: x * y + z,
                       [lambda M, g, ans, x, y, z: g * y, lambda M, g, ans, x, y, z: g * x,
                        lambda M, g, ans, x, y, z: g], derivs=["y", "x", "1"])
    x, y, z = cr.Scalar(2.0), cr.Scalar(3.0), cr.Scalar(5.0)
    out = fma(x, y, z) * x            # (x*y + z) * x: x reaches the output twice
    out.backward()
    assert out.value == 22.0
    assert (x.grad, y.grad, z.grad) == (2 * 2.0 * 3.0 + 5.0, 4.0, 2.0)


def test_scalar_repr_shows_value_grad_name_and_op():
    x = cr.Scalar(2.0, "x")
    y = x * 3
    y.backward()
    assert repr(x) == "Scalar(2.0, grad=3.0, name='x')"
    assert repr(y) == "Scalar(6.0, grad=1.0, op=mul)"
    assert y.value == 6.0


def test_scalar_comparisons_compare_values_with_numbers_and_scalars():
    a, b = cr.Scalar(1.0), cr.Scalar(2.0)
    assert (a < b, a <= 1.0, a > b, b >= 2.0) == (True, True, False, True)


# -- Tensor: construction, conversions, properties -------------------------------------------

def test_a_tensor_built_from_a_tensor_copies_its_data_and_leaves_its_graph():
    t = cr.tensor([1.0, 2.0], requires_grad=True) * 2
    u = cr.Tensor(t)
    np.testing.assert_array_equal(u.data, [2.0, 4.0])
    assert not np.shares_memory(u.data, t.data)
    assert u.prim is None and not u.requires_grad


def test_conversions_of_one_element_tensors():
    t = cr.tensor([[2.5]])
    assert (float(t), int(t), bool(t), t.size) == (2.5, 2, True, 1)
    assert not bool(cr.tensor(0.0))


def test_len_and_iteration_follow_the_first_axis_and_refuse_0d():
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert len(t) == 3 and t.size == 6
    np.testing.assert_array_equal([row.data for row in t], t.data)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d Tensor"):
        len(cr.tensor(1.0))


def test_requires_grad_can_be_switched_on_a_leaf_only():
    t = cr.tensor([1.0, 2.0])
    t.requires_grad = True
    (t * t).sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 4.0])
    with pytest.raises(ValueError, match="requires_grad can only be set on a leaf"):
        (t * 2).requires_grad = False


def test_tensor_repr_shows_op_requires_grad_name_and_a_non_default_dtype():
    assert repr(cr.tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(cr.tensor([1.0], requires_grad=True, name="w")) == \
        "Tensor([1.], requires_grad=True, name='w')"
    assert repr(cr.tensor([1.0], dtype=np.float32) * 2) == "Tensor([2.], dtype=float32)"
    assert repr(cr.tensor([1.0], requires_grad=True) * 2) == "Tensor([2.], op=mul)"


def test_comparisons_give_boolean_tensors_with_tensors_or_numbers():
    a, b = cr.tensor([1.0, 2.0, 3.0]), cr.tensor([3.0, 2.0, 1.0])
    expected = {"<": [1, 0, 0], "<=": [1, 1, 0], ">": [0, 0, 1], ">=": [0, 1, 1],
                "==": [0, 1, 0], "!=": [1, 0, 1]}
    got = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= 2.0, "==": a == b, "!=": a != b}
    for op, value in got.items():
        assert isinstance(value, cr.Tensor) and value.dtype == bool and not value.needs, op
        np.testing.assert_array_equal(value.data, np.array(expected[op], dtype=bool),
                                      err_msg=op)


# -- Tensor: operands that are lists, ndarray subclasses, or on the right --------------------

def test_lists_on_either_side_of_an_operator_are_arrays():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    left, right = [10.0, 20.0] - t, t - [10.0, 20.0]
    np.testing.assert_array_equal(left.data, [9.0, 18.0])
    np.testing.assert_array_equal(right.data, [-9.0, -18.0])
    (left + right * 3).sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 2.0])


def test_a_list_argument_of_a_cr_function_is_an_array_and_gets_no_gradient():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    out = cr.where(np.array([True, False]), t, [5.0, 6.0])
    np.testing.assert_array_equal(out.data, [1.0, 6.0])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 0.0])


def test_a_list_matrix_times_a_tensor_uses_the_reflected_matmul():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    out = [[1.0, 2.0], [3.0, 4.0]] @ t
    np.testing.assert_array_equal(out.data, [5.0, 11.0])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [4.0, 6.0])
    assert (+t) is t


def test_an_ndarray_subclass_that_does_not_broadcast_is_a_shape_error_naming_the_op():
    class Marked(np.ndarray):
        pass

    with pytest.raises(ShapeError, match=r"add: .*\(3,\),? (and )?\(4,\)"):
        cr.tensor(np.ones(3)) + np.ones(4).view(Marked)


# -- Tensor: indexing and assignment ---------------------------------------------------------

def test_assignment_into_a_plain_tensor_writes_values_from_numbers_or_tensors():
    t = cr.tensor(np.zeros(4))
    t[1] = 5.0
    t[[2, 3]] = cr.tensor([7.0, 8.0])
    np.testing.assert_array_equal(t.data, [0.0, 5.0, 7.0, 8.0])


def test_an_index_held_in_an_integer_tensor_works_and_a_float_one_is_refused():
    t = cr.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(t[cr.tensor([0, 2])].data, [1.0, 3.0])
    with pytest.raises(IndexError, match="index arrays must be integers or booleans, got float"):
        t[cr.tensor([0.0, 2.0])]


# -- the math namespaces: numpy's meaning on arrays and on recording Tensors -----------------

X = np.arange(6.0).reshape(2, 3) / 7 + 0.1

NAMESPACE_CASES = {
    "sum all": (lambda M, x: M.sum(x), lambda x: np.sum(x)),
    "sum axis keepdims": (lambda M, x: M.sum(x, 1, True), lambda x: x.sum(1, keepdims=True)),
    "sum two axes": (lambda M, x: M.sum(x, (0, 1)), lambda x: x.sum((0, 1))),
    "expand_dims -1": (lambda M, x: M.expand_dims(x, -1), lambda x: np.expand_dims(x, -1)),
    "expand_dims -2": (lambda M, x: M.expand_dims(x, -2), lambda x: np.expand_dims(x, -2)),
    "expand_dims 0": (lambda M, x: M.expand_dims(x, 0), lambda x: np.expand_dims(x, 0)),
    "expand_dims 1": (lambda M, x: M.expand_dims(x, 1), lambda x: np.expand_dims(x, 1)),
    "expand_dims -3": (lambda M, x: M.expand_dims(x, -3), lambda x: np.expand_dims(x, -3)),
    "swapaxes": (lambda M, x: M.swapaxes(x), lambda x: np.swapaxes(x, -1, -2)),
    "broadcast_to": (lambda M, x: M.broadcast_to(x, (4, 2, 3)),
                     lambda x: np.broadcast_to(x, (4, 2, 3))),
    "where": (lambda M, x: M.where(M.value(x) > 0.4, x, -x), lambda x: np.where(x > 0.4, x, -x)),
    "sum_to": (lambda M, x: M.sum_to(M.broadcast_to(x, (4, 2, 3)), (1, 3), 0),
               lambda x: 4 * x.sum(0, keepdims=True)),
}


@pytest.mark.parametrize("case", sorted(NAMESPACE_CASES))
def test_array_and_tensor_namespaces_both_mean_what_numpy_means(case):
    on, oracle = NAMESPACE_CASES[case]
    expected = oracle(X)
    from_arrays = on(ARRAY, X)
    from_tensors = on(TENSOR_MATH, cr.tensor(X, requires_grad=True))
    assert isinstance(from_tensors, cr.Tensor)
    for got in (from_arrays, TENSOR_MATH.value(from_tensors)):
        assert np.shape(got) == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_the_tensor_namespace_records_so_its_results_can_be_differentiated():
    x = cr.tensor(X, requires_grad=True)
    TENSOR_MATH.sum(TENSOR_MATH.expand_dims(x, 0) * 3).backward()
    np.testing.assert_array_equal(x.grad, np.full(X.shape, 3.0))
