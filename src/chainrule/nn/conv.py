"""Convolution and pooling as im2col: ``unfold`` gathers every kernel window into columns
(numpy stride tricks, no Python loop over pixels) and a matmul does the rest.

``unfold`` (x (..., H, W) -> (..., kh, kw, OH, OW)) and ``fold`` (its adjoint: windows
added back into an image) are two primitives, each the other's VJP, so convolution is
differentiable to any order; padding is part of them (``fold`` crops it back).
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
            out[..., i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[..., i, j, :, :]
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


def unfold(x: Any, geo: Geometry, fill: float = 0.0) -> Any:
    """Every window of ``x`` (..., H, W): (..., kh, kw, OH, OW); padding holds ``fill``."""
    H, W = _shape(x)[-2:]
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    if out_size(H, kh, sh, ph, dh) < 1 or out_size(W, kw, sw, pw, dw) < 1:
        raise ShapeError(f"window {kh}x{kw} (dilation {dh}, {dw}) does not fit an input of "
                         f"{H}x{W} padded by ({ph}, {pw})")
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
    cols = unfold(x, geometry((kh, kw), stride, padding, dilation))   # N, C, kh, kw, OH, OW
    oh, ow = _shape(cols)[-2:]
    outs = []
    og = o // groups
    for g in range(groups):
        part = cols if groups == 1 else cols[:, g * cg:(g + 1) * cg]
        w = weight if groups == 1 else weight[g * og:(g + 1) * og]
        outs.append(F.matmul(F.reshape(w, (og, cg * kh * kw)),
                             F.reshape(part, (n, cg * kh * kw, oh * ow))))
    out = outs[0] if groups == 1 else F.concatenate(outs, 1)
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


def _pool_geo(kernel_size: Any, stride: Any, padding: Any) -> Geometry:
    k = _pair(kernel_size, "kernel_size")
    return geometry(k, k if stride is None else stride, padding, 1)


def _tiles(x: Any, geo: Geometry) -> Any:
    """Non-overlapping windows that tile the image exactly, as a reshape (no copy):
    (..., OH, kh, OW, kw); None when the windows overlap, skip pixels or pad."""
    kh, kw, sh, sw, ph, pw, dh, dw = geo
    shape = _shape(x)
    H, W = shape[-2:]
    if (kh, kw) != (sh, sw) or ph or pw or dh != 1 or dw != 1 or H % kh or W % kw:
        return None
    return F.reshape(x, shape[:-2] + (H // kh, kh, W // kw, kw))


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
    """The maximum of each window (padding counts as -inf, as in PyTorch); x (N, C, H, W)
    or (C, H, W). Ties split the gradient equally."""
    geo = _pool_geo(kernel_size, stride, padding)
    tiles = _tiles(x, geo)
    if tiles is not None:
        return F.max(tiles, (-3, -1))
    return F.max(unfold(x, geo, -np.inf), (-4, -3))


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
    """The mean of each window (padding zeros counted, PyTorch's default)."""
    geo = _pool_geo(kernel_size, stride, padding)
    tiles = _tiles(x, geo)
    if tiles is not None:
        return F.mean(tiles, (-3, -1))
    return F.mean(unfold(x, geo), (-4, -3))


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
