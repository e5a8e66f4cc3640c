"""``chainrule.scipy.signal.convolve``: N-dimensional convolution, differentiable in both
inputs, with scipy.signal.convolve's modes ``full``, ``same`` and ``valid``, and HIPS
autograd's generalisation: convolve along chosen pairs of axes (``axes``), contract other
pairs as a tensordot does (``dot_axes``), and keep the remaining axes of each input as an
outer product.

The primitive is the full convolution (scipy's direct method); ``same`` and ``valid`` are
slices of it, centred as scipy centres them. Its VJPs are full convolutions with the
flipped other input, sliced (a correlation), so second derivatives work; its JVPs are
derived from them by transposition. The generalised form has its own primitive on inputs
laid out (kept axes, dot axes, convolved axes), with VJPs of the same kind.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.signal as ss
from numpy.lib.stride_tricks import sliding_window_view

from ..core import Node
from ..ops.functions import FUNCTIONS as F
from ..primitive import Primitive, apply
from ._batch import shape_of


def _flipped(M: Any, x: Any, lead: int) -> Any:
    shape = shape_of(x)
    f = M.getitem(x, tuple(slice(None, None, -1) for _ in shape))
    return M.reshape(f, (1,) * lead + shape) if lead else f


def _correlate_valid(M: Any, g: Any, ans: Any, other: Any, size: tuple[int, ...]) -> Any:
    lead = len(shape_of(g)) - len(shape_of(ans))
    full = apply(CONVOLVE_FULL, g, _flipped(M, other, lead))
    start = [n - 1 for n in shape_of(other)]
    index = (slice(None),) * lead + tuple(slice(s, s + n) for s, n in zip(start, size))
    return M.getitem(full, index)


CONVOLVE_FULL = Primitive(
    "convolve", array_fn=lambda a, b: ss.convolve(a, b, mode="full", method="direct"),
    vjps=[lambda M, g, ans, a, b: _correlate_valid(M, g, ans, b, shape_of(a)),
          lambda M, g, ans, a, b: _correlate_valid(M, g, ans, a, shape_of(b))],
    inputs=("in1", "in2"), expr="convolve(in1, in2)",
    derivs=["correlate(g, in2, 'valid')", "correlate(g, in1, 'valid')"])


def _conv_laid_out(a: np.ndarray, b: np.ndarray, na: int, nb: int, nd: int
                   ) -> np.ndarray:
    """The full convolution of ``a`` (kept axes: ``na``, dot axes: ``nd``, then convolved
    axes) with ``b`` (``nb`` kept, ``nd`` dot, convolved), summed over the dot axes: shape
    (a's kept, b's kept, n + m - 1 per convolved axis)."""
    nc = a.ndim - na - nd
    n = a.shape[na + nd:]
    conv_b = tuple(range(nb + nd, nb + nd + nc))
    padded = np.pad(b, [(0, 0)] * (nb + nd) + [(k - 1, k - 1) for k in n])
    windows = sliding_window_view(padded, n, axis=conv_b) if nc else padded
    flipped = a[(Ellipsis,) + (slice(None, None, -1),) * nc] if nc else a
    axes_b = list(range(nb, nb + nd)) + list(range(nb + nd + nc, nb + nd + 2 * nc))
    return np.tensordot(flipped, windows, axes=(list(range(na, na + nd + nc)), axes_b))


def _flip_tail(M: Any, x: Any, nc: int) -> Any:
    return M.getitem(x, (Ellipsis,) + (slice(None, None, -1),) * nc) if nc else x


def _tail_slice(M: Any, x: Any, starts: tuple[int, ...], sizes: tuple[int, ...]) -> Any:
    if not starts:
        return x
    return M.getitem(x, (Ellipsis,) + tuple(slice(s, s + k) for s, k in zip(starts, sizes)))


def _general_vjp_a(M: Any, g: Any, ans: Any, a: Any, b: Any, na: int, nb: int, nd: int
                   ) -> Any:
    # dA[ia, d, k] = sum_{ib, t} G[ia, ib, t] B[ib, d, t - k]: G (kept: batch + ia, dot: ib)
    # convolved with B laid out (d, ib, flipped)
    sa, sb = shape_of(a), shape_of(b)
    nc = len(sa) - na - nd
    lead = len(shape_of(g)) - len(shape_of(ans))
    perm = tuple(range(nb, nb + nd)) + tuple(range(nb)) + tuple(range(nb + nd, len(sb)))
    other = _flip_tail(M, M.transpose(b, perm), nc)
    full = apply(CONVOLVE_GENERAL, g, other, lead + na, nd, nb)
    m = sb[nb + nd:]
    return _tail_slice(M, full, tuple(k - 1 for k in m), sa[na + nd:])


def _general_vjp_b(M: Any, g: Any, ans: Any, a: Any, b: Any, na: int, nb: int, nd: int
                   ) -> Any:
    # dB[ib, d, j] = sum_{ia, t} G[ia, ib, t] A[ia, d, t - j]: G laid out (batch, ib, ia)
    sa, sb = shape_of(a), shape_of(b)
    nc = len(sa) - na - nd
    lead = len(shape_of(g)) - len(shape_of(ans))
    gperm = (tuple(range(lead)) + tuple(range(lead + na, lead + na + nb))
             + tuple(range(lead, lead + na)) + tuple(range(lead + na + nb, len(shape_of(g)))))
    aperm = tuple(range(na, na + nd)) + tuple(range(na)) + tuple(range(na + nd, len(sa)))
    other = _flip_tail(M, M.transpose(a, aperm), nc)
    full = apply(CONVOLVE_GENERAL, M.transpose(g, gperm), other, lead + nb, nd, na)
    n = sa[na + nd:]
    return _tail_slice(M, full, tuple(k - 1 for k in n), sb[nb + nd:])


CONVOLVE_GENERAL = Primitive(
    "convolve", array_fn=_conv_laid_out, vjps=[_general_vjp_a, _general_vjp_b],
    inputs=("in1", "in2"), params=("kept axes of in1", "kept axes of in2", "dot axes"),
    expr="convolve(in1, in2, axes, dot_axes)",
    derivs=["correlate(g, in2, 'valid') over in2's kept axes",
            "correlate(g, in1, 'valid') over in1's kept axes"])


def _axis_list(what: str, axes: Any, ndim: int) -> list[int]:
    out = [int(x) for x in axes]
    if any(not -ndim <= x < ndim for x in out):
        raise ValueError(f"convolve: {what} {tuple(out)} out of range for {ndim} dimensions")
    return [x % ndim for x in out]


def _general(a: Any, b: Any, mode: str, axes: Any, dot_axes: Any) -> Any:
    sa, sb = shape_of(a), shape_of(b)
    if axes is None:
        if len(sa) != len(sb):
            raise ValueError(f"convolve: without axes, in1 and in2 should have the same "
                             f"dimensionality; got shapes {sa} and {sb}")
        axes = (range(len(sa)), range(len(sb)))
    conv_a, conv_b = _axis_list("axes", axes[0], len(sa)), _axis_list("axes", axes[1], len(sb))
    dot_a = _axis_list("dot_axes", dot_axes[0], len(sa))
    dot_b = _axis_list("dot_axes", dot_axes[1], len(sb))
    if len(conv_a) != len(conv_b) or len(dot_a) != len(dot_b):
        raise ValueError(f"convolve: axes {axes} and dot_axes {dot_axes} must pair as many "
                         f"axes of in1 as of in2")
    used_a, used_b = conv_a + dot_a, conv_b + dot_b
    if len(set(used_a)) != len(used_a) or len(set(used_b)) != len(used_b):
        raise ValueError(f"convolve: an axis appears twice in axes {axes} / dot_axes "
                         f"{dot_axes}")
    if [sa[i] for i in dot_a] != [sb[j] for j in dot_b]:
        raise ValueError(f"convolve: dot_axes {dot_axes} pair axes of different lengths: "
                         f"{[sa[i] for i in dot_a]} and {[sb[j] for j in dot_b]}")
    n, m = [sa[i] for i in conv_a], [sb[j] for j in conv_b]
    if mode == "valid" and not (all(x >= y for x, y in zip(n, m))
                                or all(y >= x for x, y in zip(n, m))):
        raise ValueError(f"convolve: for 'valid' mode, one input must be at least as large "
                         f"as the other along every convolved axis; got {n} and {m}")
    keep_a = [i for i in range(len(sa)) if i not in used_a]
    keep_b = [j for j in range(len(sb)) if j not in used_b]
    a_laid = F["transpose"](a, tuple(keep_a + dot_a + conv_a))
    b_laid = F["transpose"](b, tuple(keep_b + dot_b + conv_b))
    full = apply(CONVOLVE_GENERAL, a_laid, b_laid, len(keep_a), len(keep_b), len(dot_a))
    if mode == "full":
        return full
    if mode == "same":
        starts, sizes = tuple((y - 1) // 2 for y in m), tuple(n)
    else:
        starts = tuple(min(x, y) - 1 for x, y in zip(n, m))
        sizes = tuple(abs(x - y) + 1 for x, y in zip(n, m))
    return full[(Ellipsis,) + tuple(slice(s, s + k) for s, k in zip(starts, sizes))]


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto", *,
             axes: Any = None, dot_axes: Any = ((), ())) -> Any:
    """scipy.signal.convolve(in1, in2, mode), differentiable in both inputs (Tensors,
    arrays or numbers). ``method`` is accepted for scipy's signature; the direct sum is
    always used.

    ``axes=(axes1, axes2)`` and ``dot_axes=(dots1, dots2)`` (keyword-only; HIPS
    autograd's generalisation) convolve ``in1``'s axes ``axes1`` with ``in2``'s ``axes2``
    pair by pair and sum over the pairs ``dots1``/``dots2`` as ``np.tensordot`` does; every
    other axis is kept. The result's axes are in1's kept axes, then in2's, then the
    convolved ones (in ``axes1``'s order), each of length n + m - 1 (``full``), n (in1's,
    ``same``) or |n - m| + 1 (``valid``). Without them every axis is convolved, as scipy.

    Raises ValueError for an unknown mode, inputs of different ndim (without ``axes``),
    axes that do not pair up, or ``valid`` when neither input is at least as large as the
    other along every convolved axis."""
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")
    a = in1 if isinstance(in1, Node) else np.asarray(in1, dtype=float)
    b = in2 if isinstance(in2, Node) else np.asarray(in2, dtype=float)
    if axes is not None or any(len(d) for d in dot_axes):
        return _general(a, b, mode, axes, dot_axes)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != len(sb):
        raise ValueError(f"convolve: in1 and in2 should have the same dimensionality; got "
                         f"shapes {sa} and {sb}")
    full = apply(CONVOLVE_FULL, a, b)
    if mode == "full":
        return full
    if mode == "same":
        size = sa
    else:
        if not (all(x >= y for x, y in zip(sa, sb)) or all(y >= x for x, y in zip(sa, sb))):
            raise ValueError(f"convolve: for 'valid' mode, one input must be at least as "
                             f"large as the other in every axis; got {sa} and {sb}")
        size = tuple(abs(x - y) + 1 for x, y in zip(sa, sb))
    shape = shape_of(full)
    index = tuple(slice((n - k) // 2, (n - k) // 2 + k) for n, k in zip(shape, size))
    return full[index]


__all__ = ["convolve"]
