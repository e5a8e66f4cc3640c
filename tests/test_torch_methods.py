"""Tensor methods with PyTorch's names and meanings: values and gradients against torch
(the oracle, when installed) and gradients against finite differences (always)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad

import chainrule as cr

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4))
X3 = RNG.standard_normal((2, 3, 4))

# name -> (input, call): the call is written once and applied to a torch and a cr Tensor
CASES = {
    "view": (X, lambda t: t.view(4, 3)),
    "view_tuple": (X, lambda t: t.view((2, -1))),
    "reshape": (X, lambda t: t.reshape(-1)),
    "unsqueeze0": (X, lambda t: t.unsqueeze(0)),
    "unsqueeze-1": (X, lambda t: t.unsqueeze(-1)),
    "squeeze": (X[:1], lambda t: t.squeeze()),
    "squeeze_dim": (X[:1], lambda t: t.squeeze(0)),
    "squeeze_not_one": (X, lambda t: t.squeeze(1)),
    "flatten": (X3, lambda t: t.flatten()),
    "flatten1": (X3, lambda t: t.flatten(1)),
    "permute": (X3, lambda t: t.permute(2, 0, 1)),
    "transpose01": (X, lambda t: t.transpose(0, 1)),
    "transpose3": (X3, lambda t: t.transpose(0, 2)),
    "t": (X, lambda t: t.t()),
    "T": (X, lambda t: t.T),
    "clone": (X, lambda t: t.clone()),
    "sum_dim": (X3, lambda t: t.sum(dim=1)),
    "sum_keep": (X3, lambda t: t.sum(1, keepdim=True)),
    "sum_dims": (X3, lambda t: t.sum(dim=(0, 2))),
    "mean_dim": (X3, lambda t: t.mean(-1)),
    "var": (X, lambda t: t.var()),
    "var_dim": (X, lambda t: t.var(dim=1)),
    "var_biased": (X, lambda t: t.var(1, unbiased=False)),
    "var_correction": (X, lambda t: t.var(0, correction=0, keepdim=True)),
    "std": (X, lambda t: t.std()),
    "std_dim": (X3, lambda t: t.std(dim=2, keepdim=True)),
    "prod": (X, lambda t: t.prod()),
    "prod_dim": (X, lambda t: t.prod(1)),
    "prod_keep": (X, lambda t: t.prod(0, keepdim=True)),
    "max_all": (X, lambda t: t.max()),
    "max_dim_values": (X, lambda t: t.max(1)[0]),
    "max_dim_keep": (X, lambda t: t.max(dim=0, keepdim=True).values),
    "min_dim_values": (X, lambda t: t.min(1).values),
    "clamp": (X, lambda t: t.clamp(-0.5, 0.5)),
    "clamp_min": (X, lambda t: t.clamp(min=0.0)),
    "clip_max": (X, lambda t: t.clip(max=0.2)),
    "pow": (X, lambda t: t.pow(2)),
    "exp": (X, lambda t: t.exp()),
    "softmax_dim": (X, lambda t: t.softmax(dim=1)),
    "log_softmax_dim": (X, lambda t: t.log_softmax(dim=0)),
    "logsumexp": (X, lambda t: t.logsumexp(dim=1)),
    "expand": (X[:1], lambda t: t.expand(3, -1)),
    "expand_new": (X[0], lambda t: t.expand(2, 4)),
    "repeat": (X, lambda t: t.repeat(2, 3)),
    "repeat_more": (X[0], lambda t: t.repeat(2, 1, 2)),
    "chunk0": (X, lambda t: t.chunk(2)[1]),
    "chunk1": (X, lambda t: t.chunk(3, dim=1)[-1]),
    "split": (X, lambda t: t.split(3, dim=1)[1]),
    "split_sizes": (X, lambda t: t.split([1, 3], dim=1)[1]),
    "neg": (X, lambda t: t.neg()),
    "abs": (X, lambda t: t.abs()),
    "double": (X, lambda t: t.double()),
}


def _to_torch(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_method_value_and_gradient_match_torch(name):
    data, call = CASES[name]
    tt, ct = _to_torch(data), cr.tensor(data, requires_grad=True)
    tout, cout = call(tt), call(ct)
    np.testing.assert_allclose(cout.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = RNG.standard_normal(tout.shape)
    (tout * torch.tensor(weights)).sum().backward()
    (cout * weights).sum().backward()
    np.testing.assert_allclose(ct.grad, tt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_method_gradient_matches_finite_differences(name):
    data, call = CASES[name]
    weights = np.random.default_rng(1).standard_normal(
        np.shape(call(cr.tensor(data)).data))
    ct = cr.tensor(data, requires_grad=True)
    (call(ct) * weights).sum().backward()
    expected = numeric_grad(lambda a: float(np.sum(call(cr.tensor(a)).data * weights)), [data])
    np.testing.assert_allclose(ct.grad, expected, rtol=1e-5, atol=1e-6)


@needs_torch
def test_max_min_with_dim_return_values_and_indices_as_torch():
    x = np.array([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]])
    for op in ("max", "min"):
        for dim in (0, 1, -1):
            got = getattr(cr.tensor(x), op)(dim)
            want = getattr(torch.tensor(x), op)(dim)
            np.testing.assert_array_equal(got.values.data, want.values.numpy())
            np.testing.assert_array_equal(got.indices.data, want.indices.numpy())
            assert got.indices.dtype == np.int64
            values, indices = got   # unpacks like torch's
    assert float(cr.tensor(x).max(axis=1)[1].item()) == 7.0  # axis=: numpy's values only


@needs_torch
def test_argmax_argmin_gather_index_select_masked_fill_where_as_torch():
    x = RNG.standard_normal((3, 5))
    c, t = cr.tensor(x), torch.tensor(x)
    for dim in (None, 0, 1):
        np.testing.assert_array_equal(c.argmax(dim).data, t.argmax(dim).numpy())
        np.testing.assert_array_equal(c.argmin(dim=dim).data, t.argmin(dim=dim).numpy())
    np.testing.assert_array_equal(c.argmax(1, keepdim=True).data,
                                  t.argmax(1, keepdim=True).numpy())
    idx = np.array([[0, 4, 4], [1, 0, 2], [3, 3, 3]])
    np.testing.assert_array_equal(c.gather(1, cr.tensor(idx)).data,
                                  t.gather(1, torch.tensor(idx)).numpy())
    idx0 = np.array([[0, 2, 1, 1, 0]])
    np.testing.assert_array_equal(c.gather(0, idx0).data, t.gather(0, torch.tensor(idx0)).numpy())
    np.testing.assert_array_equal(c.index_select(1, cr.tensor([4, 0, 4])).data,
                                  t.index_select(1, torch.tensor([4, 0, 4])).numpy())
    mask = x > 0
    np.testing.assert_array_equal(c.masked_fill(c > 0, -1.0).data,
                                  t.masked_fill(torch.tensor(mask), -1.0).numpy())
    np.testing.assert_array_equal(c.where(c > 0, 0.0).data,
                                  t.where(torch.tensor(mask), 0.0).numpy())


def test_gather_and_index_select_gradients_add_up_at_repeated_indices():
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x.gather(1, np.array([[0, 0], [2, 1]])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 0, 0], [0, 1, 1]])
    y = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y.index_select(1, [2, 2]).sum().backward()
    np.testing.assert_array_equal(y.grad, [[0, 0, 2], [0, 0, 2]])


def test_prod_gradient_is_right_with_a_zero():
    x = cr.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 6.0, 0.0])


def test_size_is_numpy_attribute_and_torch_method():
    t = cr.zeros(2, 3)
    assert t.size == 6 and t.size() == (2, 3) and t.size(1) == 3 and t.size(-2) == 2
    assert t.dim() == 2 and t.numel() == 6 and np.size(t.data) == 6


def test_comparisons_are_bool_tensors_with_torch_habits():
    logits = cr.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0]])
    y = cr.tensor([0, 1, 1])
    assert y.dtype == np.int64
    acc = (logits.argmax(1) == y).float().mean().item()
    assert acc == pytest.approx(2 / 3)
    assert (logits.argmax(1) == y).sum().item() == 2
    assert np.mean(logits.data[(y == 1).data, 0]) == 2.5     # numpy accepts them
    assert ((logits > 1) & (logits < 4)).sum().item() == 2
    assert (~(logits > 1)).sum().item() == 2


def test_to_and_casts_change_dtype_and_keep_gradients():
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    y = x.to(cr.float32)
    assert y.dtype == np.float32 and x.to("cpu") is x and x.to(dtype=cr.float64) is x
    assert x.float().dtype == np.float32 and x.double() is x
    assert x.astype("float32").dtype == np.float32 and x.to("torch.float32").dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, [3.0, -4.0])
    assert x.long().dtype == np.int64 and not x.long().requires_grad
    assert x.to(cr.tensor([1], dtype=np.int32)).dtype == np.int32
    with pytest.raises(ValueError, match="drop the device"):
        x.to("cuda")
    with pytest.raises(TypeError, match="not a dtype"):
        x.to(dtype="quaternion")


def test_cast_is_differentiable_twice():
    f = lambda x: (x.to(cr.float32) ** 3).to(cr.float64).sum()   # noqa: E731
    h = cr.hessian(f)(np.array([1.0, 2.0]))
    np.testing.assert_allclose(np.asarray(h), np.diag([6.0, 12.0]), rtol=1e-6)


def test_tolist_requires_grad_and_backward_with_torch_arguments():
    assert cr.tensor([[1, 2]]).tolist() == [[1, 2]]
    x = cr.tensor([1, 2]).requires_grad_()
    assert x.dtype == np.float64 and x.requires_grad
    y = x * x
    y.backward(gradient=cr.ones(2), retain_graph=True)
    y.backward(cr.tensor([1.0, 0.0]))                       # the graph is still there
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])
    with pytest.raises(TypeError, match="autograd.grad"):
        y.backward(cr.ones(2), inputs=[x])
    with pytest.raises(TypeError, match="not both"):
        y.backward(cr.ones(2), grad=cr.ones(2))


def test_grad_is_an_array_with_torch_methods():
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()
    g = w.grad
    assert isinstance(g, np.ndarray) and np.linalg.norm(g) == 10.0 and g.norm() == 10.0
    c = g.clone()
    assert g.detach() is g and type(g.numpy()) is np.ndarray
    g.mul_(2).add_(np.ones(2), alpha=0.5)
    np.testing.assert_array_equal(w.grad, [12.5, 16.5])
    w.grad.zero_()
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])
    np.testing.assert_array_equal(c, [6.0, 8.0])
    w.grad.fill_(1.0)
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])
    w.grad = None
    assert w.grad is None


def test_in_place_methods_follow_torch_rules():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)
    with cr.no_grad():
        w.sub_(cr.tensor([0.5, 0.5]), alpha=2).mul_(3)
        assert w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.data, [0.0, 3.0])
    y = w * 2
    with pytest.raises(RuntimeError, match="computed in a graph"):
        y.zero_()
    plain = cr.tensor([1.0, 2.0])
    plain.add_(1).fill_(7.0)
    np.testing.assert_array_equal(plain.data, [7.0, 7.0])
    plain.copy_([1.0, 2.0])
    plain.zero_()
    np.testing.assert_array_equal(plain.data, [0.0, 0.0])


def test_unsupported_torch_spellings_name_the_equivalent():
    t = cr.tensor([1.0])
    with pytest.raises(AttributeError, match="CPU"):
        t.cuda()
    with pytest.raises(AttributeError, match=r"t = t.exp\(...\)"):
        t.exp_()
    with pytest.raises(AttributeError, match="no attribute 'frobnicate'$"):
        _ = t.frobnicate
    assert not hasattr(t, "__torch_function__")
    with pytest.raises(TypeError, match="permute"):
        cr.tensor(X3).transpose(2, 0, 1)
    with pytest.raises(ValueError, match="<= 2 dims"):
        cr.tensor(X3).t()
    with pytest.raises(TypeError, match="dim= or axis="):
        t.sum(dim=0, axis=0)
    with pytest.raises(TypeError, match="keepdim= or keepdims="):
        t.sum(0, keepdim=True, keepdims=True)


def test_shape_errors_name_the_method():
    x = cr.tensor(X)
    with pytest.raises(ValueError, match="split: sizes"):
        x.split([1, 1], dim=1)
    with pytest.raises(ValueError, match="chunks must be positive"):
        x.chunk(0)
    with pytest.raises(ValueError, match="gather: index has 1 dims"):
        x.gather(0, np.array([0]))
    with pytest.raises(IndexError, match="integers"):
        x.index_select(0, np.array([0.5]))
    with pytest.raises(ValueError, match="at least 2 sizes"):
        x.repeat(2)
    with pytest.raises(IndexError, match="unsqueeze"):
        x.unsqueeze(5)
    with pytest.raises(TypeError, match="t.to"):
        x.view(np.float32)


def test_autograd_grad_leaves_grad_untouched_and_can_record():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor(3.0, requires_grad=True)
    y = (w * x ** 3).sum()
    dx, dw = cr.autograd.grad(y, [x, w])
    np.testing.assert_allclose(dx.data, [9.0, 36.0])
    assert dw.item() == 9.0 and x.grad is None and w.grad is None
    (dx2,) = cr.autograd.grad(y, x, create_graph=True)
    (ddx,) = cr.autograd.grad(dx2.sum(), x)
    np.testing.assert_allclose(ddx.data, [18.0, 36.0])
    (g,) = cr.autograd.grad(x * 2, x, grad_outputs=cr.tensor([1.0, 10.0]))
    np.testing.assert_allclose(g.data, [2.0, 20.0])
    z = cr.tensor(1.0, requires_grad=True)
    assert cr.autograd.grad(y, [z], allow_unused=True) == (None,)
    with pytest.raises(RuntimeError, match="allow_unused"):
        cr.autograd.grad(y, [z])
    with pytest.raises(RuntimeError, match="grad_outputs"):
        cr.autograd.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.autograd.grad(y, cr.tensor(1.0))
    with pytest.raises(ValueError, match="grad_outputs"):
        cr.autograd.grad(y, x, grad_outputs=[None, None])
    with pytest.raises(RuntimeError, match="an output"):
        cr.autograd.grad(cr.tensor(1.0), x)


def test_methods_call_the_cr_function_when_main_has_one(monkeypatch):
    from chainrule.ops import functions as F
    calls = []

    def fake(name):
        def fn(*args, **kwargs):
            calls.append((name, args[1:], kwargs))
            return args[0]
        return fn

    for name in ("var", "prod", "clip"):
        monkeypatch.setitem(F.FUNCTIONS, name, fake(name))
    x = cr.tensor([1.0, 2.0])
    x.var(0, unbiased=False)
    x.prod(dim=0, keepdim=True)
    x.clamp(0, 1)
    assert calls == [("var", (), {"axis": 0, "ddof": 0.0, "keepdims": False}),
                     ("prod", (), {"axis": 0, "keepdims": True}), ("clip", (0, 1), {})]


def test_in_place_methods_make_an_earlier_graph_refuse_the_changed_input():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.sum(w * w)
    with cr.no_grad():
        w.zero_().fill_(2.0)
    assert w.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="changed|written|in place"):
        y.backward()


def test_less_common_spellings():
    x = cr.tensor(X, requires_grad=True)
    np.testing.assert_array_equal(x.max(cr.tensor(np.zeros((3, 4)))).data, np.maximum(X, 0))
    np.testing.assert_array_equal(x.min(np.zeros((3, 4))).data, np.minimum(X, 0))
    with pytest.raises(TypeError, match="dim= or axis="):
        x.max(0, axis=0)
    with pytest.raises(TypeError, match="unexpected arguments"):
        x.to(cr.float32, non_blocking=True)
    assert cr.tensor(3.0).flatten().shape == (1,)
    assert x.expand((3, 4)).shape == (3, 4) and x.repeat((1, 2)).shape == (3, 8)
    with pytest.raises(ValueError, match="split_size must be positive"):
        x.split(0)
    with pytest.raises(ValueError, match="give min or max|give a_min, a_max"):
        x.clamp()
    f = cr.tensor([1.0])
    assert f.requires_grad_() is f and f.requires_grad and f.dtype == np.float64
    assert x.numel() == 12 and x.cpu() is x
    np.testing.assert_array_equal(x.neg().data, -X)
    np.testing.assert_array_equal(x.add(1, alpha=2).data, X + 2)
    np.testing.assert_array_equal(x.sub(1).data, X - 1)
    np.testing.assert_array_equal(x.mul(2).data, X * 2)
    np.testing.assert_array_equal(x.div(2).data, X / 2)
    np.testing.assert_array_equal(x.view_as(np.zeros(12)).data, X.ravel())
    np.testing.assert_array_equal(x.reshape_as(np.zeros((4, 3))).data, X.reshape(4, 3))
    assert x[0].expand_as(np.zeros((2, 4))).shape == (2, 4)
    assert (x > 0).bool().dtype == np.bool_ and x.int().dtype == np.int32
    assert x.half().dtype == np.float16 and x.astype(cr.float32).dtype == np.float32
    either = (x > 1) | (x < -1)
    assert either.dtype == bool and either.sum().item() == int(np.sum(np.abs(X) > 1))
    t = cr.tensor([1, 2])
    t.requires_grad = True
    assert t.dtype == np.float64
