"""``np.fft`` on Tensors and ``cr.fft``: values as numpy's, gradients of real losses
against central differences in the real and imaginary directions of every input entry,
for every norm, lengths that crop and zero-pad, and chosen axes; second order against
differences of the gradient; forward mode against differences."""

from __future__ import annotations

import numpy as np
import pytest
from test_complex import numeric_complex_grad

import chainrule as cr

RNG = np.random.default_rng(3)
X = RNG.standard_normal(5)
XM = RNG.standard_normal((3, 4))
ZV = RNG.standard_normal(5) + 1j * RNG.standard_normal(5)
ZM = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
W = RNG.standard_normal(64)
NORMS = [None, "backward", "ortho", "forward"]


def _weights(shape):
    return W[: int(np.prod(shape))].reshape(shape)


def _loss(fn):
    """A real loss of ``fn``'s result: a weighted power spectrum of a complex result, a
    weighted sine of a real one. Works on arrays and Tensors alike."""
    def loss(z):
        y = fn(z)
        w = _weights(np.shape(y.data if isinstance(y, cr.Tensor) else y))
        if np.iscomplexobj(y.data if isinstance(y, cr.Tensor) else y):
            return np.sum(np.abs(y) ** 2 * w)
        return np.sum(np.sin(y) * w)
    return loss


def _check(fn, z):
    loss = _loss(fn)
    got = cr.grad(loss)(z)
    assert np.shape(got) == np.shape(z) and np.asarray(got).dtype == np.asarray(z).dtype
    expected = numeric_complex_grad(lambda v: float(loss(v)), z)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


ONE_AXIS = [(f, n, norm) for f in ("fft", "ifft", "rfft", "irfft")
            for n in (None, 3, 8) for norm in NORMS]


@pytest.mark.parametrize("name,n,norm", ONE_AXIS)
def test_one_axis_transforms_real_and_complex_inputs(name, n, norm):
    np_fn, cr_fn = getattr(np.fft, name), getattr(cr.fft, name)
    inputs = [ZV] if name == "irfft" else [X] if name == "rfft" else [X, ZV]
    for z in inputs:
        np.testing.assert_allclose(cr_fn(cr.tensor(z), n, norm=norm).data,
                                   np_fn(z, n, norm=norm), rtol=1e-12, atol=1e-12)
        _check(lambda v: np_fn(v, n, norm=norm), z)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft"])
def test_one_axis_transforms_along_a_chosen_axis(name):
    z = XM if name == "rfft" else ZM
    _check(lambda v: getattr(np.fft, name)(v, 5, axis=0, norm="ortho"), z)


MANY_AXES = [(f, s, axes, norm) for f in ("fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn",
                                          "rfftn", "irfftn")
             for s, axes in ((None, None), ((2, 6), None), ((4, 3), (1, 0)), ((5,), (0,)))
             for norm in ("backward", "ortho", "forward")]


@pytest.mark.parametrize("name,s,axes,norm", MANY_AXES)
def test_many_axis_transforms_crop_pad_and_axes(name, s, axes, norm):
    np_fn = getattr(np.fft, name)
    kwargs = {"norm": norm} if axes is None else {"axes": axes, "norm": norm}
    if s is not None and axes is None and name.endswith("n"):
        kwargs["axes"] = tuple(range(-len(s), 0))      # numpy 2 wants axes with s
    z = XM if name.startswith("rfft") else ZM
    np.testing.assert_allclose(getattr(cr.fft, name)(cr.tensor(z), s, **kwargs).data,
                               np_fn(z, s, **kwargs), rtol=1e-12, atol=1e-12)
    _check(lambda v: np_fn(v, s, **kwargs), z)


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
def test_shifts_move_the_zero_frequency(name):
    np_fn = getattr(np.fft, name)
    for axes in (None, 0, (1,)):
        np.testing.assert_array_equal(np_fn(cr.tensor(ZM), axes).data, np_fn(ZM, axes))
        _check(lambda v, a=axes: np_fn(v, a) * np.arange(12).reshape(3, 4), ZM)


@pytest.mark.parametrize("name,z", [("fft", ZV), ("rfft", X), ("irfft", ZV), ("fft2", ZM),
                                    ("rfftn", XM), ("irfft2", ZM)])
def test_second_order_matches_differences_of_the_gradient(name, z):
    np_fn = getattr(np.fft, name)

    def loss(v):
        y = np_fn(v, norm="ortho")
        return np.sum(np.abs(y) ** 3 * _weights(y.shape)) if np.iscomplexobj(y.data) else \
            np.sum(np.sin(y) * _weights(y.shape))
    g = cr.grad(loss)
    # the Hessian of a real function of complex z: differentiate each part of the gradient
    # (real numbers) with respect to each part of z
    for part in (np.real, np.imag):
        jac = cr.jacobian(lambda v, part=part: part(g(v)))(z)
        expected = np.zeros(jac.shape, dtype=jac.dtype)
        for i in np.ndindex(z.shape):
            e = np.zeros(z.shape, dtype=z.dtype)
            e[i] = 1e-6
            dx = (part(g(z + e)) - part(g(z - e))) / 2e-6
            if np.iscomplexobj(z):
                dy = (part(g(z + 1j * e)) - part(g(z - 1j * e))) / 2e-6
                expected[(...,) + i] = dx - 1j * dy
            else:
                expected[(...,) + i] = dx
        np.testing.assert_allclose(jac, expected, rtol=1e-5, atol=1e-6)


