"""cr.compile and the state a function reads besides its arguments (closed-over Tensors,
globals, dicts of Tensors, a module's parameters and buffers): a computation on it that
needs no gradient is frozen into the trace, so the compiled function must trace again
when that state changes, and give eager mode's answer. Values are checked against eager
mode and against closed forms."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.compiled import guard as guard_module

X = np.array([[1.0, 2.0], [3.0, 5.0]])


def _bn_closed_form(x, mean, var, eps=1e-5):
    """sum(((x - mean) / sqrt(var + eps))**2) and its gradient, per channel (axis 1)."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    return np.sum(y * y), 2 * y / np.sqrt(var.reshape(shape) + eps)


# -- BatchNorm in eval mode: its running statistics are read raw and change in place ------

def test_batchnorm1d_eval_follows_its_running_statistics():
    bn = nn.BatchNorm1d(2)
    bn.eval()

    def loss(x):
        return cr.sum(bn(x) ** 2)

    f = cr.compile(loss)
    vg = cr.compile(cr.value_and_grad(loss))
    assert f(X).item() == pytest.approx(_bn_closed_form(X, np.zeros(2), np.ones(2))[0])
    vg(X)
    bn.train()
    bn(cr.tensor(X * 10))           # running statistics move in place
    bn.eval()
    # momentum 0.1 from (0, 1): mean 0.1 * [20, 35], var 0.9 + 0.1 * [200, 450] (unbiased)
    mean, var = np.array([2.0, 3.5]), np.array([20.9, 45.9])
    np.testing.assert_allclose(bn.running_mean.data, mean)
    np.testing.assert_allclose(bn.running_var.data, var)
    value, grad = _bn_closed_form(X, mean, var)
    got = f(X)
    assert got.item() == loss(cr.tensor(X)).item()
    assert got.item() == pytest.approx(value, rel=1e-12)
    assert value == pytest.approx(0.193733, rel=1e-5)     # the old trace gave 6.4999
    v, g = vg(X)
    ev, eg = cr.value_and_grad(loss)(X)
    assert v == ev and np.array_equal(g, eg)
    np.testing.assert_allclose(g, grad, rtol=1e-12)
    assert f.traces == 2 and vg.traces == 2


def test_batchnorm2d_eval_follows_its_running_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 4))
    bn = nn.BatchNorm2d(3)
    bn.eval()

    def loss(x):
        return cr.sum(bn(x) ** 2)

    f = cr.compile(cr.value_and_grad(loss))
    f(x)
    for batch in (x * 3 + 1, x - 2):
        bn.train()
        bn(cr.tensor(batch))
        bn.eval()
        value, grad = f(x)
        ev, eg = cr.value_and_grad(loss)(x)
        assert value == ev and np.array_equal(grad, eg)
        cv, cg = _bn_closed_form(x, bn.running_mean.data, bn.running_var.data)
        assert value == pytest.approx(cv, rel=1e-12)
        np.testing.assert_allclose(grad, cg, rtol=1e-12)
    assert f.traces == 3


def test_a_raw_write_into_a_buffer_is_seen():
    bn = nn.BatchNorm1d(2)
    bn.eval()
    f = cr.compile(lambda x: cr.sum(bn(x) ** 2))
    f(X)
    bn.running_var.data[:] = 4.0       # into the array: no write stamp, other contents
    assert f(X).item() == pytest.approx(_bn_closed_form(X, np.zeros(2), np.full(2, 4.0))[0])
    bn.running_mean = np.array([1.0, 1.0])    # a new buffer Tensor
    expected = _bn_closed_form(X, np.ones(2), np.full(2, 4.0))[0]
    assert f(X).item() == pytest.approx(expected, rel=1e-12)
    assert f.traces == 3


def test_train_mode_batchnorm_is_refused_and_its_statistics_are_left_alone():
    bn = nn.BatchNorm1d(2)
    f = cr.compile(lambda x: cr.sum(bn(x) ** 2))
    with pytest.raises(cr.TraceError, match="BatchNorm's running statistics"):
        f(X)
    assert np.array_equal(bn.running_mean.data, np.zeros(2))
    assert bn.num_batches_tracked.data == 0
    bn.eval()
    assert f(X).item() == pytest.approx(_bn_closed_form(X, np.zeros(2), np.ones(2))[0])
    bn.train()                          # the mode is state too: traced again, refused
    with pytest.raises(cr.TraceError, match="BatchNorm"):
        f(X)


def test_train_mode_batchnorm_still_updates_in_eager_mode():
    bn = nn.BatchNorm1d(2)
    stamp = bn.running_mean._stamp
    bn(cr.tensor(X))
    np.testing.assert_allclose(bn.running_mean.data, [0.2, 0.35])
    assert bn.running_mean._stamp > stamp


