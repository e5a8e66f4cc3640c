"""Convolution and pooling without a Python loop over pixels: im2col by numpy stride tricks
and one batched matmul for convolution, and a loop over the kernel's kh*kw offsets (each a
whole-array strided slice) for pooling and for adding windows back.

Every piece is a primitive whose VJP is another piece, so everything is differentiable to
any order:

- ``unfold`` (x (..., H, W) -> (..., kh, kw, OH, OW)) and ``fold`` (its adjoint: windows
  added back into an image), for any stride;
- ``max_pool2d`` (the maximum of each window), ``pool_gather`` (a weighted sum over each
  window: average pooling as ``avg_pool2d``, and the tangent of max-pooling) and
  ``pool_scatter`` (its adjoint: each window's gradient spread back over it with the
  same weights).

Padding is part of them (the backward crops it back).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..core import Node
from ..errors import ShapeError
from ..ops import functions as F
from ..primitive import Primitive, apply

Geometry = tuple[int, int, int, int, int, int, int, int]
"""kh, kw, stride h, stride w, padding h, padding w, dilation h, dilation w."""


def out_size(n: int, k: int, s: int, p: int, d: int) -> int:
    """The output length of a window of size k (dilation d) sliding with stride s over n
    values padded by p on each side."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _padded(x: np.ndarray, ph: int, pw: int, fill: float, extra: int = 0) -> np.ndarray:
    """x (..., H, W) in a new C-contiguous (..., H + 2ph + extra, W + 2pw) array, ``fill``
    around it (``extra`` more rows of it at the bottom)."""
    H, W = x.shape[-2:]
    dtype = x.dtype if fill == 0 or x.dtype.kind in "fc" else np.float64
    out = np.empty(x.shape[:-2] + (H + 2 * ph + extra, W + 2 * pw), dtype)
    if ph or pw or extra:
        out.fill(fill)
    out[..., ph:ph + H, pw:pw + W] = x
    return out


def _window(a: np.ndarray, i: int, j: int, geo: Geometry, oh: int, ow: int) -> np.ndarray:
    """The (..., oh, ow) view of padded ``a`` that kernel offset (i, j) sees in each
    window."""
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    return a[..., i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def _unfold(x: np.ndarray, geo: Geometry, fill: float = 0.0) -> np.ndarray:
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    if ph or pw:
        x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)], constant_values=fill)
    H, W = x.shape[-2:]
    oh, ow = out_size(H, kh, sh, 0, dh), out_size(W, kw, sw, 0, dw)
    *lead, s_h, s_w = x.strides
    view = as_strided(x, x.shape[:-2] + (kh, kw, oh, ow),
                      (*lead, s_h * dh, s_w * dw, s_h * sh, s_w * sw), writeable=False)
    return np.ascontiguousarray(view)


def _fold(cols: np.ndarray, shape: tuple[int, int], geo: Geometry) -> np.ndarray:
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    H, W = shape
    oh, ow = cols.shape[-2:]
    out = np.zeros(cols.shape[:-4] + (H + 2 * ph, W + 2 * pw), dtype=cols.dtype)
    for i in range(kh):                 # one slice-add per kernel position
        for j in range(kw):
            _window(out, i, j, geo, oh, ow)[...] += cols[..., i, j, :, :]
    return out[..., ph:ph + H, pw:pw + W]


UNFOLD: Primitive = Primitive(
    "unfold", array_fn=_unfold,
    vjps=[lambda M, g, ans, x, geo, fill: apply(FOLD, g, x.shape[-2:], geo)],
    expr="unfold(x)", derivs=["1 per window that holds the pixel"],
    vjp_text=["fold(g): each window's gradient added back"], params=("geometry", "fill"))
FOLD: Primitive = Primitive(
    "fold", array_fn=_fold,
    vjps=[lambda M, g, ans, cols, shape, geo: apply(UNFOLD, g, geo, 0.0)],
    expr="fold(cols)", derivs=["1"], vjp_text=["unfold(g)"], params=("shape", "geometry"))


