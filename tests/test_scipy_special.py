"""chainrule.scipy.special: values are scipy's, gradients match central differences in
float64 (first and second order), forward mode matches reverse mode, the constant
arguments refuse a gradient, and the awkward points behave as documented."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

sc = pytest.importorskip("scipy.special")

import chainrule as cr  # noqa: E402
import chainrule.scipy.special as cs  # noqa: E402

# name -> (the call on (constants..., differentiable x), sampling range of x, constants)
CASES = {
    "erf": (lambda x: cs.erf(x), (-2, 2), lambda x: sc.erf(x)),
    "erfc": (lambda x: cs.erfc(x), (-2, 2), lambda x: sc.erfc(x)),
    "erfinv": (lambda x: cs.erfinv(x), (-0.9, 0.9), lambda x: sc.erfinv(x)),
    "erfcinv": (lambda x: cs.erfcinv(x), (0.1, 1.9), lambda x: sc.erfcinv(x)),
    "gamma": (lambda x: cs.gamma(x), (0.3, 4), lambda x: sc.gamma(x)),
    "gamma-negative": (lambda x: cs.gamma(x), (-2.9, -2.1), lambda x: sc.gamma(x)),
    "gammaln": (lambda x: cs.gammaln(x), (0.2, 5), lambda x: sc.gammaln(x)),
    "gammaln-negative": (lambda x: cs.gammaln(x), (-1.9, -1.1), lambda x: sc.gammaln(x)),
    "gammasgn": (lambda x: cs.gammasgn(x), (-2.9, -2.1), lambda x: sc.gammasgn(x)),
    "rgamma": (lambda x: cs.rgamma(x), (-2.5, 3), lambda x: sc.rgamma(x)),
    "digamma": (lambda x: cs.digamma(x), (0.3, 4), lambda x: sc.digamma(x)),
    "psi": (lambda x: cs.psi(x), (0.3, 4), lambda x: sc.psi(x)),
    "polygamma": (lambda x: cs.polygamma(2, x), (0.5, 3), lambda x: sc.polygamma(2, x)),
    "multigammaln": (lambda x: cs.multigammaln(x, 3), (1.2, 4),
                     lambda x: sc.multigammaln(x, 3)),
    "beta-a": (lambda x: cs.beta(x, 1.7), (0.5, 3), lambda x: sc.beta(x, 1.7)),
    "beta-b": (lambda x: cs.beta(2.2, x), (0.5, 3), lambda x: sc.beta(2.2, x)),
    "betaln-a": (lambda x: cs.betaln(x, 1.7), (0.5, 3), lambda x: sc.betaln(x, 1.7)),
    "betaln-b": (lambda x: cs.betaln(2.2, x), (0.5, 3), lambda x: sc.betaln(2.2, x)),
    "betainc": (lambda x: cs.betainc(2.5, 1.5, x), (0.05, 0.95),
                lambda x: sc.betainc(2.5, 1.5, x)),
    "gammainc": (lambda x: cs.gammainc(2.5, x), (0.1, 5), lambda x: sc.gammainc(2.5, x)),
    "gammaincc": (lambda x: cs.gammaincc(2.5, x), (0.1, 5), lambda x: sc.gammaincc(2.5, x)),
    "expit": (lambda x: cs.expit(x), (-4, 4), lambda x: sc.expit(x)),
    "logit": (lambda x: cs.logit(x), (0.05, 0.95), lambda x: sc.logit(x)),
    "logsumexp": (lambda x: cs.logsumexp(x), (-3, 3), lambda x: sc.logsumexp(x)),
    "logsumexp-b": (lambda x: cs.logsumexp(x, b=np.array([0.5, 2.0, 1.0])), (-3, 3),
                    lambda x: sc.logsumexp(x, b=np.array([0.5, 2.0, 1.0]))),
    "i0": (lambda x: cs.i0(x), (-3, 3), lambda x: sc.i0(x)),
    "i1": (lambda x: cs.i1(x), (-3, 3), lambda x: sc.i1(x)),
    "iv": (lambda x: cs.iv(1.5, x), (0.2, 3), lambda x: sc.iv(1.5, x)),
    "ive": (lambda x: cs.ive(1.0, x), (-3, 3), lambda x: sc.ive(1.0, x)),
    "j0": (lambda x: cs.j0(x), (-5, 5), lambda x: sc.j0(x)),
    "j1": (lambda x: cs.j1(x), (-5, 5), lambda x: sc.j1(x)),
    "jv": (lambda x: cs.jv(2.5, x), (0.2, 5), lambda x: sc.jv(2.5, x)),
    "jn": (lambda x: cs.jn(3, x), (0.2, 5), lambda x: sc.jn(3, x)),
    "y0": (lambda x: cs.y0(x), (0.3, 5), lambda x: sc.y0(x)),
    "y1": (lambda x: cs.y1(x), (0.3, 5), lambda x: sc.y1(x)),
    "yn": (lambda x: cs.yn(2, x), (0.5, 5), lambda x: sc.yn(2, x)),
}


def _points(name):
    low, high = CASES[name][1]
    return np.random.default_rng(len(name)).uniform(low, high, 3)


def _fd(fn, x, eps=1e-6):
    return (fn(x + eps) - fn(x - eps)) / (2 * eps)


def _summed(fn):
    return lambda x: cr.sum(fn(x))


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_matches_scipy(name):
    fn, _, ref = CASES[name]
    x = _points(name)
    out = fn(cr.tensor(x, requires_grad=True))
    assert isinstance(out, cr.Tensor) and out.needs
    assert np.all(np.isfinite(out.value))
    np.testing.assert_allclose(out.value, ref(x), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(name):
    fn, _, ref = CASES[name]
    x = _points(name)
    if name.startswith("logsumexp"):
        expected = np.array([_fd(lambda t, i=i: ref(x + t * np.eye(3)[i]), 0.0)
                             for i in range(3)])
    else:
        expected = _fd(ref, x)
    got = cr.grad(_summed(fn))(x)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivative_matches_finite_differences_of_the_gradient(name):
    fn, _, _ = CASES[name]
    x = _points(name)
    g = cr.grad(_summed(fn))
    hess = cr.hessian(_summed(fn))(x)
    eps = 1e-5
    fd = np.stack([(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(3)], -1)
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_mode_matches_reverse_mode(name):
    fn, _, _ = CASES[name]
    x = _points(name)
    np.testing.assert_allclose(cr.jacfwd(fn)(x), cr.jacobian(fn)(x), rtol=1e-12, atol=1e-14)


def test_scipys_own_ufuncs_dispatch_to_the_rules():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = sc.gammaln(x) + sc.erf(x) + sc.iv(1.0, x)
    assert isinstance(y, cr.Tensor)
    cr.sum(y).backward()
    np.testing.assert_allclose(x.grad, sc.digamma([0.5, 1.5]) + 2 / np.sqrt(np.pi)
                               * np.exp(-np.array([0.25, 2.25]))
                               + (sc.iv(0, [0.5, 1.5]) + sc.iv(2, [0.5, 1.5])) / 2)


def test_scalars_work_too():
    x = cr.Scalar(0.7)
    y = cs.erf(x) * cs.gammaln(x)
    y.backward()
    expected = (2 / np.sqrt(np.pi) * np.exp(-0.49) * sc.gammaln(0.7)
                + sc.erf(0.7) * sc.digamma(0.7))
    assert x.grad == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("call, arg", [
    (lambda t: cs.polygamma(t, 1.5), "n"), (lambda t: cs.iv(t, 1.5), "v"),
    (lambda t: cs.ive(t, 1.5), "v"), (lambda t: cs.jv(t, 1.5), "v"),
    (lambda t: cs.jn(t, 1.5), "v"),
    (lambda t: cs.yn(t, 1.5), "n"), (lambda t: cs.gammainc(t, 1.5), "a"),
    (lambda t: cs.gammaincc(t, 1.5), "a"), (lambda t: cs.betainc(t, 2.0, 0.5), "a"),
    (lambda t: cs.betainc(2.0, t, 0.5), "b"), (lambda t: sc.iv(t, 1.5), "v"),
])
def test_constant_arguments_refuse_a_gradient(call, arg):
    with pytest.raises(TypeError, match=f"no derivative with respect to {arg}"):
        call(cr.tensor(1.0, requires_grad=True))


def test_the_constant_argument_rule_itself_refuses():
    with pytest.raises(TypeError, match="with respect to v"):
        cs.IV.vjps[0](None, 1.0, 1.0, 1.0, 1.0)


def test_wrong_argument_count_and_unsupported_options():
    with pytest.raises(TypeError, match="takes 2 argument"):
        cs.iv(1.0)
    with pytest.raises(ValueError, match="return_sign"):
        cs.logsumexp(np.ones(2), return_sign=True)
    with pytest.raises(ValueError, match="b < 0"):
        cs.logsumexp(np.ones(2), b=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="multigammaln: a must be"):
        cs.multigammaln(0.5, 3)


def test_logsumexp_gradient_in_b_and_zero_weights():
    a = np.array([0.1, 0.5, -0.3])
    b = np.array([0.5, 2.0, 1.5])
    gb = cr.grad(lambda b: cs.logsumexp(a, b=b))(b)
    np.testing.assert_allclose(gb, np.exp(a) / np.sum(b * np.exp(a)), rtol=1e-12)
    ga = cr.grad(lambda a: cs.logsumexp(a, b=np.array([1.0, 0.0, 1.0])))(a)
    assert ga[1] == 0.0 and np.all(np.isfinite(ga))


def test_awkward_points():
    # gammaln at and near its poles: infinite value and derivative at the pole, finite and
    # correct just beside it
    with np.errstate(divide="ignore", invalid="ignore"):
        assert cs.gammaln(cr.tensor(0.0)).item() == np.inf
        near = -1 + 1e-6
        np.testing.assert_allclose(cr.grad(cs.gammaln)(near), sc.digamma(near), rtol=1e-12)
        # logit at 0 and 1: -inf and +inf, derivative +inf at both
        y = cs.logit(cr.tensor([0.0, 1.0], requires_grad=True))
        assert list(y.value) == [-np.inf, np.inf]
        assert list(cr.grad(lambda x: cr.sum(cs.logit(x)))(np.array([0.0, 1.0]))) == \
            [np.inf, np.inf]
    # rgamma at the poles of gamma: value 0, derivative (-1)**n n!
    assert cr.grad(cs.rgamma)(-3.0) == pytest.approx(-6.0)
    assert cr.grad(cs.rgamma)(0.0) == pytest.approx(1.0)
    assert cr.grad(lambda x: cr.sum(cs.rgamma(x)))(np.array([-2.0, 1.5])) == \
        pytest.approx([2.0, -sc.digamma(1.5) / sc.gamma(1.5)])


def test_chainrule_does_not_import_scipy_by_itself():
    code = "import sys, chainrule; chainrule.jvp; assert 'scipy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