# -- closed-over Tensors, globals, containers ---------------------------------------------

def test_a_closed_over_tensor_changed_by_data_or_in_place():
    w = cr.tensor([1.0, 2.0])

    def h(x):
        return cr.sum(x * w) + cr.sum(w * w)     # w * w alone is frozen by the trace

    g = cr.compile(h)
    ones = np.ones(2)
    assert g(ones).item() == 8.0
    w.data = np.array([3.0, 0.0])
    assert g(ones).item() == 12.0 == h(cr.tensor(ones)).item()
    w += 1.0                             # in place: the same array, a new write stamp
    assert g(ones).item() == 5.0 + 17.0 == h(cr.tensor(ones)).item()
    w.data[1] = 3.0                      # into its array: its contents are compared
    assert g(ones).item() == 7.0 + 25.0
    assert g.traces == 4


def test_a_closed_over_tensor_rebound():
    w = cr.tensor([1.0, 2.0])
    g = cr.compile(lambda x: cr.sum(x) * cr.sum(w * w))
    assert g(np.ones(2)).item() == 10.0
    w = cr.tensor([0.0, 3.0])           # noqa: F841  (read through the closure)
    assert g(np.ones(2)).item() == 18.0


_G = cr.tensor([1.0, 2.0])
_SCALE = 2.0


def _uses_globals(x):
    return cr.sum(x * cr.exp(_G)) * _SCALE


def test_a_global_tensor_and_a_global_number():
    global _G, _SCALE
    f = cr.compile(cr.value_and_grad(_uses_globals))
    x = np.array([1.0, 1.0])
    saved = _G, _SCALE
    try:
        value, grad = f(x)
        assert value == pytest.approx(2 * (np.e + np.e ** 2))
        _G.data = np.array([0.0, 0.0])
        value, grad = f(x)
        assert value == 4.0 and np.array_equal(grad, [2.0, 2.0])
        _G = cr.tensor([1.0, 0.0])
        _SCALE = 3.0
        value, grad = f(x)
        assert (value, list(grad)) == cr.value_and_grad(_uses_globals)(x)[:1] + (
            [3 * np.e, 3.0],)
        assert f.traces == 3
    finally:
        _G, _SCALE = saved


def test_a_dict_of_tensors():
    params = {"w": cr.tensor([1.0, 2.0]), "b": cr.tensor(0.5)}

    def h(x):
        return cr.sum(x * params["w"]) + cr.sum(params["w"] ** 2) + params["b"] * 2

    f = cr.compile(h)
    ones = np.ones(2)
    assert f(ones).item() == 3.0 + 5.0 + 1.0
    params["w"] = cr.tensor([2.0, 2.0])        # an item replaced
    assert f(ones).item() == 4.0 + 8.0 + 1.0 == h(cr.tensor(ones)).item()
    params["b"].data = np.array(1.0)
    assert f(ones).item() == 4.0 + 8.0 + 2.0
    params["extra"] = 1                         # a new key: traced again
    assert f(ones).item() == 14.0
    assert f.traces == 4


def test_lists_tuples_and_arrays_one_level_down():
    a = np.array([1.0, 2.0])
    items = [cr.tensor([1.0, 1.0]), a]
    pair = (cr.tensor([2.0, 0.0]), [cr.tensor([5.0, 5.0])])

    def h(x):
        return cr.sum(x * cr.exp(items[0])) + cr.sum(cr.exp(items[1])) + cr.sum(
            pair[0] ** 2)

    f = cr.compile(h)
    ones = np.ones(2)
    f(ones)
    a[0] = 0.0                                  # a NumPy array written in place
    assert f(ones).item() == pytest.approx(h(cr.tensor(ones)).item(), rel=1e-15)
    pair[0].data = np.array([3.0, 0.0])
    assert f(ones).item() == pytest.approx(h(cr.tensor(ones)).item(), rel=1e-15)
    items.append(None)
    f(ones)
    assert f.traces == 4
    pair[1][0].data = np.array([1.0, 1.0])      # two levels down: not looked into
    f(ones)
    assert f.traces == 4


# -- modules and bound methods --------------------------------------------------------------

class _Model(nn.Module):
    def __init__(self):
        self.w = cr.tensor([1.0, 2.0], requires_grad=True)
        self.norm = nn.BatchNorm1d(2)
        self.layers = [nn.Linear(2, 2)]

    def forward(self, x):
        return cr.sum(self.layers[0](self.norm(x)) * self.w) + cr.sum(_G * _G)


