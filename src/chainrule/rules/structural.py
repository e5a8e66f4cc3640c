"""Structural primitives: reshape, transpose, broadcast, sum-to-shape, indexing and its
adjoint, concatenate, stack. They move numbers around; their VJPs move them back."""

from __future__ import annotations

import numpy as np

from ..math_namespaces import index_add, sum_to_shape
from ..primitive import defprimitive


def _lead(g, ans):
    return g.ndim - ans.ndim


def _transpose_vjp(M, g, ans, x, axes):
    lead = _lead(g, ans)
    inverse = np.argsort(axes) if axes is not None else tuple(range(x.ndim))[::-1]
    return M.transpose(g, tuple(range(lead)) + tuple(lead + int(i) for i in inverse))


def _sum_to_vjp(M, g, ans, x, shape, nb):
    lead = _lead(g, ans)
    extra = x.ndim - nb - len(shape)
    kept = x.shape[:nb] + (1,) * extra + tuple(shape)
    return M.broadcast_to(M.reshape(g, g.shape[:lead] + kept), g.shape[:lead] + x.shape)


def _batched_index(lead, index):
    return (slice(None),) * lead + (index if isinstance(index, tuple) else (index,))


def _transpose_jvp(M, t, ans, x, axes):
    lead = t.ndim - x.ndim
    order = tuple(range(x.ndim))[::-1] if axes is None else tuple(int(a) % x.ndim for a in axes)
    return M.transpose(t, tuple(range(lead)) + tuple(lead + a for a in order))


def _broadcast_jvp(M, t, ans, x, shape):
    lead = t.ndim - x.ndim
    padded = t.shape[:lead] + (1,) * (ans.ndim - x.ndim) + x.shape
    return M.broadcast_to(M.reshape(t, padded), t.shape[:lead] + ans.shape)


def _concat_jvp(i, M, t, ans, *args):
    *xs, axis = args
    start = sum(x.shape[axis] for x in xs[:i])
    where = (Ellipsis, slice(start, start + xs[i].shape[axis])) + (slice(None),) * (-axis - 1)
    return M.index_add(t, t.shape[:t.ndim - xs[i].ndim] + ans.shape, where)


def _stack_jvp(i, M, t, ans, *args):
    *xs, axis = args
    where = (Ellipsis, i) + (slice(None),) * (-axis - 1)
    return M.index_add(t, t.shape[:t.ndim - xs[i].ndim] + ans.shape, where)


def _concat_offsets(args):
    """(axis, offsets): where each input starts along ``axis``, computed once per node."""
    *xs, axis = args
    return axis, np.cumsum([0] + [x.shape[axis] for x in xs]).tolist()


def _concat_vjp(i, M, g, ans, ctx):
    axis, offsets = ctx
    return M.getitem(g, (Ellipsis, slice(offsets[i], offsets[i + 1]))
                     + (slice(None),) * (-axis - 1))


def _axis(args):
    return args[-1]


def _index_put_fn(x, value, index):
    out = np.array(x)
    out[index] = value
    return out


def _kept(shape, index):
    """Booleans of ``shape``: False where ``out[index] = value`` writes."""
    keep = np.ones(shape, dtype=bool)
    keep[index] = False
    return keep


def _written_shape(shape, index):
    return np.broadcast_to(np.empty((), dtype=np.int8), shape)[index].shape


def _winners(shape, index):
    """Booleans of the shape of ``x[index]``: True at the element each written position
    finally holds (numpy's assignment: of repeated positions the last one wins); None
    when no position repeats (every element lands)."""
    if not any(isinstance(i, (np.ndarray, list)) for i in
               (index if isinstance(index, tuple) else (index,))):
        return None
    where = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)[index].ravel()
    order = np.arange(where.size)
    last = np.full(int(np.prod(shape)), -1, dtype=np.intp)
    last[where] = order
    won = last[where] == order
    return None if won.all() else won.reshape(_written_shape(shape, index))


def _index_put_value_vjp(M, g, ans, x, value, index):
    lead = _lead(g, ans)
    c = M.getitem(g, _batched_index(lead, index))
    won = _winners(ans.shape, index)
    if won is not None:
        c = M.where(won, c, 0)
    vshape = np.shape(M.value(value))
    extra = len(vshape) - (np.ndim(M.value(c)) - lead)
    if extra > 0:                   # numpy lets a value carry extra leading 1s
        c = M.reshape(c, np.shape(M.value(c))[:lead] + (1,) * extra
                      + np.shape(M.value(c))[lead:])
    return M.sum_to(c, vshape, lead)


def _index_put_value_jvp(M, t, ans, x, value, index):
    vshape = np.shape(M.value(value))
    lead = np.ndim(M.value(t)) - len(vshape)
    tshape = np.shape(M.value(t))[:lead]
    written = _written_shape(ans.shape, index)
    # line the value's axes up with the written elements' (numpy's broadcasting)
    vshape = (1,) * (len(written) - len(vshape)) + vshape[max(len(vshape) - len(written), 0):]
    t = M.broadcast_to(M.reshape(t, tshape + vshape), tshape + written)
    won = _winners(ans.shape, index)
    if won is not None:
        t = M.where(won, t, 0)
    return M.index_add(t, tshape + ans.shape, _batched_index(lead, index))


