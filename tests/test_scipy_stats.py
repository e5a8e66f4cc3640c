"""chainrule.scipy.stats: values match scipy.stats to 1e-12 relative, gradients in the
point, loc, scale and shape parameters match central differences of scipy's own values."""

from __future__ import annotations

import numpy as np
import pytest

st = pytest.importorskip("scipy.stats")

import chainrule as cr  # noqa: E402
from chainrule.scipy import stats as cs  # noqa: E402

FUNCTIONS = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf"]
# name -> (shape parameters, points: some outside the support where there is one)
CONTINUOUS = {
    "norm": ((), np.array([-1.3, 0.2, 0.7, 2.5])),
    "t": ((3.5,), np.array([-1.3, 0.2, 0.7, 2.5])),
    "gamma": ((2.3,), np.array([-0.5, 0.3, 1.7, 4.0])),
    "chi2": ((3.0,), np.array([-0.5, 0.3, 1.7, 4.0])),
    "beta": ((2.5, 1.7), np.array([-0.1, 0.2, 0.6, 0.9, 1.6])),
}
LOC, SCALE = 0.1, 1.3


def _close(got, ref):
    got = np.asarray(got.value if isinstance(got, cr.Tensor) else got)
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(np.isfinite(got), finite)
    np.testing.assert_array_equal(got[~finite], ref[~finite])
    np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-12, atol=1e-300)


