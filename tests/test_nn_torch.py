"""The PyTorch-named nn pieces: the same network built in torch and chainrule, weights
loaded name for name, outputs and gradients compared; losses and layers against torch
(when installed) and finite differences."""

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
RNG = np.random.default_rng(5)


def _cr_net():
    return nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 8),
                         nn.LeakyReLU(0.1), nn.Identity(), nn.Linear(8, 4), nn.LogSoftmax(1))


def _torch_net():
    t = torch.nn
    return t.Sequential(t.Linear(6, 8), t.LayerNorm(8), t.GELU(), t.Linear(8, 8),
                        t.LeakyReLU(0.1), t.Identity(), t.Linear(8, 4),
                        t.LogSoftmax(1)).double()


@needs_torch
def test_same_net_in_torch_and_chainrule_gives_same_outputs_and_gradients(tmp_path):
    tnet = _torch_net()
    with torch.no_grad():
        for p in tnet.parameters():
            p.add_(torch.randn(p.shape, dtype=torch.float64) * 0.1)  # LayerNorm off 1/0
    path = tmp_path / "weights.npz"
    np.savez(path, **{k: v.numpy() for k, v in tnet.state_dict().items()})
    net = _cr_net()
    assert sorted(net.state_dict()) == sorted(tnet.state_dict())
    net.load(path)
    x = RNG.standard_normal((5, 6))
    y = np.array([0, 3, 1, 2, 3])
    tloss = torch.nn.NLLLoss()(tnet(torch.tensor(x)), torch.tensor(y))
    loss = nn.NLLLoss()(net(cr.tensor(x)), cr.tensor(y))
    tloss.backward()
    loss.backward()
    assert abs(loss.item() - tloss.item()) < 1e-6
    grads = dict(net.named_parameters())
    for name, p in tnet.named_parameters():
        np.testing.assert_allclose(grads[name].grad, p.grad.numpy(), atol=1e-6, rtol=1e-6)


LOSSES = {
    "ce": (lambda m: m.CrossEntropyLoss(), "labels"),
    "ce_sum": (lambda m: m.CrossEntropyLoss(reduction="sum"), "labels"),
    "ce_none": (lambda m: m.CrossEntropyLoss(reduction="none"), "labels"),
    "ce_smooth": (lambda m: m.CrossEntropyLoss(label_smoothing=0.2), "labels"),
    "ce_weight": (lambda m: m.CrossEntropyLoss(weight=_weights(m)), "labels"),
    "ce_all": (lambda m: m.CrossEntropyLoss(weight=_weights(m), ignore_index=1,
                                            label_smoothing=0.1), "labels"),
    "ce_ignore_none": (lambda m: m.CrossEntropyLoss(ignore_index=2, reduction="none"),
                       "labels"),
    "nll": (lambda m: m.NLLLoss(weight=_weights(m)), "labels"),
    "mse": (lambda m: m.MSELoss(), "targets"),
    "l1": (lambda m: m.L1Loss(reduction="sum"), "targets"),
    "bce": (lambda m: m.BCEWithLogitsLoss(), "probs"),
    "huber": (lambda m: m.HuberLoss(delta=0.7), "targets"),
}
W = np.array([0.5, 2.0, 1.0, 3.0])


def _weights(m):
    return torch.tensor(W) if m is not nn else W


def _inputs(kind):
    x = RNG.standard_normal((6, 4))
    target = {"labels": np.array([0, 1, 2, 3, 1, 2]), "targets": RNG.standard_normal((6, 4)),
              "probs": RNG.random((6, 4))}[kind]
    return x, target


