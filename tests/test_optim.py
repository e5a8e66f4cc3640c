"""chainrule.optim against updates worked out by hand on the quadratic
f(w) = 0.5 * sum(c * w**2) with c = [1, 4] and w0 = [1, -2], so grad f(w) = c * w.

Gradients come from chainrule's own backward pass; the expected numbers are written out
step by step in each test.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

C = np.array([1.0, 4.0])


def _param(dtype=np.float64):
    return cr.tensor([1.0, -2.0], requires_grad=True, dtype=dtype)


def _run(opt, w, steps):
    """Take ``steps`` optimizer steps; return w after each."""
    seen = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * cr.sum(C * w * w)).backward()
        opt.step()
        seen.append(w.data.copy())
    return seen


def test_sgd():
    # g0 = [1, -8]: w1 = [1 - 0.1, -2 + 0.8];  g1 = [0.9, -4.8]: w2 = [0.81, -1.2 + 0.48]
    w = _param()
    w1, w2 = _run(optim.SGD([w], lr=0.1), w, 2)
    np.testing.assert_allclose(w1, [0.9, -1.2], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.81, -0.72], rtol=1e-15)


def test_sgd_momentum():
    # buf1 = g0 = [1, -8], w1 = [0.9, -1.2]
    # g1 = [0.9, -4.8], buf2 = 0.9 * [1, -8] + [0.9, -4.8] = [1.8, -12], w2 = [0.72, 0]
    w = _param()
    w1, w2 = _run(optim.SGD([w], lr=0.1, momentum=0.9), w, 2)
    np.testing.assert_allclose(w1, [0.9, -1.2], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.72, 0.0], atol=1e-15)


def test_sgd_nesterov():
    # buf1 = g0 = [1, -8]; step along g0 + 0.9 * buf1 = [1.9, -15.2]: w1 = [0.81, -0.48]
    w = _param()
    (w1,) = _run(optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True), w, 1)
    np.testing.assert_allclose(w1, [0.81, -0.48], rtol=1e-14)


def test_sgd_weight_decay():
    # g = c*w + 0.5*w = [1.5, -9]: w1 = [1 - 0.15, -2 + 0.9]
    w = _param()
    (w1,) = _run(optim.SGD([w], lr=0.1, weight_decay=0.5), w, 1)
    np.testing.assert_allclose(w1, [0.85, -1.1], rtol=1e-15)


def test_adam_first_two_steps():
    # step 1: m = 0.1 g0, v = 0.001 g0**2, so m_hat = g0, v_hat = g0**2 and the step is
    # lr * g0 / (|g0| + eps): w1 = [0.9, -1.9] (up to eps = 1e-8)
    # step 2: g1 = [0.9, -7.6]
    #   m = 0.9 * 0.1 * g0 + 0.1 * g1 = [0.18, -1.48];  m_hat = m / (1 - 0.9**2) = m / 0.19
    #   v = 0.999 * 0.001 * g0**2 + 0.001 * g1**2 = [0.001809, 0.121696]
    #   v_hat = v / (1 - 0.999**2) = v / 0.001999
    w = _param()
    w1, w2 = _run(optim.Adam([w], lr=0.1), w, 2)
    np.testing.assert_allclose(w1, [0.9, -1.9], rtol=1e-8)
    m_hat = np.array([0.18, -1.48]) / 0.19
    v_hat = np.array([0.001809, 0.121696]) / 0.001999
    # (eps = 1e-8 moves w1 and so g1 by ~1e-9 relative: hence rtol=1e-8)
    np.testing.assert_allclose(w2, [0.9, -1.9] - 0.1 * m_hat / np.sqrt(v_hat), rtol=1e-8)


def test_adam_weight_decay_adds_to_the_gradient():
    # g = c*w + 1.0*w = (c + 1) * w: g0 = [2, -10], the first step is lr * sign(g0), so
    # w1 = [0.9, -1.9] and g1 = [2 * 0.9, 5 * -1.9] = [1.8, -9.5]
    w = _param()
    w1, w2 = _run(optim.Adam([w], lr=0.1, weight_decay=1.0), w, 2)
    np.testing.assert_allclose(w1, [0.9, -1.9], rtol=1e-8)
    m = 0.9 * 0.1 * np.array([2.0, -10.0]) + 0.1 * np.array([1.8, -9.5])
    v = 0.999 * 0.001 * np.array([4.0, 100.0]) + 0.001 * np.array([3.24, 90.25])
    np.testing.assert_allclose(w2, [0.9, -1.9] - 0.1 * (m / 0.19) / np.sqrt(v / 0.001999),
                               rtol=1e-8)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.01),
], ids=["sgd", "adam"])
def test_float32_parameters_stay_float32(make):
    w = _param(np.float32)
    data = w.data
    _run(make([w]), w, 3)
    assert w.dtype == np.float32
    assert w.data is data            # updated in place


def test_a_parameter_without_gradient_is_left_alone():
    w, unused = _param(), cr.tensor([5.0], requires_grad=True)
    _run(optim.SGD([w, unused], lr=0.1, momentum=0.9), w, 2)
    np.testing.assert_array_equal(unused.data, [5.0])


def test_zero_grad_sets_gradients_to_none():
    w = _param()
    opt = optim.SGD([w], lr=0.1)
    cr.sum(w * w).backward()
    opt.zero_grad()
    assert w.grad is None


def test_bad_settings_are_refused_with_their_values():
    w = _param()
    with pytest.raises(ValueError, match="lr must be positive, got -1"):
        optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5"):
        optim.SGD([w], lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="nesterov needs a momentum"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas must be in \[0, 1\)"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="parameter 0 must be a leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)


def test_plain_sgd_is_w_minus_lr_g_bit_for_bit_keeps_no_state_and_marks_the_write():
    rng = np.random.default_rng(5)
    w0 = rng.standard_normal((3, 4)).astype(np.float32)
    g = rng.standard_normal((3, 4)).astype(np.float32)
    w = cr.tensor(w0, requires_grad=True)
    stale = (w * 2.0).sum()                  # recorded before the step
    w.grad = g
    other = cr.tensor([1.0], requires_grad=True)
    other.grad = np.array([2.0])
    opt = optim.SGD([{"params": [w]}, {"params": [other], "momentum": 0.5}], lr=0.1)
    opt.step()
    np.testing.assert_array_equal(w.data, w0 - 0.1 * g)
    assert w.dtype == np.float32
    np.testing.assert_array_equal(other.data, [0.8])
    # as torch's SGD: state only where there is momentum
    assert list(opt.state_dict()["state"]) == [1]
    with pytest.raises(RuntimeError, match="changed|written|modified"):
        stale.backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_descend_updates_in_place_as_w_minus_lr_g(dtype, order, monkeypatch):
    from chainrule.optim import optimizers as O

    rng = np.random.default_rng(6)
    w0 = np.asarray(rng.standard_normal((40, 60)), dtype=dtype, order=order)
    g = np.asarray(rng.standard_normal((40, 60)), dtype=dtype, order=order)
    expected = w0 - 0.03 * g
    w = w0.copy(order="K")
    O.descend(w, g, 0.03)                    # BLAS axpy where SciPy is installed
    tight = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(w, expected, rtol=tight, atol=tight)
    assert w.dtype == dtype
    monkeypatch.setattr(O, "_AXPY", {})      # without SciPy: numpy, bit for bit
    w = w0.copy(order="K")
    O.descend(w, g, 0.03)
    np.testing.assert_array_equal(w, expected)


def test_descend_falls_back_to_numpy_for_mixed_layouts_and_refuses_read_only_data():
    from chainrule.optim import optimizers as O

    rng = np.random.default_rng(7)
    w = np.asfortranarray(rng.standard_normal((50, 40)))
    g = np.ascontiguousarray(rng.standard_normal((50, 40)))
    expected = w - 0.5 * g
    O.descend(w, g, 0.5)
    np.testing.assert_array_equal(w, expected)   # numpy's own w -= lr * g
    w.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        O.descend(w, g, 0.5)
    np.testing.assert_array_equal(w, expected)   # untouched


def test_sgd_steps_a_large_parameter_in_place():
    rng = np.random.default_rng(8)
    w = cr.tensor(rng.standard_normal((64, 64)), requires_grad=True)
    data, w0 = w.data, w.data.copy()
    g = rng.standard_normal((64, 64))
    w.grad = g
    optim.SGD([w], lr=0.25).step()
    assert w.data is data                    # the same array, updated in place
    np.testing.assert_allclose(w.data, w0 - 0.25 * g, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(w.grad, g)     # the gradient itself is left alone