def _pool_out(shape: tuple[int, ...], geo: Geometry) -> tuple[int, int]:
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    return out_size(shape[-2], kh, sh, ph, dh), out_size(shape[-1], kw, sw, pw, dw)


def _max_pool(x: np.ndarray, geo: Geometry) -> np.ndarray:
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    x = np.asarray(x)
    oh, ow = _pool_out(x.shape, geo)
    xp = _padded(x, ph, pw, -np.inf) if ph or pw else x
    out = _window(xp, 0, 0, geo, oh, ow).copy()
    for i in range(kh):
        for j in range(kw):
            if i or j:
                np.maximum(out, _window(xp, i, j, geo, oh, ow), out=out)
    return out


def _max_weights(x: np.ndarray, ans: np.ndarray, geo: Geometry) -> np.ndarray:
    """(kh, kw, ..., OH, OW): 1/k where a window's k maxima are, 0 elsewhere (ties split
    the gradient equally)."""
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    oh, ow = ans.shape[-2:]
    xp = _padded(x, ph, pw, -np.inf) if ph or pw else x
    weights = np.empty((kh, kw) + ans.shape, xp.dtype if xp.dtype.kind == "f" else np.float64)
    for i in range(kh):
        for j in range(kw):
            np.equal(_window(xp, i, j, geo, oh, ow), ans, out=weights[i, j])
    weights /= np.add.reduce(weights, axis=(0, 1))
    return weights


def _max_pool_vjp(M: Any, g: Any, ans: Any, x: Any, geo: Geometry) -> Any:
    weights = _max_weights(M.value(x), M.value(ans), geo)
    return apply(POOL_SCATTER, g, weights, x.shape[-2:], geo)


def _max_pool_jvp(M: Any, t: Any, ans: Any, x: Any, geo: Geometry) -> Any:
    return apply(POOL_GATHER, t, _max_weights(M.value(x), M.value(ans), geo), geo)


def _pool_gather(x: np.ndarray, weights: Any, geo: Geometry) -> np.ndarray:
    """x (..., H, W) -> (..., OH, OW): the sum over each window of its pixels times
    ``weights`` (a number, or (kh, kw, ..., OH, OW): one weight per offset and window)."""
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    x = np.asarray(x)
    oh, ow = _pool_out(x.shape, geo)
    xp = _padded(x, ph, pw, 0.0) if ph or pw else x
    each = np.ndim(weights) > 0
    out: Any = None
    for i in range(kh):
        for j in range(kw):
            v = _window(xp, i, j, geo, oh, ow)
            if each:
                v = v * weights[i, j]
            if out is None:
                out = v if each else v.copy()
            else:
                out += v
    return out if each else out * weights


def _pool_scatter(g: np.ndarray, weights: Any, shape: tuple[int, int],
                  geo: Geometry) -> np.ndarray:
    """The adjoint of ``_pool_gather``: g (..., OH, OW) -> (..., H, W), each window's
    value times its weights added back over the window."""
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    H, W = shape
    oh, ow = g.shape[-2:]
    each = np.ndim(weights) > 0
    if not each:
        g = g * weights
    shape_p, dtype = g.shape[:-2] + (H + 2 * ph, W + 2 * pw), np.result_type(g, weights)
    if (sh, sw, dh, dw, ph, pw) == (kh, kw, 1, 1, 0, 0) and (oh * kh, ow * kw) == (H, W):
        out = np.empty(shape_p, dtype)  # the windows tile the image: each pixel written once
        for i in range(kh):
            for j in range(kw):
                win = _window(out, i, j, geo, oh, ow)
                if each:
                    np.multiply(g, weights[i, j], out=win)
                else:
                    win[...] = g
        return out
    out = np.zeros(shape_p, dtype)
    for i in range(kh):
        for j in range(kw):
            win = _window(out, i, j, geo, oh, ow)
            if each:
                win += g * weights[i, j]
            else:
                win += g
    return out[..., ph:ph + H, pw:pw + W]


