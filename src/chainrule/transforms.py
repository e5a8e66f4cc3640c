"""The functional API, as in HIPS autograd and JAX: ``grad``, ``value_and_grad``,
``jacobian``, ``hessian``.

``f`` is written with ``cr`` functions, Tensor operators or numpy functions. Arguments may
be floats, lists or ndarrays. These functions never touch ``.grad``: they return results.
Called on Tensors that are themselves being differentiated (``grad(grad(f))``,
``hessian``), they return Tensors recorded in the outer graph: true reverse-over-reverse.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import Node, backprop
from .core.recording import enter_transform, exit_transform, recording, transform_level
from .errors import IndependentOutputWarning
from .pytree import (
    expand_args,
    has_container,
    is_container,
    tree_flatten,
    tree_map,
    tree_unflatten,
)
from .rules import structural
from .rules.elementwise import IDENTITY
from .tensor import ARRAY_MODE, Tensor, as_array, graph_mode
from .validation import argnums as check_argnums
from .validation import takes_argnum

ArgNums = int | Sequence[int]

Made = tuple[str, Callable[..., Any], Any, bool]
_MADE: weakref.WeakKeyDictionary[Callable[..., Any], Made] = weakref.WeakKeyDictionary()


def made_by(fn: Callable[..., Any]) -> Made | None:
    """``(transform, f, argnums, holomorphic)`` if ``fn`` is ``grad(f, argnums,
    holomorphic)`` or ``value_and_grad(f, argnums, holomorphic)`` (``transform`` is
    ``"grad"`` or ``"value_and_grad"``), else None: how ``cr.compile`` sees through them
    to trace ``f`` itself."""
    try:
        return _MADE.get(fn)
    except TypeError:           # not weak-referenceable: not one of ours
        return None


def _argnums(argnums: ArgNums, nargs: int) -> tuple[tuple[int, ...], bool]:
    nums, single = check_argnums("argnums", argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"argnums {i} is out of range for {nargs} positional argument(s)")
    return tuple(i % nargs for i in nums), single


def _wrap(args: tuple, nums: tuple[int, ...]) -> tuple[list, list[Tensor], bool]:
    """Replace the differentiated arguments by fresh graph leaves (one per argument: an
    argument named twice in ``argnums`` gets its gradient twice). An argument that is
    already a Tensor in an outer graph is wrapped in an identity node, so that this
    derivative and the outer one are kept apart. The result stays in the outer graph when
    this transform runs inside another one's ``f`` (``grad(lambda y: grad(lambda x: x *
    y)(1.0))``: what is traced decides, not the arguments) or when ANY argument is in one
    (``jacobian(grad(f, 0), 1)``: a mixed partial)."""
    new = list(args)
    leaves: list[Tensor] = []
    made: dict[int, Tensor] = {}
    nested = transform_level() > 0 or any(isinstance(a, Tensor) and a.needs for a in args)
    for i in nums:
        if i in made:
            leaves.append(made[i])
            continue
        a = args[i]
        if isinstance(a, Tensor) and a.needs:
            leaf = IDENTITY(a)
            nested = True
        elif isinstance(a, Node):
            leaf = Tensor(a.value, requires_grad=True)
        else:
            if isinstance(a, (bool, str)) or a is None:
                raise TypeError(f"argument {i}: cannot differentiate with respect to "
                                f"{type(a).__name__} {a!r}; give a float, a list or an array")
            leaf = Tensor(as_array(a), requires_grad=True)
        new[i] = made[i] = leaf
        leaves.append(leaf)
    return new, leaves, nested


def _call(f: Callable[..., Any], new: list, kwargs: dict) -> Any:
    """``f(*new, **kwargs)`` one transform level deeper, recording even inside
    ``no_grad`` (a transform always differentiates: under no_grad it would see no graph
    and return zeros)."""
    tokens = enter_transform()
    try:
        return f(*new, **kwargs)
    finally:
        exit_transform(tokens)


def _as_output(y: Any, what: str) -> Tensor:
    v = y.value if isinstance(y, Node) else y
    if isinstance(v, (bool, np.bool_)) or getattr(v, "dtype", None) == np.bool_:
        raise TypeError(f"{what}: f returned a boolean (a comparison or a test such as "
                        "np.allclose), which has no derivative; return a number")
    if isinstance(y, Tensor):
        return y
    if isinstance(y, Node):
        raise TypeError(f"{what}: f returned a {type(y).__name__}; write f with Tensors "
                        "(cr functions and operators accept them)")
    try:
        return Tensor._node(as_array(y), (), None, False)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: f must return a number or an array, "
                        f"got {type(y).__name__}") from None


def unshared(results: Sequence[Any], given: Sequence[Any] = ()) -> list[Any]:
    """``results`` with each ndarray that shares its memory with an earlier one, or with
    one of the caller's own arrays ``given`` (a cotangent, a tangent), copied: ``x + y``
    hands both inputs the same gradient array, and a caller that scales one in place
    (``gx *= lr``) must not change the other. Same-base test: O(n), no false negatives
    for views of one array."""
    seen = {id(a.base if a.base is not None else a) for a in given
            if isinstance(a, np.ndarray)}
    out = []
    for r in results:
        if isinstance(r, np.ndarray):
            key = id(r.base if r.base is not None else r)
            if key in seen:
                r = r.copy()
                key = id(r)
            seen.add(key)
        out.append(r)
    return out


def _result(g: Any, original: Any, nested: bool) -> Any:
    if nested:
        return g
    g = g.value if isinstance(g, Node) else g
    if isinstance(original, complex):
        return complex(g)
    if isinstance(original, float | int) and not isinstance(original, bool):
        return float(g)
    return np.asarray(g)


def _zeros(leaf: Tensor, lead: tuple[int, ...], nested: bool) -> Any:
    z = np.zeros(lead + leaf.shape, dtype=leaf.dtype)
    return Tensor._node(z, (), None, False) if nested else z


def _backprop(y: Tensor, seed: np.ndarray, leaves: list[Tensor], nested: bool,
              nums: tuple[int, ...], what: str, batch_ndim: int = 0) -> tuple[list[Any], bool]:
    """The cotangents of ``leaves`` (zeros, with a warning, for one the output does not
    reach), and whether they are recorded Tensors (the result stays in an outer graph)."""
    lead = seed.shape[:batch_ndim]
    if not nested:
        found = backprop(y, seed, ARRAY_MODE, batch_ndim=batch_ndim, accumulate=False,
                         wanted=tuple(leaves))
        # f closed over a Tensor that requires grad (grad(lambda x: x * w)(1.0) with w a
        # parameter): the result must stay in its graph, so the pass is done recording
        nested = 0 in found and recording()
    if nested:
        found = backprop(y, Tensor._node(seed, (), None, False), graph_mode(),
                         batch_ndim=batch_ndim, accumulate=False, wanted=tuple(leaves))
    for leaf, i in zip(leaves, nums):
        if id(leaf) not in found:
            warnings.warn(IndependentOutputWarning(
                f"{what}: the output of f does not depend on argument {i} (no "
                "differentiable path reaches it), so its derivative is zeros; if it should, "
                "look for float(), math.* or .item() cutting the graph"), stacklevel=4)
    for leaf in leaves:
        if leaf.prim is None:   # this transform's own variables: constants outside it
            leaf.needs = False
    return [found[id(leaf)] if id(leaf) in found else _zeros(leaf, lead, nested)
            for leaf in leaves], nested


def _check_complex(y: Tensor, leaves: list[Tensor], nums: tuple[int, ...],
                   holomorphic: bool, what: str) -> None:
    """A complex output needs ``holomorphic=True``, which needs complex inputs and outputs
    (JAX's rule): TypeError otherwise."""
    if not holomorphic:
        if y.value.dtype.kind == "c":
            raise TypeError(f"{what}: f returned complex values; {what} differentiates a "
                            "real output (take cr.abs, cr.real or cr.imag of it), or pass "
                            "holomorphic=True for a holomorphic f of complex inputs")
        return
    if y.value.dtype.kind != "c":
        raise TypeError(f"{what}(holomorphic=True): f returned real values of dtype "
                        f"{y.dtype}; holomorphic=True needs a complex output")
    for leaf, i in zip(leaves, nums):
        if leaf.value.dtype.kind != "c":
            raise TypeError(f"{what}(holomorphic=True): argument {i} has dtype "
                            f"{leaf.dtype}; holomorphic=True needs complex inputs (give "
                            "1+0j rather than 1.0)")


def _split_aux(f: Callable[..., Any], what: str) -> tuple[Callable[..., Any], list[Any]]:
    """``f`` returning ``(out, aux)`` as a function returning ``out`` alone, and the box
    that receives ``aux`` when it runs (``has_aux=True``, JAX's meaning)."""
    box: list[Any] = []

    def out_only(*a: Any, **k: Any) -> Any:
        result = f(*a, **k)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(f"{what}(has_aux=True): f must return a pair (output, aux), "
                            f"got {type(result).__name__}")
        box.append(result[1])
        return result[0]

    out_only.__name__ = getattr(f, "__name__", "f")
    return out_only, box


def _aux(box: list[Any], recorded: bool) -> Any:
    """The auxiliary data as the caller sees it: its Tensors as arrays, unless the result
    stays recorded for an outer transform."""
    aux = box[-1]
    if recorded:
        return aux
    return tree_map(lambda v: v.value if isinstance(v, Tensor) else v, aux)


@takes_argnum
def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0,
                   holomorphic: bool = False, has_aux: bool = False) -> Callable[..., Any]:
    """``f`` -> a function returning ``(f(*args), gradient)``.

    ``f`` must return one number (a one-element result). The gradient has the shape of the
    argument (a float for a float argument); a tuple of them when ``argnums`` is a tuple.
    For a complex argument z = x + iy and a real output L the gradient is
    ``dL/dx - i dL/dy`` (JAX's and HIPS autograd's convention); a complex output needs
    ``holomorphic=True`` (complex arguments, a holomorphic ``f``), which gives ``f'(z)``.
    With ``has_aux=True`` ``f`` returns ``(value, aux)`` and the result is ``((value, aux),
    gradient)``, as in JAX (``aux``: any data, not differentiated).
    Raises TypeError for a complex output without ``holomorphic=True``.
    """
    if has_aux:
        out_only, box = _split_aux(f, "value_and_grad")
        vg = value_and_grad(out_only, argnums, holomorphic)

        def value_and_grad_aux(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
            value, g = vg(*args, **kwargs)
            return (value, _aux(box, isinstance(value, Tensor))), g

        value_and_grad_aux.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
        return value_and_grad_aux

    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        nums, single = _argnums(argnums, len(args))
        if has_container(args, nums):    # dicts, tuples, lists of arrays: leaf by leaf
            flat, flat_nums, rebuild, regroup = expand_args(args, nums)
            value, grads = value_and_grad(lambda *a: f(*rebuild(a), **kwargs),
                                          flat_nums, holomorphic)(*flat)
            return value, regroup(grads)[0] if single else regroup(grads)
        new, leaves, nested = _wrap(args, nums)
        y = _as_output(_call(f, new, kwargs), "grad")
        if y.value.size != 1:
            raise TypeError(f"grad: f must return a single number, got shape {y.shape}; "
                            "use cr.jacobian for vector outputs")
        _check_complex(y, leaves, nums, holomorphic, "grad")
        grads, nested = _backprop(y, np.ones_like(y.value), leaves, nested, nums, "grad")
        results = tuple(unshared([_result(g, args[i], nested) for g, i in zip(grads, nums)]))
        value = y if nested else y.value.item() if y.ndim == 0 else y.value
        return value, (results[0] if single else results)

    value_and_grad_f.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    _MADE[value_and_grad_f] = ("value_and_grad", f, argnums, holomorphic)
    return value_and_grad_f


@takes_argnum
def grad(f: Callable[..., Any], argnums: ArgNums = 0,
         holomorphic: bool = False, has_aux: bool = False) -> Callable[..., Any]:
    """``f`` -> its gradient function: ``grad(f)(x)`` has the shape of ``x`` (a float for a
    float). ``f`` must return a single number. Compose freely: ``grad(grad(f))``.

    Complex arguments: for a real output, ``dL/dx - i dL/dy`` (``grad(lambda z:
    cr.abs(z)**2)(3+4j) == 6-8j``, as JAX and HIPS autograd give); with
    ``holomorphic=True`` a complex output's derivative ``f'(z)``. A complex output without
    ``holomorphic=True`` raises TypeError. With ``has_aux=True`` ``f`` returns ``(value,
    aux)`` and the result is ``(gradient, aux)``, as in JAX."""
    if has_aux:
        out_only, box = _split_aux(f, "grad")
        vg_out = value_and_grad(out_only, argnums, holomorphic)

        def grad_aux(*args: Any, **kwargs: Any) -> Any:
            value, g = vg_out(*args, **kwargs)
            return g, _aux(box, isinstance(value, Tensor))

        grad_aux.__name__ = f"grad({getattr(f, '__name__', 'f')})"
        return grad_aux
    vg = value_and_grad(f, argnums, holomorphic)

    def grad_f(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    grad_f.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    _MADE[grad_f] = ("grad", f, argnums, holomorphic)
    return grad_f


@takes_argnum
def jacobian(f: Callable[..., Any], argnums: ArgNums = 0,
             holomorphic: bool = False, has_aux: bool = False) -> Callable[..., Any]:
    """``f`` -> its Jacobian function: the result has shape ``out.shape + x.shape``.

    All rows come from one reverse pass with a batch of cotangents (the identity), not one
    pass per output element. Complex outputs need ``holomorphic=True`` (as in
    :func:`grad`); TypeError otherwise. With ``has_aux=True`` ``f`` returns ``(output,
    aux)`` and the result is ``(jacobian, aux)``, as JAX's ``jacrev``.
    """
    if has_aux:
        out_only, box = _split_aux(f, "jacobian")
        jac = jacobian(out_only, argnums, holomorphic)

        def jacobian_aux(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
            j = jac(*args, **kwargs)
            recorded = any(isinstance(v, Tensor) for v in tree_flatten(j)[0])
            return j, _aux(box, recorded)

        jacobian_aux.__name__ = f"jacobian({getattr(f, '__name__', 'f')})"
        return jacobian_aux

    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args))
        regroup: Any = tuple
        if has_container(args, nums):    # dicts, tuples, lists of arrays: leaf by leaf
            args, nums, rebuild, regroup = expand_args(args, nums)
            out_def, blocks = _jacobian_blocks(lambda *a: f(*rebuild(a), **kwargs), args, nums,
                                               holomorphic)
        else:
            out_def, blocks = _jacobian_blocks(lambda *a: f(*a, **kwargs), args, nums,
                                               holomorphic)
        blocks = [unshared(b) for b in blocks]
        results = [regroup(b)[0] if single else regroup(b) for b in blocks]
        return results[0] if out_def is None else tree_unflatten(out_def, results)

    jacobian_f.__name__ = f"jacobian({getattr(f, '__name__', 'f')})"
    return jacobian_f


def _jacobian_blocks(f: Callable[..., Any], args: tuple, nums: tuple[int, ...],
                     holomorphic: bool = False) -> tuple[Any, list[list[Any]]]:
    """The Jacobian of each output leaf with respect to each ``args[i]``, ``i`` in ``nums``:
    ``(out_def, blocks)``, ``blocks[k][j]`` of shape ``out_k.shape + args[nums[j]].shape``;
    ``out_def`` is the output's structure, None for one array (then one block row)."""
    new, leaves, nested = _wrap(args, nums)
    y = _call(f, new, {})
    out_def = None
    shapes: list[tuple[int, ...]] = []
    if is_container(y):                 # a container out: its leaves stacked in one vector
        outs, out_def = tree_flatten(y, none_is_leaf=False)
        ys = [_as_output(o, "jacobian") for o in outs]
        shapes = [o.shape for o in ys]
        y = structural.CONCATENATE(*[structural.RESHAPE(o, (-1,)) for o in ys], -1) \
            if ys else Tensor(np.zeros(0))
    y = _as_output(y, "jacobian")
    _check_complex(y, leaves, nums, holomorphic, "jacobian")
    n = y.value.size
    seed = np.eye(n, dtype=y.dtype).reshape((n,) + y.shape)
    rows, nested = _backprop(y, seed, leaves, nested, nums, "jacobian", batch_ndim=1)
    if out_def is None:
        return None, [[g.reshape(y.shape + leaf.shape) if nested else
                       np.asarray(g).reshape(y.shape + leaf.shape)
                       for g, leaf in zip(rows, leaves)]]
    blocks, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        blocks.append([g[start:start + size].reshape(shape + leaf.shape) if nested else
                       np.asarray(g)[start:start + size].reshape(shape + leaf.shape)
                       for g, leaf in zip(rows, leaves)])
        start += size
    return out_def, blocks


@takes_argnum
def hessian(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """``f`` -> its Hessian function: shape ``x.shape + x.shape``, by reverse-over-reverse
    (the Jacobian of the recorded gradient), never by finite differences. A tuple
    ``argnums`` gives JAX's nested blocks: ``H[i][j]`` of shape ``x_i.shape + x_j.shape``."""
    check_argnums("hessian", argnums)
    return jacobian(grad(f, argnums), argnums)
