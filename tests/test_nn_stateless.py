"""``nn.functional_call`` with buffers (BatchNorm's running statistics), against
``torch.func.functional_call``: outputs, updated statistics and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

try:
    import torch
    import torch.func
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(11)


def _models():
    """The same Linear-BatchNorm1d-Tanh-Linear net in chainrule and torch, and a state
    (parameters and buffers, running statistics away from 0 and 1) differing from both
    models' own."""
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    state = {}
    for name, value in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            state[name] = np.array(3, dtype=np.int64)
        elif name.endswith("running_var"):
            state[name] = RNG.uniform(0.5, 2.0, value.shape)
        else:
            state[name] = RNG.standard_normal(value.shape)
    tmodel.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    tmodel.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return model, tmodel, state


@needs_torch
@pytest.mark.parametrize("training", [True, False])
def test_functional_call_uses_the_given_buffers_as_torch(training):
    model, tmodel, state = _models()
    model.train(training)
    tmodel.train(training)
    own = {k: v.copy() for k, v in model.state_dict().items()}
    x = RNG.standard_normal((5, 3))
    given = {k: cr.tensor(v.copy()) for k, v in state.items()}
    tgiven = {k: torch.tensor(v) for k, v in state.items()}
    out = nn.functional_call(model, given, x)
    tout = torch.func.functional_call(tmodel, tgiven, (torch.tensor(x),))
    np.testing.assert_allclose(out.value, tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    # a buffer given as a Tensor is the one used: in training it is updated in place, as torch
    for name in state:
        np.testing.assert_allclose(given[name].value, tgiven[name].detach().numpy(),
                                   rtol=1e-12, atol=1e-15)
    moved = not np.array_equal(given["1.running_mean"].value, state["1.running_mean"])
    assert moved == training
    # the module's own parameters and buffers are untouched and back in place
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, own[name])
    # an array is copied: the caller's state is never written
    arrays = {k: v.copy() for k, v in state.items()}
    nn.functional_call(model, arrays, x)
    for name in state:
        np.testing.assert_array_equal(arrays[name], state[name])


@needs_torch
@pytest.mark.parametrize("training", [True, False])
def test_grad_of_a_loss_through_functional_call_matches_torch(training):
    # the README's idiom, cr.grad(loss)(model.state_dict(), x, y), on a model with BatchNorm
    model, tmodel, state = _models()
    model.train(training)
    tmodel.train(training)
    x, y = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))

    def loss(params, x, y):
        return nn.mse_loss(nn.functional_call(model, params, x), y)

    with pytest.warns(cr.IndependentOutputWarning):     # num_batches_tracked
        grads = cr.grad(loss)(state, x, y)
    assert grads.keys() == state.keys()
    # torch differentiates wrt the parameters only (its batch_norm refuses a running
    # statistic that requires grad): those below are checked by central differences
    differentiated = [k for k, _ in model.named_parameters()]
    tstate = {k: torch.tensor(v, requires_grad=k in differentiated) for k, v in state.items()}
    tout = torch.func.functional_call(tmodel, tstate, (torch.tensor(x),))
    torch.nn.functional.mse_loss(tout, torch.tensor(y)).backward()
    for name in differentiated:
        np.testing.assert_allclose(grads[name], tstate[name].grad.numpy(),
                                   rtol=1e-10, atol=1e-13)
    if training:    # the running statistics do not reach the output
        for name in ("1.running_mean", "1.running_var"):
            np.testing.assert_array_equal(grads[name], 0.0)
    else:
        assert np.abs(grads["1.running_mean"]).max() > 1e-3
    # the gradient wrt a running statistic against central differences (eval mode reads it)
    if not training:
        eps = 1e-6
        for name in ("1.running_mean", "1.running_var"):
            for i in range(4):
                up = {k: v.copy() for k, v in state.items()}
                down = {k: v.copy() for k, v in state.items()}
                up[name][i] += eps
                down[name][i] -= eps
                fd = (loss(up, x, y).value - loss(down, x, y).value) / (2 * eps)
                assert grads[name][i] == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_buffers_left_out_are_the_modules_own_and_names_are_checked():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).eval()
    model.load_state_dict({**model.state_dict(), "1.running_mean": np.arange(4.0)})
    x = RNG.standard_normal((2, 3))
    params = {k: p.value for k, p in model.named_parameters()}
    np.testing.assert_array_equal(nn.functional_call(model, params, x).value,
                                  model(x).value)
    shifted = nn.functional_call(model, {**params, "1.running_mean": np.zeros(4)}, x)
    assert not np.allclose(shifted.value, model(x).value)
    with pytest.raises(KeyError, match=r"unexpected \['1.running_men'\]"):
        nn.functional_call(model, {**params, "1.running_men": np.zeros(4)}, x)
    with pytest.raises(KeyError, match=r"missing \['0.bias', '1.weight', '1.bias'\]"):
        nn.functional_call(model, {"0.weight": params["0.weight"]}, x)