MAX_POOL: Primitive = Primitive(
    "max_pool2d", array_fn=_max_pool, vjps=[_max_pool_vjp], jvps=[_max_pool_jvp],
    expr="max_pool2d(x)", derivs=["1 at each window's maximum, 0 elsewhere"],
    vjp_text=["g at each window's argmax (ties split equally), 0 elsewhere"],
    kink="ties split the gradient equally", params=("geometry",))


def _gather(name: str, doc: str) -> Primitive:
    """A weighted sum over each window, linear with real weights: its rules hold for
    complex data too (as ``mean``'s)."""
    return Primitive(
        name, array_fn=_pool_gather,
        vjps=[lambda M, g, ans, x, w, geo: apply(POOL_SCATTER, g, w, x.shape[-2:], geo)],
        jvps=[lambda M, t, ans, x, w, geo: apply(POOL_GATHER, t, w, geo)],
        expr=f"{name}(x)", derivs=[doc],
        vjp_text=["pool_scatter(g): each window's gradient spread back with the weights"],
        params=("weights", "geometry"), complex=True)


POOL_GATHER = _gather("pool_gather", "the weight of the pixel in each window holding it")
AVG_POOL = _gather("avg_pool2d", "1/(kh*kw) for each window holding the pixel")
POOL_SCATTER: Primitive = Primitive(
    "pool_scatter", array_fn=_pool_scatter,
    vjps=[lambda M, g, ans, x, w, shape, geo: apply(POOL_GATHER, g, w, geo)],
    jvps=[lambda M, t, ans, x, w, shape, geo: apply(POOL_SCATTER, t, w, shape, geo)],
    expr="pool_scatter(g)", derivs=["the weights"], vjp_text=["pool_gather(g)"],
    params=("weights", "shape", "geometry"), complex=True)


def _pair(v: Any, name: str) -> tuple[int, int]:
    t = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(t) != 2 or any(int(a) < 0 for a in t):
        raise ValueError(f"{name} must be a non-negative int or a pair, got {v!r}")
    return int(t[0]), int(t[1])


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(x.value if isinstance(x, Node) else x)


def geometry(kernel: tuple[int, int], stride: Any, padding: Any, dilation: Any) -> Geometry:
    """The window geometry; ``padding='same'`` (stride 1 only) pads to keep the size
    (an even kernel would need uneven padding: refused), 'valid' is 0."""
    kh, kw = kernel
    dh, dw = _pair(dilation, "dilation")
    sh, sw = _pair(stride, "stride")
    if sh < 1 or sw < 1:
        raise ValueError(f"stride must be >= 1, got {stride!r}")
    if padding == "same":
        if (sh, sw) != (1, 1):
            raise ValueError("padding='same' needs stride 1 (as in PyTorch)")
        th, tw = dh * (kh - 1), dw * (kw - 1)
        if th % 2 or tw % 2:
            raise ValueError("padding='same' with an even kernel (times dilation) needs "
                             "uneven padding, which is not supported; pad explicitly")
        ph, pw = th // 2, tw // 2
    elif padding == "valid":
        ph = pw = 0
    else:
        ph, pw = _pair(padding, "padding")
    return kh, kw, sh, sw, ph, pw, dh, dw


def _check_fits(x: Any, geo: Geometry) -> None:
    H, W = _shape(x)[-2:]
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    if out_size(H, kh, sh, ph, dh) < 1 or out_size(W, kw, sw, pw, dw) < 1:
        raise ShapeError(f"window {kh}x{kw} (dilation {dh}, {dw}) does not fit an input of "
                         f"{H}x{W} padded by ({ph}, {pw})")


