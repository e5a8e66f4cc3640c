"""Vector-Jacobian products and the transforms HIPS autograd and JAX build on them.

    out, vjp_fun = cr.vjp(f, x, y)          # as jax.vjp: vjp_fun(ct) -> (ct @ J_x, ct @ J_y)
    vjp_x, out = cr.make_vjp(f)(x, y)       # as autograd.make_vjp: vjp_x(ct) -> ct @ J_x
    cr.elementwise_grad(f)(x)               # ones @ J: f'(x) elementwise for an elementwise f
    cr.tensor_jacobian_product(f)(x, v)     # v @ J (v of the output's shape)
    cr.make_ggnvp(f)(x)(v)                  # J^T H_g J v, the Gauss-Newton product
    cr.grad_and_aux(f)(x)                   # f returns (loss, aux): (grad, aux)
    cr.deriv(f)(x)                          # J @ ones by forward mode (autograd.deriv)
    cr.holomorphic_grad(f)(z)               # f'(z) of a holomorphic f (autograd's name)
    cr.grad_named(f, "w")(x, w)             # the gradient in the argument named w
    cr.multigrad_dict(f)(x, w)              # {"x": ..., "w": ...}: every argument by name
    cr.hessian_tensor_product(f)(x, v)      # H v (v of x's shape, or x's leading axes)

Each VJP is ``cr.grad`` of the inner product ``<f(x), ct>``, so it is exact, recorded
inside an outer transform (a VJP can itself be differentiated, in ``x`` and in ``ct``),
and takes the same arguments as ``cr.grad`` (numbers, arrays, dicts/lists of them).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .forward import jvp
from .pytree import tree_flatten, tree_map
from .tensor import Tensor
from .transforms import ArgNums, _split_aux, grad, jacobian
from .validation import argnums as check_argnums
from .validation import takes_argnum


def _inner(out: Any, ct: Any, where: str) -> Any:
    """``sum(out * ct)`` over the leaves of matching structures: the number whose gradient
    is ``ct @ J``. Raises ValueError naming ``where`` when structure or shapes differ."""
    outs, out_def = tree_flatten(out, none_is_leaf=False)
    cts, ct_def = tree_flatten(ct, none_is_leaf=False)
    if len(outs) != len(cts) or (len(outs) > 1 and out_def != ct_def):
        raise ValueError(f"{where}: the cotangent must have the structure of f's output "
                         f"({len(outs)} array(s)); got {len(cts)}")
    total: Any = 0.0
    for o, c in zip(outs, cts):
        if np.shape(o) != np.shape(c):
            raise ValueError(f"{where}: the cotangent has shape {np.shape(c)}, f's output "
                             f"has shape {np.shape(o)}; give one of the output's shape")
        if np.iscomplexobj(c) and not np.iscomplexobj(o):
            raise ValueError(f"{where}: a complex cotangent for a real output; give a real "
                             "one (its imaginary part would have nothing to act on)")
        total = total + np.sum(o * c)
    # complex outputs: with chainrule's convention (a rule is g * f'(z), no conjugate) the
    # gradient of Re<out, ct> is ct @ J, real for a real primal: jax.vjp's result
    return np.real(total) if np.iscomplexobj(total) else total


def _plain(x: Any) -> Any:
    """A result for the caller: arrays for Tensors outside any graph."""
    return tree_map(lambda v: v.value if isinstance(v, Tensor) and not v.needs else v, x)


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False
        ) -> tuple[Any, ...]:
    """``(f(*primals), vjp_fun)`` as ``jax.vjp``: ``vjp_fun(ct)`` is the tuple of
    ``ct @ J_i``, one entry per primal, each of that primal's shape (a float for a float).

    ``ct`` has the shape (or structure) of ``f``'s output. ``vjp_fun`` may be called many
    times; each call runs ``f`` again, recorded. With ``has_aux=True`` ``f`` returns
    ``(output, aux)`` and the result is ``(output, vjp_fun, aux)``, as JAX's. Raises
    ValueError when ``ct``'s shape is not the output's, TypeError when there is no primal.
    """
    if not primals:
        raise TypeError("vjp: give at least one primal (vjp(f, x, ...))")
    if has_aux:
        out_only, box = _split_aux(f, "vjp")
        out, pullback = vjp(out_only, *primals)
        return out, pullback, _plain(box[0])
    out = _plain(f(*primals))
    nums = tuple(range(len(primals)))

    def vjp_fun(ct: Any) -> tuple[Any, ...]:
        g = grad(lambda *xs: _inner(f(*xs), ct, "vjp"), nums)
        return tuple(g(*primals))

    return out, vjp_fun


@takes_argnum
def make_vjp(f: Callable[..., Any], argnums: int = 0
             ) -> Callable[..., tuple[Callable[[Any], Any], Any]]:
    """HIPS autograd's ``make_vjp``: ``make_vjp(f)(*args)`` is ``(vjp, f(*args))`` with
    ``vjp(ct) = ct @ J``, the cotangent of argument ``argnums`` (its shape)."""
    nums, single = check_argnums("argnums", argnums)
    if not single:
        raise TypeError("make_vjp: argnums must be one int; use cr.vjp for several arguments")

    def at(*args: Any) -> tuple[Callable[[Any], Any], Any]:
        i = nums[0] % len(args)

        def of_one(x: Any) -> Any:
            return f(*args[:i], x, *args[i + 1:])
        out, back = vjp(of_one, args[i])
        return (lambda ct: back(ct)[0]), out

    return at


@takes_argnum
def tensor_jacobian_product(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """``f`` -> ``tjp(*args, v)``: ``v`` contracted with the Jacobian of ``f`` in argument
    ``argnums`` over ``v``'s axes, as HIPS autograd's ``tensordot(v, J, axes=v.ndim)``.
    ``v`` of ``f``'s output shape gives ``v @ J`` (the argument's shape); ``v`` of the
    output's leading axes only, shape ``out.shape[:k]``, gives shape
    ``out.shape[k:] + arg.shape``. Called ``vector_jacobian_product`` in autograd too."""
    mv = make_vjp(f, argnums)

    def tjp(*args_and_v: Any) -> Any:
        *args, v = args_and_v
        back, out = mv(*args)
        vs, outs = np.shape(v), np.shape(out)
        k = len(vs)
        if vs == outs or k >= len(outs) or outs[:k] != vs:
            return back(v)              # the output's shape, or back() names the mismatch
        i = argnums % len(args)

        def contracted(x: Any) -> Any:
            return np.tensordot(np.asarray(v), f(*args[:i], x, *args[i + 1:]), axes=k)
        return jacobian(contracted)(args[i])

    tjp.__name__ = f"tensor_jacobian_product({getattr(f, '__name__', 'f')})"
    return tjp


@takes_argnum
def elementwise_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """``f`` -> the sum over ``f``'s outputs of their gradients (``ones @ J``), of the
    argument's shape: ``f'(x)`` elementwise when ``f`` acts elementwise (its Jacobian is
    diagonal). Where outputs mix inputs it is the gradient of ``sum(f(x))``."""
    def total(*a: Any, **k: Any) -> Any:
        return sum((np.sum(o) for o in tree_flatten(f(*a, **k), none_is_leaf=False)[0]), 0.0)
    total.__name__ = getattr(f, "__name__", "f")
    g = grad(total, argnums)
    g.__name__ = f"elementwise_grad({total.__name__})"
    return g


@takes_argnum
def make_hvp(f: Callable[..., Any], argnums: int = 0
             ) -> Callable[..., tuple[Callable[[Any], Any], Any]]:
    """HIPS autograd's ``make_hvp``: ``make_hvp(f)(*args)`` is ``(hvp, grad f(*args))``
    with ``hvp(v)`` the Hessian of ``f`` (a one-number function) times ``v``."""
    return make_vjp(grad(f, argnums), argnums)


def _half_square(y: Any) -> Any:
    return 0.5 * np.sum(y ** 2, axis=-1 if np.ndim(y) else None)   # a one-number f too


@takes_argnum
def make_ggnvp(f: Callable[..., Any], g: Callable[[Any], Any] = _half_square,
               f_argnums: int = 0) -> Callable[..., Callable[[Any], Any]]:
    """The generalized Gauss-Newton product of ``g(f(x))``: ``make_ggnvp(f, g)(*args)(v)``
    is ``J^T H_g J v`` with ``J`` the Jacobian of ``f`` in argument ``f_argnums`` and
    ``H_g`` the Hessian of the one-number ``g`` at ``f(x)`` (default ``g``:
    ``0.5 * sum(y**2, axis=-1)``, so ``H_g = I`` and the product is ``J^T J v``)."""
    nums, single = check_argnums("f_argnums", f_argnums)
    if not single:
        raise TypeError("make_ggnvp: f_argnums must be one int")

    def at(*args: Any) -> Callable[[Any], Any]:
        i = nums[0] % len(args)

        def of_one(x: Any) -> Any:
            return f(*args[:i], x, *args[i + 1:])
        back, fx = make_vjp(of_one)(args[i])
        g_hvp, _ = make_hvp(g)(fx)

        def ggnvp(v: Any) -> Any:
            return back(g_hvp(jvp(of_one, (args[i],), (v,))[1]))
        return ggnvp

    return at


@takes_argnum
def grad_and_aux(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """``f`` returns ``(value, aux)``: ``grad_and_aux(f)(*args)`` is ``(grad of value,
    aux)``, ``f`` run once. ``aux`` comes back as ``f`` made it, its Tensors as arrays
    unless an outer transform is recording them."""

    def grad_and_aux_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        box: list[Any] = []

        def value_only(*a: Any, **k: Any) -> Any:
            result = f(*a, **k)
            if not isinstance(result, tuple) or len(result) != 2:
                raise TypeError("grad_and_aux: f must return a pair (value, aux), got "
                                f"{type(result).__name__}")
            box.append(result[1])
            return result[0]
        g = grad(value_only, argnums)(*args, **kwargs)
        return g, _detached(box[0], g)

    grad_and_aux_f.__name__ = f"grad_and_aux({getattr(f, '__name__', 'f')})"
    return grad_and_aux_f


def _detached(aux: Any, g: Any) -> Any:
    """aux as the caller sees it: arrays, unless the gradient itself came back recorded
    (an outer transform is differentiating through this one), then as ``f`` made it."""
    if any(isinstance(leaf, Tensor) for leaf in tree_flatten(g)[0]):
        return aux
    return tree_map(lambda v: v.value if isinstance(v, Tensor) else v, aux)


def deriv(f: Callable[..., Any]) -> Callable[[Any], Any]:
    """HIPS autograd's ``deriv``: ``deriv(f)(x)`` is ``J @ ones`` by forward mode, of
    ``f``'s output shape: ``f'(x)`` for a function of one number, elementwise for an
    elementwise ``f``."""
    def d(x: Any) -> Any:
        ones = np.ones(np.shape(x), np.result_type(x, 1.0))
        return jvp(f, (x,), (ones if ones.ndim else ones.item(),))[1]
    d.__name__ = f"deriv({getattr(f, '__name__', 'f')})"
    return d


def holomorphic_grad(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """HIPS autograd's ``holomorphic_grad``: the gradient of ``real(f(z))``, which is
    ``f'(z)`` when ``f`` is holomorphic (as ``cr.grad(f, holomorphic=True)``, but it also
    takes a real ``z``, giving ``Re f'(z)``)."""
    g = grad(lambda z: np.real(f(z)))
    g.__name__ = f"holomorphic_grad({getattr(f, '__name__', 'f')})"
    return g


