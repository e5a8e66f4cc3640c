"""Property tests (hypothesis): random shapes, broadcasting pairs and upstream gradients.

Invariants: the caller's own objects are never mutated (an ndarray passed straight to an op,
a Tensor's data, the upstream gradient given to ``backward``), every gradient has its input's
shape and dtype, and the backward pass is linear in its seed.

``cr.tensor`` copies its data, so a check on the array a Tensor was built from could never
fail; the checks below look at the objects an op really receives.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import sample_away
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import chainrule as cr
from chainrule.primitive import REGISTRY

SETTINGS = settings(max_examples=40, deadline=None)

BINARY = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y, "pow": lambda x, y: x ** y, "maximum": cr.maximum,
    "minimum": cr.minimum,
}
REDUCTIONS = {"sum": cr.sum, "mean": cr.mean, "max": cr.max, "min": cr.min,
              "logsumexp": cr.logsumexp}
UNARY = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"]


def _inputs(name, shapes, seed):
    prim = REGISTRY[name]
    rng = np.random.default_rng(seed)
    return [sample_away(rng, *prim.sample[k], s, prim.avoid) for k, s in enumerate(shapes)]


def _grads(fn, arrays, seed_grad):
    ts = [cr.tensor(a, requires_grad=True) for a in arrays]
    held = [(t.data, t.data.copy()) for t in ts]
    seed_before = np.array(seed_grad, copy=True)
    fn(*ts).backward(grad=seed_grad)
    for k, (t, (data, before)) in enumerate(zip(ts, held)):
        assert t.data is data, f"Tensor input {k} had its data replaced"
        np.testing.assert_array_equal(data, before, err_msg=f"Tensor input {k} was mutated")
    np.testing.assert_array_equal(seed_grad, seed_before,
                                  err_msg="the upstream gradient given to backward was mutated")
    return [t.grad for t in ts]


def _check_plain_arrays_untouched(fn, arrays, seed_grad):
    """Each argument in turn is the caller's own ndarray (the others are Tensors): the op
    receives that very object, and must leave it as it was through forward and backward."""
    for k in range(len(arrays)):
        own = arrays[k].copy()
        before = own.copy()
        args = [own if i == k else cr.tensor(a, requires_grad=True)
                for i, a in enumerate(arrays)]
        out = fn(*args)
        if getattr(out, "requires_grad", False):
            out.backward(grad=seed_grad)
        np.testing.assert_array_equal(own, before,
                                      err_msg=f"the ndarray passed as argument {k} was mutated")


def _check_invariants(fn, arrays, rng):
    out_shape = fn(*[cr.tensor(a) for a in arrays]).shape
    g1, g2 = rng.standard_normal(out_shape), rng.standard_normal(out_shape)
    grads1 = _grads(fn, arrays, g1)
    grads2 = _grads(fn, arrays, g2)
    a, b = rng.standard_normal(2)
    combined = _grads(fn, arrays, a * g1 + b * g2)
    for k, x in enumerate(arrays):
        assert grads1[k].shape == x.shape, f"grad {k} has shape {grads1[k].shape}, not {x.shape}"
        assert grads1[k].dtype == x.dtype
        np.testing.assert_allclose(combined[k], a * grads1[k] + b * grads2[k], rtol=1e-10,
                                   atol=1e-10, err_msg=f"backward is not linear in the seed ({k})")
    _check_plain_arrays_untouched(fn, arrays, g1)


@SETTINGS
@given(name=st.sampled_from(sorted(BINARY)),
       shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 32 - 1))
def test_binary_ops_under_random_broadcasting(name, shapes, seed):
    arrays = _inputs(name, shapes.input_shapes, seed)
    _check_invariants(BINARY[name], arrays, np.random.default_rng(seed + 1))


@SETTINGS
@given(name=st.sampled_from(sorted(REDUCTIONS)),
       shape=array_shapes(min_dims=1, max_dims=3, max_side=3), data=st.data(),
       keepdims=st.booleans(), seed=st.integers(0, 2 ** 32 - 1))
def test_reductions_over_random_axes(name, shape, data, keepdims, seed):
    nd = len(shape)
    axes = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                               st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                        unique=True).map(tuple)))
    fn = lambda x: REDUCTIONS[name](x, axis=axes, keepdims=keepdims)  # noqa: E731
    (x,) = _inputs(name, [shape], seed)
    out = fn(cr.tensor(x))
    expected = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}.get(name)
    if expected is not None:
        np.testing.assert_allclose(out.data, expected(x, axis=axes, keepdims=keepdims),
                                   rtol=1e-12)
    _check_invariants(fn, [x], np.random.default_rng(seed + 1))


@SETTINGS
@given(ops=st.lists(st.sampled_from(UNARY), min_size=1, max_size=4),
       shape=array_shapes(min_dims=0, max_dims=3, max_side=3), seed=st.integers(0, 2 ** 32 - 1))
def test_chains_of_unary_ops(ops, shape, seed):
    def fn(x):
        for name in ops:
            # keep every intermediate inside the next op's sampling range
            x = getattr(cr, name)(cr.sigmoid(x) + 0.3)
        return x

    (x,) = _inputs("sin", [shape], seed)
    _check_invariants(fn, [x], np.random.default_rng(seed + 1))


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 32 - 1))
def test_matmul_of_random_batched_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    n, m, k = rng.integers(1, 4, size=3)
    a_shape = shapes.input_shapes[0][:-1] + (n, m) if len(shapes.input_shapes[0]) > 1 else (m,)
    b_shape = shapes.input_shapes[1][:-1] + (m, k) if len(shapes.input_shapes[1]) > 1 else (m,)
    arrays = [rng.uniform(-2, 2, a_shape), rng.uniform(-2, 2, b_shape)]
    out = cr.matmul(cr.tensor(arrays[0]), cr.tensor(arrays[1]))
    np.testing.assert_allclose(out.data, np.matmul(*arrays), rtol=1e-12)
    _check_invariants(cr.matmul, arrays, rng)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=2, max_side=4), seed=st.integers(0, 2 ** 32 - 1))
def test_functional_grad_never_mutates_its_argument(shape, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, shape)
    before = x.copy()
    g = cr.grad(lambda x: cr.sum(cr.tanh(x) * x))(x)
    np.testing.assert_array_equal(x, before, err_msg="grad mutated its argument")
    assert g is not x and not np.shares_memory(g, x), "the gradient reuses the argument"
    t = np.tanh(before)
    np.testing.assert_allclose(g, t + before * (1 - t ** 2), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_float32_inputs_get_float32_grads(name):
    arrays = [a.astype(np.float32) for a in _inputs(name, [(2, 3), (3,)], 0)]
    grads = _grads(BINARY[name], arrays, np.ones((2, 3), dtype=np.float32))
    assert [g.dtype for g in grads] == [np.float32, np.float32]
