"""Errors name the op and the shapes, are ValueErrors, fit on one line, and carry no numpy
traceback."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import chainrule as cr


def _raises_shape_error(fn, *patterns):
    with pytest.raises(cr.ShapeError) as info:
        fn()
    err = info.value
    message = str(err)
    assert isinstance(err, ValueError)
    assert "\n" not in message, f"not one line: {message!r}"
    # raised by chainrule before numpy, or with numpy's exception suppressed
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__
    for p in patterns:
        assert p in message, f"{p!r} not in {message!r}"
    return message


def test_shape_error_is_a_value_error():
    assert issubclass(cr.ShapeError, ValueError)


def test_matmul_inner_dimensions_message():
    A = cr.tensor(np.ones((3, 4)), requires_grad=True)
    x = cr.tensor(np.ones(3), requires_grad=True)
    msg = _raises_shape_error(lambda: cr.matmul(A, x))
    assert msg == "matmul: (3, 4) @ (3,): inner dimensions 4 and 3 differ"


@pytest.mark.parametrize("call", [
    lambda A, x: A @ x, lambda A, x: np.matmul(A, x), lambda A, x: np.dot(A, x),
    lambda A, x: A.data @ x, lambda A, x: cr.dot(A, x)],
    ids=["operator", "np.matmul", "np.dot", "ndarray-left", "cr.dot"])
def test_matmul_inner_dimensions_through_every_entry_point(call):
    A = cr.tensor(np.ones((3, 4)))
    x = cr.tensor(np.ones(3), requires_grad=True)
    _raises_shape_error(lambda: call(A, x), "matmul", "(3, 4)", "(3,)", "4", "3")


def test_matmul_of_a_zero_dimensional_operand():
    _raises_shape_error(lambda: cr.matmul(cr.tensor(2.0), cr.tensor([1.0])), "matmul", "()")


def test_matmul_batch_dimensions_that_do_not_broadcast():
    a, b = cr.tensor(np.ones((2, 3, 4))), cr.tensor(np.ones((5, 4, 2)))
    _raises_shape_error(lambda: cr.matmul(a, b), "matmul", "(2,)", "(5,)")


@pytest.mark.parametrize("op,name", [(operator.add, "add"), (operator.sub, "sub"),
                                     (operator.mul, "mul"), (operator.truediv, "div"),
                                     (operator.pow, "pow")])
def test_broadcasting_error_names_the_op_and_both_shapes(op, name):
    a = cr.tensor(np.ones((2, 3)), requires_grad=True)
    b = cr.tensor(np.ones(4), requires_grad=True)
    _raises_shape_error(lambda: op(a, b), name, "(2, 3)", "(4,)")


def test_broadcasting_error_with_an_ndarray_operand():
    a = cr.tensor(np.ones((2, 3)), requires_grad=True)
    _raises_shape_error(lambda: a + np.ones((3, 2)), "add", "(2, 3)", "(3, 2)")
    _raises_shape_error(lambda: np.ones((3, 2)) * a, "(2, 3)", "(3, 2)")


@pytest.mark.parametrize("fn,name", [(cr.maximum, "maximum"), (cr.minimum, "minimum"),
                                     (cr.add, "add"), (cr.multiply, "mul")])
def test_broadcasting_error_of_binary_functions(fn, name):
    _raises_shape_error(lambda: fn(cr.tensor(np.ones(2)), cr.tensor(np.ones(3))), name,
                        "(2,)", "(3,)")


def test_where_shapes():
    _raises_shape_error(lambda: cr.where(np.ones(2, bool), cr.tensor(np.ones(3)), 0.0),
                        "where", "(2,)", "(3,)")


def test_concatenate_mismatched_shapes_names_the_op():
    a, b = cr.tensor(np.ones((2, 3))), cr.tensor(np.ones((2, 4)))
    _raises_shape_error(lambda: cr.concatenate([a, b], axis=0), "concatenate")


def test_reshape_to_a_different_size_names_the_op_and_shape():
    _raises_shape_error(lambda: cr.reshape(cr.tensor(np.ones(6)), 4, 2), "reshape", "(6,)")


def test_broadcast_to_an_incompatible_shape():
    _raises_shape_error(lambda: cr.broadcast_to(cr.tensor(np.ones(3)), (2, 4)),
                        "broadcast_to", "(3,)", "(2, 4)")


def test_backward_grad_shape_error_is_a_shape_error():
    y = cr.tensor(np.ones((2, 2)), requires_grad=True) * 2
    _raises_shape_error(lambda: y.backward(grad=np.ones(3)), "(3,)", "(2, 2)")
    _raises_shape_error(lambda: y.backward(), "(2, 2)", "grad=")


def test_axis_out_of_bounds_names_the_op():
    with pytest.raises(np.exceptions.AxisError, match="sum: axis 2"):
        cr.sum(cr.tensor(np.ones((2, 3))), axis=2)


def test_repeated_axis_is_refused():
    with pytest.raises(ValueError, match="repeated axis"):
        cr.sum(cr.tensor(np.ones((2, 3))), axis=(0, 0))


def test_a_norm_order_numpy_does_not_compute_is_named():
    with pytest.raises(ValueError, match="ord='nuc' over 1 axis/axes is not a norm"):
        cr.norm(cr.tensor(np.ones(3)), ord="nuc")


def test_tensor_only_function_on_a_scalar_says_so():
    with pytest.raises(TypeError, match="sum is defined for Tensors only"):
        cr.sum(cr.Scalar(1.0))


def test_in_place_assignment_into_a_leaf_that_requires_grad_is_refused():
    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                       "used in an in-place operation"):
        x[0] = 5.0


def test_ambiguous_truth_value_names_the_shape():
    with pytest.raises(ValueError, match=r"\(2,\)"):
        bool(cr.tensor([1.0, 2.0]))


def test_error_from_a_rule_leaves_the_graph_usable():
    def bad_vjp(M, g, ans, x):
        raise ValueError("boom")

    bad = cr.primitive("bad", lambda x: x * 1.0, [bad_vjp])
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = cr.sum(bad(h) + h)
    with pytest.raises(ValueError, match="boom"):
        y.backward()
    x.grad = None  # whatever part of the pass ran before the error
    cr.sum(h * 3).backward()  # through the same node h: no scratch state left behind
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
