"""The checks themselves: gradcheck, the hand checks and ``chainrule grad --check`` fail
on a planted wrong rule and pass at every documented kink and domain edge."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.main import main
from chainrule.rules import elementwise

KINKS = [
    ("relu'(0) = 0", lambda x: cr.sum(cr.relu(x)), np.array([0.0, 1.0, -1.0])),
    ("|x|'(0) = 0", lambda x: cr.sum(cr.abs(x)), np.array([0.0, 2.0])),
    ("sqrt'(0) = inf", lambda x: cr.sqrt(x), 0.0),
    ("sqrt near 0", lambda x: cr.sqrt(x), 1e-12),
    ("maximum tie", lambda x: cr.maximum(x, 0.0) + cr.maximum(x, x), 0.0),
    ("minimum tie", lambda x: cr.minimum(x, 0.0), 0.0),
    ("max tie", lambda x: cr.max(x), np.array([2.0, 2.0, -1.0])),
    ("min tie", lambda x: cr.min(x), np.array([-2.0, -2.0, 1.0])),
    ("norm at 0", lambda x: cr.norm(x), np.zeros(3)),
    ("spectral norm at 0", lambda x: cr.norm(x, 2), np.zeros((2, 2))),
    ("spectral norm at a tie", lambda x: cr.norm(x, 2), np.eye(3)),
    ("d/dy 0**y", lambda x, y: x ** y, 0.0, 2.0),
    ("d/dx x**0 at 0", lambda x: x ** 0, 0.0),
    ("log near 0", lambda x: cr.log(x), 1e-9),
]


@pytest.mark.parametrize("case", KINKS, ids=[k[0] for k in KINKS])
def test_gradcheck_passes_at_every_documented_kink(case):
    _, f, *args = case
    with np.errstate(all="ignore"):
        assert cr.gradcheck(f, *args) is True
        assert cr.gradcheck(f, *args, fast=False) is True


def test_gradcheck_names_how_it_judged_a_kink():
    notes = []
    assert cr.gradcheck(lambda x: cr.relu(x), 0.0, notes=notes)
    assert notes == ["argument 0 at its value: a kink (one-sided slopes 0 left, 1 right): "
                     "any value between them passes"]
    notes = []
    with np.errstate(all="ignore"):
        assert cr.gradcheck(cr.sqrt, 0.0, notes=notes)
    assert "one-sided (right) difference" in notes[0] and "infinite" in notes[0]


planted_relu = cr.primitive("planted_relu", lambda x: np.maximum(x, 0),
                            [lambda M, g, ans, x: g * (M.value(x) >= 0) * 2.0],
                            derivs=["2 if x >= 0 else 0"])
planted_sin = cr.primitive("planted_sin", np.sin, [lambda M, g, ans, x: -g * M.cos(x)],
                           derivs=["-cos(x)"])
planted_sqrt = cr.primitive("planted_sqrt", np.sqrt, [lambda M, g, ans, x: g / ans],
                            derivs=["1/sqrt(x)"])


@pytest.mark.parametrize("f, x", [
    (planted_relu, 0.0), (planted_relu, 1.0), (planted_sin, 1.0), (planted_sqrt, 1e-12),
    (planted_sqrt, 4.0), (lambda x: cr.sum(planted_relu(x)), np.array([0.0, -1.0, 2.0])),
])
def test_gradcheck_fails_on_a_planted_wrong_rule(f, x):
    with np.errstate(all="ignore"), pytest.raises(cr.GradcheckError, match="is wrong"):
        cr.gradcheck(f, x)


def test_the_hand_checks_fail_on_a_wrong_formula_and_pass_at_kinks():
    assert cr.check_local_gradient("relu", lambda x: 1.0 if x > 0 else 0.0,
                                   points=[0.0, 1.0, -1.0])
    assert cr.check_local_gradient("abs", lambda x: math.copysign(1.0, x) if x else 0.0,
                                   points=[0.0, -3.0])
    assert not cr.check_local_gradient("relu", lambda x: 1.0 if x >= 0 else 0.0,
                                       points=[0.0])
    assert cr.check_hand_gradients(lambda x: cr.relu(x), {"x": lambda x: float(x > 0)},
                                   {"x": 0.0}, n_random=3)
    assert not cr.check_hand_gradients(lambda x: cr.relu(x), {"x": lambda x: 1.0},
                                       {"x": 0.0}, n_random=3)


def _cli(capsys, *argv):
    status = main(list(argv))
    return status, capsys.readouterr().out


@pytest.mark.parametrize("formula, at", [("relu(x)", "x=0"), ("abs(x)", "x=0"),
                                         ("maximum(x, 0)", "x=0"), ("sqrt(x)", "x=1e-12"),
                                         ("x**0", "x=0")])
def test_cli_check_passes_at_kinks(capsys, formula, at):
    status, out = _cli(capsys, "grad", formula, "--at", at, "--check", "--random", "3")
    assert status == 0, out
    assert "check passed" in out


def test_cli_check_fails_on_a_planted_wrong_rule(capsys, monkeypatch):
    monkeypatch.setattr(elementwise.SIN, "vjps", [lambda M, g, ans, x: -g * M.cos(x)])
    status, out = _cli(capsys, "grad", "sin(x)", "--at", "x=1", "--check")
    assert status == 1 and "check FAILED" in out
    monkeypatch.setattr(elementwise.RELU, "vjps", [lambda M, g, ans, x: g * 2.0])
    status, out = _cli(capsys, "grad", "relu(x)", "--at", "x=0", "--check")
    assert status == 1 and "check FAILED" in out and "kink" in out
