"""The benchmarks' in-process baseline: another checkout's chainrule imported next to the
one under test, for before/after comparisons in one run."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from benchmarks import baseline

SRC = Path(cr.__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _forget_the_baseline():
    yield
    for name in [m for m in sys.modules if m.split(".")[0] == "chainrule_baseline"]:
        del sys.modules[name]


def test_no_baseline_without_the_variable(monkeypatch):
    monkeypatch.delenv(baseline.VAR, raising=False)
    assert baseline.load() is None


def test_the_baseline_is_a_second_independent_copy(monkeypatch):
    monkeypatch.setenv(baseline.VAR, str(SRC))
    base = baseline.load()
    assert base.__name__ == "chainrule_baseline" and base is not cr
    assert base.Tensor is not cr.Tensor
    assert baseline.load() is base                        # imported once
    assert baseline.submodule(base, "nn").__name__ == "chainrule_baseline.nn"
    vg = base.compile(base.value_and_grad(lambda x: (base.sigmoid(x) ** 2).sum()))
    value, grad = vg(np.array([0.0, 1.0]))
    s = 1 / (1 + np.exp(-np.array([0.0, 1.0])))
    assert value == pytest.approx(float(s @ s), rel=1e-15)
    np.testing.assert_allclose(grad, 2 * s * s * (1 - s), rtol=1e-15)


def test_a_folder_without_chainrule_is_refused_by_name(monkeypatch, tmp_path):
    monkeypatch.setenv(baseline.VAR, str(tmp_path))
    with pytest.raises(SystemExit, match="no chainrule/__init__.py"):
        baseline.load()