def test_module_is_restored_when_the_call_raises():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    before = dict(model._named_state())
    state = {k: v + 1.0 for k, v in model.state_dict().items()}
    with pytest.raises(cr.ShapeError):
        nn.functional_call(model, state, RNG.standard_normal((2, 5)))   # wrong width
    after = dict(model._named_state())
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)


class _Frozen(nn.Module):
    def __init__(self):
        self.first = nn.Linear(3, 4)
        self.scale = cr.tensor(np.array([2.0, 3.0, 4.0, 5.0]))   # a constant, not saved
        self.fixed = nn.Parameter(np.ones(4), requires_grad=False)
        self.second = nn.Linear(4, 2)
        self.first.weight.requires_grad_(False)

    def forward(self, x):
        return self.second(cr.tanh(self.first(x) * self.scale + self.fixed))


@needs_torch
def test_frozen_parameters_are_saved_and_loaded_as_torch(tmp_path):
    model = _Frozen()
    names = ["fixed", "first.weight", "first.bias", "second.weight", "second.bias"]
    assert list(model.state_dict()) == names
    tfirst, tsecond = torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)
    tfirst.weight.requires_grad_(False)
    tmodel = torch.nn.Module()
    tmodel.register_parameter("fixed", torch.nn.Parameter(torch.ones(4), requires_grad=False))
    tmodel.first, tmodel.second = tfirst, tsecond
    assert list(tmodel.state_dict()) == names
    # trainable ones only in parameters(), as before; the frozen weight stays frozen
    assert [n for n, _ in model.named_parameters()] == ["first.bias", "second.weight",
                                                       "second.bias"]
    saved = model.state_dict()
    model.save(tmp_path / "m.npz")
    other = _Frozen()
    assert not np.array_equal(other.first.weight.value, saved["first.weight"])
    other.load(tmp_path / "m.npz")
    for name, value in other.state_dict().items():
        np.testing.assert_array_equal(value, saved[name])
    assert not other.first.weight.requires_grad
    other.float()
    assert other.first.weight.dtype == np.float32 and other.fixed.dtype == np.float32
    assert other.scale.dtype == np.float64       # a constant is not converted
    # the state goes through functional_call and cr.grad: every entry differentiated
    x = RNG.standard_normal((5, 3))
    grads = cr.grad(lambda p: cr.sum(nn.functional_call(model, p, x) ** 2))(saved)
    tstate = {k: torch.tensor(v, requires_grad=True) for k, v in saved.items()}
    tmodel.forward = lambda x: tsecond(torch.tanh(tfirst(x) * torch.tensor(
        [2.0, 3.0, 4.0, 5.0], dtype=torch.float64) + tmodel.fixed))
    tmodel.double()
    out = torch.func.functional_call(tmodel, tstate, (torch.tensor(x),))
    (out ** 2).sum().backward()
    for name in names:
        np.testing.assert_allclose(grads[name], tstate[name].grad.numpy(), rtol=1e-12,
                                   atol=1e-14)
    assert not model.first.weight.requires_grad and "first.weight" in model.state_dict()


def test_reassigning_a_frozen_parameter_to_a_non_tensor_unregisters_it():
    model = _Frozen()
    model.fixed = None
    assert "fixed" not in model.state_dict()
    model.fixed = cr.tensor(np.zeros(4), requires_grad=True)
    assert "fixed" in model.state_dict()
