"""Convolution, pooling and batch norm: against torch (when installed), finite
differences, and second derivatives through unfold/fold."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad

import chainrule as cr
from chainrule import nn

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(9)

CONVS = {
    "plain": (nn.Conv2d, (4, 6, 3), {}),
    "stride_pad": (nn.Conv2d, (4, 6, 3), {"stride": 2, "padding": 1}),
    "same_dilated": (nn.Conv2d, (4, 6, 3), {"padding": "same", "dilation": 2}),
    "groups": (nn.Conv2d, (4, 6, (3, 2)), {"groups": 2, "stride": (2, 1), "padding": (1, 0)}),
    "depthwise_nobias": (nn.Conv2d, (4, 4, 3), {"groups": 4, "bias": False}),
    "valid": (nn.Conv2d, (4, 2, 1), {"padding": "valid"}),
    "conv1d": (nn.Conv1d, (4, 3, 3), {"stride": 2, "padding": 1}),
    "conv1d_same": (nn.Conv1d, (4, 4, 5), {"padding": "same", "groups": 2}),
}


def _input(cls):
    return RNG.standard_normal((2, 4, 7, 6) if cls is nn.Conv2d else (2, 4, 9))


@needs_torch
@pytest.mark.parametrize("name", sorted(CONVS))
def test_conv_matches_torch_outputs_and_gradients(name):
    cls, args, kw = CONVS[name]
    layer = cls(*args, **kw)
    tlayer = getattr(torch.nn, cls.__name__)(*args, **kw).double()
    tlayer.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x = _input(cls)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = layer(cx), tlayer(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    w = RNG.standard_normal(tout.shape)
    (out * w).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), atol=1e-12)
    for n, p in tlayer.named_parameters():
        np.testing.assert_allclose(dict(layer.named_parameters())[n].grad, p.grad.numpy(),
                                   atol=1e-12)


def test_conv_gradients_match_finite_differences_and_second_order():
    x = RNG.standard_normal((1, 2, 5, 4))
    w = RNG.standard_normal((3, 2, 2, 3))
    f = nn.functional.conv2d
    wt = cr.tensor(w, requires_grad=True)
    (f(cr.tensor(x), wt, stride=(2, 1), padding=1) ** 2).sum().backward()
    num = numeric_grad(lambda a: float(np.sum(f(x, a, stride=(2, 1), padding=1) ** 2)), [w])
    np.testing.assert_allclose(wt.grad, num, rtol=1e-6, atol=1e-8)
    xs = RNG.standard_normal((1, 1, 3, 3))
    ws = RNG.standard_normal((1, 1, 2, 2))
    h = np.asarray(cr.hessian(lambda a: (f(cr.tensor(xs), a) ** 2).sum())(ws)).reshape(4, 4)
    cols = np.stack([xs[0, 0, i:i + 2, j:j + 2].ravel() for i in range(2) for j in range(2)])
    np.testing.assert_allclose(h, 2 * cols.T @ cols, rtol=1e-10)     # closed form: 2 X^T X
    hx = np.asarray(cr.hessian(lambda a: (f(a, cr.tensor(ws), padding=1) ** 2).sum())(xs))
    assert hx.shape == (1, 1, 3, 3, 1, 1, 3, 3) and np.allclose(hx.reshape(9, 9),
                                                                  hx.reshape(9, 9).T)


POOLS = {
    "max": (lambda m: m.MaxPool2d(2), (2, 3, 6, 6)),
    "max_stride_pad": (lambda m: m.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 6)),
    "avg": (lambda m: m.AvgPool2d(2), (2, 3, 6, 6)),
    "avg_pad": (lambda m: m.AvgPool2d(3, stride=1, padding=1), (2, 3, 5, 5)),
    "adaptive_even": (lambda m: m.AdaptiveAvgPool2d(3), (2, 3, 6, 6)),
    "adaptive_uneven": (lambda m: m.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    "adaptive_1": (lambda m: m.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(POOLS))
def test_pooling_matches_torch(name):
    make, shape = POOLS[name]
    x = RNG.standard_normal(shape)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = make(nn)(cx), make(torch.nn)(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    w = RNG.standard_normal(tout.shape)
    (out * w).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), atol=1e-12)


@needs_torch
@pytest.mark.parametrize("cls, shape", [("BatchNorm2d", (4, 3, 5, 5)), ("BatchNorm1d", (6, 3)),
                                        ("BatchNorm1d", (4, 3, 7))])
def test_batch_norm_train_and_eval_match_torch(cls, shape):
    bn, tbn = getattr(nn, cls)(3), getattr(torch.nn, cls)(3).double()
    assert sorted(bn.state_dict()) == sorted(tbn.state_dict())
    for _ in range(3):
        x = RNG.standard_normal(shape) * 2 + 1
        cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, tout = bn(cx), tbn(tx)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-10)
        w = RNG.standard_normal(shape)
        (out * w).sum().backward()
        (tout * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(cx.grad, tx.grad.numpy(), atol=1e-10)
    for k, v in tbn.state_dict().items():
        np.testing.assert_allclose(bn.state_dict()[k], v.numpy(), atol=1e-12)
    bn.eval()
    tbn.eval()
    x = RNG.standard_normal(shape)
    np.testing.assert_allclose(bn(cr.tensor(x)).data, tbn(torch.tensor(x)).detach().numpy(),
                               atol=1e-12)


def test_batch_norm_by_hand_and_options():
    bn = nn.BatchNorm1d(2, momentum=None, affine=False)
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    y = bn(cr.tensor(x)).data
    np.testing.assert_allclose(y, [[-1, -1], [1, 1]], atol=1e-4)
    np.testing.assert_allclose(bn.running_mean.data, [2.0, 20.0])     # cumulative average
    np.testing.assert_allclose(bn.running_var.data, [2.0, 200.0])     # unbiased
    assert int(bn.num_batches_tracked.item()) == 1 and bn.parameters() == []
    free = nn.BatchNorm2d(2, track_running_stats=False).eval()
    assert free.state_dict() == {"weight": pytest.approx([1, 1]), "bias": pytest.approx([0, 0])}
    z = free(cr.tensor(RNG.standard_normal((3, 2, 2, 2)))).data
    assert abs(z.mean()) < 1e-12
    with pytest.raises(cr.ShapeError, match="2 channels"):
        nn.BatchNorm2d(2)(cr.tensor(np.ones((1, 3, 2, 2))))


def test_conv_errors_name_the_shapes():
    with pytest.raises(cr.ShapeError, match="expects 4"):
        nn.Conv2d(4, 2, 3)(cr.tensor(np.ones((1, 3, 5, 5))))
    with pytest.raises(cr.ShapeError, match=r"\(N, C, H, W\)"):
        nn.Conv2d(3, 2, 3)(cr.tensor(np.ones((3, 5, 5))))
    with pytest.raises(cr.ShapeError, match="does not fit"):
        nn.Conv2d(1, 1, 5)(cr.tensor(np.ones((1, 1, 3, 3))))
    with pytest.raises(cr.ShapeError, match=r"\(N, C, L\)"):
        nn.Conv1d(1, 1, 3)(cr.tensor(np.ones((1, 1, 3, 3))))
    with pytest.raises(ValueError, match="divide by groups"):
        nn.Conv2d(3, 2, 3, groups=2)
    with pytest.raises(ValueError, match="stride 1"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")(cr.tensor(np.ones((1, 1, 5, 5))))
    with pytest.raises(ValueError, match="uneven padding"):
        nn.Conv2d(1, 1, 2, padding="same")(cr.tensor(np.ones((1, 1, 5, 5))))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        nn.Conv2d(1, 1, 3, stride=0)(cr.tensor(np.ones((1, 1, 5, 5))))
    with pytest.raises(ValueError, match="kernel_size"):
        nn.MaxPool2d((1, 2, 3))(cr.tensor(np.ones((1, 1, 5, 5))))
    assert "kernel_size=(3, 3)" in repr(nn.Conv2d(1, 1, 3))


# -- torch as the oracle over the geometry: stride, padding, dilation, groups, odd sizes --

CONV_GEOMETRIES = [     # x shape, weight shape, stride, padding, dilation, groups
    ((2, 3, 7, 9), (4, 3, 3, 2), 1, 0, 1, 1),
    ((1, 2, 8, 5), (3, 2, 1, 1), 1, 0, 1, 1),
    ((2, 3, 9, 8), (2, 3, 3, 3), (3, 2), (2, 1), 1, 1),
    ((2, 2, 11, 10), (4, 2, 3, 2), 1, (1, 3), (2, 3), 1),
    ((1, 6, 7, 7), (9, 2, 2, 3), (2, 1), 1, (1, 2), 3),
    ((3, 4, 5, 6), (4, 1, 3, 3), 2, 1, 1, 4),
    ((1, 1, 4, 4), (1, 1, 4, 4), 1, 0, 1, 1),
    ((2, 2, 6, 6), (2, 2, 3, 3), 1, "same", 2, 1),
]


def _torch_case(args):
    return [torch.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a
            for a in args]


@needs_torch
@pytest.mark.parametrize("case", range(len(CONV_GEOMETRIES)))
def test_conv2d_matches_torch_over_geometries(case):
    xs, ws, stride, padding, dilation, groups = CONV_GEOMETRIES[case]
    x, w, b = RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[0])
    cx, cw, cb = (cr.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = _torch_case([x, w, b])
    out = nn.functional.conv2d(cx, cw, cb, stride, padding, dilation, groups)
    tout = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    g = RNG.standard_normal(tout.shape)
    (out * g).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for ours, theirs in ((cx, tx), (cw, tw), (cb, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-12)


POOL_GEOMETRIES = [     # x shape, kernel, stride, padding, dilation (max only)
    ((2, 3, 7, 9), 2, None, 0, 1),
    ((2, 3, 6, 8), (2, 4), None, 0, 1),
    ((1, 2, 9, 7), 3, 2, 1, 1),
    ((2, 2, 8, 9), (3, 2), (1, 2), (1, 1), 1),
    ((3, 10, 11), 3, 1, 1, 1),
    ((1, 2, 10, 9), 3, 2, 1, (2, 3)),
    ((1, 1, 5, 5), 5, 1, 2, 1),
]


@needs_torch
@pytest.mark.parametrize("kind, case", [(k, c) for k in ("max", "avg")
                                        for c in range(len(POOL_GEOMETRIES))
                                        if k == "max" or POOL_GEOMETRIES[c][4] == 1])
def test_pools_match_torch_over_geometries(kind, case):
    xs, k, stride, padding, dilation = POOL_GEOMETRIES[case]
    x = RNG.standard_normal(xs)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if kind == "max":
        out = nn.functional.max_pool2d(cx, k, stride, padding, dilation)
        tout = torch.nn.functional.max_pool2d(tx, k, stride, padding, dilation)
        layer = nn.MaxPool2d(k, stride, padding, dilation)
    else:                               # no dilation for average pooling (as PyTorch)
        out = nn.functional.avg_pool2d(cx, k, stride, padding)
        tout = torch.nn.functional.avg_pool2d(tx, k, stride, padding)
        layer = nn.AvgPool2d(k, stride, padding)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(layer(cr.tensor(x)).data, out.data, atol=0)
    g = RNG.standard_normal(tout.shape)
    (out * g).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", ["conv_x", "conv_w", "max", "avg"])
def test_second_order_matches_torch(name):
    """Hessians of a cubic loss through conv (stride, padding, dilation), max- and
    average-pooling, against torch's double backward."""
    w0 = RNG.standard_normal((2, 2, 2, 3))
    x0 = RNG.standard_normal((1, 2, 5, 6))

    def make(lib, conv, pool_max, pool_avg):
        return {
            "conv_x": (lambda x: (conv(x, lib(w0), None, (2, 1), 1, (1, 2)) ** 3).sum(), x0),
            "conv_w": (lambda w: (conv(lib(x0), w, None, 1, (1, 0), 1) ** 3).sum(), w0),
            "max": (lambda x: (pool_max(x * x, 3, 2, 1) ** 3).sum(), x0),
            "avg": (lambda x: (pool_avg(x * x, 2, 1, 1) ** 3).sum(), x0),
        }[name]

    tf = torch.nn.functional
    f, at = make(cr.tensor, nn.functional.conv2d, nn.functional.max_pool2d,
                 nn.functional.avg_pool2d)
    tfun, _ = make(torch.tensor, tf.conv2d, tf.max_pool2d, tf.avg_pool2d)
    h = np.asarray(cr.hessian(f)(at))
    th = torch.autograd.functional.hessian(tfun, torch.tensor(at)).numpy()
    assert np.abs(th).max() > 0.1
    np.testing.assert_allclose(h, th, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["conv", "max", "avg"])
