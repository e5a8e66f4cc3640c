"""Forward mode over the op test matrix: every primitive in ``cr.REGISTRY`` (through the
cases of test_ops_matrix, which fails for an op without one) has its JVP checked

- against its VJP: ``<J v, u> == <v, J^T u>`` for random ``u``, ``v``;
- against central differences of the numpy reference along ``v``;
- batched (``jacfwd``, a batch of tangents) against ``jacobian``;
- derived by transposing the VJP (what an op without JVPs gets) against the declared one;
- differentiated again (``grad`` of a ``jvp``: the rules recorded in graph mode) against
  central differences of the JVP.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from conftest import numeric_grad
from test_ops_matrix import CASES, SECOND

import chainrule as cr
from chainrule.primitive import REGISTRY


def _rng(case, k):
    return np.random.default_rng(zlib.crc32(case.id.encode()) + 10 + k)


def _tangents(case, xs):
    rng = _rng(case, 0)
    return [rng.standard_normal(np.shape(x)) for x in xs]


def _jvp_vjp_gap(case):
    """|<J v, u> - <v, J^T u>| relative to their size, for the case's op."""
    xs = case.inputs()
    vs = _tangents(case, xs)
    out, jv = cr.jvp(case.fn, tuple(xs), tuple(vs))
    u = _rng(case, 1).standard_normal(np.shape(out))
    grads = cr.grad(lambda *a: cr.sum(case.fn(*a) * u), argnums=tuple(range(len(xs))))(*xs)
    lhs = float(np.sum(np.asarray(jv) * u))
    rhs = sum(float(np.sum(v * g)) for v, g in zip(vs, grads))
    return abs(lhs - rhs) / max(1.0, abs(lhs), abs(rhs))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_jvp_is_the_transpose_of_the_vjp(case):
    assert _jvp_vjp_gap(case) < 1e-12


def test_the_consistency_check_catches_a_planted_wrong_jvp(monkeypatch):
    case = next(c for c in CASES if c.op == "sin" and c.label == "(3,)")
    assert _jvp_vjp_gap(case) < 1e-12
    monkeypatch.setattr(REGISTRY["sin"], "jvps", (lambda M, t, ans, x: t * M.sin(x),))
    assert _jvp_vjp_gap(case) > 1e-3


def test_every_registered_op_is_in_the_forward_matrix():
    assert {c.op for c in CASES} >= set(REGISTRY)   # and the composites, made of them


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_jvp_matches_finite_differences(case):
    xs = case.inputs()
    vs = _tangents(case, xs)
    out, jv = cr.jvp(case.fn, tuple(xs), tuple(vs))
    np.testing.assert_allclose(out, case.ref(*xs), rtol=1e-12, atol=1e-12)
    eps = 1e-6
    plus = case.ref(*[x + eps * v for x, v in zip(xs, vs)])
    minus = case.ref(*[x - eps * v for x, v in zip(xs, vs)])
    np.testing.assert_allclose(jv, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_jacfwd_matches_jacobian(case):
    xs = case.inputs()
    nums = tuple(range(len(xs)))
    fwd = cr.jacfwd(case.fn, argnums=nums)(*xs)
    rev = cr.jacobian(case.fn, argnums=nums)(*xs)
    for a, b in zip(fwd, rev):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# transposition runs the VJP on recording Tensors: ops whose rule cannot (second=False) need
# their declared JVP
@pytest.mark.parametrize("case", [c for c in SECOND if c.op in REGISTRY], ids=lambda c: c.id)
def test_jvp_derived_from_the_vjp_matches_the_declared_one(case, monkeypatch):
    xs = case.inputs()
    vs = _tangents(case, xs)
    declared = cr.jvp(case.fn, tuple(xs), tuple(vs))[1]
    monkeypatch.setattr(REGISTRY[case.op], "jvps", None)
    derived = cr.jvp(case.fn, tuple(xs), tuple(vs))[1]
    np.testing.assert_allclose(derived, declared, rtol=1e-12, atol=1e-12)
    batched = cr.jacfwd(case.fn, argnums=0)(*xs)
    np.testing.assert_allclose(batched, cr.jacobian(case.fn)(*xs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", SECOND, ids=lambda c: c.id)
def test_grad_of_jvp_matches_finite_differences(case):
    xs = case.inputs()
    vs = _tangents(case, xs)
    u = _rng(case, 1).standard_normal(np.shape(case.ref(*xs)))

    def directional(*a):
        return cr.sum(cr.jvp(case.fn, a, tuple(vs))[1] * u)

    def numeric(*a):
        return float(np.sum(np.asarray(cr.jvp(case.fn, a, tuple(vs))[1]) * u))

    got = cr.grad(directional)(*xs)
    np.testing.assert_allclose(got, numeric_grad(numeric, xs, 0), rtol=1e-5, atol=1e-6)
