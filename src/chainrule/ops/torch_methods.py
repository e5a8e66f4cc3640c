"""Tensor methods with PyTorch's names and meanings, installed on top of the methods the
rule table generates (``t.sum()``, ``t.exp()``...).

Both spellings work where the two libraries only differ in a name: ``dim=``/``axis=``,
``keepdim=``/``keepdims=``. Where they differ in meaning, a *method* follows PyTorch (the
``cr.*`` functions follow numpy): ``t.max(dim)`` returns (values, indices), ``t.var()`` and
``t.std()`` are unbiased, ``t.squeeze(d)`` leaves a dimension that is not 1,
``t.transpose(d0, d1)`` swaps two dimensions, ``t.chunk``/``t.split`` cut as PyTorch does.
docs/conventions.md lists every difference.

Everything here is built from differentiable ops (reshape, getitem, where, the cast rule
below), so gradients, ``create_graph`` and ``hessian`` work through every method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..conversions import dropped
from ..core import Node
from ..core.recording import recording, transform_level
from ..errors import InPlaceError, ShapeError
from ..primitive import Primitive, apply
from ..tensor import Tensor
from . import functions as F


# -- the cast rule: t.to(dtype), t.float(), t.double() ----------------------------------
def _cast(x: np.ndarray, dtype: Any) -> np.ndarray:
    return x.astype(dtype)


def _cast_vjp(M: Any, g: Any, ans: Any, x: Any, dtype: Any) -> Any:
    return apply(CAST, g, x.dtype)


CAST: Primitive = Primitive(
    "cast", array_fn=_cast, vjps=[_cast_vjp],
    expr="cast(x)", derivs=["1"], vjp_text=["g cast back to x's dtype"], params=("dtype",))
"""Change the dtype of a Tensor; the gradient is cast back (differentiable again)."""

DTYPES = {"float32": np.float32, "float64": np.float64, "float": np.float32,
          "double": np.float64, "int64": np.int64, "long": np.int64, "int32": np.int32,
          "int": np.int32, "bool": np.bool_, "float16": np.float16, "half": np.float16}


def as_dtype(dtype: Any) -> np.dtype:
    """``dtype`` (a numpy dtype, a type, or a name such as 'float32' or 'torch.float32')
    as a numpy dtype. Raises TypeError for something that is not a dtype."""
    if isinstance(dtype, str):
        key = dtype.removeprefix("torch.")
        if key in DTYPES:
            return np.dtype(DTYPES[key])
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"not a dtype: {dtype!r}; use cr.float32, cr.float64 or "
                        "cr.int64") from None


def to(x: Tensor, *args: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
    """``x`` in another dtype (``x.to(cr.float32)``); a device ('cpu') is accepted and
    ignored, any other device is refused. Returns ``x`` itself when nothing changes. A cast
    to an integer or bool dtype gives a Tensor that does not require grad."""
    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"to(): unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) and (a == "cpu" or a.startswith(("cuda", "mps"))):
            device = a
        else:
            dtype = a
    if device is not None and str(device) != "cpu":
        raise ValueError(f"to({device!r}): chainrule computes on the CPU with numpy; "
                         "drop the device (or use 'cpu')")
    if dtype is None:
        return x
    dt = as_dtype(dtype)
    if dt == x.dtype:
        return x
    if dt.kind not in "fc":
        return Tensor._node(x.value.astype(dt), (), None, False)
    return Tensor._apply(CAST, (x, dt))


# -- argument spellings -------------------------------------------------------------------
def _axis(op: str, dim: Any, axis: Any) -> Any:
    if dim is not None and axis is not None:
        raise TypeError(f"{op}(): give dim= or axis=, not both")
    return axis if dim is None else dim


def _keep(op: str, keepdim: Any, keepdims: Any) -> bool:
    if keepdim is not None and keepdims is not None:
        raise TypeError(f"{op}(): give keepdim= or keepdims=, not both")
    return bool(keepdims if keepdim is None else keepdim)


def _reduce_with(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def method(self: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
               keepdims: Any = None, dtype: Any = None) -> Any:
        if axis is None and keepdims is None:      # PyTorch's spelling: nothing to reconcile
            out = fn(self, dim, bool(keepdim))
        else:
            out = fn(self, _axis(name, dim, axis), _keep(name, keepdim, keepdims))
        return out if dtype is None else to(out, dtype)

    method.__doc__ = (f"{name} over ``dim`` (alias ``axis``; int, tuple or None for all), "
                      "keeping reduced axes with ``keepdim`` (alias ``keepdims``).")
    return method


# -- reductions with PyTorch's meanings ----------------------------------------------------
class MinMax(NamedTuple):
    """``t.max(dim)``'s result, as PyTorch's: ``values`` and ``indices`` (int64)."""

    values: Tensor
    indices: Tensor


def _extreme(name: str) -> Callable[..., Any]:
    arg = getattr(np, "arg" + name)

    def method(self: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
               keepdims: Any = None) -> Any:
        if isinstance(dim, (Tensor, np.ndarray)):
            return F.FUNCTIONS["maximum" if name == "max" else "minimum"](self, dim)
        keep = _keep(name, keepdim, keepdims)
        if dim is None:                    # numpy's reading: the values only
            return F.FUNCTIONS[name](self, axis, keep)
        if axis is not None:
            raise TypeError(f"{name}(): give dim= or axis=, not both")
        d = int(dim)
        values = F.FUNCTIONS[name](self, d, keep)
        idx = arg(self.value, axis=d, keepdims=keep).astype(np.int64)
        return MinMax(values, Tensor._node(idx, (), None, False))

    method.__doc__ = (f"``t.{name}()``: the {name}imum of all elements; ``t.{name}(dim)``: "
                      f"PyTorch's (values, indices) along ``dim``; ``t.{name}(axis=...)``: "
                      f"numpy's values only; ``t.{name}(other)``: the elementwise {name}imum.")
    return method


def _arg(name: str) -> Callable[..., Any]:
    fn = getattr(np, name)

    def method(self: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
               keepdims: Any = None) -> Tensor:
        d = _axis(name, dim, axis)
        keep = _keep(name, keepdim, keepdims)
        out = fn(self.value if d is not None else self.value.reshape(-1),
                 axis=d if d is not None else 0, keepdims=keep and d is not None)
        return Tensor._node(np.asarray(out, dtype=np.int64), (), None, False)

    method.__doc__ = (f"The index of the {name[3:]}imum (int64, no gradient): over all "
                      "elements (flat index) or along ``dim``.")
    return method


def _var_args(op: str, dim: Any, unbiased: bool | None, keepdim: Any, correction: Any,
              axis: Any, keepdims: Any, ddof: Any) -> tuple[Any, float, bool]:
    d = _axis(op, dim, axis)
    keep = _keep(op, keepdim, keepdims)
    c = 1.0
    for given in (correction, ddof):
        if given is not None:
            c = float(given)
    if unbiased is not None:
        c = 1.0 if unbiased else 0.0
    return d, c, keep


def var(self: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: Any = None, *,
        correction: float | None = None, axis: Any = None, keepdims: Any = None,
        ddof: float | None = None) -> Tensor:
    """Variance over ``dim`` (all elements by default), *unbiased* as in PyTorch:
    divided by n - 1. ``unbiased=False``, ``correction=0`` or ``ddof=0`` divide by n."""
    d, c, keep = _var_args("var", dim, unbiased, keepdim, correction, axis, keepdims, ddof)
    return F.FUNCTIONS["var"](self, axis=d, ddof=c, keepdims=keep)


def std(self: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: Any = None, *,
        correction: float | None = None, axis: Any = None, keepdims: Any = None,
        ddof: float | None = None) -> Tensor:
    """Standard deviation: the square root of :func:`var` (unbiased by default). Where
    every element of a slice is equal (std 0) the gradient is 0, as PyTorch's."""
    d, c, keep = _var_args("std", dim, unbiased, keepdim, correction, axis, keepdims, ddof)
    return F.FUNCTIONS["std"](self, axis=d, ddof=c, keepdims=keep)