@needs_torch
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_modules_match_torch_values_and_gradients(name):
    make, kind = LOSSES[name]
    x, target = _inputs(kind)
    tx = torch.tensor(x, requires_grad=True)
    cx = cr.tensor(x, requires_grad=True)
    tl = make(torch.nn)(tx, torch.tensor(target))
    cl = make(nn)(cx, cr.tensor(target))
    np.testing.assert_allclose(cl.data, tl.detach().numpy(), rtol=1e-10, atol=1e-12)
    tl.sum().backward()
    cl.sum().backward()
    np.testing.assert_allclose(cx.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradients_match_finite_differences(name):
    make, kind = LOSSES[name]
    x, target = _inputs(kind)
    if kind == "targets":
        x = x + np.sign(x - target) * 0.05     # keep away from |d| kinks
    loss = make(nn)
    cx = cr.tensor(x, requires_grad=True)
    loss(cx, cr.tensor(target)).sum().backward()
    num = numeric_grad(lambda a: float(np.sum(loss(cr.tensor(a), cr.tensor(target)).data)), [x])
    np.testing.assert_allclose(cx.grad, num, rtol=1e-5, atol=1e-7)


def test_cross_entropy_options_by_hand():
    logits = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]))
    labels = np.array([0, 1])
    ce = nn.CrossEntropyLoss(weight=np.array([1.0, 3.0, 1.0]))(cr.tensor(logits), labels)
    assert ce.item() == pytest.approx(-(np.log(0.5) + 3 * np.log(0.8)) / 4)
    ig = nn.CrossEntropyLoss(ignore_index=1)(cr.tensor(logits), labels)
    assert ig.item() == pytest.approx(-np.log(0.5))
    sm = nn.CrossEntropyLoss(label_smoothing=0.3)(cr.tensor(logits[:1]), labels[:1])
    want = 0.7 * -np.log(0.5) + 0.3 * -np.mean(np.log([0.5, 0.25, 0.25]))
    assert sm.item() == pytest.approx(want)
    with pytest.raises(ValueError, match=r"ignore_index=0 are skipped"):
        nn.CrossEntropyLoss(ignore_index=0)(cr.tensor(logits), np.array([0, 5]))
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=2.0)(cr.tensor(logits), labels)
    with pytest.raises(cr.ShapeError, match="weight must have shape"):
        nn.CrossEntropyLoss(weight=np.ones(2))(cr.tensor(logits), labels)
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=0)(cr.tensor([1.0]), cr.tensor([0.0]))


@needs_torch
def test_layers_and_functional_match_torch():
    x = RNG.standard_normal((3, 5))
    tx = torch.tensor(x)
    F, TF = nn.functional, torch.nn.functional
    pairs = [
        (F.gelu(cr.tensor(x)), TF.gelu(tx)),
        (F.gelu(cr.tensor(x), approximate="tanh"), TF.gelu(tx, approximate="tanh")),
        (F.leaky_relu(cr.tensor(x), 0.2), TF.leaky_relu(tx, 0.2)),
        (F.softmax(cr.tensor(x), dim=0), TF.softmax(tx, dim=0)),
        (F.log_softmax(cr.tensor(x), dim=1), TF.log_softmax(tx, dim=1)),
        (F.relu(cr.tensor(x)), TF.relu(tx)),
        (nn.Softmax(1)(cr.tensor(x)), torch.nn.Softmax(1)(tx)),
        (nn.Flatten()(cr.tensor(x.reshape(3, 5, 1))), torch.nn.Flatten()(tx.reshape(3, 5, 1))),
    ]
    for got, want in pairs:
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-12, atol=1e-12)


def test_gelu_and_erf_are_differentiable_twice():
    x = np.array([-1.3, 0.2, 2.0])
    g = cr.grad(lambda t: nn.functional.gelu(t).sum())(x)
    num = numeric_grad(lambda a: float(np.sum(nn.functional.gelu(cr.tensor(a)).data)), [x])
    np.testing.assert_allclose(np.asarray(g), num, rtol=1e-7)
    h = np.asarray(cr.hessian(lambda t: nn.functional.erf(t).sum())(x))
    np.testing.assert_allclose(np.diag(h), -4 * x / np.sqrt(np.pi) * np.exp(-x * x),
                               rtol=1e-9)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")(cr.tensor(x))


def test_containers_parameter_and_names():
    class Net(nn.Module):
        def __init__(self):
            self.scale = nn.Parameter(np.ones(2))
            self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1)})

        def forward(self, x):
            for b in self.blocks:
                x = b(x) * self.scale
            return self.heads["a"](x)

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
        "heads.a.weight", "heads.a.bias"]
    assert isinstance(net.scale, cr.Tensor) and net.scale.requires_grad
    assert "Parameter containing" in repr(net.scale)
    out = net(cr.tensor([[1.0, 2.0]]))
    assert out.shape == (1, 1) and type(out) is cr.Tensor
    assert len(net.blocks) == 2 and len(net.blocks[:1]) == 1 and "a" in net.heads
    assert list(net.heads.keys()) == ["a"] and len(net.heads) == 1
    assert [type(m).__name__ for m in net.children()] == ["ModuleList", "ModuleDict"]
    assert [n for n, _ in net.named_modules()][:3] == ["", "blocks", "blocks.0"]
    with pytest.raises(TypeError, match="not a Module"):
        nn.ModuleList([3])
    with pytest.raises(TypeError, match="not a Module"):
        nn.ModuleDict({"a": 3})
    assert list(nn.ModuleDict({"a": nn.ReLU()})) == ["a"]
    assert len(list(nn.ModuleDict({"a": nn.ReLU()}).values())) == 1
    assert len(list(nn.ModuleDict({"a": nn.ReLU()}).items())) == 1


