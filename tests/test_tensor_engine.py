"""The Tensor engine (vector-based backprop): attributes, indexing, dtypes, backward rules,
no_grad, optimizer-style updates, numpy on the left, stable softmax family."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

# -- attributes -----------------------------------------------------------------------------


def test_attributes_of_a_leaf():
    t = cr.tensor([[1, 2, 3], [4, 5, 6]], requires_grad=True, name="W")
    assert isinstance(t.data, np.ndarray)
    np.testing.assert_array_equal(t.data, [[1, 2, 3], [4, 5, 6]])
    assert t.grad is None
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float64
    assert t.requires_grad is True and t.name == "W"
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.data, t.data.T)


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = cr.tensor(a)
    a[0] = 99.0
    assert t.data[0] == 1.0


def test_numpy_returns_the_data_of_a_tensor_without_grad():
    t = cr.tensor([1.0, 2.0])
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_numpy_of_a_tensor_that_requires_grad_says_detach():
    with pytest.raises(TypeError, match="detach"):
        cr.tensor([1.0], requires_grad=True).numpy()


def test_item_of_a_one_element_tensor_is_a_python_float():
    v = cr.tensor([[2.5]]).item()
    assert type(v) is float and v == 2.5


def test_item_of_a_larger_tensor_names_its_shape():
    with pytest.raises(ValueError, match=r"\(2,\)"):
        cr.tensor([1.0, 2.0]).item()


def test_detach_cuts_the_graph_and_shares_data():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert d.requires_grad is False and d.prim is None
    y = cr.sum(d * x)
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # d is a constant


def test_requires_grad_false_inputs_get_no_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    cr.sum(x * c).backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_methods_mirror_the_functions():
    x = cr.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_allclose(x.exp().data, np.exp(x.data))
    np.testing.assert_allclose(x.log().data, np.log(x.data))
    np.testing.assert_allclose(x.tanh().data, np.tanh(x.data))
    np.testing.assert_allclose(x.sum(axis=0).data, [5.0, 7.0, 9.0])
    np.testing.assert_allclose(x.mean(axis=1, keepdims=True).data, [[2.0], [5.0]])
    assert x.max().item() == 6.0 and x.min().item() == 1.0
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert x.transpose(1, 0).shape == (3, 2) and x.transpose().shape == (3, 2)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        cr.tensor([1.0]).no_such_thing  # noqa: B018


# -- dtypes ---------------------------------------------------------------------------------


def test_integer_data_stays_integer_and_becomes_float64_when_it_requires_grad():
    assert cr.tensor([1, 2, 3]).dtype == np.int64
    assert cr.tensor(np.arange(3, dtype=np.int32)).dtype == np.int32
    assert cr.tensor(True).dtype == np.bool_
    assert cr.tensor([1, 2, 3], requires_grad=True).dtype == np.float64
    assert cr.tensor(True, requires_grad=True).dtype == np.float64
    t = cr.tensor([1, 2])
    t.requires_grad = True
    assert t.dtype == np.float64


def test_float32_is_kept_through_ops_and_into_grad():
    x = cr.tensor(np.array([0.5, -1.0, 2.0], dtype=np.float32), requires_grad=True)
    W = cr.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = cr.sum(cr.sigmoid(W @ cr.exp(x) * 0.2 - 1.0) ** 2)
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and W.grad.dtype == np.float32
    x64 = cr.tensor(x.data.astype(np.float64), requires_grad=True)
    cr.sum(cr.sigmoid(np.ones((2, 3)) @ cr.exp(x64) * 0.2 - 1.0) ** 2).backward()
    np.testing.assert_allclose(x.grad, x64.grad, rtol=1e-5)


def test_dtype_argument_converts():
    assert cr.tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_non_numeric_data_is_refused():
    with pytest.raises(TypeError, match="dtype"):
        cr.tensor(["a", "b"])


# -- indexing -------------------------------------------------------------------------------


def test_integer_and_slice_indexing_route_gradient_back():
    x = cr.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x[1, ::-2]          # row 1, columns 3 and 1
    np.testing.assert_array_equal(y.data, [7.0, 5.0])
    y.backward(grad=np.array([10.0, 20.0]))
    expected = np.zeros((3, 4))
    expected[1, 3], expected[1, 1] = 10.0, 20.0
    np.testing.assert_array_equal(x.grad, expected)


def test_negative_step_slice_reverses():
    x = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x[::-1]
    np.testing.assert_array_equal(y.data, [4.0, 3.0, 2.0, 1.0])
    cr.sum(y * cr.tensor([1.0, 2.0, 3.0, 4.0])).backward()
    np.testing.assert_array_equal(x.grad, [4.0, 3.0, 2.0, 1.0])


def test_integer_array_index_with_repeats_adds_gradients():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[[0, 2, 0, 0]]
    np.testing.assert_array_equal(y.data, [1.0, 3.0, 1.0, 1.0])
    cr.sum(y).backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_boolean_mask_index():
    x = cr.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    mask = x.data > 0
    y = x[mask]
    np.testing.assert_array_equal(y.data, [1.0, 4.0])
    cr.sum(y * y).backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0], [0.0, 8.0]])


def test_float_index_array_is_refused():
    with pytest.raises(IndexError, match="float"):
        cr.tensor([1.0, 2.0])[np.array([0.0])]


def test_iterating_a_tensor_gives_differentiable_rows():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = sum(row[0] * row[1] for row in x)
    total.backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 1.0], [4.0, 3.0]])


# -- axes, concatenate, stack ---------------------------------------------------------------


def test_axis_tuples_in_reductions():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = cr.tensor(a, requires_grad=True)
    y = cr.sum(x, axis=(0, 2))
    np.testing.assert_array_equal(y.data, a.sum(axis=(0, 2)))
    y.backward(grad=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, np.broadcast_to([[1.0], [2.0], [3.0]], (2, 3, 4)))
    z = x.mean(axis=(-1, 0), keepdims=True)
    assert z.shape == (1, 3, 1)
    np.testing.assert_allclose(z.data, a.mean(axis=(0, 2), keepdims=True))


def test_concatenate_takes_a_sequence_and_defaults_to_axis_0():
    a = cr.tensor([[1.0, 2.0]], requires_grad=True)
    b = cr.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    c = cr.concatenate((a, b))
    assert c.shape == (3, 2)
    c.backward(grad=np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(a.grad, [[0.0, 1.0]])
    np.testing.assert_array_equal(b.grad, [[2.0, 3.0], [4.0, 5.0]])


def test_concatenate_mixes_tensors_and_arrays():
    a = cr.tensor([1.0], requires_grad=True)
    c = cr.concatenate([a, np.array([2.0, 3.0])], axis=0)
    np.testing.assert_array_equal(c.data, [1.0, 2.0, 3.0])
    cr.sum(c * c).backward()
    np.testing.assert_array_equal(a.grad, [2.0])


def test_stack_defaults_to_a_new_axis_0():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    s = cr.stack([a, b])
    assert s.shape == (2, 2)
    np.testing.assert_array_equal(cr.stack([a, b], axis=1).data, [[1.0, 3.0], [2.0, 4.0]])
    s.backward(grad=np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(a.grad, [1.0, 2.0])
    np.testing.assert_array_equal(b.grad, [3.0, 4.0])


# -- backward(grad=) ------------------------------------------------------------------------


def test_backward_without_grad_on_a_one_element_output():
    x = cr.tensor([[2.0]], requires_grad=True)
    y = x * x
    assert y.shape == (1, 1)
    y.backward()
    np.testing.assert_array_equal(x.grad, [[4.0]])


def test_backward_without_grad_on_a_larger_output_names_the_shape_and_says_grad():
    y = cr.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"\(3,\).*grad="):
        y.backward()


def test_backward_with_a_grad_of_the_wrong_shape_names_both_shapes():
    y = cr.tensor([[1.0, 2.0, 3.0]], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 3\)"):
        y.backward(grad=np.ones(3))


def test_backward_with_grad_weights_the_output():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x ** 2).backward(grad=[3.0, -1.0])
    np.testing.assert_array_equal(x.grad, [6.0, -4.0])


def test_backward_on_a_tensor_that_needs_no_grad_explains():
    with pytest.raises(RuntimeError, match="requires_grad"):
        (cr.tensor([1.0]) * 2).backward()


def test_gradients_accumulate_over_backward_calls():
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    y = cr.sum(cr.exp(x))
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp([1.0, -2.0]), rtol=1e-15)


def test_leaf_grad_does_not_alias_the_seed():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([5.0, 6.0])
    (x + 0.0).backward(grad=seed)
    seed[:] = 0.0
    np.testing.assert_array_equal(x.grad, [5.0, 6.0])


def test_grad_none_resets_and_next_backward_starts_fresh():
    x = cr.tensor([3.0], requires_grad=True)
    (x * x).backward()
    x.grad = None
    (x * 5).backward()
    np.testing.assert_array_equal(x.grad, [5.0])


def test_zero_grad_on_a_tensor_graph_sets_none():
    x = cr.tensor([3.0], requires_grad=True)
    y = x * x
    y.backward()
    cr.zero_grad(y)
    assert x.grad is None and y.grad is None


# -- no_grad and optimizer-style updates ----------------------------------------------------


def test_no_grad_records_nothing():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        y = cr.sum(cr.sin(x) * 2)
    assert y.requires_grad is False and y.prim is None and y.parents == ()
    np.testing.assert_allclose(y.data, 2 * np.sum(np.sin([1.0, 2.0])))
    z = x * 2
    assert z.requires_grad is True


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError), cr.no_grad():
        raise ZeroDivisionError
    assert (cr.tensor([1.0], requires_grad=True) * 2).requires_grad


def test_in_place_data_update_between_steps_trains():
    # minimise ||w - t||^2 with plain SGD: w_k = t + (1 - 2 lr)^k (w_0 - t)
    target = np.array([1.0, -2.0, 0.5])
    w = cr.tensor(np.zeros(3), requires_grad=True)
    lr = 0.1
    for _ in range(20):
        loss = cr.sum((w - target) ** 2)
        loss.backward()
        w.data -= lr * w.grad
        w.grad = None
    np.testing.assert_allclose(w.data, target + (1 - 2 * lr) ** 20 * (0 - target), rtol=1e-12)


# -- ndarray on the left --------------------------------------------------------------------


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "pow", "matmul"])
def test_ndarray_on_the_left_of_an_operator_gives_a_tensor(op):
    import operator
    fn = getattr(operator, op)
    a = np.array([[1.5, 2.0], [0.5, 1.0]])
    x = cr.tensor([0.3, 0.7], requires_grad=True)
    y = fn(a, x)
    assert isinstance(y, cr.Tensor)
    np.testing.assert_allclose(y.data, fn(a, x.data), rtol=1e-15)
    cr.sum(y).backward()
    h = 1e-6
    numeric = [(np.sum(fn(a, x.data + h * e)) - np.sum(fn(a, x.data - h * e))) / (2 * h)
               for e in np.eye(2)]
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-6)


def test_python_number_on_the_left():
    x = cr.tensor([2.0], requires_grad=True)
    y = 3 - 1 / x + 2 ** x
    cr.sum(y).backward()
    np.testing.assert_allclose(x.grad, [1 / 4 + 4 * np.log(2)], rtol=1e-15)


def test_matmul_operator_accepts_shapes_that_do_not_broadcast_elementwise():
    a = cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    b = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = a @ b
    np.testing.assert_array_equal(y.data, a.data @ b.data)


def test_matmul_operator_agrees_with_cr_matmul():
    a = cr.tensor(np.arange(9.0).reshape(3, 3) / 4, requires_grad=True)
    b = cr.tensor(np.arange(3.0), requires_grad=True)
    (a @ b).backward(grad=np.ones(3))
    ga, gb = a.grad, b.grad
    a.grad = b.grad = None
    cr.matmul(a, b).backward(grad=np.ones(3))
    np.testing.assert_array_equal(ga, a.grad)
    np.testing.assert_array_equal(gb, b.grad)


# -- numerically stable softmax family ------------------------------------------------------


def test_logsumexp_is_finite_around_plus_minus_1000():
    x = cr.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]], requires_grad=True)
    y = cr.logsumexp(x, axis=1)
    np.testing.assert_allclose(y.data, [1000 + np.log(2), -1000 + np.log(2)], rtol=1e-15)
    cr.sum(y).backward()
    np.testing.assert_allclose(x.grad, np.full((2, 2), 0.5), rtol=1e-12)


def test_softmax_is_finite_around_plus_minus_1000():
    x = cr.tensor([1000.0, -1000.0, 1000.0], requires_grad=True)
    s = cr.softmax(x)
    np.testing.assert_allclose(s.data, [0.5, 0.0, 0.5], atol=1e-300)
    s.backward(grad=np.array([1.0, 0.0, 0.0]))
    # d s0 / dx = s0 (e0 - s) = [0.25, 0, -0.25]
    np.testing.assert_allclose(x.grad, [0.25, 0.0, -0.25], atol=1e-300)


def test_log_softmax_is_finite_around_plus_minus_1000():
    x = cr.tensor([1000.0, -1000.0, 1000.0], requires_grad=True)
    ls = cr.log_softmax(x)
    # 1000 + log 2 is rounded to float64's spacing at 1000 (1.1e-13) before 1000 is taken off
    np.testing.assert_allclose(ls.data, [-np.log(2), -2000 - np.log(2), -np.log(2)],
                               rtol=0, atol=2e-13)
    ls.backward(grad=np.array([1.0, 1.0, 1.0]))
    # g - softmax * sum(g) = 1 - 3 s
    np.testing.assert_allclose(x.grad, [-0.5, 1.0, -0.5], rtol=1e-12)


def test_logsumexp_of_minus_inf_everywhere_is_minus_inf_without_nan():
    y = cr.logsumexp(cr.tensor([-np.inf, -np.inf]))
    assert y.item() == -np.inf


def test_repr_shows_op_and_name():
    x = cr.tensor([1.0], requires_grad=True, name="x")
    assert "requires_grad=True" in repr(x) and "'x'" in repr(x)
    assert "op=mul" in repr(x * 2)