def prod(self: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Product over ``dim`` (one int) or over all elements. Its gradient is right at
    zeros too (it multiplies the slices one by one)."""
    d = _axis("prod", dim, axis)
    keep = _keep("prod", keepdim, keepdims)
    return F.FUNCTIONS["prod"](self, axis=d, keepdims=keep)


def norm(self: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, *,
         ord: Any = None, axis: Any = None, keepdims: Any = None) -> Tensor:
    """PyTorch's ``t.norm(p, dim, keepdim)``: the vector p-norm of all elements (or over
    ``dim``: an int or a tuple), ``p="fro"`` the 2-norm, ``p="nuc"`` the nuclear norm of
    a matrix (``dim`` a pair of axes). So ``t.norm(1)`` of a matrix is the sum of |t|, as
    in PyTorch, not numpy's largest column sum. numpy's spellings (``ord=``, ``axis=``,
    ``keepdims=``) give ``np.linalg.norm``'s meaning instead."""
    if ord is not None or axis is not None or keepdims is not None:
        if dim is not None and axis is not None:
            raise TypeError("norm(): give dim= or axis=, not both")
        return F.FUNCTIONS["norm"](self, ord, axis if axis is not None else dim,
                                   _keep("norm", keepdim or None, keepdims))
    if p == "nuc":
        return F.FUNCTIONS["norm"](self, "nuc", dim, bool(keepdim))
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm(): p must be a number, 'fro' or 'nuc', got {p!r}")
    return F.FUNCTIONS["vector_norm"](self, axis=dim, keepdims=bool(keepdim), ord=p)