def unfold(x: Any, geo: Geometry, fill: float = 0.0) -> Any:
    """Every window of ``x`` (..., H, W): (..., kh, kw, OH, OW); padding holds ``fill``."""
    _check_fits(x, geo)
    return apply(UNFOLD, x, geo, fill)


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """PyTorch's ``F.conv2d``: x (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) ->
    (N, O, OH, OW). Raises ShapeError when the channels do not match."""
    xs, ws = _shape(x), _shape(weight)
    if len(xs) != 4 or len(ws) != 4:
        raise ShapeError(f"conv2d: input must be (N, C, H, W) and weight (O, C/groups, kh, "
                         f"kw), got {xs} and {ws}")
    n, c = xs[:2]
    o, cg, kh, kw = ws
    if c % groups or o % groups or c // groups != cg:
        raise ShapeError(f"conv2d: input has {c} channels, weight {ws} expects "
                         f"{cg * groups} (groups={groups}); out channels {o} must divide "
                         "by groups")
    geo = geometry((kh, kw), stride, padding, dilation)
    _check_fits(x, geo)
    oh, ow = _pool_out(xs, geo)
    cols = apply(UNFOLD, x, geo, 0.0)                       # N, C, kh, kw, OH, OW
    og, k = o // groups, cg * kh * kw
    if groups == 1:                     # one batched matmul: (O, k) @ (N, k, OH*OW)
        out = F.matmul(F.reshape(weight, (o, k)), F.reshape(cols, (n, k, oh * ow)))
    else:                               # (G, O/G, k) @ (N, G, k, OH*OW)
        out = F.matmul(F.reshape(weight, (groups, og, k)),
                       F.reshape(cols, (n, groups, k, oh * ow)))
    out = F.reshape(out, (n, o, oh, ow))
    if bias is not None:
        out = out + F.reshape(bias, (o, 1, 1))
    return out


def conv1d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """PyTorch's ``F.conv1d``: x (N, C, L), weight (O, C/groups, k) -> (N, O, OL)."""
    xs, ws = _shape(x), _shape(weight)
    if len(xs) != 3 or len(ws) != 3:
        raise ShapeError(f"conv1d: input must be (N, C, L) and weight (O, C/groups, k), "
                         f"got {xs} and {ws}")

    def one(v: Any) -> tuple[int, int]:
        return (1, int(v)) if isinstance(v, (int, np.integer)) else (1, int(tuple(v)[0]))

    pad = padding if isinstance(padding, str) else (0, one(padding)[1])
    out = conv2d(F.reshape(x, (xs[0], xs[1], 1, xs[2])),
                 F.reshape(weight, (ws[0], ws[1], 1, ws[2])), bias, one(stride), pad,
                 one(dilation), groups)
    s = _shape(out)
    return F.reshape(out, (s[0], s[1], s[3]))


def _pool_geo(kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1) -> Geometry:
    k = _pair(kernel_size, "kernel_size")
    return geometry(k, k if stride is None else stride, padding, dilation)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1) -> Any:
    """The maximum of each window (padding counts as -inf, as in PyTorch); x (N, C, H, W)
    or (C, H, W) -> (..., OH, OW). Ties split the gradient equally."""
    geo = _pool_geo(kernel_size, stride, padding, dilation)
    _check_fits(x, geo)
    return apply(MAX_POOL, x, geo)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
    """The mean of each window (padding zeros counted, PyTorch's default); x (N, C, H, W)
    or (C, H, W) -> (..., OH, OW)."""
    geo = _pool_geo(kernel_size, stride, padding)
    _check_fits(x, geo)
    return apply(AVG_POOL, x, 1.0 / (geo[0] * geo[1]), geo)


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Any:
    """Average over PyTorch's adaptive windows: output cell i spans
    [floor(i H / oh), ceil((i + 1) H / oh))."""
    oh, ow = _pair(output_size, "output_size")
    H, W = _shape(x)[-2:]
    if H % oh == 0 and W % ow == 0:
        return avg_pool2d(x, (H // oh, W // ow))
    rows = []
    for i in range(oh):
        h0, h1 = (i * H) // oh, -((-(i + 1) * H) // oh)
        cells = []
        for j in range(ow):
            w0, w1 = (j * W) // ow, -((-(j + 1) * W) // ow)
            cells.append(F.mean(x[..., h0:h1, w0:w1], (-2, -1)))
        rows.append(F.stack(cells, -1))
    return F.stack(rows, -2)