def test_forward_mode_is_the_transpose_of_reverse_mode(name):
    """<J t, g> = <t, J^T g> through conv, max- and average-pooling (forward mode's rules
    are written separately from the reverse ones)."""
    w = RNG.standard_normal((3, 2, 3, 2))
    f = {"conv": lambda x: nn.functional.conv2d(x, cr.tensor(w), None, (1, 2), 1, (2, 1)),
         "max": lambda x: nn.functional.max_pool2d(x, 3, 2, 1, 2),
         "avg": lambda x: nn.functional.avg_pool2d(x, 3, 2, 1)}[name]
    x, t = RNG.standard_normal((2, 2, 8, 7)), RNG.standard_normal((2, 2, 8, 7))
    out, jt = cr.jvp(f, [x], [t])
    g = RNG.standard_normal(np.shape(out))
    _, pull = cr.vjp(f, x)
    (jtg,) = pull(g)
    assert np.isclose(np.sum(np.asarray(jt) * g), np.sum(t * np.asarray(jtg)), rtol=1e-10)


def test_max_pool_ties_split_the_gradient_equally():
    x = cr.tensor(np.array([[[[1.0, 3.0, 0.0, 0.0], [3.0, 2.0, 0.0, 0.0]]]]),
                  requires_grad=True)
    out = nn.functional.max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[3.0, 0.0]]]])
    (out * cr.tensor(np.array([[[[2.0, 8.0]]]]))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0, 1, 2, 2], [1, 0, 2, 2]]]])


