"""chainrule.nn: layers, losses, initializations, parameter discovery, saving, float32.

Gradients are checked with ``cr.gradcheck`` (central differences in float64) and, for the
losses, against the gradient of an independent numpy formula by finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad

import chainrule as cr
from chainrule import nn, optim
from chainrule.core import walk

RNG = np.random.default_rng(1234)


def _randn(*shape):
    return RNG.standard_normal(shape)


def _away_from_zero(*shape, margin=0.2):
    x = _randn(*shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin, x)


# -- layer gradients -------------------------------------------------------------------
def test_linear_gradient_matches_finite_differences():
    layer = nn.Linear(4, 3, rng=0)

    def f(x, w, b):
        layer.weight, layer.bias = w, b
        return layer(x)

    assert cr.gradcheck(f, _randn(5, 4), _randn(3, 4), _randn(3))


def test_linear_without_bias_gradient():
    layer = nn.Linear(4, 3, bias=False, rng=0)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]

    def f(x, w):
        layer.weight = w
        return layer(x)

    assert cr.gradcheck(f, _randn(2, 4), _randn(3, 4))


def test_linear_computes_x_at_weight_transposed_plus_bias():
    layer = nn.Linear(3, 2, rng=0)
    assert layer.weight.shape == (2, 3)                # PyTorch's (out, in)
    x = _randn(4, 3)
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(cr.tensor(x)).data, expected, rtol=1e-14)


def test_linear_is_one_gate_with_its_own_rule():
    y = nn.Linear(3, 2, rng=0)(cr.tensor(_randn(4, 3)))
    assert y.prim.name == "linear"
    assert y.prim.rule(1) == "d/dW x @ W.T + b = x (g^T on the left)"


def test_functional_linear_on_a_single_example_and_without_bias():
    x, w, b = _randn(4), _randn(3, 4), _randn(3)
    np.testing.assert_allclose(nn.functional.linear(x, w, b), x @ w.T + b, rtol=1e-14)
    assert cr.gradcheck(nn.functional.linear, x, w, b)
    assert nn.functional.linear(cr.tensor(x, requires_grad=True), w).prim.name == "matmul"


def test_functional_linear_second_derivatives_match_matmul_plus_add():
    x, w, b = _randn(2, 3), _randn(2, 3), _randn(2)

    def fused(w):
        return cr.sum(cr.tanh(nn.functional.linear(x, w, b)) ** 2)

    def composed(w):
        return cr.sum(cr.tanh(cr.matmul(x, cr.transpose(w)) + b) ** 2)

    np.testing.assert_allclose(cr.hessian(fused)(w), cr.hessian(composed)(w), rtol=1e-12,
                               atol=1e-14)


def test_functional_linear_names_bad_shapes():
    with pytest.raises(cr.ShapeError, match=r"input \(2, 4\) has 4 features but weight "
                                            r"\(3, 5\) takes 5"):
        nn.functional.linear(np.zeros((2, 4)), np.zeros((3, 5)), np.zeros(5))
    with pytest.raises(cr.ShapeError, match=r"linear \(bias\): incompatible shapes"):
        nn.functional.linear(np.zeros((2, 3)), np.zeros((5, 3)), np.zeros(4))
    with pytest.raises(cr.ShapeError, match=r"\(out_features, in_features\)"):
        nn.functional.linear(np.zeros((2, 3)), np.zeros(3))


@pytest.mark.parametrize("module", [nn.ReLU(), nn.Tanh(), nn.Sigmoid()],
                         ids=["relu", "tanh", "sigmoid"])
def test_activation_gradient_matches_finite_differences(module):
    assert cr.gradcheck(module, _away_from_zero(3, 4))


@pytest.mark.parametrize("module, ref", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
], ids=["relu", "tanh", "sigmoid"])
def test_activation_values(module, ref):
    x = _randn(3, 4)
    np.testing.assert_allclose(module(cr.tensor(x)).data, ref(x), rtol=1e-12)


def test_dropout_gradient_with_a_fixed_mask():
    # the same seed draws the same mask at every call gradcheck makes
    assert cr.gradcheck(lambda x: nn.Dropout(0.4, rng=7)(x), _randn(6, 5))


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    drop = nn.Dropout(0.25, rng=0)
    out = drop(cr.tensor(np.ones((200, 200)))).data
    kept = out != 0
    assert abs(1 - kept.mean() - 0.25) < 0.01
    np.testing.assert_array_equal(out[kept], np.full(kept.sum(), 1 / 0.75))


def test_dropout_is_the_identity_in_eval_mode():
    drop = nn.Dropout(0.5, rng=0)
    x = cr.tensor(_randn(4, 4))
    assert drop.eval()(x) is x
    assert drop.train()(x) is not x


def test_dropout_rejects_p_outside_0_1():
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        nn.Dropout(1.0)


def test_mlp_gradient_with_respect_to_input_and_first_weight():
    mlp = nn.MLP([3, 5, 4, 2], activation="tanh", rng=3)
    assert cr.gradcheck(mlp, _randn(4, 3))
    first = mlp[0]

    def f(w):
        first.weight = w
        return mlp(cr.tensor(np.linspace(-1, 1, 6).reshape(2, 3)))

    assert cr.gradcheck(f, _randn(5, 3))


def test_sequential_applies_modules_in_order():
    lin1, lin2 = nn.Linear(3, 4, rng=1), nn.Linear(4, 2, rng=2)
    x = _randn(5, 3)
    manual = (np.tanh(x @ lin1.weight.data.T + lin1.bias.data) @ lin2.weight.data.T
              + lin2.bias.data)
    out = nn.Sequential(lin1, nn.Tanh(), lin2)(cr.tensor(x))
    np.testing.assert_allclose(out.data, manual, rtol=1e-13)


def test_sequential_rejects_a_non_module():
    with pytest.raises(TypeError, match="item 1 is a ufunc, not a Module"):
        nn.Sequential(nn.ReLU(), np.tanh)


# -- losses ----------------------------------------------------------------------------
def _np_cross_entropy(x, labels):
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(labels)), labels])


LABELS = np.array([2, 0, 1, 2, 1])


def test_cross_entropy_value_matches_the_formula():
    x = _randn(5, 3)
    ref = _np_cross_entropy(x, LABELS)
    np.testing.assert_allclose(nn.cross_entropy(cr.tensor(x), LABELS).item(), ref.mean(),
                               rtol=1e-13)
    np.testing.assert_allclose(nn.cross_entropy(x, LABELS, reduction="sum"), ref.sum(),
                               rtol=1e-13)
    np.testing.assert_allclose(nn.cross_entropy(x, LABELS, reduction="none"), ref,
                               rtol=1e-13)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradient_matches_finite_differences(reduction):
    x = _randn(5, 3)
    assert cr.gradcheck(lambda z: nn.cross_entropy(z, LABELS, reduction=reduction), x)
    numeric = numeric_grad(lambda z: _np_cross_entropy(z, LABELS).mean(), [x])
    t = cr.tensor(x, requires_grad=True)
    nn.cross_entropy(t, LABELS).backward()
    np.testing.assert_allclose(t.grad, numeric, atol=1e-8)


def test_cross_entropy_hessian_is_diag_p_minus_p_pT_over_n():
    x = _randn(2, 3)
    labels = np.array([1, 2])
    h = cr.hessian(lambda z: nn.cross_entropy(z, labels))(x)
    for n in range(2):
        p = np.exp(x[n]) / np.exp(x[n]).sum()
        np.testing.assert_allclose(h[n, :, n, :], (np.diag(p) - np.outer(p, p)) / 2,
                                   atol=1e-12)
    np.testing.assert_allclose(h[0, :, 1, :], 0, atol=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    x = cr.tensor([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], requires_grad=True)
    loss = nn.cross_entropy(x, np.array([0, 0]))
    np.testing.assert_allclose(loss.item(), (0.0 + 2000.0) / 2)
    loss.backward()
    np.testing.assert_allclose(x.grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-15)


def test_cross_entropy_rejects_bad_labels():
    x = _randn(3, 4)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\), got values from 0 to 4"):
        nn.cross_entropy(x, [0, 4, 1])
    with pytest.raises(ValueError, match="integer class indices"):
        nn.cross_entropy(x, [0.0, 1.0, 1.0])
    with pytest.raises(cr.ShapeError, match=r"labels must have shape \(3,\)"):
        nn.cross_entropy(x, [0, 1])
    with pytest.raises(cr.ShapeError, match=r"logits must have shape \(N, C\)"):
        nn.cross_entropy(x[0], [1])
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.cross_entropy(x, [0, 1, 2], reduction="avg")


def _np_bce(x, y):
    s = 1 / (1 + np.exp(-x))
    return -(y * np.log(s) + (1 - y) * np.log(1 - s))


def test_binary_cross_entropy_value_and_gradient():
    x, y = _randn(4, 3), RNG.random((4, 3))
    np.testing.assert_allclose(nn.binary_cross_entropy_with_logits(x, y),
                               _np_bce(x, y).mean(), rtol=1e-13)
    for reduction in ("mean", "sum", "none"):
        assert cr.gradcheck(
            lambda z, r=reduction: nn.binary_cross_entropy_with_logits(z, y, reduction=r), x)
    numeric = numeric_grad(lambda z: _np_bce(z, y).sum(), [x])
    t = cr.tensor(x, requires_grad=True)
    nn.binary_cross_entropy_with_logits(t, y, reduction="sum").backward()
    np.testing.assert_allclose(t.grad, numeric, atol=1e-8)


def test_binary_cross_entropy_gradient_at_zero_is_half_minus_target():
    # a composed max(x,0) - x*y + log(1+exp(-|x|)) gets -y here (both kinks give 0)
    x = cr.tensor([0.0, 0.0], requires_grad=True)
    nn.binary_cross_entropy_with_logits(x, [1.0, 0.25], reduction="sum").backward()
    np.testing.assert_allclose(x.grad, [-0.5, 0.25])


def test_binary_cross_entropy_is_stable_for_huge_logits():
    x = cr.tensor([1000.0, -1000.0, 1000.0], requires_grad=True)
    loss = nn.binary_cross_entropy_with_logits(x, [1.0, 0.0, 0.0], reduction="sum")
    np.testing.assert_allclose(loss.item(), 1000.0)
    loss.backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0])


def test_binary_cross_entropy_checks_targets():
    with pytest.raises(cr.ShapeError, match=r"targets have shape \(2,\) but logits"):
        nn.binary_cross_entropy_with_logits(np.zeros(3), [0.0, 1.0])
    with pytest.raises(TypeError, match="targets carry no gradient"):
        nn.binary_cross_entropy_with_logits(np.zeros(2), cr.tensor([0.0, 1.0],
                                                                   requires_grad=True))


def test_mse_value_and_gradient():
    p, t = _randn(4, 2), _randn(4, 2)
    np.testing.assert_allclose(nn.mse_loss(p, t), np.mean((p - t) ** 2), rtol=1e-13)
    assert cr.gradcheck(nn.mse_loss, p, t)
    assert cr.gradcheck(lambda a, b: nn.mse_loss(a, b, reduction="sum"), p, t)
    pt = cr.tensor(p, requires_grad=True)
    nn.mse_loss(pt, t).backward()
    np.testing.assert_allclose(pt.grad, 2 * (p - t) / p.size, rtol=1e-13)


# -- initialization --------------------------------------------------------------------
def test_kaiming_uniform_has_std_sqrt_2_over_fan_in_and_the_right_bound():
    w = nn.init.kaiming((300, 400), rng=0)
    bound = np.sqrt(6 / 400)          # U(-b, b) with std sqrt(2/fan_in)
    assert np.abs(w).max() <= bound
    assert abs(w.std() / np.sqrt(2 / 400) - 1) < 0.01


def test_xavier_normal_has_std_sqrt_2_over_fan_in_plus_fan_out():
    w = nn.init.xavier((300, 400), dist="normal", rng=0)
    assert abs(w.std() / np.sqrt(2 / 700) - 1) < 0.01
    assert abs(w.mean()) < 0.002


def test_init_is_reproducible_from_a_seed_and_keeps_dtype():
    a = nn.MLP([5, 7, 2], rng=42, dtype=np.float32)
    b = nn.MLP([5, 7, 2], rng=42, dtype=np.float32)
    c = nn.MLP([5, 7, 2], rng=43, dtype=np.float32)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
        assert pa.dtype == np.float32
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)


def test_init_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        nn.init.kaiming((3, 3), nonlinearity="gelu")
    with pytest.raises(ValueError, match="unknown init 'he'"):
        nn.Linear(3, 3, init="he")


# -- parameter discovery, modes ----------------------------------------------------------
class TwoHeads(nn.Module):
    def __init__(self):
        self.scale = cr.tensor(2.0, requires_grad=True)
        self.constant = cr.tensor([1.0, 2.0])            # no grad: not a parameter
        self.trunk = nn.Linear(3, 4, rng=0)
        self.heads = {"a": nn.Linear(4, 1, rng=1), "b": nn.Linear(4, 2, rng=2)}
        self.extra = [nn.Dropout(0.5, rng=0)]

    def forward(self, x):
        h = self.extra[0](cr.relu(self.trunk(x)))
        return self.scale * self.heads["a"](h), self.heads["b"](h)


def test_parameters_are_found_by_walking_attributes():
    names = [n for n, _ in TwoHeads().named_parameters()]
    assert names == ["scale", "trunk.weight", "trunk.bias", "heads.a.weight", "heads.a.bias",
                     "heads.b.weight", "heads.b.bias"]


def test_mlp_parameter_names_and_shapes():
    shapes = {n: p.shape for n, p in nn.MLP([4, 8, 3], rng=0).named_parameters()}
    assert shapes == {"0.weight": (8, 4), "0.bias": (8,),
                      "2.weight": (3, 8), "2.bias": (3,)}


def test_a_shared_parameter_is_listed_once():
    lin = nn.Linear(2, 2, rng=0)
    assert len(nn.Sequential(lin, nn.ReLU(), lin).parameters()) == 2


def test_zero_grad_clears_every_parameter_gradient():
    model = TwoHeads()
    a, b = model(cr.tensor(_randn(2, 3)))
    (cr.sum(a) + cr.sum(b)).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_reach_every_child():
    model = TwoHeads()
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert len(list(model.modules())) == 5


# -- saving ----------------------------------------------------------------------------
def test_state_dict_round_trip_through_npz(tmp_path):
    src = nn.MLP([4, 6, 3], rng=0, dtype=np.float32)
    path = tmp_path / "weights.npz"
    src.save(path)
    dst = nn.MLP([4, 6, 3], rng=1, dtype=np.float32)
    x = cr.tensor(_randn(3, 4).astype(np.float32))
    assert not np.allclose(src(x).data, dst(x).data)
    dst.load(path)
    np.testing.assert_array_equal(src(x).data, dst(x).data)
    assert all(p.dtype == np.float32 for p in dst.parameters())
    assert sorted(nn.load_npz(path)) == sorted(n for n, _ in src.named_parameters())


def test_state_dict_is_a_copy():
    model = nn.Linear(2, 2, rng=0)
    state = model.state_dict()
    state["weight"][...] = 0
    assert np.any(model.weight.data != 0)


def test_load_state_dict_names_missing_and_mismatched_entries():
    model = nn.MLP([4, 6, 3], rng=0)
    state = model.state_dict()
    del state["2.bias"]
    with pytest.raises(KeyError, match=r"missing \['2.bias'\]"):
        model.load_state_dict(state)
    state = nn.MLP([4, 5, 3], rng=0).state_dict()
    with pytest.raises(cr.ShapeError, match=r"'0.weight' has shape \(5, 4\) in the "
                                            r"state but \(6, 4\)"):
        model.load_state_dict(state)


def test_load_state_dict_changes_nothing_when_it_fails():
    model = nn.MLP([2, 3, 2], rng=0)
    before = model.state_dict()
    bad = nn.MLP([2, 3, 2], rng=1).state_dict()
    bad["2.bias"] = np.zeros(5)
    with pytest.raises(cr.ShapeError):
        model.load_state_dict(bad)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


# -- float32 end to end ------------------------------------------------------------------
@pytest.mark.parametrize("loss_fn", ["cross_entropy", "bce", "mse"])
def test_float32_stays_float32_through_every_node_and_update(loss_fn):
    model = nn.MLP([5, 8, 3], rng=0, dtype=np.float32, dropout=0.1)
    x = cr.tensor(_randn(4, 5).astype(np.float32))
    out = model(x)
    if loss_fn == "cross_entropy":
        loss = nn.cross_entropy(out, [0, 2, 1, 1])
    elif loss_fn == "bce":
        loss = nn.binary_cross_entropy_with_logits(out, RNG.random((4, 3)))
    else:
        loss = nn.mse_loss(out, RNG.random((4, 3)).astype(np.float32))
    assert [n.prim.name for n in walk(loss) if n.value.dtype != np.float32] == []
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    for opt in (optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-3),
                optim.Adam(model.parameters(), 1e-3, weight_decay=1e-3)):
        opt.step()
        opt.step()
    assert all(p.dtype == np.float32 for p in model.parameters())


# -- training ----------------------------------------------------------------------------
def test_a_tiny_network_overfits_a_tiny_batch():
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((8, 4)))
    y = rng.integers(0, 3, size=8)
    model = nn.MLP([4, 32, 3], rng=0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = nn.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert first > 0.5
    assert loss.item() < 0.01
    np.testing.assert_array_equal(np.argmax(model(x).data, axis=1), y)


# -- the linear gate's own fast paths give what the general ones give --------------------
def _linear_both_ways(x, w, b):
    """F.linear's result and gradients, and those of LINEAR through Tensor._apply."""
    from chainrule.nn.functional import LINEAR

    results = []
    for make in (lambda a, c, d: nn.functional.linear(a, c, d),
                 lambda a, c, d: cr.Tensor._apply(LINEAR, (a, c, d))):
        leaves = [cr.tensor(x, requires_grad=True), cr.Tensor(w, requires_grad=True),
                  nn.Parameter(b)]
        out = make(*leaves)
        (out * out).sum().backward()
        results.append([out.value] + [np.array(leaf.grad) for leaf in leaves])
    return results


