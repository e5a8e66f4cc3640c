"""state_dict / load_state_dict / save / load carry buffers (BatchNorm's running
statistics) as well as parameters, with PyTorch's keys, order and strict semantics; eval
outputs after loading are compared with torch's."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(11)


def _cr_bn1d():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def _cr_bn2d():
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(3 * 5 * 4, 2))


def _torch_bn1d():
    t = torch.nn
    return t.Sequential(t.Linear(3, 4), t.BatchNorm1d(4), t.ReLU(), t.Linear(4, 2)).double()


def _torch_bn2d():
    t = torch.nn
    return t.Sequential(t.Conv2d(2, 3, 3, padding=1), t.BatchNorm2d(3), t.ReLU(),
                        t.Flatten(), t.Linear(3 * 5 * 4, 2)).double()


NETS = {"bn1d": (_cr_bn1d, _torch_bn1d, (8, 3)), "bn2d": (_cr_bn2d, _torch_bn2d, (6, 2, 5, 4))}


def _train_a_little(model, shape):
    """Two forward passes in training mode: the running statistics move off 0/1."""
    for _ in range(2):
        model(cr.tensor(RNG.standard_normal(shape) * 3 + 1.5))
    return model


def test_a_model_with_batchnorm_loads_its_own_state_dict():
    model = _train_a_little(_cr_bn1d(), (8, 3))
    state = model.state_dict()
    assert state["1.num_batches_tracked"] == 2
    fresh = _cr_bn1d()
    assert fresh.load_state_dict(state) == ([], [])
    x = cr.tensor(RNG.standard_normal((5, 3)))
    model.eval()
    fresh.eval()
    np.testing.assert_array_equal(fresh(x).data, model(x).data)
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, state[name])
        assert value.dtype == state[name].dtype
    assert fresh[1].num_batches_tracked.data.dtype == np.int64


@needs_torch
@pytest.mark.parametrize("net", sorted(NETS))
def test_state_dict_has_torchs_keys_in_torchs_order(net):
    make, make_torch, _ = NETS[net]
    assert list(make().state_dict()) == list(make_torch().state_dict())


@needs_torch
@pytest.mark.parametrize("net", sorted(NETS))
def test_torch_state_loads_and_eval_outputs_match_torch(net):
    make, make_torch, shape = NETS[net]
    tnet = make_torch()
    with torch.no_grad():
        for _ in range(3):                         # training-mode passes move the stats
            tnet(torch.tensor(RNG.standard_normal(shape) * 2 - 1.0))
    tnet.eval()
    model = make()
    model.load_state_dict({k: v.numpy() for k, v in tnet.state_dict().items()})
    model.eval()
    x = RNG.standard_normal(shape)
    expected = tnet(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(model(cr.tensor(x)).data, expected, rtol=1e-12, atol=1e-12)
    bn = model[1]
    np.testing.assert_array_equal(bn.running_mean.data, tnet[1].running_mean.numpy())
    np.testing.assert_array_equal(bn.running_var.data, tnet[1].running_var.numpy())
    assert int(bn.num_batches_tracked.data) == 3


@needs_torch
@pytest.mark.parametrize("net", sorted(NETS))
def test_chainrule_state_loads_into_torch(net):
    make, make_torch, shape = NETS[net]
    model = _train_a_little(make(), shape).eval()
    tnet = make_torch()
    tnet.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    tnet.eval()
    x = RNG.standard_normal(shape)
    np.testing.assert_allclose(model(cr.tensor(x)).data,
                               tnet(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)


def test_save_and_load_round_trip_buffers(tmp_path):
    model = _train_a_little(_cr_bn2d(), (6, 2, 5, 4)).eval()
    path = tmp_path / "bn.npz"
    model.save(path)
    fresh = _cr_bn2d()
    fresh.load(path)
    fresh.eval()
    x = cr.tensor(RNG.standard_normal((2, 2, 5, 4)))
    np.testing.assert_array_equal(fresh(x).data, model(x).data)
    np.testing.assert_array_equal(fresh[1].running_var.data, model[1].running_var.data)
    assert fresh[1].num_batches_tracked.data.dtype == np.int64


def test_load_checks_buffer_shapes_in_the_file_before_reading(tmp_path):
    path = tmp_path / "bn.npz"
    state = _cr_bn1d().state_dict()
    state["1.running_mean"] = np.zeros(5)
    np.savez(path, **state)
    model = _cr_bn1d()
    with pytest.raises(cr.ShapeError, match=r"'1.running_mean' has shape \(5,\) in the file "
                                            r"but \(4,\)"):
        model.load(path)
    with pytest.raises(cr.ShapeError, match="'1.running_mean'"):
        model.load(path, strict=False)


def test_strict_loading_names_missing_and_unexpected_buffers():
    model = _cr_bn1d()
    state = model.state_dict()
    del state["1.running_var"]
    state["1.running_std"] = np.ones(4)
    with pytest.raises(KeyError, match=r"missing \['1.running_var'\], unexpected "
                                       r"\['1.running_std'\]"):
        model.load_state_dict(state)


def test_non_strict_loading_loads_the_rest_and_reports_the_keys():
    src = _train_a_little(_cr_bn1d(), (8, 3))
    state = src.state_dict()
    del state["1.running_var"]
    state["head.weight"] = np.ones(3)
    model = _cr_bn1d()
    keys = model.load_state_dict(state, strict=False)
    assert keys.missing_keys == ["1.running_var"]
    assert keys.unexpected_keys == ["head.weight"]
    np.testing.assert_array_equal(model[1].running_mean.data, src[1].running_mean.data)
    np.testing.assert_array_equal(model[1].running_var.data, np.ones(4))   # left alone
    np.testing.assert_array_equal(model[0].weight.data, src[0].weight.data)


def test_a_buffer_shape_mismatch_is_refused_even_when_not_strict_and_changes_nothing():
    model = _cr_bn1d()
    before = model.state_dict()
    state = _train_a_little(_cr_bn1d(), (8, 3)).state_dict()
    state["1.running_var"] = np.ones(5)
    for strict in (True, False):
        with pytest.raises(cr.ShapeError, match=r"'1.running_var' has shape \(5,\) in the "
                                                r"state but \(4,\)"):
            model.load_state_dict(state, strict=strict)
        for name, value in model.state_dict().items():
            np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("value, kind", [(np.array(2.5), "floating-point"),
                                         (np.array(True), "bool"),
                                         (np.array(2 ** 70, dtype=object), "Python objects")])
def test_an_integer_buffer_takes_only_integers(value, kind):
    model = _cr_bn1d()
    state = model.state_dict()
    state["1.num_batches_tracked"] = value
    with pytest.raises(TypeError, match=f"'1.num_batches_tracked' holds {kind} values"):
        model.load_state_dict(state)
    state["1.num_batches_tracked"] = np.array(7, dtype=np.int32)
    model.load_state_dict(state)
    assert model[1].num_batches_tracked.data == 7
    assert model[1].num_batches_tracked.data.dtype == np.int64


def test_an_integer_outside_the_buffers_dtype_is_refused():
    model = _cr_bn1d()
    state = model.state_dict()
    state["1.num_batches_tracked"] = np.array(2 ** 64 - 1, dtype=np.uint64)
    with pytest.raises(ValueError, match="outside the range of the buffer's dtype int64"):
        model.load_state_dict(state)


def test_a_float_buffer_refuses_integers_as_a_parameter_does():
    model = _cr_bn1d()
    state = model.state_dict()
    state["1.running_mean"] = np.zeros(4, dtype=np.int64)
    with pytest.raises(TypeError, match="'1.running_mean' holds integer values"):
        model.load_state_dict(state)


def test_a_tied_weight_is_in_the_state_dict_under_both_names_as_in_torch():
    class Tied(nn.Module):
        def __init__(self):
            self.a = nn.Linear(2, 2, rng=0)
            self.b = nn.Linear(2, 2, rng=1)
            self.b.weight = self.a.weight

    model = Tied()
    assert list(model.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert [n for n, _ in model.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    state = model.state_dict()
    state["a.weight"] = state["b.weight"] = np.full((2, 2), 3.0)
    model.load_state_dict(state)
    assert model.b.weight is model.a.weight
    np.testing.assert_array_equal(model.b.weight.data, np.full((2, 2), 3.0))


def test_loading_invalidates_a_graph_recorded_before_as_torchs_version_counter():
    model = _cr_bn1d()
    loss = model(cr.tensor(RNG.standard_normal((4, 3)))).sum()
    model.load_state_dict(_cr_bn1d().state_dict())
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