def test_hessian_of_a_real_signal_through_a_power_spectrum():
    def f(x):
        return np.sum(np.abs(np.fft.rfft(x)) ** 4)
    h = cr.hessian(f)(X)
    g = cr.grad(f)
    numeric = np.stack([(g(X + e) - g(X - e)) / 2e-6 for e in np.eye(5) * 1e-6], axis=1)
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-5)


def test_parseval_gives_the_closed_form_gradient():
    x = np.array([1.0, 2.0, 0.0, -1.0])
    np.testing.assert_allclose(cr.grad(lambda v: np.sum(np.abs(np.fft.fft(v)) ** 2))(x), 8 * x)
    z = np.array([1 + 1j, 2 - 1j])
    np.testing.assert_allclose(cr.grad(lambda v: np.sum(np.abs(np.fft.fft(v)) ** 2))(z),
                               4 * np.conj(z))


@pytest.mark.parametrize("name,z", [("fft", ZV), ("rfft", X), ("irfft", ZV), ("ifft2", ZM)])
def test_forward_mode_matches_differences(name, z):
    np_fn = getattr(np.fft, name)
    loss = _loss(lambda v: np_fn(v, norm="ortho"))
    v = RNG.standard_normal(z.shape) + (1j * RNG.standard_normal(z.shape)
                                        if np.iscomplexobj(z) else 0)
    _, jv = cr.jvp(loss, (z,), (v,))
    expected = (float(loss(z + 1e-6 * v)) - float(loss(z - 1e-6 * v))) / 2e-6
    assert float(jv) == pytest.approx(expected, rel=1e-6)


def test_numpy_on_tensors_returns_tensors_and_on_arrays_arrays():
    t = cr.tensor(X, requires_grad=True)
    assert isinstance(np.fft.rfft(t), cr.Tensor)
    assert isinstance(np.fft.fftshift(t), cr.Tensor)
    assert isinstance(cr.fft.fft(X), np.ndarray)
    np.testing.assert_allclose(cr.fft.irfft(cr.fft.rfft(X), 5), X)


def test_float32_stays_single_precision():
    y = np.fft.fft(cr.tensor(X.astype(np.float32)))
    assert y.dtype == np.complex64


def test_the_difference_check_catches_a_planted_wrong_rule(monkeypatch):
    from chainrule.rules import fft as rf
    monkeypatch.setattr(rf, "_DUAL", {"backward": "backward", "ortho": "ortho",
                                      "forward": "forward"})
    with pytest.raises(AssertionError):
        _check(lambda v: np.fft.rfft(v), X)


@pytest.mark.parametrize("call,error,message", [
    (lambda: np.fft.fft(cr.tensor(X), norm="unit"), ValueError, "norm='unit'"),
    (lambda: np.fft.fft(cr.tensor(X), 0), ValueError, r"invalid number of data points \(0\)"),
    (lambda: np.fft.rfft(cr.tensor(ZV)), TypeError, "rfft: the input is complex"),
    (lambda: np.fft.fftn(cr.tensor(ZM), axes=(0, 0)), ValueError, "name an axis twice"),
    (lambda: np.fft.fft2(cr.tensor(ZM), (2, 2, 2)), ValueError, "3 lengths for 2 axes"),
    (lambda: np.fft.fft(cr.tensor(ZV), axis=1), np.exceptions.AxisError, "axis 1 is out"),
    (lambda: np.fft.fftn(cr.tensor(ZV), axes=()), ValueError, "no axes"),
    (lambda: np.fft.fft(cr.tensor(ZV), out=np.zeros(5, complex)), TypeError, "out="),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_hfft_is_still_unruled_and_says_so():
    with pytest.raises(TypeError, match="np.fft.hfft has no chainrule derivative rule"):
        np.fft.hfft(cr.tensor(ZV))


def test_irfft_ignores_the_imaginary_parts_at_zero_and_nyquist():
    z = ZV[:3]                     # irfft to n = 4: frequencies 0, 1 and 2 = n/2
    g = cr.grad(lambda v: np.sum(np.fft.irfft(v) * np.arange(1.0, 5.0)))(z)
    assert g[0].imag == 0 and g[2].imag == 0 and g[1].imag != 0


def test_cropped_entries_get_gradient_zero():
    g = cr.grad(lambda v: np.sum(np.abs(np.fft.fft(v, 3)) ** 2))(ZV)
    assert np.all(g[3:] == 0) and np.all(g[:3] != 0)