@pytest.mark.parametrize("xshape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_of_three_tensors_is_the_general_gate_bit_for_bit(xshape, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(xshape).astype(dtype)
    w = np.asfortranarray(rng.standard_normal((3, 4)).astype(dtype))
    b = rng.standard_normal(3).astype(dtype)
    fast, general = _linear_both_ways(x, w, b)
    for a, c in zip(fast, general):
        assert a.dtype == c.dtype
        np.testing.assert_array_equal(a, c)
    # the bias gradient is the sum of 2 * out over every example axis
    out = x @ w.T + b
    np.testing.assert_allclose(fast[3], (2 * out).reshape(-1, 3).sum(axis=0),
                               rtol=1e-5 if dtype == np.float32 else 1e-13)


def test_linear_bias_gradient_keeps_the_batch_axes_of_a_jacobian():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 4))
    w = rng.standard_normal((3, 4))
    jac = cr.jacobian(lambda b: nn.functional.linear(cr.tensor(x), cr.tensor(w), b))(
        np.zeros(3))
    expected = np.broadcast_to(np.eye(3), (5, 3, 3))     # d out[n, o] / d b[k] = [o == k]
    np.testing.assert_array_equal(jac, expected)


def test_linear_of_tensors_outside_recording_or_with_a_bad_bias():
    x = cr.tensor(np.ones((2, 4)), requires_grad=True)
    w, b = cr.tensor(np.ones((3, 4))), cr.tensor(np.ones(3))
    with cr.no_grad():
        out = nn.functional.linear(x, w, b)
    assert out.prim is None and not out.requires_grad
    np.testing.assert_array_equal(out.value, np.full((2, 3), 5.0))
    with pytest.raises(cr.ShapeError, match="linear"):
        nn.functional.linear(x, w, cr.tensor(np.ones(2)))
    assert nn.functional.linear(x, w, cr.tensor(np.ones((1, 3)))).shape == (2, 3)