def _stack_vjp(i, M, g, ans, axis):
    return M.getitem(g, (Ellipsis, i) + (slice(None),) * (-axis - 1))


RESHAPE = defprimitive(
    "reshape", array_fn=np.reshape,
    vjps=[lambda M, g, ans, x, shape: M.reshape(g, g.shape[:_lead(g, ans)] + x.shape)],
    jvps=[lambda M, t, ans, x, shape: M.reshape(t, t.shape[:t.ndim - x.ndim] + ans.shape)],
    expr="reshape(x)", derivs=["1 (elements move back)"], vjp_text=["g reshaped to x's shape"],
    params=("shape",), function="reshape", methods=("reshape",), numpy=(np.reshape,),
    formula="reshape(x, *shape)", doc="new shape, same size", complex=True)
TRANSPOSE = defprimitive(
    "transpose", array_fn=np.transpose, vjps=[_transpose_vjp],
    jvps=[_transpose_jvp],
    expr="transpose(x)", derivs=["1 (elements move back)"], vjp_text=["g transposed back"],
    params=("axes",), function="transpose", methods=("transpose",), numpy=(np.transpose,),
    formula="transpose(x, *axes)", doc="reverse (or permute) the axes", complex=True)
BROADCAST_TO = defprimitive(
    "broadcast_to", array_fn=np.broadcast_to,
    vjps=[lambda M, g, ans, x, shape: M.sum_to(g, x.shape, _lead(g, ans))],
    jvps=[_broadcast_jvp],
    expr="broadcast(x)", derivs=["1 per copy"], vjp_text=["g summed over the copies"],
    params=("shape",), function="broadcast_to", numpy=(np.broadcast_to,), complex=True)
SUM_TO = defprimitive(
    "sum_to", array_fn=sum_to_shape, vjps=[_sum_to_vjp],
    # the tangent keeps its own leading axes and x's nb batch axes, and sums the rest
    jvps=[lambda M, t, ans, x, shape, nb: M.sum_to(t, tuple(shape), t.ndim - x.ndim + nb)],
    expr="sum_to(x)", derivs=["1 for every element"], vjp_text=["g broadcast back"],
    params=("shape", "batch_ndim"), complex=True)
GETITEM = defprimitive(
    "getitem", array_fn=lambda x, index: x[index],
    vjps=[lambda M, g, ans, x, index: M.index_add(
        g, g.shape[:_lead(g, ans)] + x.shape, _batched_index(_lead(g, ans), index))],
    jvps=[lambda M, t, ans, x, index: M.getitem(t, _batched_index(t.ndim - x.ndim, index))],
    expr="x[index]", derivs=["1 at the selected elements (repeats add up)"],
    vjp_text=["zeros like x, g added at index"],
    params=("index",), complex=True)
INDEX_ADD = defprimitive(
    "index_add", array_fn=index_add,
    vjps=[lambda M, g, ans, x, shape, index: M.getitem(
        g, _batched_index(_lead(g, ans), index))],
    jvps=[lambda M, t, ans, x, shape, index: M.index_add(
        t, t.shape[:t.ndim - x.ndim] + ans.shape, _batched_index(t.ndim - x.ndim, index))],
    expr="scatter(x)", derivs=["1 at the index"], vjp_text=["g[index]"],
    params=("shape", "index"), complex=True)
INDEX_PUT = defprimitive(
    "index_put", array_fn=_index_put_fn,
    vjps=[lambda M, g, ans, x, value, index: M.where(_kept(ans.shape, index), g, 0),
          _index_put_value_vjp],
    jvps=[lambda M, t, ans, x, value, index: M.where(_kept(ans.shape, index), t, 0),
          _index_put_value_jvp],
    expr="x[index] = value", inputs=("x", "value"),
    derivs=["1 outside the index, 0 where written", "1 at the index (last write wins)"],
    vjp_text=["g with the written elements zeroed", "g[index] summed to value's shape"],
    params=("index",), complex=True)
CONCATENATE = defprimitive(
    "concatenate", array_fn=lambda *args: np.concatenate(args[:-1], axis=args[-1]),
    vjps=_concat_vjp, prep=_concat_offsets, variadic=True, inputs=("xs",),
    expr="concatenate(xs)", jvps=_concat_jvp,
    derivs=["1 (each input gets its slice back)"], vjp_text=["g sliced per input"],
    params=("axis",), function="concatenate", numpy=(np.concatenate,), complex=True)
STACK = defprimitive(
    "stack", array_fn=lambda *args: np.stack(args[:-1], axis=args[-1]),
    vjps=_stack_vjp, prep=_axis, variadic=True, inputs=("xs",), expr="stack(xs)",
    jvps=_stack_jvp,
    derivs=["1 (each input gets its slice back)"], vjp_text=["g[..., i, ...] per input"],
    params=("axis",), function="stack", numpy=(np.stack,), complex=True)