# -- shapes -----------------------------------------------------------------------------
def view(self: Tensor, *shape: Any) -> Tensor:
    """``reshape``, as PyTorch's ``view`` (a dtype argument is refused: use ``to``)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        raise TypeError(f"view({shape[0]!r}): reinterpreting bytes as another dtype is not "
                        "supported; use t.to(dtype) to convert")
    return F.reshape(self, *shape)


def unsqueeze(self: Tensor, dim: int) -> Tensor:
    """A new axis of size 1 at ``dim`` (negative counts from the end of the result)."""
    nd = self.ndim + 1
    if not -nd <= dim < nd:
        raise IndexError(f"unsqueeze: dim {dim} out of range for a result with {nd} dims")
    d = dim % nd
    return F.reshape(self, self.shape[:d] + (1,) + self.shape[d:])


def squeeze(self: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Drop axes of size 1: all of them, or ``dim`` (int or tuple) only if it is 1 (as in
    PyTorch: an axis that is not 1 is left as it is, not an error)."""
    d = _axis("squeeze", dim, axis)
    nd = self.ndim
    dims = range(nd) if d is None else [int(a) % max(nd, 1) for a in np.atleast_1d(d)]
    drop = {a for a in dims if nd and self.shape[a] == 1}
    return F.reshape(self, tuple(s for i, s in enumerate(self.shape) if i not in drop))


