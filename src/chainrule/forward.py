"""Forward mode: ``jvp``, ``make_jvp``, ``jacfwd``, ``hvp`` and ``hessian``'s modes.

``jvp(f, primals, tangents)`` runs ``f`` once, recording its graph as reverse mode does,
then pushes the tangents forward through it, input to output, with each primitive's JVP
rule (``chainrule.core.forward``). One forward sweep gives ``J @ v`` for one direction
``v``; ``jacfwd`` pushes one tangent per input element through together (a batch of
tangents), so it costs about as many sweeps as ``f`` has inputs, where ``jacobian`` costs
as many as it has outputs: forward mode is the cheaper one for few inputs and many
outputs.

Nesting is safe. Each call seeds its own fresh leaves (an identity node over an argument
that is itself being differentiated), so inner and outer tangents are never confused. When
the function's graph reaches a Tensor that an outer derivative is tracking (an argument,
a closure), the sweep records its own rules (graph mode), so the tangent can itself be
differentiated: ``grad`` of a ``jvp``, ``jvp`` of a ``grad``, ``hvp``.

A primitive that declares no JVPs gets exact ones derived from its VJP: the VJP is linear
in the cotangent ``g``, ``<vjp(g), t> = <g, J t>``, so ``J t`` is the gradient with respect
to ``g`` of ``sum(vjp(g) * t)``, taken by one differentiable reverse pass per edge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import Node, backprop, walk
from .core.backward import Mode
from .core.forward import push_forward
from .pytree import (
    expand_args,
    has_container,
    is_container,
    is_numbers,
    tree_flatten,
    tree_unflatten,
)
from .rules.complex import real_part
from .rules.elementwise import IDENTITY
from .tensor import ARRAY_MODE, TENSOR_MATH, Tensor, as_array, graph_mode
from .transforms import ArgNums, _argnums, _aux, _split_aux, grad, unshared
from .transforms import hessian as _hessian_rev
from .validation import argnums as check_argnums
from .validation import takes_argnum

# -- the derived JVP ------------------------------------------------------------------------


def transposed_vjp(prim: Any, i: int, t: Any, ans: Any, args: Any, mode: Mode,
                   batch_ndim: int) -> Any:
    """``J t`` for input ``i`` of ``prim`` from its VJP, by transposition (exact)."""
    rule = prim.vjps[i]
    if rule is None:
        return None
    lead = tuple(np.shape(_raw(t)))[:batch_ndim]
    out_shape = tuple(np.shape(_raw(ans)))
    # a complex output: a complex cotangent variable, so that transposing the (complex-
    # linear) VJP gives J t in full; a real output of complex data: <g, J t> = Re(c t)
    complex_out = np.iscomplexobj(_raw(ans))
    ans_dtype = np.asarray(_raw(ans)).dtype
    dtype = ans_dtype if ans_dtype.kind in "fc" else complex if complex_out else np.float64
    g = Tensor(np.zeros(lead + out_shape, dtype=dtype), requires_grad=True)  # float32 stays
    c = rule(TENSOR_MATH, g, ans, *args)
    x_ndim = np.ndim(_raw(args[i]))
    c_ndim = np.ndim(_raw(c))
    if c_ndim > batch_ndim + x_ndim:        # the VJP's full-shape (broadcast) contribution
        t = TENSOR_MATH.reshape(t, lead + (1,) * (c_ndim - batch_ndim - x_ndim)
                                + tuple(np.shape(_raw(args[i]))))
    s = TENSOR_MATH.sum(c * t)
    if not complex_out and np.iscomplexobj(_raw(s)):
        s = real_part(s)
    seed = np.ones((), dtype=s.dtype)
    if mode.graph:
        found = backprop(s, Tensor._node(seed, (), None, False), graph_mode(),
                         accumulate=False, wanted=(g,))
    else:
        found = backprop(s, seed, ARRAY_MODE, accumulate=False, wanted=(g,))
    g.needs = False                 # a variable of this transposition: a constant outside it
    return found.get(id(g))


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


# -- seeding and sweeping ---------------------------------------------------------------------


def _seed_leaf(a: Any, where: str) -> Tensor:
    if isinstance(a, Tensor) and a.needs:
        return IDENTITY(a)
    if isinstance(a, Node):
        return Tensor(a.value, requires_grad=True)
    if isinstance(a, (bool, str)) or a is None:
        raise TypeError(f"{where}: cannot differentiate with respect to "
                        f"{type(a).__name__} {a!r}; give a float, a list or an array")
    return Tensor(as_array(a), requires_grad=True)


def _tangent_for(leaf: Tensor, t: Any, where: str, lead: tuple[int, ...] = ()) -> Any:
    value = t.value if isinstance(t, Node) else np.asarray(t, dtype=leaf.dtype)
    if tuple(value.shape) != lead + leaf.shape:
        raise ValueError(f"{where}: the tangent has shape {tuple(value.shape)} but its primal "
                         f"has shape {leaf.shape}; they must match")
    return t if isinstance(t, Tensor) and t.needs else value


def _sweep(outs: list[Any], seeds: dict[int, Any], leaves: list[Tensor], nested: bool,
           batch_ndim: int) -> tuple[list[Any], bool]:
    """The tangent of each output in ``outs`` (None where no seed reaches it), and whether
    the sweep ran nested (its tangents recorded for an outer derivative)."""
    roots = [y for y in outs if isinstance(y, Node)]
    order: list[Node] = walk(roots[0]) if len(roots) == 1 else []
    seen: set[int] = set()
    for y in roots if len(roots) > 1 else ():
        for n in walk(y):
            if id(n) not in seen:
                seen.add(id(n))
                order.append(n)
    ours = {id(leaf) for leaf in leaves}
    # an outer Tensor in the graph (a closure, an argument): keep the tangent differentiable
    nested = nested or any(n.prim is None and id(n) not in ours for n in order)
    if nested:
        seeds = {k: (v if isinstance(v, Node) else Tensor._node(v, (), None, False))
                 for k, v in seeds.items()}
    mode = graph_mode() if nested else ARRAY_MODE
    found = push_forward(order, seeds, mode, batch_ndim=batch_ndim, derive=transposed_vjp)
    return [found.get(id(y)) if isinstance(y, Node) else None for y in outs], nested


def _primal_out(y: Any, nested: bool, numbers: bool) -> Any:
    if nested and isinstance(y, Node):
        return y
    v = y.value if isinstance(y, Node) else y
    if numbers and np.ndim(v) == 0:
        return float(v)
    return np.asarray(v)


def _tangent_out(t: Any, y: Any, lead: tuple[int, ...], nested: bool, numbers: bool) -> Any:
    shape = lead + tuple(np.shape(_raw(y)))
    if t is None:
        dtype = np.asarray(_raw(y)).dtype
        t = np.zeros(shape, dtype=dtype if dtype.kind in "fc" else np.float64)
    if nested:
        return t if isinstance(t, Node) else Tensor._node(np.asarray(t), (), None, False)
    t = _raw(t)
    if numbers and not lead and np.ndim(t) == 0:
        return float(t)
    return np.asarray(t)


# -- the transforms ---------------------------------------------------------------------------


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple[Any, ...]:
    """``(f(*primals), J @ tangents)``: the value of ``f`` and its directional derivative
    along ``tangents``, by forward mode (as ``jax.jvp``).

    ``primals`` and ``tangents`` are tuples with one entry per argument of ``f``; an entry
    may be a number, an array or a nested tuple/list/dict of them, and its tangent has the
    same structure and shapes. The output may be such a structure too; the tangent out has
    its structure. Numbers in, numbers out (floats for 0-d results).

    With ``has_aux=True`` ``f`` returns ``(output, aux)`` and the result is ``(output,
    tangent, aux)``, as JAX's.

    Raises TypeError if ``primals`` or ``tangents`` is not a tuple/list, ValueError if their
    structures or shapes differ.
    """
    if has_aux:
        out_only, box = _split_aux(f, "jvp")
        out, tangent = _jvp(out_only, primals, tangents, 0)
        recorded = any(isinstance(v, Tensor) for v in tree_flatten(tangent)[0])
        return out, tangent, _aux(box, recorded)
    return _jvp(f, primals, tangents, 0)


def _jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
         batch_ndim: int) -> tuple[Any, Any]:
    for what, seq in (("primals", primals), ("tangents", tangents)):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(f"jvp: {what} must be a tuple (one entry per argument of f), "
                            f"got {type(seq).__name__}")
    p_def: Any = None                   # None: plain arguments (the common, fast case)
    if any(is_container(p) for p in primals) or len(primals) != len(tangents):
        # an argument written as a list of numbers is one array, as for grad
        p_leaves, p_def = tree_flatten(tuple(as_array(p) if is_numbers(p) else p
                                             for p in primals), none_is_leaf=False)
        t_leaves, t_def = tree_flatten(tuple(as_array(t) if is_numbers(p) else t
                                             for p, t in zip(primals, tangents))
                                       + tuple(tangents[len(primals):]),
                                       none_is_leaf=False)
        if p_def != t_def:
            raise ValueError(f"jvp: the tangents' structure {t_def} differs from the "
                             f"primals' {p_def}")
    else:
        p_leaves, t_leaves = list(primals), list(tangents)
    leaves = [_seed_leaf(p, "jvp") for p in p_leaves]
    lead: tuple[int, ...] = ()
    seeds: dict[int, Any] = {}
    for leaf, t in zip(leaves, t_leaves):
        lead = tuple(np.shape(_raw(t)))[:batch_ndim]
        seeds[id(leaf)] = _tangent_for(leaf, t, "jvp", lead)
    nested = any(isinstance(p, Tensor) and p.needs for p in p_leaves) or any(
        isinstance(t, Tensor) and t.needs for t in t_leaves)
    out = f(*(leaves if p_def is None else tree_unflatten(p_def, leaves)))
    o_leaves, o_def = tree_flatten(out, none_is_leaf=False) if is_container(out) else ([out], None)
    numbers = all(isinstance(p, (int, float)) for p in p_leaves)
    found, nested = _sweep(o_leaves, seeds, leaves, nested, batch_ndim)
    for leaf in leaves:             # this transform's own variables: constants outside it
        if leaf.prim is None:
            leaf.needs = False
    n = len(o_leaves)      # no two results share memory, nor one with the caller's arrays
    both = unshared([_primal_out(y, nested, numbers) for y in o_leaves]
                    + [_tangent_out(t, y, lead, nested, numbers)
                       for t, y in zip(found, o_leaves)],
                    given=[_raw(a) for a in list(p_leaves) + list(t_leaves)])
    primal, tangent = both[:n], both[n:]
    if o_def is None:
        return primal[0], tangent[0]
    return tree_unflatten(o_def, primal), tree_unflatten(o_def, tangent)


@takes_argnum
def make_jvp(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """HIPS autograd's ``make_jvp``: ``make_jvp(f)(*args)(v)`` is ``(f(*args), J v)`` with
    ``v`` a tangent of argument ``argnums``."""

    def at(*args: Any) -> Callable[[Any], tuple[Any, Any]]:
        i = argnums % len(args) if args else argnums

        def push(v: Any) -> tuple[Any, Any]:
            def of_one(x: Any) -> Any:
                return f(*args[:i], x, *args[i + 1:])
            return jvp(of_one, (args[i],), (v,))
        return push

    return at


@takes_argnum
def jacfwd(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """``f`` -> its Jacobian by forward mode: shape ``out.shape + x.shape``, as
    ``cr.jacobian`` but with one batch of tangents (the identity, one per element of
    ``x``) pushed forward: cheaper when ``x`` has fewer elements than the output."""

    def jacfwd_f(*args: Any) -> Any:
        nums, single = _argnums(argnums, len(args))
        call: Callable[..., Any] = f
        regroup: Callable[[Any], Any] = tuple
        if has_container(args, nums):    # dicts, tuples, lists of arrays: leaf by leaf
            args, nums, rebuild, regroup = expand_args(args, nums)

            def call(*a: Any) -> Any:
                return f(*rebuild(a))
        cols = []
        out_def: Any = None
        for i in nums:
            x = args[i]
            xv = as_array(_raw(x))
            if xv.dtype.kind == "c":
                raise TypeError(f"jacfwd: argument {i} is complex; its real basis tangents "
                                "would give d/dx only; use cr.jacobian (reverse mode) or "
                                "cr.jvp with complex tangents")
            n = xv.size
            eye = np.eye(n, dtype=xv.dtype).reshape((n,) + xv.shape)
            if isinstance(x, Tensor) and x.needs:
                eye_t: Any = Tensor._node(eye, (), None, False)
            else:
                eye_t = eye

            def of_one(z: Any, i: int = i) -> Any:
                return call(*args[:i], z, *args[i + 1:])
            _, t = _jvp(of_one, (x,), (eye_t,), 1)
            t_leaves, out_def = (tree_flatten(t, none_is_leaf=False) if is_container(t)
                                 else ([t], None))
            cols.append([_column(leaf, x, xv.shape) for leaf in t_leaves])
        # per output leaf, one block per argument (a container argument's in its structure)
        per_out = [regroup([c[k] for c in cols]) for k in range(len(cols[0]))]
        per_out = [r[0] if single else r for r in per_out]
        # a container out (as jax.jacfwd): its structure outside, argnums' tuple inside
        return per_out[0] if out_def is None else tree_unflatten(out_def, per_out)

    jacfwd_f.__name__ = f"jacfwd({getattr(f, '__name__', 'f')})"
    return jacfwd_f


def _column(t: Any, x: Any, x_shape: tuple[int, ...]) -> Any:
    """A batch of tangents ``(n,) + y.shape`` (one per element of ``x``) as the Jacobian
    block ``y.shape + x_shape``."""
    y_shape = tuple(np.shape(_raw(t)))[1:]
    shape = y_shape + x_shape
    if isinstance(t, Node):
        moved = TENSOR_MATH.transpose(t, tuple(range(1, 1 + len(y_shape))) + (0,))
        return TENSOR_MATH.reshape(moved, shape)
    return _as_result(np.reshape(np.moveaxis(np.asarray(t), 0, -1), shape), x)


def _as_result(a: np.ndarray, x: Any) -> Any:
    if a.ndim == 0 and isinstance(x, (int, float)):
        return float(a)
    return a


@takes_argnum
def hvp(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """``f`` -> ``hvp_f(*args, v)``: the Hessian of ``f`` (a one-number function) times
    ``v``, with respect to argument ``argnums``, by forward-over-reverse (the JVP of the
    gradient), never forming the Hessian: about the cost of two gradients."""
    g = grad(f, argnums)

    def hvp_f(*args_and_v: Any) -> Any:
        *args, v = args_and_v
        i = argnums % len(args)

        def of_one(x: Any) -> Any:
            return g(*args[:i], x, *args[i + 1:])
        return jvp(of_one, (args[i],), (v,))[1]

    hvp_f.__name__ = f"hvp({getattr(f, '__name__', 'f')})"
    return hvp_f


HESSIAN_MODES = ("rev-over-rev", "fwd-over-rev")


@takes_argnum
def hessian(f: Callable[..., Any], argnums: ArgNums = 0, mode: str = "rev-over-rev"
            ) -> Callable[..., Any]:
    """``f`` -> its Hessian function: shape ``x.shape + x.shape``, never by finite
    differences. ``mode="rev-over-rev"`` takes the reverse-mode Jacobian of the recorded
    gradient; ``mode="fwd-over-rev"`` pushes one tangent per input element through the
    gradient (``jacfwd(grad(f))``), usually the faster. A tuple ``argnums`` gives JAX's
    nested blocks ``H[i][j]``. Raises ValueError for another mode, TypeError for
    ``argnums`` that are not ints."""
    if mode not in HESSIAN_MODES:
        raise ValueError(f"hessian: mode must be one of {HESSIAN_MODES}, got {mode!r}")
    if mode == "rev-over-rev":
        return _hessian_rev(f, argnums)
    check_argnums("hessian", argnums)
    return jacfwd(grad(f, argnums), argnums)
