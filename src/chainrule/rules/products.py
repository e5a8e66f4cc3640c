"""``einsum``: every product of numpy (``dot``, ``tensordot``, ``inner``, ``outer``,
``kron``, traces and batched contractions) as one primitive.

Subscripts are stored normalized: no ``...`` (each operand's ellipsis axes get letters of
their own, aligned from the right) and an explicit output (``"abk,kl->abl"``).
The rule of operand ``i`` is another einsum: the cotangent contracted with the other
operands onto operand ``i``'s letters. A letter repeated in operand ``i`` (a diagonal)
gets a fresh letter tied to it by an identity matrix; a letter summed inside operand ``i``
alone is broadcast back. The rule calls the primitive again, so it is differentiable to
any order.
"""

from __future__ import annotations

from string import ascii_letters

import numpy as np

from ..primitive import apply, defprimitive


def normalize(subscripts: str, shapes: list[tuple[int, ...]]) -> str:
    """``subscripts`` with ``...`` spelled out in letters and the implicit output (the
    letters used once, sorted, after the ellipsis axes) made explicit. Raises ValueError
    when the operand count or dimensions do not match."""
    text = subscripts.replace(" ", "")
    given, arrow, out = text.partition("->")
    ins = given.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operand subscripts in {subscripts!r} for "
                         f"{len(shapes)} operands")
    free = [c for c in ascii_letters if c not in text]
    widths = []
    for sub, shape in zip(ins, shapes):
        named = len(sub.replace("...", ""))
        if "..." not in sub and named != len(shape):
            raise ValueError(f"einsum: subscripts {sub!r} name {named} axes of an operand "
                             f"with {len(shape)}")
        widths.append(len(shape) - named if "..." in sub else 0)
    n = max(widths, default=0)
    ell = "".join(free[:n])
    spelled = tuple(sub.replace("...", ell[n - w:]) for sub, w in zip(ins, widths))
    if arrow:
        output = out.replace("...", ell)
        stray = sorted(set(output) - set("".join(spelled)))
        if stray or len(set(output)) < len(output):
            raise ValueError(f"einsum: output subscripts {out!r} name {stray or 'a letter'} "
                             "not in the inputs or twice")
    else:
        letters = given.replace(",", "").replace(".", "")
        output = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return f"{','.join(spelled)}->{output}"


def _einsum(*args):
    *ops, spec = args
    if len(ops) == 2:
        out = _as_matmul(spec, *ops)
        if out is not None:
            return out
    return np.einsum(spec, *ops, optimize=len(ops) > 2)


def _as_matmul(spec, a, b):
    """A two-operand contraction as one (batched) BLAS matmul, or None when the letters
    do not allow it (a diagonal, a letter summed in one operand, broadcasting)."""
    given, _, out = spec.partition("->")
    sa, sb = given.split(",")
    if len(set(sa)) < len(sa) or len(set(sb)) < len(sb):
        return None
    size = dict(zip(sa, a.shape))
    for c, n in zip(sb, b.shape):
        if size.setdefault(c, n) != n:
            return None
    batch = [c for c in out if c in sa and c in sb]
    left = [c for c in out if c in sa and c not in sb]
    right = [c for c in out if c in sb and c not in sa]
    summed = [c for c in sa if c in sb and c not in out]
    if len(batch) + len(left) + len(summed) != len(sa) or \
            len(batch) + len(right) + len(summed) != len(sb):
        return None

    def dims(cs):
        return int(np.prod([size[c] for c in cs]))

    am = np.transpose(a, [sa.index(c) for c in batch + left + summed]).reshape(
        (dims(batch), dims(left), dims(summed)))
    bm = np.transpose(b, [sb.index(c) for c in batch + summed + right]).reshape(
        (dims(batch), dims(summed), dims(right)))
    r = np.matmul(am, bm).reshape([size[c] for c in batch + left + right])
    order = batch + left + right
    return np.transpose(r, [order.index(c) for c in out])


def _einsum_vjp(i, M, g, ans, *args):
    *ops, spec = args
    given, _, out = spec.partition("->")
    ins = given.split(",")
    sizes: dict[str, int] = {}
    for sub, op in zip(ins, ops):
        for c, s in zip(sub, op.shape):
            sizes[c] = max(sizes.get(c, 1), s)
    used = set("".join(ins) + out)
    free = iter(c for c in ascii_letters if c not in used)
    lead = "".join(next(free) for _ in range(g.ndim - ans.ndim))
    target, seen, eyes = [], set(), []
    for c in ins[i]:
        if c in seen:               # a diagonal: a fresh letter tied to c by an identity
            fresh = next(free)
            sizes[fresh] = sizes[c]
            eyes.append((c + fresh, np.eye(sizes[c])))
            target.append(fresh)
        else:
            seen.add(c)
            target.append(c)
    others = [(sub, op) for k, (sub, op) in enumerate(zip(ins, ops)) if k != i] + eyes
    present = set(lead + out + "".join(sub for sub, _ in others))
    kept = "".join(c for c in target if c in present)
    subs = ",".join([lead + out] + [sub for sub, _ in others])
    r = apply(EINSUM, g, *(op for _, op in others), f"{subs}->{lead + kept}")
    if len(kept) == len(target):
        return r
    # letters summed inside operand i alone: the gradient is the same along them
    shape = tuple(g.shape[:len(lead)]) + tuple(sizes[c] if c in present else 1 for c in target)
    full = tuple(g.shape[:len(lead)]) + tuple(sizes[c] for c in target)
    return M.broadcast_to(M.reshape(r, shape), full)


EINSUM = defprimitive(
    "einsum", array_fn=_einsum, vjps=_einsum_vjp, variadic=True, inputs=("xs",),
    expr="einsum(subscripts, *xs)",
    derivs=["the other operands (an einsum of g with them onto each operand's letters)"],
    vjp_text=["einsum(g, *others -> operand's subscripts)"], params=("subscripts",),
    function="einsum", numpy=(np.einsum,), doc="Einstein summation", complex=True)