def test_a_bound_method_of_a_module():
    for bound in (True, False):
        model = _Model()
        model.eval()
        f = cr.compile(model.forward if bound else model)
        expected = model(cr.tensor(X)).item()
        assert f(X).item() == expected
        model.w.data = np.array([-1.0, 0.5])
        model.norm.running_var.data = np.array([2.0, 3.0])
        assert f(X).item() == model(cr.tensor(X)).item() != expected
        with cr.no_grad():
            model.layers[0].weight -= 1.0          # an optimizer-style step
        assert f(X).item() == model(cr.tensor(X)).item()
        model.layers[0] = nn.Linear(2, 2)          # a sub-module replaced
        assert f(X).item() == model(cr.tensor(X)).item()
        model.layers[0].bias.data = np.array([4.0, 4.0])
        assert f(X).item() == model(cr.tensor(X)).item()
        _G.data = np.array([1.0, 3.0])              # a global its class's forward names
        try:
            assert f(X).item() == model(cr.tensor(X)).item()
        finally:
            _G.data = np.array([1.0, 2.0])
        assert f.traces == 6


def _helper(x):
    return _SHARED(x)


_SHARED = nn.BatchNorm1d(2).eval()


def test_state_read_by_a_helper_of_the_same_module_and_by_a_partial():
    f = cr.compile(lambda x: cr.sum(_helper(x) ** 2))
    scale = cr.tensor(2.0)
    p = cr.compile(functools.partial(lambda s, x, t=None: cr.sum(x * s * t), scale,
                                     t=cr.tensor(1.0)))
    assert f(X).item() == pytest.approx(_bn_closed_form(X, np.zeros(2), np.ones(2))[0])
    assert p(np.ones(2)).item() == 4.0
    _SHARED.running_mean.data = np.array([1.0, 1.0])
    scale.data = np.array(3.0)
    try:
        assert f(X).item() == pytest.approx(
            _bn_closed_form(X, np.ones(2), np.ones(2))[0], rel=1e-12)
        assert p(np.ones(2)).item() == 6.0
    finally:
        _SHARED.running_mean.data = np.zeros(2)


# -- what is not checked, and the cost --------------------------------------------------------

def test_unchanged_state_does_not_trace_again():
    model = _Model()
    model.eval()
    w = cr.tensor([1.0, 2.0])
    f = cr.compile(cr.value_and_grad(lambda x: model(x) + cr.sum(w * w)))
    first = f(X)
    for _ in range(5):
        value, grad = f(X)
        assert value == first[0] and np.array_equal(grad, first[1])
        model(cr.tensor(X))                     # eval mode: reads, writes nothing
    f(X[:1])                                    # a new signature: traced, not the state
    f(X)
    assert f.traces == 2
    assert f.guard is not None and not f.guard()
    assert "running_var" in f.guard.source


def test_a_function_reading_no_state_has_no_guard():
    def loss(p, x):
        return cr.sum(cr.sigmoid(x @ p["W"]) ** 2) * 0.5

    f = cr.compile(cr.value_and_grad(loss))
    p = {"W": np.ones((2, 2))}
    f(p, X)
    f(p, X)
    assert f.guard is None and f.traces == 1
    assert cr.compile(cr.sum).guard is None


