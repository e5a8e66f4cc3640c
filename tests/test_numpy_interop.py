"""numpy's own functions on Tensors return differentiable Tensors; unsupported ones say so."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad

import chainrule as cr

X = np.array([0.4, -1.3, 0.9])
W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])


def _check(fn, *arrays, wrt=0):
    """fn on Tensors is a Tensor equal to fn on arrays, with gradient matching FD."""
    ts = [cr.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    assert isinstance(y, cr.Tensor), f"{fn} returned {type(y).__name__}"
    np.testing.assert_allclose(y.data, fn(*arrays), rtol=1e-14)
    cr.sum(y).backward()
    expected = numeric_grad(lambda *a: np.sum(fn(*a)), arrays, wrt)
    np.testing.assert_allclose(ts[wrt].grad, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fn", [np.exp, np.sin, np.cos, np.tanh, np.negative, np.square,
                                lambda x: np.sqrt(x * x + 1), lambda x: np.log(x * x + 1),
                                np.abs])
def test_unary_ufuncs(fn):
    _check(fn, X)


def test_np_dot_matrix_vector():
    _check(np.dot, W0, X, wrt=0)
    _check(np.dot, W0, X, wrt=1)


def test_np_dot_with_a_plain_array_on_the_left():
    x = cr.tensor(X, requires_grad=True)
    y = np.dot(W0, x)
    assert isinstance(y, cr.Tensor)
    cr.sum(y).backward()
    np.testing.assert_allclose(x.grad, W0.sum(axis=0), rtol=1e-15)


def test_np_matmul():
    _check(np.matmul, W0, X, wrt=1)
    _check(np.matmul, W0.T, W0, wrt=0)


@pytest.mark.parametrize("kw", [{}, {"axis": 0}, {"axis": 1, "keepdims": True}])
def test_np_sum_and_mean(kw):
    _check(lambda a: np.sum(a, **kw) * np.mean(a, **kw), W0)


def test_np_maximum():
    _check(np.maximum, W0, np.array([0.1, 0.2, 0.3]), wrt=0)
    _check(np.maximum, W0, np.array([0.1, 0.2, 0.3]), wrt=1)


@pytest.mark.parametrize("kw", [{}, {"ord": 2}, {"ord": 1}, {"axis": 0}])
def test_np_linalg_norm(kw):
    _check(lambda x: np.linalg.norm(x, **kw), X)


def test_the_homework_problem_2_line():
    # f = ||sigmoid(Wx)||^2 at W = I, x = [1, 2, 3]^T, written exactly as in the homework
    W = cr.tensor(np.eye(3), requires_grad=True)
    x = cr.tensor(np.array([[1.0], [2.0], [3.0]]), requires_grad=True)
    f = np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2
    assert isinstance(f, cr.Tensor)
    assert f.item() == pytest.approx(2.2176476050544203, rel=1e-15)
    f.backward()
    # closed form: s = sigmoid(Wx), df/d(Wx) = 2 s * s (1 - s); df/dW = that x^T; df/dx = W^T that
    s = 1 / (1 + np.exp(-np.array([[1.0], [2.0], [3.0]])))
    delta = 2 * s * s * (1 - s)
    np.testing.assert_allclose(W.grad, delta @ np.array([[1.0, 2.0, 3.0]]), rtol=1e-14)
    np.testing.assert_allclose(x.grad, delta, rtol=1e-14)


def test_ufunc_with_a_tensor_on_the_right_and_an_array_on_the_left():
    x = cr.tensor(X, requires_grad=True)
    y = np.add(np.ones(3), x)
    assert isinstance(y, cr.Tensor)


@pytest.mark.parametrize("fn,name,alternative", [
    (np.linalg.lstsq, "np.linalg.lstsq", "np.linalg.pinv (x = pinv(a) @ b, for a full-rank a)")])
def test_unsupported_numpy_function_raises_naming_it_and_an_alternative(fn, name, alternative):
    x = cr.tensor(np.eye(3), requires_grad=True)
    with pytest.raises(TypeError, match=name) as info:
        fn(x, np.ones(3))
    assert alternative in str(info.value)


@pytest.mark.parametrize("fn,path", [(np.linalg.cond, "np.linalg.cond"),
                                     (np.fft.hfft, "np.fft.hfft"), (np.convolve, "np.convolve")])
def test_unsupported_numpy_function_is_named_by_its_real_module_path(fn, path):
    x = cr.tensor(np.eye(3), requires_grad=True)
    with pytest.raises(TypeError) as info:
        fn(x, np.ones(2)) if fn is np.convolve else fn(x)
    message = str(info.value)
    assert f"numpy function {path} has no chainrule derivative rule" in message


def test_an_unsupported_function_without_a_curated_alternative_gets_no_string_guess():
    # np.convolve is close to cr.concatenate as a string; only a relevant alternative may
    # be named
    with pytest.raises(TypeError) as info:
        np.convolve(cr.tensor(np.ones(2), requires_grad=True), np.ones(2))
    assert "nearest" not in str(info.value) and "define one with cr.primitive" in str(info.value)


def test_np_square_reciprocal_and_positive_answer_through_their_entries():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_allclose(np.square(x).data, [1.0, 4.0])
    np.testing.assert_allclose(np.reciprocal(x).data, [1.0, 0.5])
    assert np.positive(x) is x
    np.sum(np.square(x) + np.reciprocal(x)).backward()
    np.testing.assert_allclose(x.grad, [2.0 - 1.0, 4.0 - 0.25])


@pytest.mark.parametrize("call", [
    lambda x: np.concatenate([x, x], out=np.empty(6)),
    lambda x: np.stack([x, x], out=np.empty((2, 3))),
    lambda x: np.dot(x, x, out=np.empty(())),
    lambda x: np.sum(x, out=np.empty(())),
])
def test_out_is_refused_by_every_numpy_function_that_takes_it(call):
    with pytest.raises(TypeError, match="out="):
        call(cr.tensor(X, requires_grad=True))


def test_numpy_signatures_of_reshape_and_broadcast_to():
    x = cr.tensor(X, requires_grad=True)
    assert np.reshape(x, (3, 1)).shape == (3, 1)
    assert np.broadcast_to(x, (2, 3)).shape == (2, 3)
    assert np.concatenate([x, x]).shape == (6,) and np.stack([x, x], axis=1).shape == (3, 2)


def test_unsupported_ufunc_raises_rather_than_dropping_the_graph():
    x = cr.tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match="np.spacing has no chainrule derivative rule"):
        np.spacing(x)


def test_ufunc_out_argument_is_refused():
    x = cr.tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match="out="):
        np.exp(x, out=np.empty(3))


def test_np_asarray_of_a_tensor_that_requires_grad_is_refused():
    with pytest.raises(TypeError, match="detach"):
        np.asarray(cr.tensor(X, requires_grad=True))


def test_np_asarray_of_a_plain_tensor_is_its_data():
    np.testing.assert_array_equal(np.asarray(cr.tensor(X)), X)


def test_numpy_functions_under_cr_grad():
    g = cr.grad(lambda w: np.sum(np.tanh(np.dot(w, X))))(W0)
    t = np.tanh(W0 @ X)
    np.testing.assert_allclose(g, np.outer(1 - t ** 2, X), rtol=1e-14)


def test_questions_about_values_answer_on_the_data_as_plain_arrays():
    t = cr.tensor([[0.5, 3.0, -1.0], [2.0, np.nan, 0.0]], requires_grad=True)
    assert np.argmax(t[0]) == 1
    np.testing.assert_array_equal(np.argmin(t[0]), 2)
    np.testing.assert_array_equal(np.isnan(t), [[False, False, False], [False, True, False]])
    np.testing.assert_array_equal(np.sign(t[0]), [1.0, 1.0, -1.0])
    assert np.count_nonzero(t[0]) == 3
    assert isinstance(np.isfinite(t), np.ndarray)


def test_more_questions_about_values_answer_on_the_data():
    t = cr.tensor([np.inf, -np.inf, -0.0, 2.0, 5.0], requires_grad=True)
    np.testing.assert_array_equal(np.isposinf(t), [True, False, False, False, False])
    np.testing.assert_array_equal(np.isneginf(t), [False, True, False, False, False])
    np.testing.assert_array_equal(np.isinf(t), [True, True, False, False, False])
    np.testing.assert_array_equal(np.signbit(t), [False, True, True, False, False])
    assert np.isrealobj(t) and not np.iscomplexobj(t)
    np.testing.assert_array_equal(np.flatnonzero(t), [0, 1, 3, 4])
    np.testing.assert_array_equal(np.searchsorted(t[2:], [1.0, 3.0]), [1, 2])
    assert isinstance(np.searchsorted(t[2:], 4.0), np.integer)


def test_iscomplex_and_isreal_answer_elementwise_on_the_data():
    t = cr.tensor([1.0 + 0j, 2.0 + 1j], requires_grad=True)
    np.testing.assert_array_equal(np.iscomplex(t), [False, True])
    np.testing.assert_array_equal(np.isreal(t), [True, False])
    assert isinstance(np.isreal(t), np.ndarray)
