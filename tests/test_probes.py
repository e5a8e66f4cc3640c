"""Adversarial probes of the features merged together (numpy functions on Tensors, the
vjp family, compile, complex numbers, nn and optim): each test is a case that once gave a
wrong answer, a bare crash or a convention numpy/PyTorch do not share."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


@pytest.mark.parametrize("kw", [{"prepend": 1.0}, {"append": np.zeros(1)},
                                {"prepend": 2.0, "append": 3.0}])
def test_diff_of_order_0_ignores_prepend_and_append(kw):
    # numpy returns the input unchanged for n=0, before joining prepend/append
    x = np.array([1.0, 4.0, 9.0])
    out = np.diff(cr.tensor(x), n=0, **kw)
    np.testing.assert_array_equal(np.asarray(out.data), np.diff(x, n=0, **kw))
    g = cr.grad(lambda v: np.sum(np.diff(v, n=0, **kw) * np.arange(3.0)))(x)
    np.testing.assert_array_equal(g, np.arange(3.0))


@pytest.mark.parametrize("mode", ["constant", "maximum", "minimum", "mean", "median",
                                  "linear_ramp"])
def test_pad_keeps_float32(mode):
    x = np.array([1.0, 5.0, 2.0], dtype=np.float32)
    out = np.pad(cr.tensor(x), 2, mode=mode)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, np.pad(x, 2, mode=mode), rtol=1e-6)


def test_pad_constant_keeps_integer_data():
    x = np.arange(3)
    out = np.pad(cr.tensor(x), 1, constant_values=0.5)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out.data, np.pad(x, 1, constant_values=0.5))


def test_item_assignment_into_a_leaf_under_no_grad_as_torch():
    # `with torch.no_grad(): layer.weight[0, 0] = 7.0` is how PyTorch code masks a weight
    lin = cr.nn.Linear(4, 3)
    with cr.no_grad():
        lin.weight[0, 0] = 7.0
    assert lin.weight.is_leaf and lin.weight.data[0, 0] == 7.0
    x = np.ones((2, 4))
    np.testing.assert_allclose(lin(cr.tensor(x)).data,
                               x @ lin.weight.data.T + lin.bias.data)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        lin.weight[0, 0] = 1.0                     # recording: refused
    h = lin.weight * 2
    with cr.no_grad():
        h[0, 0] = 1.0                              # computed in a graph: written, as torch
    with pytest.raises(RuntimeError, match="changed in place"):
        h.sum().backward()                         # but its gradient is refused


def test_compile_check_run_gives_f_tensors_as_the_trace_does():
    # the check run of the first call used to pass plain ndarrays: Tensor methods failed
    def f(x):
        return cr.sum(x * x.detach()) + x.exp().sum()

    x = np.array([0.5, 1.0, 2.0])
    compiled = cr.compile(f)
    np.testing.assert_allclose(np.asarray(compiled(x).data), np.sum(x * x) + np.exp(x).sum())
    step = cr.compile(cr.value_and_grad(lambda v, y: cr.sum(v.exp()[y])))
    value, g = step(x, np.array([0, 2]))
    np.testing.assert_allclose(g, [np.exp(0.5), 0.0, np.exp(2.0)])


def test_linspace_keeps_float32_ends_float32_and_gives_numpys_step():
    a, b = np.float32(0.0), np.float32(1.0)
    out = np.linspace(cr.tensor(a), cr.tensor(b), 5)
    assert out.dtype == np.linspace(a, b, 5).dtype == np.float32
    np.testing.assert_allclose(out.data, np.linspace(a, b, 5))
    ends = np.array([0.0, 1.0], dtype=np.float32)
    assert np.linspace(cr.tensor(ends), 3.0, 4).dtype == np.float32
    _, step = np.linspace(cr.tensor(np.array([0.0, 1.0])), 2.0, 1, retstep=True)
    assert np.ndim(step) == 0 and np.isnan(step)          # numpy: a plain nan


def test_diff_of_booleans_is_not_equal_as_numpy():
    # numpy's diff of a boolean array compares neighbours (boolean subtraction raises)
    b = np.array([[True, False, False, True], [False, False, True, True]])
    for n in (1, 2):
        out = np.diff(cr.tensor(b), n=n)
        assert out.dtype == bool
        np.testing.assert_array_equal(out.data, np.diff(b, n=n))


@pytest.mark.parametrize("items", [
    lambda T: (T(np.array([1.0, 2.0], np.float32)), 1.5),
    lambda T: (3, T(np.array([1.0, 2.0], np.float32))),
    lambda T: (T(np.arange(3)), 1.5),
    lambda T: (T(np.arange(3)), 4),
])
def test_r_numbers_do_not_widen_the_arrays_dtype(items):
    expected = np.r_[items(lambda v: v)]
    out = cr.r_[items(cr.tensor)]
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
    assert cr.c_[items(cr.tensor)[:1]].dtype == np.c_[items(lambda v: v)[:1]].dtype
    np.testing.assert_array_equal(cr.r_[1, 2.5, 0:2], np.r_[1, 2.5, 0:2])    # no array