def test_pool_errors_name_the_shapes():
    with pytest.raises(cr.ShapeError, match="does not fit"):
        nn.functional.max_pool2d(cr.tensor(np.ones((1, 1, 3, 3))), 2, dilation=3)
    with pytest.raises(cr.ShapeError, match="does not fit"):
        nn.functional.avg_pool2d(cr.tensor(np.ones((1, 1, 3, 3))), 4)


@pytest.mark.parametrize("args", [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 0))])
def test_avg_pool_of_complex_input_agrees_with_means_of_windows(args):
    """Average pooling is linear with real weights, so it takes complex input; value and
    pullback agree with the mean of each window (cr.mean's rule) built by slicing."""
    x = RNG.standard_normal((2, 1, 5, 6)) + 1j * RNG.standard_normal((2, 1, 5, 6))
    geo = nn.conv._pool_geo(*args)
    kh, kw, sh, sw, ph, pw = geo[:6]
    oh, ow = nn.conv._pool_out(x.shape, geo)

    def by_slices(v):
        v = cr.pad(v, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
        rows = [cr.stack([cr.mean(v[..., r * sh:r * sh + kh, c * sw:c * sw + kw], (-2, -1))
                          for c in range(ow)], -1) for r in range(oh)]
        return cr.stack(rows, -2)

    def pooled(v):
        return nn.functional.avg_pool2d(v, *args)

    out, pull = cr.vjp(pooled, x)
    ref, ref_pull = cr.vjp(by_slices, x)
    np.testing.assert_allclose(out, ref, atol=1e-12)
    g = RNG.standard_normal(np.shape(ref)) + 1j * RNG.standard_normal(np.shape(ref))
    np.testing.assert_allclose(pull(g)[0], ref_pull(g)[0], atol=1e-12)
    assert np.iscomplexobj(pull(g)[0])