def _arg_names(f: Callable[..., Any], where: str) -> list[str]:
    params = inspect.signature(f).parameters.values()
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        raise TypeError(f"{where}: f takes *args or **kwargs, so its arguments have no "
                        "fixed names; use cr.grad with argnums")
    return [p.name for p in params]


def grad_named(f: Callable[..., Any], argname: str) -> Callable[..., Any]:
    """HIPS autograd's ``grad_named``: the gradient in the argument called ``argname``
    (by position, as ``cr.grad(f, argnums=its index)``). TypeError if there is none."""
    names = _arg_names(f, "grad_named")
    if argname not in names:
        raise TypeError(f"grad_named: f has no argument named {argname!r}; its arguments "
                        f"are {', '.join(names) or 'none'}")
    return grad(f, names.index(argname))


def multigrad_dict(f: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """HIPS autograd's ``multigrad_dict``: ``{name: gradient}`` for every argument of
    ``f``, which must be given by position."""
    names = _arg_names(f, "multigrad_dict")

    def all_grads(*args: Any) -> dict[str, Any]:
        if len(args) != len(names):
            raise TypeError(f"multigrad_dict: give every argument of f by position "
                            f"({', '.join(names)}); got {len(args)}")
        grads = grad(f, tuple(range(len(args))))(*args)
        return dict(zip(names, grads))
    return all_grads


@takes_argnum
def hessian_tensor_product(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """HIPS autograd's ``hessian_tensor_product`` (also ``hessian_vector_product``):
    ``htp(*args, v)`` is the Hessian of the one-number ``f`` in argument ``argnums``
    contracted with ``v`` over ``v``'s axes (``tensordot(H, v, axes=v.ndim)``), exactly,
    as the gradient of ``<grad f, v>``."""
    fg = grad(f, argnums)

    def htp(*args_and_v: Any) -> Any:
        *args, v = args_and_v
        k = np.ndim(v)
        return grad(lambda *a: np.tensordot(fg(*a), np.asarray(v), axes=k), argnums)(*args)
    htp.__name__ = f"hessian_tensor_product({getattr(f, '__name__', 'f')})"
    return htp


hessian_vector_product = hessian_tensor_product
vector_jacobian_product = tensor_jacobian_product
