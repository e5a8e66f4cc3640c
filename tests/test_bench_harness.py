"""The benchmarks' in-process baseline: another checkout's chainrule imported next to the
one under test, for before/after comparisons in one run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr

SRC = Path(cr.__file__).resolve().parent.parent


@pytest.fixture
def harness(monkeypatch):
    saved = dict(os.environ)
    from benchmarks import harness as module  # pins BLAS threads in os.environ
    os.environ.clear()
    os.environ.update(saved)
    yield module
    for name in [m for m in sys.modules if m.split(".")[0] == module.BASELINE_MODULE]:
        del sys.modules[name]


def test_no_baseline_without_the_variable(harness, monkeypatch):
    monkeypatch.delenv(harness.BASELINE_VAR, raising=False)
    assert harness.baseline_chainrule() is None


def test_baseline_is_a_second_independent_copy(harness, monkeypatch, capsys):
    monkeypatch.setenv(harness.BASELINE_VAR, str(SRC))
    base = harness.baseline_chainrule()
    assert base.__name__ == "chainrule_baseline" and base is not cr
    assert base.Tensor is not cr.Tensor
    assert "imported from" in capsys.readouterr().out
    assert harness.baseline_chainrule() is base           # imported once
    vg = base.compile(base.value_and_grad(lambda x: (base.sigmoid(x) ** 2).sum()))
    value, grad = vg(np.array([0.0, 1.0]))
    s = 1 / (1 + np.exp(-np.array([0.0, 1.0])))
    assert value == pytest.approx(float(s @ s), rel=1e-15)
    np.testing.assert_allclose(grad, 2 * s * s * (1 - s), rtol=1e-15)


def test_baseline_folder_without_chainrule_is_an_error(harness, monkeypatch, tmp_path):
    monkeypatch.setenv(harness.BASELINE_VAR, str(tmp_path))
    with pytest.raises(ImportError, match="no chainrule package there"):
        harness.baseline_chainrule()
    assert harness.BASELINE_MODULE not in sys.modules