def flatten(self: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim`` .. ``end_dim`` (inclusive) into one."""
    nd = max(self.ndim, 1)
    for d in (start_dim, end_dim):
        if not -nd <= d < nd:
            raise IndexError(f"flatten: dim {d} out of range for a Tensor with "
                             f"{self.ndim} dims")
    if self.ndim == 0:
        return F.reshape(self, (1,))
    s, e = start_dim % nd, end_dim % nd
    if s > e:
        raise ValueError(f"flatten({start_dim}, {end_dim}): start_dim comes after end_dim "
                         f"for a Tensor of shape {self.shape}")
    merged = int(np.prod(self.shape[s:e + 1]))     # explicit: -1 is ambiguous at size 0
    return F.reshape(self, self.shape[:s] + (merged,) + self.shape[e + 1:])


def permute(self: Tensor, *dims: Any) -> Tensor:
    """Reorder the axes: ``t.permute(2, 0, 1)`` or ``t.permute((2, 0, 1))``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return F.transpose(self, tuple(dims))


def transpose(self: Tensor, *dims: Any) -> Tensor:
    """PyTorch's ``t.transpose(d0, d1)``: swap two axes. With no argument (numpy's
    reading, used by ``.T``) reverse them; for a full permutation use ``permute``."""
    if not dims:
        return F.transpose(self)
    if len(dims) != 2:
        raise TypeError(f"transpose{dims}: the method swaps two dims (PyTorch's meaning); "
                        "use t.permute(*dims) or cr.transpose(t, axes) for a permutation")
    nd = self.ndim
    perm = list(range(nd))
    a, b = (int(d) % nd for d in dims)
    perm[a], perm[b] = perm[b], perm[a]
    return F.transpose(self, tuple(perm))


def t(self: Tensor) -> Tensor:
    """The transpose of a matrix (a 0- or 1-D Tensor is returned as it is)."""
    if self.ndim > 2:
        raise ValueError(f"t(): expects a Tensor with <= 2 dims, got {self.ndim}; use "
                         "transpose(d0, d1) or permute")
    return self if self.ndim < 2 else F.transpose(self)


def expand(self: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes`` without copying; -1 keeps an axis's size."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - self.ndim
    if lead < 0:
        raise ValueError(f"expand{tuple(sizes)}: fewer sizes than the Tensor's {self.ndim} "
                         f"dims (shape {self.shape})")
    if any(s == -1 for s in sizes[:lead]):
        raise ValueError(f"expand{tuple(sizes)}: -1 is not allowed for a new leading dim "
                         "(it keeps the size of an existing dim)")
    shape = tuple(self.shape[i - lead] if s == -1 else int(s) for i, s in enumerate(sizes))
    return F.broadcast_to(self, shape)


def repeat(self: Tensor, *reps: Any) -> Tensor:
    """Tile the Tensor ``reps[i]`` times along each axis (PyTorch's ``repeat``, numpy's
    ``tile``)."""
    if len(reps) == 1 and isinstance(reps[0], (tuple, list)):
        reps = tuple(reps[0])
    if len(reps) < self.ndim:
        raise ValueError(f"repeat{reps}: needs at least {self.ndim} sizes (one per dim)")
    shape = (1,) * (len(reps) - self.ndim) + self.shape
    x = F.reshape(self, tuple(v for s in shape for v in (1, s)))
    x = F.broadcast_to(x, tuple(v for r, s in zip(reps, shape) for v in (int(r), s)))
    return F.reshape(x, tuple(int(r) * s for r, s in zip(reps, shape)))


def _slices(self: Tensor, sizes: Sequence[int], dim: int) -> tuple[Tensor, ...]:
    d = dim % self.ndim
    out, start = [], 0
    for s in sizes:
        out.append(self[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return tuple(out)


def split(self: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """PyTorch's split: pieces of ``split_size`` along ``dim`` (the last may be smaller),
    or of the listed sizes (which must add up to the axis)."""
    n = self.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, but dim {dim} "
                             f"has {n}")
    else:
        k = int(split_size_or_sections)
        if k < 1:
            raise ValueError(f"split: split_size must be positive, got {k}")
        sizes = [min(k, n - i) for i in range(0, n, k)] or [0]   # PyTorch: one empty piece
    return _slices(self, sizes, dim)


def chunk(self: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """PyTorch's chunk: at most ``chunks`` pieces of ceil(n / chunks) along ``dim``."""
    if chunks < 1:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = self.shape[dim]
    if n == 0:                 # PyTorch: ``chunks`` empty pieces
        return _slices(self, [0] * chunks, dim)
    return split(self, -(-n // chunks), dim)


# -- selection ----------------------------------------------------------------------------
def _index_array(op: str, index: Any, size: int) -> np.ndarray:
    arr = np.asarray(index.value if isinstance(index, Node) else index)
    if arr.dtype.kind not in "iu":
        raise IndexError(f"index must hold integers, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= size):    # PyTorch: no wrap-around
        bad = arr[(arr < 0) | (arr >= size)].flat[0]
        raise IndexError(f"{op}: index {bad} is out of range for a dim of size {size}")
    return arr


def gather(self: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = self[index[i][j]][j]`` for dim 0 (PyTorch's gather): ``index`` has
    the input's number of dims; the result has ``index``'s shape."""
    idx = _index_array("gather", index, self.shape[dim] if self.ndim else 1)
    if idx.ndim != self.ndim:
        raise ValueError(f"gather: index has {idx.ndim} dims, the input {self.ndim}")
    grid: list[Any] = list(np.indices(idx.shape, sparse=True))
    grid[dim % self.ndim] = idx
    return self[tuple(grid)]


def index_select(self: Tensor, dim: int, index: Any) -> Tensor:
    """The entries at the 1-D integer ``index`` along ``dim``."""
    idx = _index_array("index_select", index, self.shape[dim])
    if idx.ndim > 1:
        raise IndexError(f"index_select: the index must be 1-D, got shape {idx.shape}")
    return self[(slice(None),) * (dim % self.ndim) + (idx.reshape(-1),)]


def masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` where the boolean ``mask`` (broadcast to this shape) is true."""
    return F.where(mask, value, self)


def where(self: Tensor, condition: Any, other: Any) -> Tensor:
    """PyTorch's ``t.where(cond, other)``: this Tensor where ``cond``, else ``other``."""
    return F.where(condition, self, other)


def clamp(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit to [min, max] (either may be None); the gradient is 1 inside the range,
    bounds included, and 0 outside (as PyTorch's)."""
    return F.FUNCTIONS["clip"](self, min, max)


def pow(self: Tensor, exponent: Any) -> Tensor:
    """``self ** exponent``."""
    return self ** exponent


# -- conversions ----------------------------------------------------------------------------
def clone(self: Tensor) -> Tensor:
    """A copy of the data that stays in the graph (gradient 1)."""
    out = F.reshape(self, self.shape)
    out.value = out.value.copy()
    return out


def tolist(self: Tensor) -> Any:
    """The data as nested Python lists of numbers: an explicit read, as ``item()`` (inside
    a transform a Tensor being differentiated raises GradientDroppedError)."""
    if self.needs and transform_level():
        dropped(self, ".tolist()")
    return self.value.tolist()


def format_(self: Tensor, spec: str) -> str:
    """``f"{t:.3f}"`` of a one-element Tensor formats its number, as PyTorch's; an empty
    spec gives ``str(t)``. TypeError for a spec on a larger Tensor."""
    if not spec:
        return str(self)
    if self.value.size != 1:
        raise TypeError(f"format: a spec ({spec!r}) needs a one-element Tensor, this one "
                        f"has shape {self.shape}")
    return format(self.value.item(), spec)


def requires_grad_(self: Tensor, requires_grad: bool = True) -> Tensor:
    """Set ``requires_grad`` on this leaf (an integer Tensor becomes float64 first) and
    return it."""
    if requires_grad and self.value.dtype.kind not in "fc":
        self.value = self.value.astype(np.float64)
    self.requires_grad = requires_grad
    return self


# -- in place: PyTorch's rules ------------------------------------------------------------
def _check_write(self: Tensor, op: str) -> None:
    if self.prim is not None and self.needs and recording():
        raise InPlaceError(f"{op}: an in-place change of a Tensor computed in a graph would "
                           "make its gradient wrong; compute a new Tensor instead")
    if self.needs and recording():
        raise InPlaceError(f"{op}: a leaf Tensor that requires grad can only be changed in "
                           "place under cr.no_grad() (as in PyTorch)")


def _write(self: Tensor, new: Any, op: str) -> Tensor:
    _check_write(self, op)
    raw = new.value if isinstance(new, Node) else new
    self.value[...] = raw
    self._mark_written()   # graphs recorded before refuse to use the old values
    return self


def _update(self: Tensor, ufunc: Any, other: Any, op: str) -> Tensor:
    """``self = ufunc(self, other)`` in place, with PyTorch's (and ``+=``'s) casting rule:
    a float result into an integer Tensor is refused, never truncated."""
    _check_write(self, op)
    o = other.value if isinstance(other, Node) else other
    try:
        ufunc(self.value, o, out=self.value, casting="same_kind")
    except TypeError:
        raise TypeError(f"{op}: the result has dtype {np.result_type(self.value, o)}, which "
                        f"cannot be stored in this Tensor of dtype {self.dtype} (as in "
                        "PyTorch); convert it first (t = t.to(cr.float64))") from None
    except ValueError:
        raise ShapeError(f"{op}: cannot update a Tensor of shape {self.shape} in place with "
                         f"a value of shape {np.shape(o)} (it must broadcast to "
                         f"{self.shape})") from None
    self._mark_written()
    return self


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0, in place (see the in-place rules in the guide)."""
    return _write(self, 0, "zero_")


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to ``value``, in place."""
    return _write(self, value, "fill_")


def add_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """``self += alpha * other``, in place (TypeError for a float into an int Tensor)."""
    o = other.value if isinstance(other, Node) else other
    return _update(self, np.add, o if alpha == 1 else alpha * np.asarray(o), "add_")


def sub_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """``self -= alpha * other``, in place (TypeError for a float into an int Tensor)."""
    o = other.value if isinstance(other, Node) else other
    return _update(self, np.subtract, o if alpha == 1 else alpha * np.asarray(o), "sub_")


def mul_(self: Tensor, other: Any) -> Tensor:
    """``self *= other``, in place (TypeError for a float into an int Tensor)."""
    return _update(self, np.multiply, other, "mul_")


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast to this shape, cast to this dtype) into this Tensor."""
    return _write(self, src, "copy_")


def _cast_method(dtype: Any, name: str) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return to(self, dtype)

    method.__doc__ = f"``t.to({np.dtype(dtype).name})``."
    method.__name__ = name
    return method


METHODS: dict[str, Any] = {
    "to": to, "astype": lambda self, dtype: to(self, dtype),
    "float": _cast_method(np.float32, "float"), "double": _cast_method(np.float64, "double"),
    "long": _cast_method(np.int64, "long"), "int": _cast_method(np.int32, "int"),
    "bool": _cast_method(np.bool_, "bool"), "half": _cast_method(np.float16, "half"),
    "max": _extreme("max"), "min": _extreme("min"), "argmax": _arg("argmax"),
    "argmin": _arg("argmin"), "var": var, "std": std, "prod": prod, "norm": norm,
    "view": view, "view_as": lambda self, other: F.reshape(self, other.shape),
    "reshape_as": lambda self, other: F.reshape(self, other.shape),
    "unsqueeze": unsqueeze, "squeeze": squeeze, "flatten": flatten, "permute": permute,
    "transpose": transpose, "t": t, "expand": expand,
    "expand_as": lambda self, other: F.broadcast_to(self, other.shape),
    "repeat": repeat, "split": split, "chunk": chunk, "gather": gather,
    "index_select": index_select, "masked_fill": masked_fill, "where": where,
    "clamp": clamp, "clip": clamp, "pow": pow, "clone": clone, "tolist": tolist,
    "__format__": format_,
    "requires_grad_": requires_grad_,
    "zero_": zero_, "fill_": fill_, "add_": add_, "sub_": sub_, "mul_": mul_,
    "copy_": copy_, "dim": lambda self: self.ndim, "numel": lambda self: self.value.size,
    "cpu": lambda self: self, "neg": lambda self: -self,
    "add": lambda self, other, alpha=1: self + alpha * other,
    "sub": lambda self, other, alpha=1: self - alpha * other,
    "mul": lambda self, other: self * other, "div": lambda self, other: self / other,
}
"""The PyTorch-named methods, installed on Tensor by :func:`chainrule.ops.methods.install`."""

REDUCTIONS = ("sum", "mean", "logsumexp")
"""Generated reduction methods that also accept ``dim=``/``keepdim=`` (and ``dtype=``)."""

AXIS_METHODS = ("softmax", "log_softmax")
"""Generated methods whose ``axis`` PyTorch spells ``dim``."""

UNSUPPORTED = {
    "cuda": "chainrule computes on the CPU; drop .cuda() (t.to('cpu') is accepted)",
    "item_": "use t.item()",
    "register_hook": "use cr.explain(...) or an observer of the backward pass to see "
                     "gradients as they flow",
    "retain_grad": "every Tensor computed in a graph can be inspected with cr.explain; "
                   "cr.autograd.grad(out, [t]) gives an intermediate's gradient",
    "type_as": "use t.to(other.dtype)",
    "new_zeros": "use cr.zeros(shape, dtype=t.dtype)",
    "new_ones": "use cr.ones(shape, dtype=t.dtype)",
    "new_tensor": "use cr.tensor(data, dtype=t.dtype)",
    "is_cuda": "chainrule computes on the CPU: always False",
    "device": "chainrule computes on the CPU with numpy",
    "norm_": "use t.norm()",
    "data_ptr": "use t.data (the ndarray)",
    "storage": "use t.data (the ndarray)",
    "numpy_": "use t.numpy()",
}
"""PyTorch spellings chainrule does not have, with the equivalent to use."""


def missing_attribute(self: Tensor, name: str) -> Any:
    """The AttributeError for an unknown attribute, naming chainrule's equivalent of a
    PyTorch spelling where one exists."""
    if name.startswith("__"):
        raise AttributeError(name)
    hint = UNSUPPORTED.get(name)
    if hint is None and name.endswith("_") \
            and hasattr(Tensor, name[:-1]):
        hint = (f"in-place {name} is not supported; write t = t.{name[:-1]}(...) "
                "(a new Tensor)")
    msg = f"'Tensor' object has no attribute {name!r}"
    raise AttributeError(f"{msg}; {hint}" if hint else msg)