def test_net_to_dtype_converts_parameters_in_place():
    net = nn.Sequential(nn.Linear(3, 2), nn.LayerNorm(2))
    params = net.parameters()
    net.to(cr.float32)
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert [id(p) for p in params] == [id(p) for p in net.parameters()]
    out = net(cr.tensor(np.ones((1, 3)), dtype=np.float32))
    assert out.dtype == np.float32
    assert net.double().parameters()[0].dtype == np.float64 and net.to("cpu") is net


def test_buffers_are_saved_but_not_trained():
    class Counter(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2)
            self.register_buffer("seen", np.zeros(2))

    c = Counter()
    c.seen = c.seen.data + 1
    assert sorted(c.state_dict()) == ["lin.bias", "lin.weight", "seen"]
    np.testing.assert_array_equal(c.state_dict()["seen"], [1, 1])
    assert len(c.parameters()) == 2 and [n for n, _ in c.named_buffers()] == ["seen"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = c.nothing


def test_embedding_and_layer_norm():
    cr.manual_seed(0)
    emb = nn.Embedding(5, 3)
    idx = np.array([[0, 4], [4, 1]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [1, 1, 0, 0, 2])
    with pytest.raises(IndexError, match=r"\[0, 5\)"):
        emb(np.array([5]))
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([0.5]))
    ln = nn.LayerNorm(4, elementwise_affine=False)
    x = RNG.standard_normal((3, 4))
    y = ln(cr.tensor(x)).data
    np.testing.assert_allclose(y, (x - x.mean(1, keepdims=True))
                               / np.sqrt(x.var(1, keepdims=True) + 1e-5), rtol=1e-12)
    with pytest.raises(cr.ShapeError, match="normalized_shape"):
        ln(cr.tensor(np.ones((2, 3))))


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_old_norm():
    a = cr.tensor([3.0], requires_grad=True)
    b = cr.tensor([4.0], requires_grad=True)
    (a * a / 2 + b * b / 2).sum().backward()         # grads 3 and 4: norm 5
    norm = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose([a.grad[0], b.grad[0]], [0.6, 0.8], rtol=1e-6)
    assert nn.utils.clip_grad_norm_([a, b], 10.0) == pytest.approx(1.0, rel=1e-5)
    assert nn.utils.clip_grad_norm_(a, 1.0, norm_type=np.inf) == pytest.approx(0.6)
    assert nn.utils.clip_grad_norm_([cr.tensor([1.0], requires_grad=True)], 1.0) == 0.0
    nn.utils.clip_grad_value_([a, b], 0.7)
    np.testing.assert_allclose([a.grad[0], b.grad[0]], [0.6, 0.7], rtol=1e-6)


@needs_torch
def test_torch_named_init_matches_torch_statistics():
    w = cr.zeros(200, 300)
    cr.manual_seed(0)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.data).max() <= np.sqrt(6 / 300)
    assert w.data.std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    nn.init.xavier_normal_(w)
    assert w.data.std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)
    nn.init.kaiming_normal_(w, mode="fan_out")
    assert w.data.std() == pytest.approx(np.sqrt(2 / 1.0001 / 200), rel=0.02)
    nn.init.xavier_uniform_(w, gain=2.0)
    assert np.abs(w.data).max() <= 2 * np.sqrt(6 / 500)
    nn.init.normal_(w, 1.0, 0.5)
    assert w.data.mean() == pytest.approx(1.0, abs=0.01)
    nn.init.uniform_(w, -1, 1)
    assert -1 <= w.data.min() and w.data.max() < 1
    nn.init.ones_(w)
    assert w.data.sum() == 60000
    nn.init.zeros_(w)
    assert w.data.sum() == 0
    for name, param in (("relu", None), ("tanh", None), ("leaky_relu", 0.2)):
        assert nn.init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    assert nn.init.fans((8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="mode"):
        nn.init.kaiming_normal_(w, mode="both")
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.init.zeros_(np.zeros(3))


def test_manual_seed_governs_init_and_dropout():
    def draw():
        cr.manual_seed(11)
        net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
        return net[0].weight.data.copy(), net(cr.ones(2, 4)).data

    (w1, d1), (w2, d2) = draw(), draw()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(d1, d2)
    assert set(np.unique(d1)) <= {0.0} | set(np.unique(d1[d1 != 0]))


def test_dropout2d_drops_whole_channels():
    cr.manual_seed(2)
    out = nn.Dropout2d(0.5)(cr.ones(4, 6, 3, 3)).data
    per_channel = out.reshape(4, 6, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0 < (per_channel == 0).all(-1).sum() < 24
    with pytest.raises(ValueError, match="N, C, H, W"):
        nn.Dropout2d()(cr.ones(3, 3))
    assert nn.functional.dropout(cr.ones(3), 0.5, training=False).data.sum() == 3
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        nn.functional.dropout(cr.ones(3), 1.0)
