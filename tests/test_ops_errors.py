"""Argument errors of the ``cr.`` functions and numpy's functions on Tensors: each names the
op and what was wrong, never a traceback from inside numpy."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import ShapeError
from chainrule.primitive import REGISTRY
from chainrule.tensor_math import TENSOR_MATH

M23 = np.arange(6.0).reshape(2, 3)


def test_an_axis_that_is_not_an_int_is_refused():
    with pytest.raises(TypeError, match="sum: axis must be an int or a tuple of ints, got 1.5"):
        cr.sum(cr.tensor(M23), axis=1.5)


def test_a_norm_order_on_a_3d_input_needs_an_axis():
    with pytest.raises(ValueError, match="norm: ord=1 needs axis= for an input with 3"):
        cr.norm(cr.tensor(np.ones((2, 2, 2))), ord=1)


def test_dot_with_a_number_is_a_product():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.dot(3.0, t)
    np.testing.assert_array_equal(y.data, [3.0, 6.0])
    assert y.prim is REGISTRY["mul"]


def test_dot_of_3d_operands_is_numpys_dot():
    a, b = np.arange(8.0).reshape(2, 2, 2), np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(cr.dot(cr.tensor(a), cr.tensor(b)).data, np.dot(a, b))


def test_transpose_takes_its_axes_as_one_tuple_or_as_arguments():
    t = cr.tensor(np.ones((2, 3, 4)))
    assert cr.transpose(t, (2, 0, 1)).shape == cr.transpose(t, 2, 0, 1).shape == (4, 2, 3)


def test_transpose_axes_must_be_a_permutation():
    with pytest.raises(ValueError, match="transpose: axes \\(0, 0\\) are not a permutation"):
        cr.transpose(cr.tensor(M23), (0, 0))


def test_transpose_axis_out_of_bounds_is_an_axis_error():
    with pytest.raises(np.exceptions.AxisError, match="transpose: axis 5 is out of bounds"):
        cr.transpose(cr.tensor(M23), 5, 0)


@pytest.mark.parametrize("fn", [cr.concatenate, cr.stack])
def test_joining_nothing_is_refused(fn):
    with pytest.raises(ValueError, match=f"{fn.__name__}: needs at least one array"):
        fn([])


def test_numpy_dtype_argument_is_refused():
    with pytest.raises(TypeError, match="np.sum\\(..., dtype=...\\) is not supported"):
        np.sum(cr.tensor(M23, requires_grad=True), dtype=np.float32)


def test_numpy_reduction_options_chainrule_lacks_are_named():
    with pytest.raises(TypeError, match="np.sum: options \\['initial'\\] are not supported"):
        np.sum(cr.tensor(M23, requires_grad=True), initial=1.0)


def test_numpy_ufunc_options_chainrule_lacks_are_named():
    with pytest.raises(TypeError, match="np.exp: options \\['where'\\] are not supported"):
        np.exp(cr.tensor(M23, requires_grad=True), where=True)


def test_questions_about_values_accept_lists_and_numbers_beside_a_tensor():
    t = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    np.testing.assert_array_equal(np.greater(t, [2.0, 2.0, 2.0]), [False, False, True])
    np.testing.assert_array_equal(np.greater(t, 1.5), [False, True, True])


def test_a_primitive_called_on_arrays_that_do_not_broadcast_raises_a_shape_error():
    with pytest.raises(ShapeError, match="add"):
        REGISTRY["add"](np.ones(2), np.ones(3))


def test_a_primitive_shows_its_name_and_formula():
    assert repr(REGISTRY["sin"]) == "<primitive sin: sin(x)>"
    assert repr(REGISTRY["div"]) == "<primitive div: x / y>"


def test_the_recording_sum_over_all_axes():
    y = TENSOR_MATH.sum(cr.tensor(M23, requires_grad=True))
    assert y.shape == () and float(y.data) == 15.0


def test_numpy_out_none_and_dtype_none_are_the_defaults_and_accepted():
    t = cr.tensor([0.0, 1.0], requires_grad=True)
    np.testing.assert_allclose(np.exp(t, out=None, dtype=None).data, np.exp([0.0, 1.0]))


def test_the_recording_namespace_offers_every_function_of_the_array_namespace():
    from chainrule.math_namespaces import ARRAY, FLOAT
    assert set(vars(ARRAY)) | set(vars(FLOAT)) <= set(vars(TENSOR_MATH))
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    assert TENSOR_MATH.cos(x).prim is REGISTRY["cos"]
