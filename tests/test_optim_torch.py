"""AdamW, RMSprop, Adagrad, parameter groups and the learning-rate schedules: against
torch (when installed) and against schedules worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler as sched

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
W0 = np.array([[0.5, -1.5], [2.0, 0.25]])
B0 = np.array([0.1, -0.2])


def _loss(w, b):
    return ((w * w * w).sum() + (w * b).sum() + (b * b).sum())


def _run(lib, make, steps=5):
    if lib == "torch":
        w = torch.tensor(W0, requires_grad=True)
        b = torch.tensor(B0, requires_grad=True)
        opt = make(torch.optim, w, b)
        for _ in range(steps):
            opt.zero_grad()
            _loss(w, b).backward()
            opt.step()
        return w.detach().numpy(), b.detach().numpy()
    w = cr.tensor(W0, requires_grad=True)
    b = cr.tensor(B0, requires_grad=True)
    opt = make(optim, w, b)
    for _ in range(steps):
        opt.zero_grad()
        _loss(w, b).backward()
        opt.step()
    return w.data, b.data


OPTIMIZERS = {
    "adamw": lambda o, w, b: o.AdamW([w, b], lr=0.1),
    "adamw_wd": lambda o, w, b: o.AdamW([w, b], lr=0.05, weight_decay=0.3, betas=(0.8, 0.9)),
    "adam_wd": lambda o, w, b: o.Adam([w, b], lr=0.05, weight_decay=0.3),
    "rmsprop": lambda o, w, b: o.RMSprop([w, b], lr=0.01),
    "rmsprop_all": lambda o, w, b: o.RMSprop([w, b], lr=0.01, momentum=0.9, centered=True,
                                             weight_decay=0.1, alpha=0.9),
    "adagrad": lambda o, w, b: o.Adagrad([w, b], lr=0.1),
    "adagrad_all": lambda o, w, b: o.Adagrad([w, b], lr=0.1, lr_decay=0.1, weight_decay=0.2,
                                             initial_accumulator_value=0.5),
    "sgd_dampening": lambda o, w, b: o.SGD([w, b], lr=0.05, momentum=0.9, dampening=0.5),
    "groups": lambda o, w, b: o.SGD([{"params": [w]}, {"params": [b], "lr": 0.3,
                                                       "weight_decay": 0.1}], lr=0.05,
                                    momentum=0.5),
    "adam_groups": lambda o, w, b: o.Adam([{"params": [w], "lr": 0.2}, {"params": b}],
                                          lr=0.01),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_steps_match_torch(name):
    got = _run("cr", OPTIMIZERS[name])
    want = _run("torch", OPTIMIZERS[name])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


def test_adamw_first_step_by_hand():
    w = cr.tensor([1.0], requires_grad=True)
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    (w * 3.0).sum().backward()
    opt.step()
    # decay first: 1 * (1 - 0.1 * 0.5) = 0.95; then the Adam step of size lr (m_hat/sqrt(v_hat)=1)
    assert w.item() == pytest.approx(0.95 - 0.1 * 3 / (3 + 1e-8))


def test_adagrad_and_rmsprop_first_step_by_hand():
    w = cr.tensor([1.0], requires_grad=True)
    opt = optim.Adagrad([w], lr=0.1)
    (w * 2.0).sum().backward()
    opt.step()
    assert w.item() == pytest.approx(1 - 0.1 * 2 / 2)
    v = cr.tensor([1.0], requires_grad=True)
    rms = optim.RMSprop([v], lr=0.01, alpha=0.9)
    (v * 2.0).sum().backward()
    rms.step()
    assert v.item() == pytest.approx(1 - 0.01 * 2 / math.sqrt(0.1 * 4))


def test_zero_grad_set_to_none_false_keeps_zero_arrays_and_groups_api():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None
    assert opt.step(closure=lambda: 3.0) == 3.0
    opt.lr = 0.5
    assert opt.param_groups[0]["lr"] == 0.5 and opt.lr == 0.5
    extra = cr.tensor([0.0], requires_grad=True)
    opt.add_param_group({"params": [extra], "lr": 1.0})
    assert opt.params[-1] is extra and opt.param_groups[1]["momentum"] == 0.0
    (extra * 2).sum().backward()
    opt.step()
    assert extra.item() == -2.0
    assert opt.state_dict()["param_groups"][1]["lr"] == 1.0
    with pytest.raises(TypeError, match="dict with 'params'"):
        opt.add_param_group([extra])
    with pytest.raises(ValueError, match="lr must be positive"):
        optim.SGD([{"params": [extra], "lr": -1.0}])
    with pytest.raises(ValueError, match="RMSprop"):
        optim.RMSprop([extra], alpha=2.0)
    with pytest.raises(ValueError, match="Adagrad"):
        optim.Adagrad([extra], eps=0)


def _lrs(make, n, metric=None):
    w = cr.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    s = make(opt)
    out = [opt.lr]
    for i in range(n):
        s.step() if metric is None else s.step(metric[i])
        out.append(opt.lr)
    return out


def test_schedules_by_hand():
    assert _lrs(lambda o: sched.StepLR(o, 2, gamma=0.5), 5) == pytest.approx(
        [1, 1, 0.5, 0.5, 0.25, 0.25])
    assert _lrs(lambda o: sched.MultiStepLR(o, [1, 3], gamma=0.1), 4) == pytest.approx(
        [1, 0.1, 0.1, 0.01, 0.01])
    assert _lrs(lambda o: sched.ExponentialLR(o, 0.5), 3) == pytest.approx(
        [1, 0.5, 0.25, 0.125])
    assert _lrs(lambda o: sched.CosineAnnealingLR(o, 4, eta_min=0.2), 4) == pytest.approx(
        [1, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6,
         0.2 + 0.8 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.2])
    # plateau: patience 1 -> the second epoch without improvement cuts lr by 10
    assert _lrs(lambda o: sched.ReduceLROnPlateau(o, patience=1), 5,
                [1.0, 1.0, 1.0, 0.5, 0.5]) == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1])
    one = _lrs(lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=6, pct_start=0.5,
                                          anneal_strategy="linear"), 5)
    low = 0.04 / 1e4
    assert one == pytest.approx([0.04, 0.52, 1.0, 1 - (1 - low) / 3, 1 - 2 * (1 - low) / 3,
                                 low])


SCHEDULES = {
    "step": (lambda m, o: m.StepLR(o, 3, gamma=0.3), None),
    "multistep": (lambda m, o: m.MultiStepLR(o, [2, 5, 6], gamma=0.5), None),
    "exp": (lambda m, o: m.ExponentialLR(o, 0.9), None),
    "cosine": (lambda m, o: m.CosineAnnealingLR(o, T_max=5, eta_min=0.01), None),
    "onecycle": (lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=13), None),
    "onecycle_epochs": (lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.2], epochs=3,
                                                  steps_per_epoch=4, pct_start=0.4,
                                                  anneal_strategy="linear"), None),
    "plateau": (lambda m, o: m.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1),
                [5, 4, 4, 4, 4, 4, 3.9999, 4, 4, 4, 4, 4]),
    "plateau_max": (lambda m, o: m.ReduceLROnPlateau(o, mode="max", patience=0,
                                                     threshold=0.1, threshold_mode="abs",
                                                     min_lr=0.02),
                    [1, 1.05, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2]),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_match_torch(name):
    make, metrics = SCHEDULES[name]
    n = 12
    got, want = [], []
    tw = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    cw = [cr.tensor([0.0], requires_grad=True), cr.tensor([0.0], requires_grad=True)]
    topt = torch.optim.SGD([{"params": [tw[0]]}, {"params": [tw[1]], "lr": 0.3}], lr=0.1)
    copt = optim.SGD([{"params": [cw[0]]}, {"params": [cw[1]], "lr": 0.3}], lr=0.1)
    ts, cs = make(torch.optim.lr_scheduler, topt), make(sched, copt)
    for i in range(n):
        topt.step()
        copt.step()
        if metrics is None:
            ts.step()
            cs.step()
        else:
            ts.step(metrics[i])
            cs.step(metrics[i])
        want.append([g["lr"] for g in topt.param_groups])
        got.append(cs.get_last_lr())
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_schedule_errors():
    w = cr.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    with pytest.raises(TypeError, match="expected an Optimizer"):
        sched.StepLR("opt", 1)
    with pytest.raises(ValueError, match="step_size"):
        sched.StepLR(opt, 0)
    with pytest.raises(ValueError, match="T_max"):
        sched.CosineAnnealingLR(opt, 0)
    with pytest.raises(ValueError, match="total_steps"):
        sched.OneCycleLR(opt, 1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        sched.OneCycleLR(opt, 1.0, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="three_phase"):
        sched.OneCycleLR(opt, 1.0, total_steps=5, three_phase=True)
    one = sched.OneCycleLR(opt, 1.0, total_steps=2)
    one.step()
    one.step()
    with pytest.raises(ValueError, match="more than total_steps"):
        one.step()
    with pytest.raises(ValueError, match="factor"):
        sched.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        sched.ReduceLROnPlateau(opt, mode="up")