def _fd(fn, x, eps=1e-6):
    return (fn(x + eps) - fn(x - eps)) / (2 * eps)


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_values_match_scipy(name, fn):
    shape, x = CONTINUOUS[name]
    ref = getattr(getattr(st, name), fn)(x, *shape, loc=LOC, scale=SCALE)
    _close(getattr(getattr(cs, name), fn)(cr.tensor(x, requires_grad=True), *shape,
                                          loc=LOC, scale=SCALE), ref)


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_gradients_in_x_loc_and_scale(name, fn):
    shape, x = CONTINUOUS[name]
    ours, ref = getattr(getattr(cs, name), fn), getattr(getattr(st, name), fn)
    inside = np.isfinite(ref(x, *shape, loc=LOC, scale=SCALE)) & \
        (ref(x, *shape, loc=LOC, scale=SCALE) != 0)
    x = x[inside]
    gx = cr.grad(lambda x: cr.sum(ours(x, *shape, loc=LOC, scale=SCALE)))(x)
    np.testing.assert_allclose(gx, _fd(lambda x: ref(x, *shape, loc=LOC, scale=SCALE), x),
                               rtol=1e-6, atol=1e-9)
    gl, gs = cr.grad(lambda loc, scale: cr.sum(ours(x, *shape, loc=loc, scale=scale)),
                     argnums=(0, 1))(LOC, SCALE)
    assert gl == pytest.approx(np.sum(_fd(lambda l: ref(x, *shape, loc=l, scale=SCALE), LOC)),
                               rel=1e-6, abs=1e-9)
    assert gs == pytest.approx(np.sum(_fd(lambda s: ref(x, *shape, loc=LOC, scale=s), SCALE)),
                               rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_loc_and_scale_by_position_follow_the_shape_parameters_as_scipy(name, fn):
    shape, x = CONTINUOUS[name]
    ours, ref = getattr(getattr(cs, name), fn), getattr(getattr(st, name), fn)
    _close(ours(cr.tensor(x), *shape, LOC, SCALE), ref(x, *shape, LOC, SCALE))
    _close(ours(cr.tensor(x), *shape, LOC, scale=SCALE), ref(x, *shape, LOC, scale=SCALE))
    x = x[np.isfinite(ref(x, *shape, LOC, SCALE)) & (ref(x, *shape, LOC, SCALE) != 0)]
    gl, gs = cr.grad(lambda loc, scale: cr.sum(ours(x, *shape, loc, scale)),
                     argnums=(0, 1))(LOC, SCALE)
    assert gl == pytest.approx(np.sum(_fd(lambda l: ref(x, *shape, l, SCALE), LOC)),
                               rel=1e-6, abs=1e-9)
    assert gs == pytest.approx(np.sum(_fd(lambda s: ref(x, *shape, LOC, s), SCALE)),
                               rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("call,message", [
    (lambda x: cs.norm.pdf(x, 0.1, 1.3, 2.0), r"norm.pdf: takes x, 0 shape parameter\(s\)"),
    (lambda x: cs.norm.cdf(x, 0.1, loc=0.2), "norm.cdf: loc given both"),
    (lambda x: cs.t.logsf(x, 3.0, 0.1, 1.3, scale=2.0), "t.logsf: scale given both"),
])
def test_positional_loc_and_scale_refuse_extras_and_duplicates(call, message):
    with pytest.raises(TypeError, match=message):
        call(np.array([0.5]))


@pytest.mark.parametrize("name", ["t", "gamma", "chi2", "beta"])
def test_density_gradients_in_the_shape_parameters(name):
    shape, x = CONTINUOUS[name]
    x = x[np.isfinite(st.__dict__[name].logpdf(x, *shape, loc=LOC, scale=SCALE))]
    for i in range(len(shape)):
        def ours(s, i=i):
            params = list(shape)
            params[i] = s
            return cr.sum(getattr(cs, name).logpdf(x, *params, loc=LOC, scale=SCALE))

        def ref(s, i=i):
            params = list(shape)
            params[i] = s
            return np.sum(getattr(st, name).logpdf(x, *params, loc=LOC, scale=SCALE))

        assert cr.grad(ours)(shape[i]) == pytest.approx(_fd(ref, shape[i]), rel=1e-6)


def test_outside_the_support_the_gradient_is_zero():
    g = cr.grad(lambda x: cr.sum(cs.gamma.logcdf(x, 2.0) + cs.gamma.pdf(x, 2.0)))(
        np.array([-1.0, 1.0]))
    assert g[0] == 0.0 and g[1] != 0.0


def test_shape_parameters_of_a_cdf_are_constants():
    with pytest.raises(TypeError, match="no derivative with respect to a"):
        cr.grad(lambda a: cs.gamma.cdf(1.0, a))(2.0)
    with pytest.raises(TypeError, match="no derivative with respect to df"):
        cr.grad(lambda df: cs.t.sf(1.0, df))(3.0)


@pytest.mark.parametrize("fn", ["pmf", "logpmf", "cdf", "logcdf", "sf", "logsf"])
def test_poisson_matches_scipy_and_differentiates_in_mu(fn):
    k = np.array([-1.0, 0.0, 1.0, 2.5, 3.0, 7.0])
    mu = 2.7
    ref = getattr(st.poisson, fn)(k, mu, loc=0)
    _close(getattr(cs.poisson, fn)(k, cr.tensor(mu, requires_grad=True)), ref)
    ok = np.isfinite(ref) & (ref != 0)
    g = cr.grad(lambda m: cr.sum(getattr(cs.poisson, fn)(k[ok], m)))(mu)
    assert g == pytest.approx(_fd(lambda m: np.sum(getattr(st.poisson, fn)(k[ok], m)), mu),
                              rel=1e-6)


def test_dirichlet_matches_scipy_and_differentiates():
    alpha = np.array([1.5, 2.0, 3.0])
    x = np.array([0.2, 0.3, 0.5])
    assert cs.dirichlet.logpdf(x, alpha) == pytest.approx(st.dirichlet.logpdf(x, alpha),
                                                          rel=1e-12)
    assert cs.dirichlet.pdf(x, alpha) == pytest.approx(st.dirichlet.pdf(x, alpha), rel=1e-12)
    ga = cr.grad(lambda a: cs.dirichlet.logpdf(x, a))(alpha)
    fd = [_fd(lambda s, i=i: st.dirichlet.logpdf(x, alpha + s * np.eye(3)[i]), 0.0)
          for i in range(3)]
    np.testing.assert_allclose(ga, fd, rtol=1e-6)
    points = np.array([[0.2, 0.1], [0.3, 0.6], [0.5, 0.3]])
    np.testing.assert_allclose(cs.dirichlet.logpdf(points, alpha),
                               st.dirichlet.logpdf(points, alpha), rtol=1e-12)
    with pytest.raises(ValueError, match="alpha must be a vector"):
        cs.dirichlet.logpdf(np.ones(2), alpha)


def test_multivariate_normal_matches_scipy_and_the_closed_form_gradients():
    rng = np.random.default_rng(2)
    cov = rng.normal(size=(3, 3))
    cov = cov @ cov.T + 3 * np.eye(3)
    mean, points = rng.normal(size=3), rng.normal(size=(5, 3))
    mvn = cs.multivariate_normal
    np.testing.assert_allclose(mvn.logpdf(points, mean, cov),
                               st.multivariate_normal.logpdf(points, mean, cov), rtol=1e-12)
    assert mvn.pdf(points[0], mean, cov) == pytest.approx(
        st.multivariate_normal.pdf(points[0], mean, cov), rel=1e-12)
    assert mvn.logpdf(points[0]) == pytest.approx(
        st.multivariate_normal.logpdf(points[0], np.zeros(3)), rel=1e-12)
    gm, gc, gx = cr.grad(lambda m, c, x: cr.sum(mvn.logpdf(x, m, c)), argnums=(0, 1, 2))(
        mean, cov, points)
    inv, d = np.linalg.inv(cov), points - mean
    np.testing.assert_allclose(gm, inv @ d.sum(0), rtol=1e-10)
    np.testing.assert_allclose(gx, -d @ inv, rtol=1e-10)
    np.testing.assert_allclose(gc, 0.5 * (inv @ d.T @ d @ inv - 5 * inv), rtol=1e-9)
    with pytest.raises(ValueError, match="3 components"):
        mvn.logpdf(points, np.zeros(2), cov)


def test_multivariate_normal_takes_scipys_allow_singular_false():
    x, mean, cov = np.array([0.3, -0.2]), np.array([0.1, 0.0]), np.array([[2.0, 0.3], [0.3, 1.0]])
    got = cs.multivariate_normal.pdf(x, mean, cov, allow_singular=False)
    assert float(got) == pytest.approx(st.multivariate_normal.pdf(x, mean, cov), rel=1e-12)
    with pytest.raises(np.linalg.LinAlgError):
        cs.multivariate_normal.logpdf(x, mean, np.ones((2, 2)))


def _singular_cov():
    # rank 2 in 3 dimensions, eigenvectors not aligned with the axes
    basis = np.linalg.qr(np.random.default_rng(5).normal(size=(3, 3)))[0]
    return basis[:, :2] @ np.diag([2.0, 0.5]) @ basis[:, :2].T, basis


def test_multivariate_normal_allow_singular_matches_scipy_on_and_off_the_support():
    cov, basis = _singular_cov()
    mean = np.array([0.2, -0.1, 0.4])
    on = mean + np.random.default_rng(6).normal(size=(4, 2)) @ basis[:, :2].T
    points = np.concatenate([on, on[:1] + 0.3 * basis[:, 2]])      # the last is off it
    mvn, ref = cs.multivariate_normal, st.multivariate_normal
    for fn in ("logpdf", "pdf"):
        got = getattr(mvn, fn)(points, mean, cov, allow_singular=True)
        _close(got, getattr(ref, fn)(points, mean, cov, allow_singular=True))
        one = getattr(mvn, fn)(points[0], mean, cov, allow_singular=True)
        assert float(one) == pytest.approx(getattr(ref, fn)(points[0], mean, cov,
                                                            allow_singular=True), rel=1e-12)
    assert float(mvn.logpdf(points[-1], mean, cov, allow_singular=True)) == -np.inf


def test_multivariate_normal_allow_singular_gradients_in_x_and_mean():
    cov, basis = _singular_cov()
    mean = np.array([0.2, -0.1, 0.4])
    # x moves within the support (x = mean + basis c), as a singular density requires
    coords = np.array([0.7, -0.4])
    ref = st.multivariate_normal

    def f_ref(c, m):
        return ref.logpdf(m + basis[:, :2] @ c, m, cov, allow_singular=True)

    def f(c, m):
        return cs.multivariate_normal.logpdf(m + basis[:, :2] @ c, m, cov, allow_singular=True)

    gc, gm = cr.grad(f, argnums=(0, 1))(coords, mean)
    fd_c = [_fd(lambda s, i=i: f_ref(coords + s * np.eye(2)[i], mean), 0.0) for i in range(2)]
    np.testing.assert_allclose(gc, fd_c, rtol=1e-6)
    np.testing.assert_allclose(gm, 0.0, atol=1e-12)     # x - mean does not depend on mean
    # in x itself (mean fixed), the gradient is -pinv(cov) (x - mean), second order -pinv
    x = mean + basis[:, :2] @ coords
    pinv = np.linalg.pinv(cov)
    g = cr.grad(lambda x: cs.multivariate_normal.logpdf(x, mean, cov, allow_singular=True))(x)
    np.testing.assert_allclose(g, -pinv @ (x - mean), rtol=1e-9, atol=1e-12)
    h = cr.hessian(lambda x: cs.multivariate_normal.logpdf(x, mean, cov,
                                                           allow_singular=True))(x)
    np.testing.assert_allclose(h, -pinv, rtol=1e-9, atol=1e-12)


def test_multivariate_normal_allow_singular_refuses_a_gradient_in_a_singular_cov():
    cov, _ = _singular_cov()
    with pytest.raises(TypeError, match="singular cov .rank 2 of 3"):
        cr.grad(lambda c: cs.multivariate_normal.logpdf(np.zeros(3), None, c,
                                                        allow_singular=True))(cov)
    with pytest.raises(TypeError, match="entropy: no gradient"):
        cr.grad(lambda c: cs.multivariate_normal.entropy(None, c))(cov)
    with pytest.raises(ValueError, match="positive semidefinite"):
        cs.multivariate_normal.logpdf(np.zeros(3), None, -cov, allow_singular=True)


def test_multivariate_normal_allow_singular_with_a_positive_definite_cov_differentiates_cov():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3))
    cov, x, mean = a @ a.T + np.eye(3), rng.normal(size=3), rng.normal(size=3)
    gc = cr.grad(lambda c: cs.multivariate_normal.logpdf(x, mean, c, allow_singular=True))(cov)
    inv, d = np.linalg.inv(cov), x - mean
    np.testing.assert_allclose(gc, 0.5 * (inv @ np.outer(d, d) @ inv - inv), rtol=1e-9)