def test_a_large_array_is_checked_by_identity_only():
    big = np.zeros(guard_module.CONTENTS_LIMIT // 8 + 1)
    small = np.zeros(4)
    labels = np.array(["a", "b"])
    f = cr.compile(lambda x: x * cr.sum(cr.exp(big[:2])) + cr.sum(cr.exp(small)) + len(labels))
    f(np.ones(2))
    assert "tobytes" in f.guard.source          # the small array's contents
    assert f.guard.source.count("tobytes") == 1     # not the big one's, nor strings'


def test_a_name_bound_later_and_a_name_deleted():
    def make():
        def h(x, use):
            return x * later if use else x * 2.0    # noqa: F821  (bound below)
        f = cr.compile(h, static_argnums=1)
        out = [f(np.ones(1), False).item()]
        later = cr.tensor(5.0)
        out.append(f(np.ones(1), True).item())
        del later
        with pytest.raises(NameError):
            f(np.ones(1), True)                 # traced again: as eager mode, it fails
        return out

    assert make() == [2.0, 5.0]


def test_shared_objects_are_watched_once():
    bn = nn.BatchNorm1d(2).eval()
    t = bn.running_mean                          # a buffer also closed over directly
    seq = [bn, bn, t]
    f = cr.compile(lambda x: cr.sum(seq[0](x) + seq[1](x)) + cr.sum(t * 1.0) + cr.sum(
        bn.running_mean * 2))
    f(X)
    assert f.guard.source.count("_stamp") == len({id(v) for v in (
        bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.num_batches_tracked)})
    t2 = cr.tensor([1.0, 2.0])
    g = cr.compile(lambda x: cr.sum(x * t2) + cr.sum(holder.running_mean * t2))
    holder = nn.BatchNorm1d(2).eval()
    holder.running_mean = t2                     # seen first as a Tensor, then a buffer
    holder.register_buffer("unused", None)
    g(np.ones(2))
    # t2's contents once, then running_var's and num_batches_tracked's
    assert g.guard.source.count(".tobytes()") == 3
    arr, lst = np.ones(2), [cr.tensor([1.0, 1.0])]
    arr2, lst2 = arr, lst
    h = cr.compile(lambda x: x * cr.sum(cr.exp(arr) + cr.exp(arr2)) + cr.sum(
        lst[0] * lst2[0]))
    h(np.ones(2))
    assert h.guard.source.count(".tobytes()") == 2      # arr's and lst[0]'s
    assert h.guard.source.count("len(") == 1


def test_a_method_in_a_global_and_other_callables():
    bn = nn.BatchNorm1d(2).eval()
    fwd = bn.forward
    f = cr.compile(lambda x: cr.sum(fwd(x) ** 2))
    f(X)
    bn.running_var.data = np.array([4.0, 4.0])
    assert f(X).item() == pytest.approx(_bn_closed_form(X, np.zeros(2), np.full(2, 4.0))[0])
    g = cr.compile(bn.forward)
    g(X)
    bn.running_var.data = np.array([1.0, 1.0])
    assert g(X).data.sum() == pytest.approx(bn(cr.tensor(X)).data.sum())
    assert f.traces == g.traces == 2


def test_the_guard_is_checked_on_every_path():
    w = cr.tensor([1.0, 2.0])
    f = cr.compile(lambda x, k=1: cr.sum(x * w) + cr.sum(w * w) * k)
    a, b = np.ones(2), np.ones(3)[:2].copy().astype(np.float32)
    f(a)
    f(b)                                        # two signatures: the last one changes
    w.data = np.array([0.0, 1.0])
    assert f(a).item() == 2.0                   # the fast path of a known signature
    w.data = np.array([1.0, 1.0])
    assert f(a, k=2).item() == 6.0              # keyword arguments: the keyed path
    w.data = np.array([2.0, 0.0])
    assert f.program(a).run(a).item() == 6.0
    assert f.traces == 5


def test_a_big_container_is_checked_by_length():
    table = {i: float(i) for i in range(1001)}
    f = cr.compile(lambda x: x * table[3])
    assert f(np.ones(1)).item() == 3.0
    assert f.guard.source.count(" is not ") == 1        # the name only
    table[5000] = 0.0
    f(np.ones(1))
    assert f.traces == 2



class _Act(nn.Module):
    def __init__(self):
        self.act = cr.relu


def test_a_function_swapped_in_a_module_or_a_dict():
    m = _Act()
    ops = {"f": cr.exp}
    f = cr.compile(lambda x: cr.sum(m.act(x)) + cr.sum(ops["f"](x)))
    x = np.array([-1.0, 2.0])
    assert f(x).item() == pytest.approx(2.0 + np.exp(-1.0) + np.exp(2.0))
    m.act = cr.tanh
    assert f(x).item() == pytest.approx(np.tanh(-1.0) + np.tanh(2.0) + np.exp(-1.0)
                                        + np.exp(2.0))
    ops["f"] = cr.sin
    assert f(x).item() == pytest.approx(np.tanh(-1.0) + np.tanh(2.0) + np.sin(-1.0)
                                        + np.sin(2.0))
    assert f.traces == 3


def test_a_module_given_as_a_static_argument_or_a_keyword():
    bn = nn.BatchNorm1d(2).eval()

    def loss(m, x, scale=1.0, norm=None):
        return cr.sum(m(x) ** 2) * scale + (0.0 if norm is None else cr.sum(norm(x)))

    f = cr.compile(loss, static_argnums=0)
    other = nn.BatchNorm1d(2).eval()
    assert f(bn, X).item() == pytest.approx(_bn_closed_form(X, np.zeros(2), np.ones(2))[0])
    f(bn, X, 2.0)                     # a number: a constant of the trace, nothing to watch
    f(other, X, norm=bn)
    bn.running_mean.data = np.array([1.0, 1.0])
    assert f(bn, X).item() == pytest.approx(_bn_closed_form(X, np.ones(2), np.ones(2))[0],
                                            rel=1e-12)
    assert f(other, X, norm=bn).item() == loss(other, cr.tensor(X), norm=bn).item()
    assert f.traces == 5
