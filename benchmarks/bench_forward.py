"""Forward mode: a Hessian-vector product and a tall Jacobian.

1. ``H v`` for ``f(x) = sum(tanh(A @ x) ** 2)``, x of size 1000, A of shape (1000, 1000):
   chainrule's ``cr.hvp`` (forward-over-reverse), chainrule reverse-over-reverse (the
   gradient of ``<grad f, v>``), ``torch.func.jvp`` of ``torch.func.grad`` and HIPS
   autograd's ``hessian_vector_product`` (reverse-over-reverse). Every result is checked
   against the closed form ``A^T (d * (A v))``, ``d = (2 - 6 t^2)(1 - t^2)``, ``t =
   tanh(A x)``, before timing.
2. The Jacobian of a 10-input, 1000-output function ``g(x) = tanh(B @ x) * (C @ x)``: ``cr.jacfwd``
   (10 tangents pushed forward together) against ``cr.jacobian`` (1000 cotangents pushed
   back together), checked against each other.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks import harness

N = 1000
N_IN, N_OUT = 10, 1000


def problem(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=n), rng.normal(size=n)


def closed_form_hvp(A: np.ndarray, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    t = np.tanh(A @ x)
    return A.T @ ((2 - 6 * t * t) * (1 - t * t) * (A @ v))


def hvp_engines(A: np.ndarray, x: np.ndarray, v: np.ndarray) -> dict:
    import chainrule as cr

    def f(z):
        return cr.sum(cr.tanh(A @ z) ** 2)

    g = cr.grad(f)
    engines = {
        "chainrule fwd-over-rev": lambda: cr.hvp(f)(x, v),
        "chainrule rev-over-rev": lambda: cr.grad(lambda z: cr.sum(g(z) * v))(x),
    }
    torch = harness.optional("torch")
    if torch is not None:
        harness.pin_threads()
        import torch.func

        At, xt, vt = (torch.from_numpy(a) for a in (A, x, v))

        def ft(z):
            return (torch.tanh(At @ z) ** 2).sum()

        engines["torch.func jvp(grad)"] = (
            lambda: torch.func.jvp(torch.func.grad(ft), (xt,), (vt,))[1].numpy())
    else:
        harness.skip_note("torch")
    autograd = harness.optional("autograd")
    if autograd is not None:
        anp = autograd.numpy
        hvp = autograd.hessian_vector_product(lambda z: anp.sum(anp.tanh(anp.dot(A, z)) ** 2))
        engines["autograd hessian_vector_product"] = lambda: hvp(x, v)
    else:
        harness.skip_note("autograd")
    return engines


def jacobian_engines(B: np.ndarray, C: np.ndarray, x: np.ndarray) -> dict:
    import chainrule as cr

    def g(z):
        return cr.tanh(B @ z) * (C @ z)

    return {"chainrule jacfwd": lambda: cr.jacfwd(g)(x),
            "chainrule jacobian (reverse)": lambda: cr.jacobian(g)(x)}


def main(quick: bool = False) -> dict[str, dict[str, dict[str, float]]]:
    rounds, repeat = (3, 2) if quick else (7, 5)
    n = 200 if quick else N
    A, x, v = problem(n)
    engines = hvp_engines(A, x, v)
    print(f"Hessian-vector product of sum(tanh(A @ x)**2), x of size {n}; {rounds} "
          f"interleaved rounds x {repeat} calls")
    results = {"closed form": closed_form_hvp(A, x, v)}
    results.update({name: fn() for name, fn in engines.items()})
    harness.check_agree(results, "closed form", rtol=1e-9, atol=1e-12, what="H v")
    print("  every H v agrees with the closed form A^T (d * (A v))")
    hvp = harness.interleaved(engines, rounds=rounds, repeat=repeat, collect=False)
    harness.table("  ms per H v (medians)", hvp, "chainrule fwd-over-rev", unit="ms")
    fwd = hvp["chainrule fwd-over-rev"]["total"]
    harness.verdict("fwd-over-rev / rev-over-rev", fwd / hvp["chainrule rev-over-rev"]["total"],
                    1.0, "x")
    if "autograd hessian_vector_product" in hvp:
        harness.verdict("fwd-over-rev / autograd", fwd /
                        hvp["autograd hessian_vector_product"]["total"], 1.0, "x")

    rng = np.random.default_rng(1)
    B, C = rng.normal(size=(N_OUT, N_IN)), rng.normal(size=(N_OUT, N_IN))
    z = rng.normal(size=N_IN)
    jac = jacobian_engines(B, C, z)
    print(f"\nJacobian of tanh(B @ x) * (C @ x): {N_IN} inputs, {N_OUT} outputs")
    out = {name: fn() for name, fn in jac.items()}
    harness.check_agree(out, "chainrule jacobian (reverse)", rtol=1e-12, atol=1e-14,
                        what="Jacobian")
    print("  jacfwd and jacobian agree")
    jt = harness.interleaved(jac, rounds=rounds, repeat=repeat, collect=False)
    harness.table("  ms per Jacobian (medians)", jt, "chainrule jacfwd", unit="ms")
    speedup = jt["chainrule jacobian (reverse)"]["total"] / jt["chainrule jacfwd"]["total"]
    print(f"  jacfwd is {speedup:.1f}x faster than jacobian (target: >= 10x)")
    return {"hvp": hvp, "jacobian": jt}


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