def test_multivariate_normal_entropy_matches_scipy_and_differentiates_in_cov():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(3, 3))
    cov, mean = a @ a.T + np.eye(3), rng.normal(size=3)
    mvn, ref = cs.multivariate_normal, st.multivariate_normal
    assert float(mvn.entropy(mean, cov)) == pytest.approx(ref.entropy(mean, cov), rel=1e-12)
    assert float(mvn.entropy(cov=2.5)) == pytest.approx(ref.entropy(cov=2.5), rel=1e-12)
    singular, _ = _singular_cov()
    assert float(mvn.entropy(cov=singular)) == pytest.approx(ref.entropy(cov=singular),
                                                             rel=1e-12)
    gc = cr.grad(lambda c: mvn.entropy(mean, c))(cov)
    np.testing.assert_allclose(gc, 0.5 * np.linalg.inv(cov), rtol=1e-10)
    # second order: d/dcov of 1/2 log det(cov) in the direction e, twice
    e = rng.normal(size=(3, 3))
    e = e + e.T
    h = cr.grad(lambda c: cr.sum(cr.grad(lambda c2: mvn.entropy(mean, c2))(c) * e))(cov)
    inv = np.linalg.inv(cov)
    np.testing.assert_allclose(h, -0.5 * inv @ e @ inv, rtol=1e-8)
