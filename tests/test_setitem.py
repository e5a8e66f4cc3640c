"""``x[index] = value`` while recording: the write is an op (``index_put``), as torch's,
so gradients reach the written values and the rest of ``x``; checked against torch and
float64 central differences, to second order."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad

import chainrule as cr
from chainrule.core.recording import on_create

torch = pytest.importorskip("torch")


def _t(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_the_probe_written_values_carry_their_gradient_as_in_torch():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.zeros(3)
    x[0] = w[0] * 2
    x[1:] = w * 3
    (x * w.sum()).sum().backward()
    tw = _t([1.0, 2.0])
    tx = torch.zeros(3, dtype=torch.float64)
    tx[0] = tw[0] * 2
    tx[1:] = tw * 3
    (tx * tw.sum()).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy())
    np.testing.assert_allclose(w.grad, [26.0, 20.0])
    assert not x.is_leaf and x.requires_grad


def _loop(xp, w):
    out = xp.zeros(3)
    for i in range(3):
        out[i] = xp.sin(w[i] * w[(i + 1) % 3]) + w[i] ** 2
    return (out * out).sum()


def _torch_loop(w):
    out = torch.zeros(3, dtype=torch.float64)
    for i in range(3):
        out[i] = torch.sin(w[i] * w[(i + 1) % 3]) + w[i] ** 2
    return (out * out).sum()


W = np.array([0.3, -0.7, 1.1])


def test_the_loop_pattern_gradient_matches_torch_and_central_differences():
    g = cr.grad(lambda w: _loop(cr, w))(W)
    tw = _t(W)
    _torch_loop(tw).backward()
    np.testing.assert_allclose(g, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g, numeric_grad(lambda w: _loop(np, w), [W]), rtol=1e-7)


@pytest.mark.parametrize("mode", ["rev-over-rev", "fwd-over-rev"])
def test_the_loop_pattern_hessian_matches_torch(mode):
    H = cr.hessian(lambda w: _loop(cr, w), mode=mode)(W)
    tH = torch.autograd.functional.hessian(_torch_loop, _t(W, grad=False))
    np.testing.assert_allclose(H, tH.numpy(), rtol=1e-10, atol=1e-12)


def test_jacobian_and_forward_mode_through_writes():
    def f(xp, w):
        out = xp.zeros((2, 3))
        out[0] = w * 2
        out[1, ::2] = xp.exp(w[:2])
        out[:, 1] = w[2]
        return out
    J = cr.jacobian(lambda w: f(cr, w))(W)
    Jf = cr.jacfwd(lambda w: f(cr, w))(W)
    num = np.stack([numeric_grad(lambda w, k=k: f(np, w).ravel()[k], [W])
                    for k in range(6)]).reshape(2, 3, 3)
    np.testing.assert_allclose(J, num, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(Jf, num, rtol=1e-7, atol=1e-9)


def test_a_recurrence_reads_the_values_before_each_write_as_torch():
    w = cr.tensor([1.5, 0.5], requires_grad=True)
    x = cr.zeros(4)
    x[0] = w[0]
    for i in range(1, 4):
        x[i] = x[i - 1] * 2 + w[1] * x[i - 1]
    (x ** 2).sum().backward()
    tw = _t([1.5, 0.5])
    tx = torch.zeros(4, dtype=torch.float64)
    tx[0] = tw[0]
    for i in range(1, 4):
        tx[i] = tx[i - 1] * 2 + tw[1] * tx[i - 1].clone()
    (tx ** 2).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("index, vshape, repeats", [
    (np.array([0, 1, 0]), (3,), True),               # repeated rows: the last write wins
    ((np.array([1, 1]), np.array([2, 2])), (2,), True),
    (np.array([[True, False, True], [False, True, True]]), (4,), False),
    ((slice(None), np.array([2, 0, 2])), (1, 3), True),  # broadcast rows, repeated columns
    ((slice(None), np.array([2, 0])), (1, 1, 2), False),  # numpy's extra leading 1s
    (Ellipsis, (3,), False),
    ((0, None), (1, 3), False),
])
def test_advanced_repeated_and_boolean_writes_follow_numpy_and_torch(index, vshape, repeats):
    rng = np.random.default_rng(0)
    x0, v0 = rng.normal(size=(2, 3)), rng.normal(size=vshape)
    wx = rng.normal(size=(2, 3))

    def f(xp, x, v):
        y = x * 1.0
        y[index] = v * v
        return (y * wx).sum() + (y * y).sum()
    gx, gv = cr.grad(lambda x, v: f(cr, x, v), argnums=(0, 1))(x0, v0)
    np.testing.assert_allclose(gx, numeric_grad(lambda x: f(np, x, v0), [x0]), rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_allclose(gv, numeric_grad(lambda v: f(np, x0, v), [v0]), rtol=1e-6,
                               atol=1e-9)
    tx, tv = _t(x0), _t(v0)
    ty = tx * 1.0
    ti = tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in
               (index if isinstance(index, tuple) else (index,)))
    ty[ti if isinstance(index, tuple) else ti[0]] = tv * tv
    ((ty * torch.as_tensor(wx)).sum() + (ty * ty).sum()).backward()
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12)
    if not repeats:
        # torch gives every repeated write the gradient, though only the last one lands
        np.testing.assert_allclose(gv, tv.grad.numpy(), rtol=1e-12)


def test_a_constant_written_into_a_graph_tensor_blocks_the_gradient_there():
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = w * 2
    y[1] = 7.0
    y[2] = cr.tensor(5.0)
    (y * y).sum().backward()
    np.testing.assert_allclose(y.data, [2.0, 7.0, 5.0])
    np.testing.assert_allclose(w.grad, [8.0, 0.0, 0.0])


def test_ops_recorded_before_the_write_refuse_their_gradient():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = w * 1.0
    before = (x * x).sum()
    x[0] = w[1]
    with pytest.raises(RuntimeError, match="of mul was modified in place"):
        before.backward()
    (x * x).sum().backward()                     # the new state is fine
    np.testing.assert_allclose(w.grad, [0.0, 4.0 + 4.0])


def test_a_value_computed_before_an_earlier_write_is_refused_by_name():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = w * 1.0
    y = x.sum()                                  # reads x before the write below
    x[0] = w[1]
    with pytest.raises(RuntimeError, match=r"computed \(by sum\) from this Tensor before "
                       "an earlier write"):
        x[1] = y


def test_a_leaf_that_requires_grad_is_refused_as_in_torch_but_written_under_no_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                       "used in an in-place operation"):
        w[0] = 3.0
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w[0] = w[1] * 2
    with cr.no_grad():
        w[0] = w[1] * 2
    assert w.is_leaf and w.data[0] == 4.0


def test_writes_with_nothing_to_differentiate_stay_plain():
    x = cr.zeros(3)
    data = x.data
    x[1] = cr.tensor(2.0)
    x[2] = 3.0
    assert x.is_leaf and not x.requires_grad and x.data is data
    np.testing.assert_allclose(x.data, [0.0, 2.0, 3.0])
    w = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        x[0] = w[0] * 4
    assert x.is_leaf and not x.requires_grad and x.data[0] == 4.0


def test_the_write_is_in_place_and_the_previous_values_are_kept_for_the_graph():
    w = cr.tensor([2.0, 3.0], requires_grad=True)
    x = cr.exp(w)
    data = x.data
    x[0] = w[1]
    assert x.data is data and x.data[0] == 3.0
    x.sum().backward()                            # exp's rule reads its own result
    np.testing.assert_allclose(w.grad, [0.0, np.exp(3.0) + 1.0])


def test_refusals_name_the_write():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    ints = cr.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="dtype int64 cannot hold a value of dtype "
                       "float64 that requires grad"):
        ints[0] = w[0]
    z = cr.tensor([1j], requires_grad=True)
    with pytest.raises(TypeError, match="dtype float64 cannot hold a value of dtype "
                       "complex128"):
        cr.zeros(2)[0] = z[0] * 2
    x = cr.zeros(3)
    with pytest.raises(ValueError, match=r"cannot write a value of shape \(2,\) into a "
                       r"Tensor of shape \(3,\)"):
        x[:] = w
    assert x.is_leaf and not x.requires_grad
    with pytest.raises(TypeError, match="cannot write a Scalar into a Tensor"):
        x[0] = cr.Scalar(1.0) * cr.Scalar(2.0)


def test_complex_writes_follow_the_complex_convention():
    z0 = np.array([1 + 2j, 3 - 1j])

    def written(z):
        x = cr.zeros(3, dtype=complex)
        x[1:] = z * z
        return cr.real(x * cr.conj(x)).sum()
    g = cr.grad(written)(z0)
    np.testing.assert_allclose(g, cr.grad(lambda z: cr.real(z * z * cr.conj(z * z)).sum())(z0))
    assert abs(g).min() > 1


def test_cr_compile_refuses_the_write_by_name():
    def f(w):
        out = cr.zeros(3)
        out[0] = w[1] * 2
        return out.sum()
    with pytest.raises(cr.TraceError, match="item assignment"):
        cr.compile(f)(np.ones(3))


def test_the_recording_hook_sees_the_write():
    seen = []
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.zeros(2)
    with on_create(seen.append):
        x[0] = w[0]
    assert seen[-1] is x and x.prim.name == "index_put"


def test_a_value_read_from_the_tensor_itself_reads_the_previous_values():
    # x[0] = f(x): every op of the value that read x (one input, two, with constants)
    # reads the values before the write (torch refuses this unless x is cloned first)
    def f(xp, w):
        x = w * 1.0
        x[0] = xp.exp(x)[1] + (x * x)[2] + (x * 2.0)[0] + xp.sum(x)
        return (x * x).sum()
    w0 = np.array([0.5, -0.3, 0.8])
    g = cr.grad(lambda w: f(cr, w))(w0)
    tw = _t(w0)
    tx = tw * 1.0
    tc = tx.clone()
    tx[0] = torch.exp(tc)[1] + (tc * tc)[2] + (tc * 2.0)[0] + torch.sum(tc)
    (tx * tx).sum().backward()
    np.testing.assert_allclose(g, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g, numeric_grad(lambda w: f(np, w), [w0]), rtol=1e-7)


def test_writing_a_tensor_into_itself_reads_its_previous_values():
    w0 = np.array([0.5, -0.3, 0.8])

    def f(w):
        x = w * w
        x[...] = x
        x[::-1] = x
        return (x * cr.tensor([1.0, 2.0, 3.0])).sum()
    np.testing.assert_allclose(cr.grad(f)(w0), 2 * w0 * [3.0, 2.0, 1.0])


def test_forward_mode_through_repeated_writes_keeps_the_last():
    def f(xp, w):
        x = xp.zeros(3)
        x[np.array([0, 2, 0])] = w * w
        return x
    w0 = np.array([0.5, -0.3, 0.8])
    num = np.stack([numeric_grad(lambda w, k=k: f(np, w)[k], [w0]) for k in range(3)])
    np.testing.assert_allclose(cr.jacfwd(lambda w: f(cr, w))(w0), num, atol=1e-9)
    np.testing.assert_allclose(cr.jacobian(lambda w: f(cr, w))(w0), num, atol=1e-9)


# -- cr.tensor() of a Tensor: a copy cut from the graph, as torch.tensor --------------------

def test_cr_tensor_of_a_tensor_being_differentiated_is_refused_inside_a_transform():
    x0 = np.array([2.0, 1.0])
    with pytest.raises(cr.GradientDroppedError, match=r"cr.tensor\(\) of a Tensor being "
                       r"differentiated .* x.clone\(\)"):
        cr.grad(lambda x: cr.tensor(x).sum() * x[0])(x0)
    # what the message suggests gives the true gradient, d/dx sum(x) * x0 = [5, 2]
    np.testing.assert_allclose(cr.grad(lambda x: x.clone().sum() * x[0])(x0), [5.0, 2.0])
    np.testing.assert_allclose(cr.grad(lambda x: x.sum() * x[0])(x0), [5.0, 2.0])


def test_cr_tensor_of_a_tensor_copies_it_detached_and_warns_as_torch():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match=r"x.clone\(\).detach\(\)") as caught:
        c = cr.tensor(t)
    assert caught[0].filename == __file__
    assert c.is_leaf and not c.requires_grad and c.data is not t.data
    np.testing.assert_array_equal(c.data, t.data)
    with pytest.warns(UserWarning, match="copies its data cut from the graph"):
        r = cr.tensor(t * 2, requires_grad=True)
    assert r.is_leaf and r.requires_grad
    with pytest.warns(UserWarning), torch.no_grad():
        tt = torch.tensor(torch.ones(2, requires_grad=True))
    assert not tt.requires_grad


def test_a_refused_in_place_write_is_a_runtime_error_and_a_type_error():
    # RuntimeError as PyTorch; TypeError as JAX and HIPS autograd for a traced array
    def fun(a, b):
        a[1] = b
        return a
    for exc in (RuntimeError, TypeError, cr.InPlaceError):
        with pytest.raises(exc, match="in-place"):
            cr.jacobian(fun)(np.zeros(5), 3.0)
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    for write in (lambda: w.__iadd__(1.0), lambda: w.add_(1.0), lambda: (w * 2).add_(1.0)):
        with pytest.raises(cr.InPlaceError):
            write()
