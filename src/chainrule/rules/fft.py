"""Discrete Fourier transforms: ``fftn``, ``ifftn`` (complex to complex), ``rfftn`` (real
to half spectrum) and ``irfftn`` (half spectrum to real), over any axes, each axis first
cropped or zero-padded to its length in ``s``, with numpy's ``norm``.

Parameters are stored normalized: ``s`` a tuple of lengths, ``axes`` a tuple of distinct
negative axes (so cotangents may carry leading batch axes), ``norm`` one of "backward",
"ortho", "forward". Rules follow the convention of docs/complex.md (the VJP of a
complex-linear map A is A^T g, no conjugate):

- the DFT matrix is symmetric, so the VJP of ``fftn`` is ``fftn`` of the cotangent (same
  norm), cropped or zero-padded back to the input's lengths; likewise ``ifftn``;
- ``rfftn`` keeps the first n//2 + 1 frequencies of a real input's FFT along the last
  axis: its VJP is the real part of the FFT of the zero-extended cotangent, computed at
  half the cost as an ``irfftn`` of ``conj(g)`` with the middle frequencies halved, in
  the dual norm (backward <-> forward);
- ``irfftn`` reads each frequency of the half spectrum twice except 0 and n/2 (the
  imaginary parts of those it ignores): its VJP is ``conj(w * rfftn(g))`` in the dual
  norm, w = 2 for the middle frequencies and 1 at 0 and n/2 (JAX's rule).

Every rule is written with the primitives themselves, so it can be differentiated again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import REGISTRY, apply, defprimitive
from .complex import conjugate

NORMS = ("backward", "ortho", "forward")
_DUAL = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(x.value if hasattr(x, "value") else x)


def fit(M: Any, g: Any, axes: tuple[int, ...], sizes: tuple[int, ...]) -> Any:
    """``g`` cropped or zero-padded at the end of each axis in ``axes`` to ``sizes``: the
    transpose of the same crop or pad (written with differentiable ops)."""
    shape = list(_shape(g))
    crop = [slice(None)] * len(shape)
    cropped = False
    for ax, n in zip(axes, sizes):
        if shape[ax] > n:
            crop[ax] = slice(0, n)
            shape[ax] = n
            cropped = True
    if cropped:
        g = M.getitem(g, tuple(crop))
    if any(shape[ax] < n for ax, n in zip(axes, sizes)):
        where = tuple(slice(0, s) for s in shape)
        for ax, n in zip(axes, sizes):
            shape[ax] = max(shape[ax], n)
        g = M.index_add(g, tuple(shape), where)
    return g


def _c2c(x: Any, s: tuple[int, ...], axes: tuple[int, ...], norm: Any,
         inverse: bool) -> np.ndarray:
    if len(axes) == 1:
        fn = np.fft.ifft if inverse else np.fft.fft
        return fn(x, s[0], axes[0], norm)
    fnn = np.fft.ifftn if inverse else np.fft.fftn
    return fnn(x, s, axes, norm)


def _complex_to_complex(name: str, inverse: bool):
    def forward(x, s, axes, norm):
        return _c2c(x, s, axes, norm, inverse)

    def vjp(M, g, ans, x, s, axes, norm):
        prim = IFFTN if inverse else FFTN
        return fit(M, apply(prim, g, s, axes, norm), axes,
                   tuple(_shape(x)[a] for a in axes))

    def jvp(M, t, ans, x, s, axes, norm):
        return apply(IFFTN if inverse else FFTN, t, s, axes, norm)

    sign = "+" if inverse else "-"
    return defprimitive(
        name, array_fn=forward, vjps=[vjp], jvps=[jvp], params=("s", "axes", "norm"),
        expr=f"{name}(x)", derivs=[f"the DFT matrix{' (inverse)' if inverse else ''}"],
        vjp_text=[f"{name}(g) cropped or zero-padded back to x's lengths"],
        domain="real or complex x", complex=True,
        doc=f"The n-dimensional discrete Fourier transform (exp({sign}2 pi i k t / n))")


def _half_weights(n: int, axis: int, full: float) -> np.ndarray:
    """Along ``axis``: 1 at frequency 0 (and n/2 for even n), ``full`` in between, for the
    n//2 + 1 frequencies of a real signal of length n."""
    w = np.full(n // 2 + 1, full)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.reshape((-1,) + (1,) * (-axis - 1))


def _rfft_vjp(M, g, ans, x, s, axes, norm):
    if len(axes) > 1:
        g = apply(FFTN, g, s[:-1], axes[:-1], norm)
    ax, n = axes[-1], s[-1]
    h = conjugate(g) * _half_weights(n, ax, 0.5)
    out = apply(IRFFTN, h, (n,), (ax,), _DUAL[norm])
    return fit(M, out, axes, tuple(_shape(x)[a] for a in axes))


def _irfft_vjp(M, g, ans, x, s, axes, norm):
    ax, n = axes[-1], s[-1]
    h = conjugate(apply(RFFTN, g, (n,), (ax,), _DUAL[norm]) * _half_weights(n, ax, 2.0))
    if len(axes) > 1:
        h = apply(IFFTN, h, s[:-1], axes[:-1], norm)
    return fit(M, h, axes, tuple(_shape(x)[a] for a in axes))


def _rfftn(x, s, axes, norm):
    if np.iscomplexobj(x):
        raise TypeError("rfft: the input is complex; rfft transforms real data (use fft)")
    if len(axes) == 1:
        return np.fft.rfft(x, s[0], axes[0], norm)
    return np.fft.rfftn(x, s, axes, norm)


def _irfftn(x, s, axes, norm):
    if len(axes) == 1:
        return np.fft.irfft(x, s[0], axes[0], norm)
    return np.fft.irfftn(x, s, axes, norm)


FFTN = _complex_to_complex("fftn", False)
IFFTN = _complex_to_complex("ifftn", True)
RFFTN = defprimitive(
    "rfftn", array_fn=_rfftn, vjps=[_rfft_vjp],
    jvps=[lambda M, t, ans, x, s, axes, norm: apply(REGISTRY["rfftn"], t, s, axes, norm)],
    params=("s", "axes", "norm"), expr="rfftn(x)",
    derivs=["the DFT matrix, first n//2 + 1 rows along the last axis"],
    vjp_text=["irfftn(conj(g) * (1 at 0 and n/2, else 1/2)) in the dual norm, fitted back"],
    domain="real x", complex=True,
    doc="The DFT of real data: the non-negative frequencies along the last axis")
IRFFTN = defprimitive(
    "irfftn", array_fn=_irfftn, vjps=[_irfft_vjp],
    jvps=[lambda M, t, ans, x, s, axes, norm: apply(REGISTRY["irfftn"], t, s, axes, norm)],
    params=("s", "axes", "norm"), expr="irfftn(x)",
    derivs=["the inverse DFT of the Hermitian extension of x (real-linear)"],
    vjp_text=["conj((2, or 1 at 0 and n/2) * rfftn(g)) in the dual norm, fitted back"],
    domain="complex x (the imaginary parts at frequencies 0 and n/2 are ignored)",
    kink="the imaginary parts at frequencies 0 and n/2 get gradient 0", complex=True,
    doc="The inverse of rfftn: a real signal from its non-negative frequencies")
